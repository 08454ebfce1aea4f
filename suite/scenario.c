/* scenario.c — loading a scenario: read and split the file (scenario_read.c), check every
 * entry on its own (known key, axis syntax, value against its table, spec kinds and keys), build
 * the [host:NAME] hosts, then expand every cell once so that what depends on context (the
 * driver's migrate.* keys, required keys) fails at load time too, with its line. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "migtorture/threshold.h"
#include "migtorture/units.h"
#include "labref.h"
#include "scenario_priv.h"
#include "sha256.h"
#include "suggest.h"

/* Prefixes err with "FILE:LINE: " unless it is an allocation failure. */
static int at_line(struct mt_error *err, int rc, const char *name, int line)
{
	if (rc && rc != MT_ENOMEM)
		mt_err_prefix(err, "%s:%d", name, line);
	return rc;
}

static int unknown_driver(const char *drv, struct mt_error *err)
{
	const char *cands[64], *hint;
	size_t n = 0;
	char list[512] = "";
	size_t off = 0;

	for (const struct mt_driver_ops *const *r = mt_driver_registry(); *r && n < 64; r++)
		cands[n++] = (*r)->base.name;
	hint = mt_suggest_name(drv, cands, n);
	if (hint)
		return mt_err(err, MT_EINVAL, "key 'driver': unknown driver '%s', did you mean '%s'?",
			      drv, hint);
	for (size_t i = 0; i < n && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
					cands[i]);
	return mt_err(err, MT_EINVAL, "key 'driver': unknown driver '%s' (registered: %s)", drv,
		      n ? list : "none");
}

/* Thresholds are parsed here only to refuse bad ones at load time with their line (so
 * `validate` catches them); evaluating them after the run is thresholds.c's job. */
static int check_threshold(const char *text, struct mt_error *err)
{
	struct mt_threshold *t = NULL;
	char **parts = NULL;
	size_t n = 0, nt = 0;
	int rc = 0;

	if (mt_sc_split(text, ',', &parts, &n))
		return mt_err(err, MT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!*parts[i])
			rc = mt_err(err, MT_EINVAL,
				    "key 'threshold': expected expressions like "
				    "'network_outage_ms.p95 <= 5s' separated by ',', got '%s'",
				    text);
	if (rc == 0) {
		rc = mt_threshold_parse_list(text, &t, &nt, err);
		if (rc && rc != MT_ENOMEM)
			mt_err_prefix(err, "key 'threshold'");
	}
	free(t);
	mt_sc_strv_free(parts, n);
	return rc;
}

/* `guest`: a lab guest (lab:guest, lab:guestN) or a literal address; a typo here would aim
 * every probe at nothing, so it is refused at load time (with its line) rather than when the
 * cell runs. */
static int check_guest(const char *text, struct mt_error *err)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (mt_labref_guest_ref(text, NULL) || inet_pton(AF_INET, text, buf) == 1 ||
	    inet_pton(AF_INET6, text, buf) == 1)
		return 0;
	return mt_err(err, MT_EINVAL,
		      "key 'guest': expected lab:guest, lab:guestN (N = 1..%d) or an IPv4/IPv6 "
		      "address, got '%s'", MT_LAB_MAX_GUESTS, text);
}

/* `vm_guests`: NAME=ADDRESS pairs, blank-separated, each address literal. */
static int check_vm_guests(const char *text, struct mt_error *err)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *p = text;

	while (*p) {
		char item[300], *eq;
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1),
			 p);
		p += n;
		eq = strchr(item, '=');
		if (!eq || eq == item || (inet_pton(AF_INET, eq + 1, buf) != 1 &&
					  inet_pton(AF_INET6, eq + 1, buf) != 1))
			return mt_err(err, MT_EINVAL, "key 'vm_guests': expected NAME=ADDRESS pairs "
				      "(an IPv4/IPv6 address), got '%s'", item);
	}
	return 0;
}

/* One value of an entry (the whole value, or one axis alternative). */
static int check_value(const struct mt_scenario *s, const struct sc_entry *e, const char *text,
		       struct mt_error *err)
{
	struct mt_spec *specs = NULL;
	size_t nspecs = 0;
	struct mt_value v;
	int rc;

