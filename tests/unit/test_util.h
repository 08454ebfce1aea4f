/* test_util.h — helpers the unit tests share: a temp directory and its removal, a file's
 * contents, a fixture's path, whether a program is installed. Linked into every unit test
 * (tests/unit/CMakeLists.txt); the ones that can fail abort the calling Check test. */
#ifndef MT_TEST_UTIL_H
#define MT_TEST_UTIL_H

#include <stddef.h>

#include <check.h>

/* Creates /tmp/mtt-TAG-XXXXXX (mkdtemp) into buf and returns buf; aborts the test
 * (ck_abort_msg, with the reason) when it cannot. */
char *tu_tmpdir(char *buf, size_t len, const char *tag);

/* Removes path and everything below it, links not followed; nothing when path is NULL, empty
 * or already gone. Errors are printed, not fatal: it runs in teardowns. */
void tu_rm_rf(const char *path);

/* Writes text to path with fopen mode ("w" replaces, "a" appends); aborts the test when it
 * cannot. */
void tu_write(const char *path, const char *mode, const char *text);

/* The whole file, NUL terminated, in memory the caller frees; *len (when not NULL) is its
 * length. NULL when it cannot be read (errno says why). */
char *tu_read(const char *path, size_t *len);

/* The whole file as a string owned here, valid until the next call; "" when the file does not
 * exist or cannot be read (a log nothing was written to yet). */
const char *tu_slurp(const char *path);

/* MT_FIXTURES "/" name (tests/unit/fixtures), in a buffer owned here, valid until the next
 * call. */
const char *tu_fixture(const char *name);

/* The whole fixture file, NUL terminated, in memory the caller frees; aborts the test when it
 * cannot be read (a missing fixture is a broken tree, not a skip). */
char *tu_fixture_read(const char *name);

/* 1 when prog is an executable file in a directory of PATH, else 0. */
int tu_have(const char *prog);

/* Runs suite s with CK_NORMAL output and frees its runner: a unit test binary's exit status
 * (EXIT_FAILURE when any test failed). */
int tu_run(Suite *s);

#endif
