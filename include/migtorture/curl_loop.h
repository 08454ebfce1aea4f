/* migtorture/curl_loop.h — libcurl's multi interface driven by the cell's mt_loop.
 *
 * The web workloads and the http probe run many transfers at once without threads: curl tells
 * us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); this glue registers those with mt_loop (fds and one-shot timers) and
 * calls curl_multi_socket_action from the loop's callbacks — the pattern of curl's
 * multi-event.c / hiperfifo.c examples, with mt_loop in place of libevent.
 *
 * Ownership: the caller creates and configures each easy handle, hands it over with
 * mt_curl_loop_add, and gets it back exactly once in its done callback (after curl has removed
 * it from the multi handle); the callback may clean it up or add it again. CURLOPT_PRIVATE and
 * CURLOPT_OPENSOCKETFUNCTION are used by this glue and must not be set by callers.
 *
 * Network namespace: every socket is opened in the namespace that was current when
 * mt_curl_loop_new ran (the runner enters a plugin's host around start()), whatever namespace
 * the loop thread is in when curl connects later.
 */
#ifndef MIGTORTURE_CURL_LOOP_H
#define MIGTORTURE_CURL_LOOP_H

#include <curl/curl.h>

#include "error.h"
#include "loop.h"

struct mt_curl_loop;

/* A transfer ended: rc is its CURLcode (CURLE_OK = completed; look at the response code for
 * the HTTP status), or CURLE_ABORTED_BY_CALLBACK when mt_curl_loop_abort_all/free ended it.
 * now_ns is the loop's monotonic time when the end was seen. The callback owns easy again. */
typedef void (*mt_curl_done_cb)(CURL *easy, CURLcode rc, int64_t now_ns, void *arg);

/* Creates a multi handle bound to loop (not owned). curl_global_init is done once per process
 * by this function. */
int mt_curl_loop_new(struct mt_loop *loop, struct mt_curl_loop **out, struct mt_error *err);

/* Starts a transfer. On success the glue holds easy until done is called; on error the caller
 * still owns it and done is not called. */
int mt_curl_loop_add(struct mt_curl_loop *cl, CURL *easy, mt_curl_done_cb done, void *arg,
		     struct mt_error *err);

/* Transfers currently held. */
size_t mt_curl_loop_running(const struct mt_curl_loop *cl);

/* Ends every held transfer, calling each done callback with CURLE_ABORTED_BY_CALLBACK (callbacks
 * must not add new transfers then; such adds fail with MT_EINVAL). */
void mt_curl_loop_abort_all(struct mt_curl_loop *cl);

/* abort_all, then frees the multi handle and unregisters every fd/timer. NULL is a no-op. */
void mt_curl_loop_free(struct mt_curl_loop *cl);

/* Sticky error: the first fatal curl multi error seen inside a loop callback (0 if none). */
int mt_curl_loop_error(const struct mt_curl_loop *cl, struct mt_error *err);

#endif