	switch (mt_sc_key_class(e->key)) {
	case SC_KEY_SPEC:
		rc = mt_spec_list_parse(s, mt_sc_spec_class(e->key), text, e->line, &specs, &nspecs,
					err);
		for (size_t i = 0; i < nspecs; i++)
			mt_spec_free(&specs[i]);
		free(specs);
		return rc;
	case SC_KEY_THRESHOLD:
		return check_threshold(text, err);
	case SC_KEY_DRIVER:
		return 0; /* needs the cell's driver: checked when cells are expanded */
	default:
		rc = mt_option_parse_value(mt_option_find(mt_scenario_options(), e->key), text, &v,
					   err);
		free(v.text);
		if (rc == 0 && strcmp(e->key, "driver") == 0 && !mt_find_driver(text))
			rc = unknown_driver(text, err);
		if (rc == 0 && strcmp(e->key, "guest") == 0)
			rc = check_guest(text, err);
		if (rc == 0 && strcmp(e->key, "vm_guests") == 0)
			rc = check_vm_guests(text, err);
		if (rc == 0 && (!strcmp(e->key, "client") || !strcmp(e->key, "source_host") ||
				!strcmp(e->key, "dest_host")) && !mt_sc_host_known(s, text))
			rc = mt_sc_bad_host(s, e->key, text, err);
		return rc;
	}
}

/* Axis syntax: `a | b | c` on an axis-capable key; every alternative non-empty. */
static int split_axis(struct sc_entry *e, struct mt_error *err)
{
	const struct mt_option *opt = mt_option_find(mt_scenario_options(), e->key);
	int axis_ok = mt_sc_key_class(e->key) == SC_KEY_DRIVER || (opt && (opt->flags & MT_OPTF_AXIS));
	char **alts = NULL;
	size_t n = 0;

	if (mt_sc_split(e->value, '|', &alts, &n))
		return mt_err(err, MT_ENOMEM, "out of memory");
	if (n < 2) {
		mt_sc_strv_free(alts, n);
		return 0;
	}
	e->alts = alts;
	e->nalts = n;
	if (!axis_ok)
		return mt_err(err, MT_EINVAL,
			      "key '%s': expected one value (this key cannot be an axis), got '%s'",
			      e->key, e->value);
	for (size_t i = 0; i < n; i++)
		if (!*alts[i])
			return mt_err(err, MT_EINVAL,
				      "key '%s': expected a value on each side of every '|', got '%s'",
				      e->key, e->value);
	return 0;
}

static int check_entry(struct mt_scenario *s, const struct sc_section *sec, struct sc_entry *e,
		       struct mt_error *err)
{
	const char *hint;
	int rc;

	if (mt_sc_key_class(e->key) < 0) {
		hint = mt_option_suggest(mt_scenario_options(), e->key);
		if (hint)
			return mt_err(err, MT_EINVAL, "key '%s': unknown key, did you mean '%s'?",
				      e->key, hint);
		return mt_err(err, MT_EINVAL,
			      "key '%s': unknown key (see docs/scenario-reference.md)", e->key);
	}
	if (strcmp(e->key, "seed") == 0 && sec->kind != SC_GLOBAL)
		return mt_err(err, MT_EINVAL, "key 'seed': expected it in [global], got it in [%s]",
			      sec->name);
	rc = split_axis(e, err);
	if (rc)
		return rc;
	if (!e->alts)
		return check_value(s, e, e->value, err);
	for (size_t i = 0; i < e->nalts && rc == 0; i++)
		rc = check_value(s, e, e->alts[i], err);
	return rc;
}

static char *dup_or_null(const struct mt_params *p, const char *key)
{
	const char *v = mt_param_str(p, key);

	return v ? strdup(v) : NULL;
}

/* [host:NAME]: its keys against the host table, into s->hosts. */
static int load_host(struct mt_scenario *s, const struct sc_section *sec, const char *name,
		     struct mt_error *err)
{
	const struct mt_option *t = mt_sc_host_options();
	struct mt_params p = { 0 };
	struct mt_host *h;
	int rc = 0, line = sec->line;

	for (size_t i = 0; i < sec->nentries && rc == 0; i++) {
		line = sec->entries[i].line;
		rc = mt_params_set(&p, t, sec->entries[i].key, sec->entries[i].value, line, err);
	}
	if (rc == 0) {
		line = sec->line; /* missing keys are the section's fault */
		rc = mt_params_finish(&p, t, err);
	}
	if (rc == 0 && strcmp(mt_param_str(&p, "kind"), "ssh") == 0 &&
	    !mt_params_get(&p, "address"))
		rc = mt_err(err, MT_EINVAL, "[%s]: key 'address': expected it for kind=ssh",
			    sec->name);
	if (rc)
		goto out;
	h = &s->hosts[s->nhosts++];
	h->name = strdup(sec->name + 5);
	h->kind = strcmp(mt_param_str(&p, "kind"), "ssh") == 0 ? MT_HOST_SSH
									 : MT_HOST_LOCAL;
	h->netns = dup_or_null(&p, "netns");
	h->ssh_address = dup_or_null(&p, "address");
	h->ssh_user = dup_or_null(&p, "user");
	h->ssh_identity = dup_or_null(&p, "identity");
	h->ssh_known_hosts = dup_or_null(&p, "known_hosts");
	h->remote_binary = dup_or_null(&p, "remote_binary");
	h->log_libvirtd = dup_or_null(&p, "log_libvirtd");
	h->log_qemu = dup_or_null(&p, "log_qemu");
	h->log_console = dup_or_null(&p, "log_console");
	if (!h->name)
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	mt_params_free(&p);
	return at_line(err, rc, name, line);
}

