/* partition.c — the "partition" fault: drop traffic between two address sets with nftables,
 * through libnftables' JSON API, in a table of its own ("mt_partition_<id>", family inet, with
 * input/output/forward chains). Undo deletes exactly that table and nothing else.
 * Undo record: {"v":1,"fault":"partition","family":"inet","table":"mt_partition_…"}.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <nftables/libnftables.h>

#include "migtorture/plugin.h"

static const struct mt_option partition_options[] = {
	{ "a", MT_OPT_STR, NULL, "first address set: comma-separated addresses or prefixes "
	  "(198.18.0.1,198.18.1.0/24, IPv6 too)", NULL, 0, 0, MT_OPTF_REQUIRED },
	{ "b", MT_OPT_STR, NULL, "second address set (same form)", NULL, 0, 0,
	  MT_OPTF_REQUIRED },
	{ "oneway", MT_OPT_BOOL, "no", "yes: drop only a → b; no: both directions", NULL, 0, 0,
	  0 },
	MT_OPTION_END
};

/* Parses "addr" or "addr/len"; *v6 says which family. */
static int parse_elem(const char *s, char *addr, size_t alen, int *len, int *v6)
{
	const char *slash = strchr(s, '/');
	unsigned char buf[16];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;

	if (n == 0 || n >= alen)
		return MT_EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		*v6 = 0;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		*v6 = 1;
	else
		return MT_EINVAL;
	*len = *v6 ? 128 : 32;
	if (slash) {
		long l = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || l < 0 || l > *len)
			return MT_EINVAL;
		*len = (int)l;
	}
	return 0;
}

/* Builds the anonymous-set JSON of one family's elements of list; *count gets how many. */
static int build_set(const char *list, int want_v6, cJSON **out, int *count,
		     struct mt_error *err)
{
	char *copy = strdup(list), *save = NULL;
	cJSON *set = cJSON_CreateArray();
	int rc = 0;

	*count = 0;
	if (!copy || !set) {
		rc = mt_err(err, MT_ENOMEM, "partition: out of memory");
		goto out;
	}
	for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char addr[INET6_ADDRSTRLEN + 1];
		int len, v6;
		if (parse_elem(tok, addr, sizeof(addr), &len, &v6) < 0) {
			rc = mt_err(err, MT_EINVAL,
				    "partition: '%s' is not an address or prefix (a.b.c.d[/len])",
				    tok);
			goto out;
		}
		if (v6 != want_v6)
			continue;
		if (len == (v6 ? 128 : 32)) {
			cJSON_AddItemToArray(set, cJSON_CreateString(addr));
		} else {
			cJSON *pfx = cJSON_CreateObject(), *inner = cJSON_AddObjectToObject(pfx,
											     "prefix");
			cJSON_AddStringToObject(inner, "addr", addr);
			cJSON_AddNumberToObject(inner, "len", len);
			cJSON_AddItemToArray(set, pfx);
		}
		(*count)++;
	}
out:
	free(copy);
	if (rc < 0) {
		cJSON_Delete(set);
		set = NULL;
	}
	*out = set;
	return rc;
}

static int partition_check(const struct mt_params *p, struct mt_error *err)
{
	cJSON *set = NULL;
	int rc = 0, n4a, n6a, n4b, n6b;

	if ((rc = build_set(mt_params_str(p, "a", ""), 0, &set, &n4a, err)) < 0)
		return rc;
	cJSON_Delete(set);
	if ((rc = build_set(mt_params_str(p, "a", ""), 1, &set, &n6a, err)) < 0)
		return rc;
	cJSON_Delete(set);
	if ((rc = build_set(mt_params_str(p, "b", ""), 0, &set, &n4b, err)) < 0)
		return rc;
	cJSON_Delete(set);
	if ((rc = build_set(mt_params_str(p, "b", ""), 1, &set, &n6b, err)) < 0)
		return rc;
	cJSON_Delete(set);
	if (!((n4a && n4b) || (n6a && n6b)))
		return mt_err(err, MT_EINVAL,
			      "partition: a and b share no address family: nothing to drop");
	return 0;
}

