/* spec.c — plugin instances written in a scenario: "KIND k=v ... [at=] [for=] [host=]",
 * `none`, or several joined by ` + `. The kind is looked up in the registry for its class, its
 * keys are parsed with the plugin's own option table and its optional check(); at/for/host are
 * the keys every spec takes (mt_spec_common_options). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "scenario_priv.h"
#include "suggest.h"

/* The lab's hosts (lab/): a spec may name them plainly or as lab:NAME. */
static const char *const lab_hosts[] = { "hosta", "hostb", "client", "router" };
#define NLAB (sizeof(lab_hosts) / sizeof(lab_hosts[0]))

int mt_sc_split(const char *text, char sep, char ***out, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;
	const char *start = text;
	int inq = 0;

	for (const char *p = text;; p++) {
		if (*p == '"' && (p == text || p[-1] != '\\'))
			inq = !inq;
		if (*p && (inq || *p != sep))
			continue;
		{
			const char *a = start, *b = p;
			char **nv = realloc(v, (cnt + 1) * sizeof(*nv));

			if (!nv)
				goto nomem;
			v = nv;
			while (a < b && isspace((unsigned char)*a))
				a++;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			v[cnt] = strndup(a, (size_t)(b - a));
			if (!v[cnt])
				goto nomem;
			cnt++;
		}
		if (!*p)
			break;
		start = p + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
nomem:
	mt_sc_strv_free(v, cnt);
	return MT_ENOMEM;
}

char *mt_sc_compact(const char *text)
{
	char *out = malloc(strlen(text) + 1);
	size_t n = 0;
	int inq = 0, space = 0;

	if (!out)
		return NULL;
	for (const char *p = text; *p; p++) {
		if (*p == '"' && (p == text || p[-1] != '\\'))
			inq = !inq;
		if (!inq && isspace((unsigned char)*p)) {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = 0;
		out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

/* Splits a spec list on '+' tokens (a '+' with space or the end on both sides, outside
 * quotes); "a+b" inside a value stays one token. */
static int split_plus(const char *text, char ***out, size_t *n)
{
	char *copy = strdup(text);
	int inq = 0, rc;

	if (!copy)
		return MT_ENOMEM;
	/* mark separating pluses with a byte that cannot occur in checked text, then split */
	for (char *p = copy; *p; p++) {
		if (*p == '"' && (p == copy || p[-1] != '\\'))
			inq = !inq;
		if (!inq && *p == '+' && (p == copy || isspace((unsigned char)p[-1])) &&
		    (!p[1] || isspace((unsigned char)p[1])))
			*p = '\x01';
	}
	rc = mt_sc_split(copy, '\x01', out, n);
	free(copy);
	return rc;
}

int mt_sc_host_known(const struct mt_scenario *s, const char *name)
{
	if (strcmp(name, "local") == 0 || (s && mt_scenario_host(s, name)))
		return 1;
	if (strncmp(name, "lab:", 4) == 0)
		name += 4;
	for (size_t i = 0; i < NLAB; i++)
		if (strcmp(name, lab_hosts[i]) == 0)
			return 1;
	return 0;
}

int mt_sc_bad_host(const struct mt_scenario *s, const char *key, const char *name,
		   struct mt_error *err)
{
	const char *cands[64];
	const char *hint;
	size_t n = 0;

	cands[n++] = "local";
	for (size_t i = 0; i < NLAB; i++)
		cands[n++] = lab_hosts[i];
	for (size_t i = 0; s && i < s->nhosts && n < sizeof(cands) / sizeof(cands[0]); i++)
		cands[n++] = s->hosts[i].name;
	hint = mt_suggest_name(name, cands, n);
	if (hint)
		return mt_err(err, MT_EINVAL, "key '%s': unknown host '%s', did you mean '%s'?",
			      key, name, hint);
	return mt_err(err, MT_EINVAL,
		      "key '%s': expected local, a [host:NAME] section or a lab host (hosta, "
		      "hostb, client, router), got '%s'",
		      key, name);
}

/* The registry's plugin of a class (a probe's or a fault's table; workload and stress share
 * one), or NULL when it has none of that name. */
static const struct mt_plugin *find_plugin(enum mt_spec_class cls, const char *kind)
{
	const struct mt_workload_ops *w;
	const struct mt_fault_ops *f;

	if (cls == MT_SPEC_FAULT)
		return (f = mt_find_fault(kind)) ? &f->base : NULL;
	w = cls == MT_SPEC_PROBE ? mt_find_probe(kind) : mt_find_workload(kind);
	return w ? &w->base : NULL;
}

/* The registered names of a class into cands (at most max). */
static size_t class_names(enum mt_spec_class cls, const char **cands, size_t max)
{
	enum mt_plugin_kind k = cls == MT_SPEC_PROBE ? MT_PLUGIN_PROBE
				: cls == MT_SPEC_FAULT ? MT_PLUGIN_FAULT
						       : MT_PLUGIN_WORKLOAD;
	const struct mt_plugin *p;
	size_t n = 0;

	while (n < max && (p = mt_plugin_at(k, n)))
		cands[n++] = p->name;
	return n;
}

static int unknown_kind(enum mt_spec_class cls, const char *kind, struct mt_error *err)
{
	const char *cands[256], *hint;
	const char *cname = mt_sc_spec_class_name(cls);
	size_t n = class_names(cls, cands, sizeof(cands) / sizeof(cands[0]));
	char list[512] = "";
	size_t off = 0;

	hint = mt_suggest_name(kind, cands, n);
	if (hint)
		return mt_err(err, MT_EINVAL, "key '%s': unknown %s '%s', did you mean '%s'?", cname,
			      cname, kind, hint);
	for (size_t i = 0; i < n && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
					cands[i]);
	return mt_err(err, MT_EINVAL, "key '%s': unknown %s '%s' (registered: %s)", cname, cname,
		      kind, n ? list : "none");
}

/* Length of the key=value token at p (value may be "quoted"). */
static size_t token_len(const char *p)
{
	const char *q = p;
	int inq = 0;

	for (; *q && (inq || !isspace((unsigned char)*q)); q++)
		if (*q == '"' && (q == p || q[-1] != '\\'))
			inq = !inq;
	return (size_t)(q - p);
}

/* at= or for= given as a migration phase ("hop0.switchover+20ms") goes to sp: 1 when it was
 * one, 0 when val is for the option table (a duration), or MT_EINVAL. */
static int phase_value(const char *key, const char *val, struct mt_spec *sp,
		       struct mt_error *err)
{
	struct mt_phase_ref *r = strcmp(key, "at") == 0 ? &sp->at_phase
				 : strcmp(key, "for") == 0 ? &sp->for_phase : NULL;
	char why[512];

	if (!r || strncmp(val, "hop", 3) != 0)
		return 0;
	if (mt_phase_parse(val, r, why, sizeof(why)) < 0)
		return mt_err(err, MT_EINVAL, "key '%s': %s", key, why);
	return 1;
}

/* Moves at=/for=/host= tokens of args into common (a phase into sp), the rest into *rest
 * (malloc'd). */
static int split_common(const char *args, int line, struct mt_params *common, char **rest,
			struct mt_spec *sp, struct mt_error *err)
{
	const struct mt_option *ct = mt_spec_common_options();
	char *out = malloc(strlen(args) + 1);
	size_t n = 0;
	int rc = 0;

	if (!out)
		return mt_err(err, MT_ENOMEM, "out of memory");
	for (const char *p = args; *p;) {
		size_t tl, kl;

		while (isspace((unsigned char)*p))
			p++;
		tl = token_len(p);
		if (tl == 0)
			break;
		kl = strcspn(p, "= \t");
		if (kl < tl && p[kl] == '=' && (kl == 2 || kl == 3 || kl == 4)) {
			char key[8], *val;

			memcpy(key, p, kl);
			key[kl] = '\0';
			if (mt_option_find(ct, key)) {
				val = strndup(p + kl + 1, tl - kl - 1);
				if (!val) {
					rc = mt_err(err, MT_ENOMEM, "out of memory");
					goto out;
				}
				rc = phase_value(key, val, sp, err);
				if (rc == 0)
					rc = mt_params_set(common, ct, key, val, line, err);
				else if (rc > 0)
					rc = 0;
				free(val);
				if (rc)
					goto out;
				p += tl;
				continue;
			}
		}
		memcpy(out + n, p, tl);
		n += tl;
		out[n++] = ' ';
		p += tl;
	}
	out[n] = '\0';
	*rest = out;
	out = NULL;
out:
	free(out);
	return rc;
}

/* Fills sp from one spec text (not `none`). */
static int parse_one(const struct mt_scenario *s, enum mt_spec_class cls, const char *text,
		     int line, struct mt_spec *sp, struct mt_error *err)
{
	struct mt_params common = { 0 };
	const struct mt_plugin *pl;
	const char *args;
	char *rest = NULL;
	const char *cname = mt_sc_spec_class_name(cls);
	int rc;

	sp->cls = cls;
	sp->line = line;
	sp->for_ns = -1;
	sp->text = mt_sc_compact(text);
	args = text + strcspn(text, " \t");
	sp->kind = strndup(text, (size_t)(args - text));
	if (!sp->text || !sp->kind)
		return mt_err(err, MT_ENOMEM, "out of memory");
	pl = find_plugin(cls, sp->kind);
	if (!pl)
		return unknown_kind(cls, sp->kind, err);
	sp->ops = pl;
	rc = split_common(args, line, &common, &rest, sp, err);
	if (rc == 0)
		rc = mt_params_finish(&common, mt_spec_common_options(), err);
	if (rc == 0)
		rc = mt_params_parse(pl->options, rest, line, &sp->params, err);
	if (rc == 0 && pl->check)
		rc = pl->check(&sp->params, err);
	if (rc == 0) {
		const char *h = mt_param_str(&common, "host");

		sp->at_ns = mt_param_i64(&common, "at");
		sp->for_ns = mt_params_i64(&common, "for", -1);
		if (!mt_sc_host_known(s, h) && strcmp(h, "source") != 0 && strcmp(h, "dest") != 0) {
			rc = mt_sc_bad_host(s, "host", h, err);
			if (!strstr(err->msg, "did you mean"))
				rc = mt_err(err, MT_EINVAL, "key 'host': expected local, a [host:NAME] "
					    "section, a lab host (hosta, hostb, client, router) or source "
					    "/ dest (the hop's), got '%s'", h);
		}
		sp->host = strdup(h);
		if (rc == 0 && !sp->host)
			rc = mt_err(err, MT_ENOMEM, "out of memory");
		if (rc == 0 && mt_param_str(&common, "vm") &&
		    !(sp->vm = strdup(mt_param_str(&common, "vm"))))
			rc = mt_err(err, MT_ENOMEM, "out of memory");
	}
	if (rc && rc != MT_ENOMEM)
		mt_err_prefix(err, "%s '%s'", cname, sp->kind);
	mt_params_free(&common);
	free(rest);
	return rc;
}

int mt_spec_list_parse(const struct mt_scenario *s, enum mt_spec_class cls, const char *text,
		       int line, struct mt_spec **specs, size_t *nspecs, struct mt_error *err)
{
	const char *cname = mt_sc_spec_class_name(cls);
	char **parts = NULL;
	size_t nparts = 0;
	int rc = 0;

	if (split_plus(text, &parts, &nparts))
		return mt_err(err, MT_ENOMEM, "out of memory");
	for (size_t i = 0; i < nparts; i++) {
		struct mt_spec *ns;

		if (!*parts[i]) {
			rc = mt_err(err, MT_EINVAL,
				    "key '%s': expected 'KIND key=value ...' (or none) around '+', "
				    "got '%s'",
				    cname, text);
			goto out;
		}
		if (strcmp(parts[i], "none") == 0) {
			if (nparts > 1) {
				rc = mt_err(err, MT_EINVAL,
					    "key '%s': expected 'none' alone, got '%s'", cname, text);
				goto out;
			}
			continue;
		}
		ns = realloc(*specs, (*nspecs + 1) * sizeof(*ns));
		if (!ns) {
			rc = mt_err(err, MT_ENOMEM, "out of memory");
			goto out;
		}
		*specs = ns;
		memset(&ns[*nspecs], 0, sizeof(*ns));
		(*nspecs)++;
		rc = parse_one(s, cls, parts[i], line, &ns[*nspecs - 1], err);
		if (rc)
			goto out;
	}
out:
	mt_sc_strv_free(parts, nparts);
	return rc;
}

void mt_spec_free(struct mt_spec *sp)
{
	if (!sp)
		return;
	free(sp->text);
	free(sp->kind);
	free(sp->host);
	free(sp->vm);
	mt_params_free(&sp->params);
	memset(sp, 0, sizeof(*sp));
}