static int load_hosts(struct mt_scenario *s, struct mt_error *err)
{
	struct mt_scenario_priv *pv = s->priv;
	int rc = 0;

	s->hosts = calloc(pv->nsecs ? pv->nsecs : 1, sizeof(*s->hosts));
	if (!s->hosts)
		return mt_err(err, MT_ENOMEM, "out of memory");
	for (size_t i = 0; i < pv->nsecs && rc == 0; i++)
		if (pv->secs[i].kind == SC_HOST)
			rc = load_host(s, &pv->secs[i], s->path, err);
	return rc;
}

static int check_entries(struct mt_scenario *s, struct mt_error *err)
{
	struct mt_scenario_priv *pv = s->priv;
	int rc = 0;

	for (size_t i = 0; i < pv->nsecs && rc == 0; i++) {
		struct sc_section *sec = &pv->secs[i];

		if (sec->kind == SC_HOST)
			continue;
		for (size_t j = 0; j < sec->nentries && rc == 0; j++)
			rc = at_line(err, check_entry(s, sec, &sec->entries[j], err), s->path,
				     sec->entries[j].line);
	}
	return rc;
}

/* Every cell once (one repeat): the context-dependent checks run in the cell resolver. */
static int check_cells(const struct mt_scenario *s, struct mt_error *err)
{
	struct mt_plan_opts o = { .seed = 0, .repeat = 1 };
	struct mt_plan *p = NULL;
	int rc = mt_plan_build(s, &o, &p, err);

	mt_plan_free(p);
	return rc;
}

static void set_description(struct mt_scenario *s)
{
	struct mt_scenario_priv *pv = s->priv;

	for (size_t i = 0; i < pv->nsecs; i++) {
		if (pv->secs[i].kind != SC_GLOBAL)
			continue;
		for (size_t j = 0; j < pv->secs[i].nentries; j++) {
			if (strcmp(pv->secs[i].entries[j].key, "description") == 0) {
				free(s->description);
				s->description = strdup(pv->secs[i].entries[j].value);
			}
		}
	}
}

int mt_scenario_load_buffer(const char *text, size_t len, const char *name,
			    struct mt_scenario **out, struct mt_error *err)
{
	struct mt_scenario *s = calloc(1, sizeof(*s));
	char *copy = NULL;
	int rc;

	*out = NULL;
	if (!s || !(s->priv = calloc(1, sizeof(*s->priv))) || !(s->path = strdup(name)) ||
	    !(copy = malloc(len + 1))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = mt_sc_check_text(text, len, name, err);
	if (rc)
		goto out;
	memcpy(copy, text, len);
	copy[len] = '\0';
	mt_sha256_hex(text, len, s->sha256);
	rc = mt_sc_parse_ini(copy, name, s->priv, err);
	if (rc == 0)
		rc = load_hosts(s, err);
	if (rc == 0)
		rc = check_entries(s, err);
	if (rc == 0)
		rc = check_cells(s, err);
	if (rc == 0)
		set_description(s);
out:
	free(copy);
	if (rc) {
		mt_scenario_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int mt_scenario_load(const char *path, struct mt_scenario **out, struct mt_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = mt_sc_read_file(path, &buf, &len, err);
	if (rc == 0)
		rc = mt_scenario_load_buffer(buf, len, path, out, err);
	free(buf);
	return rc;
}

void mt_scenario_free(struct mt_scenario *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nhosts; i++)
		mt_host_free(&s->hosts[i]);
	free(s->hosts);
	mt_sc_priv_free(s->priv);
	free(s->priv);
	free(s->description);
	free(s->path);
	free(s);
}

const struct mt_host *mt_scenario_host(const struct mt_scenario *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->nhosts; i++)
		if (strcmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	return NULL;
}

uint64_t mt_scenario_seed(const struct mt_scenario *s, uint64_t fallback)
{
	const struct mt_scenario_priv *pv = s ? s->priv : NULL;
	uint64_t seed = fallback;

	for (size_t i = 0; pv && i < pv->nsecs; i++) {
		if (pv->secs[i].kind != SC_GLOBAL)
			continue;
		for (size_t j = 0; j < pv->secs[i].nentries; j++) {
			long long v;
			char why[8];

			if (strcmp(pv->secs[i].entries[j].key, "seed") == 0 &&
			    mt_parse_int(pv->secs[i].entries[j].value, 0, LLONG_MAX, &v, why,
					 sizeof(why)) == 0)
				seed = (uint64_t)v; /* the last one written wins, like other keys */
		}
	}
	return seed;
}