/* {"match":{"op":"==","left":{"payload":{"protocol":P,"field":F}},"right":{"set":S}}} */
static cJSON *match(const char *proto, const char *field, cJSON *set)
{
	cJSON *m = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(m, "match");
	cJSON *left = cJSON_AddObjectToObject(in, "left");
	cJSON *pl = cJSON_AddObjectToObject(left, "payload");
	cJSON *right = cJSON_AddObjectToObject(in, "right");

	cJSON_AddStringToObject(in, "op", "==");
	cJSON_AddStringToObject(pl, "protocol", proto);
	cJSON_AddStringToObject(pl, "field", field);
	cJSON_AddItemToObject(right, "set", cJSON_Duplicate(set, 1));
	return m;
}

static void add_rule(cJSON *cmds, const char *table, const char *chain, const char *proto,
		     cJSON *src, cJSON *dst)
{
	cJSON *c = cJSON_CreateObject(), *add = cJSON_AddObjectToObject(c, "add");
	cJSON *rule = cJSON_AddObjectToObject(add, "rule"), *expr;

	cJSON_AddStringToObject(rule, "family", "inet");
	cJSON_AddStringToObject(rule, "table", table);
	cJSON_AddStringToObject(rule, "chain", chain);
	expr = cJSON_AddArrayToObject(rule, "expr");
	cJSON_AddItemToArray(expr, match(proto, "saddr", src));
	cJSON_AddItemToArray(expr, match(proto, "daddr", dst));
	cJSON_AddItemToArray(expr, cJSON_Parse("{\"counter\":null}"));
	cJSON_AddItemToArray(expr, cJSON_Parse("{\"drop\":null}"));
	cJSON_AddItemToArray(cmds, c);
}

static cJSON *table_obj(const char *verb, const char *table)
{
	cJSON *c = cJSON_CreateObject(), *v = cJSON_AddObjectToObject(c, verb);
	cJSON *t = cJSON_AddObjectToObject(v, "table");

	cJSON_AddStringToObject(t, "family", "inet");
	cJSON_AddStringToObject(t, "name", table);
	return c;
}

/* The whole ruleset change as one nft JSON batch (atomic in the kernel). */
static char *build_batch(const struct mt_params *p, const char *table, struct mt_error *err)
{
	static const char *const hooks[] = { "input", "output", "forward" };
	cJSON *root = cJSON_CreateObject(), *cmds = cJSON_AddArrayToObject(root, "nftables");
	char *text = NULL;
	int oneway = mt_param_i64(p, "oneway") != 0;

	cJSON_AddItemToArray(cmds, table_obj("add", table));
	for (size_t h = 0; h < 3; h++) {
		cJSON *c = cJSON_CreateObject(), *add = cJSON_AddObjectToObject(c, "add");
		cJSON *ch = cJSON_AddObjectToObject(add, "chain");
		cJSON_AddStringToObject(ch, "family", "inet");
		cJSON_AddStringToObject(ch, "table", table);
		cJSON_AddStringToObject(ch, "name", hooks[h]);
		cJSON_AddStringToObject(ch, "type", "filter");
		cJSON_AddStringToObject(ch, "hook", hooks[h]);
		cJSON_AddNumberToObject(ch, "prio", -300); /* before the usual filter tables */
		cJSON_AddStringToObject(ch, "policy", "accept");
		cJSON_AddItemToArray(cmds, c);
	}
	for (int v6 = 0; v6 <= 1; v6++) {
		cJSON *a = NULL, *b = NULL;
		int na, nb;
		if (build_set(mt_params_str(p, "a", ""), v6, &a, &na, err) < 0 ||
		    build_set(mt_params_str(p, "b", ""), v6, &b, &nb, err) < 0) {
			cJSON_Delete(a);
			cJSON_Delete(root);
			return NULL;
		}
		for (size_t h = 0; na && nb && h < 3; h++) {
			add_rule(cmds, table, hooks[h], v6 ? "ip6" : "ip", a, b);
			if (!oneway)
				add_rule(cmds, table, hooks[h], v6 ? "ip6" : "ip", b, a);
		}
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	text = cJSON_PrintUnformatted(root);
	if (!text)
		mt_err(err, MT_ENOMEM, "partition: out of memory");
	cJSON_Delete(root);
	return text;
}

/* Runs one JSON batch; nft's own error text goes into err. */
static int run_nft(const char *batch, const char *what, struct mt_error *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc = 0;

	if (!nft)
		return mt_err(err, MT_ENOMEM, "%s: nft context: out of memory", what);
	/* libnftables 1.0.6 parses a buffer as JSON only when JSON output is on (no input flag
	 * yet); it falls back to the nft syntax otherwise. */
	nft_ctx_output_set_flags(nft, nft_ctx_output_get_flags(nft) | NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, batch) != 0) {
		const char *e = nft_ctx_get_error_buffer(nft);
		size_t n = e ? strcspn(e, "\n") : 0;
		rc = mt_err(err, MT_EINFRA, "%s: nftables: %.*s", what, (int)n, e ? e : "failed");
	}
	nft_ctx_free(nft);
	return rc;
}

static int partition_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			   struct mt_error *err)
{
	static unsigned seq;
	char table[64], *batch = NULL, *undo = NULL;
	cJSON *o = NULL;
	uint64_t id = 0;
	struct timespec ts;
	int rc;

	*state = NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Unique per process and call; names only, so recover elsewhere finds it. */
	snprintf(table, sizeof(table), "mt_partition_%d_%u", (int)getpid(), ++seq);
	batch = build_batch(p, table, err);
	if (!batch) {
		rc = err && err->code ? err->code : MT_ENOMEM;
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "fault", "partition");
	cJSON_AddStringToObject(o, "family", "inet");
	cJSON_AddStringToObject(o, "table", table);
	undo = cJSON_PrintUnformatted(o);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "partition: out of memory");
		goto out;
	}
	rc = mt_journal_begin(ctx->journal, "partition", ctx->host, undo, &id, err);
	if (rc < 0)
		goto out;
	rc = run_nft(batch, "partition", err);
	if (rc < 0) {
		/* The batch is atomic: nothing was changed. */
		mt_journal_end(ctx->journal, id, 0, 0, NULL);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	rc = mt_journal_applied(ctx->journal, id,
				(int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - ctx->t0_ns, err);
out:
	cJSON_Delete(o);
	free(batch);
	free(undo);
	return rc;
}

static int partition_undo(const char *undo_json, struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json), *cmds = NULL, *root = NULL;
	const cJSON *table;
	char *batch = NULL;
	int rc;

	if (!o)
		return mt_err(err, MT_EINVAL, "partition undo: record is not JSON");
	table = cJSON_GetObjectItemCaseSensitive(o, "table");
	if (!cJSON_IsString(table) || strncmp(table->valuestring, "mt_partition_", 13) != 0) {
		rc = mt_err(err, MT_EINVAL, "partition undo: no mt_partition_* table in record");
		goto out;
	}
	/* "add" then "delete" in one batch: deletes the table whether or not it still exists,
	 * so undo is idempotent (nft 1.0.6 has no "destroy"). */
	root = cJSON_CreateObject();
	cmds = cJSON_AddArrayToObject(root, "nftables");
	cJSON_AddItemToArray(cmds, table_obj("add", table->valuestring));
	cJSON_AddItemToArray(cmds, table_obj("delete", table->valuestring));
	batch = cJSON_PrintUnformatted(root);
	rc = batch ? run_nft(batch, "partition undo", err)
		   : mt_err(err, MT_ENOMEM, "partition undo: out of memory");
out:
	free(batch);
	cJSON_Delete(root);
	cJSON_Delete(o);
	return rc;
}

static int partition_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			       size_t whylen)
{
	return 0;
}

const struct mt_fault_ops mt_fault_partition = {
	.base.name = "partition",
	.base.summary = "drop traffic between two address sets (nftables table of its own)",
	.base.options = partition_options,
	.base.check = partition_check,
	.base.supported = partition_supported,
	.apply = partition_apply,
	.undo = partition_undo,
};
