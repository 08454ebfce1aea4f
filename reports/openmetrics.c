/* openmetrics.c — Prometheus/OpenMetrics text for node_exporter's textfile collector.
 *
 * Only the key metrics of each cell are exported (the table below; the rule is in
 * docs/results.md, "OpenMetrics"): a scrape target's series must stay bounded whatever the
 * plugins write, and the full detail stays in results.json. Every family is a gauge (one run's
 * measurements, not counters; the text format and OpenMetrics disagree on counter names), in
 * base units, its samples contiguous; families appear in the table's order, so the output is
 * deterministic. Words become labels of an info-style gauge (`..._info{word="..."} 1`). A
 * cell that moves several VMs keeps each VM's figures under vm.NAME. (docs/evacuation.md):
 * those join the family of the rest of their path, with the label vm="NAME".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"

#define NAME_MAX_LEN 512

/* Unit suffixes of result keys (docs/results.md) and their Prometheus base units. Order
 * matters: the rates ("_pages_s", "_bytes_s") are checked before "_bytes" and "_s". Bit rates
 * become bytes per second, the base unit Prometheus wants. */
static const struct {
	const char *suffix, *base;
	double scale;
} units[] = {
	{ "_pages_s", "pages_per_second", 1 },
	{ "_bytes_s", "bytes_per_second", 1 },
	{ "_bps", "bytes_per_second", 1.0 / 8 },
	{ "_pct", "ratio", 0.01 },
	{ "_bytes", "bytes", 1 },
	{ "_ns", "seconds", 1e-9 },
	{ "_us", "seconds", 1e-6 },
	{ "_ms", "seconds", 1e-3 },
	{ "_s", "seconds", 1 },
};

enum om_kind { OM_NUM, OM_WORD };

/* The exported metrics of a cell. "<phase>" stands for baseline, during and after (3 series
 * per such entry), so a cell exports at most 49 series, and as many again per VM of a cell
 * that moves several (at most 16), plus its verdict and duration. */
static const struct om_entry {
	const char *pattern;
	enum om_kind kind;
	const char *help;
} exported[] = {
	{ "migration.total_time_ms", OM_NUM, "migration job time, start to completion" },
	{ "migration.setup_time_ms", OM_NUM, "migration setup phase" },
	{ "migration.downtime_ms", OM_NUM, "QEMU's downtime without the network part" },
	{ "migration.transferred_bytes", OM_NUM, "data the migration transferred" },
	{ "migration.memory_bytes", OM_NUM, "memory the migration transferred" },
	{ "migration.disk_bytes", OM_NUM, "disk data the migration transferred" },
	{ "migration.iterations", OM_NUM, "pre-copy passes" },
	{ "migration.achieved_ratio", OM_NUM, "transferred / (bandwidth cap x total time)" },
	{ "migration.hops_completed", OM_NUM, "migration hops that completed" },
	{ "migration.evacuation_time_ms", OM_NUM, "several VMs: time until the last one moved" },
	{ "migration.vms_failed", OM_NUM, "several VMs: how many did not move" },
	{ "migration.direction", OM_WORD, "direction of the first hop" },
	{ "migration.job.operation", OM_WORD, "libvirt's job operation" },
	{ "downtime.hypervisor_downtime_ms", OM_NUM, "downtime as QEMU reports it" },
	{ "downtime.guest_stall_ms", OM_NUM, "longest clock gap the in-guest helper saw" },
	{ "downtime.network_outage_ms", OM_NUM, "longest time without a reply of the primary probe" },
	{ "downtime.http_outage_ms", OM_NUM, "longest time without an HTTP reply" },
	{ "memory_integrity", OM_WORD, "guest memory verification: ok or corrupt" },
	{ "qos.source", OM_WORD, "the probe the qos metrics come from" },
	{ "qos.<phase>.rtt_ms.p50", OM_NUM, "median round-trip delay in the phase" },
	{ "qos.<phase>.rtt_ms.p99", OM_NUM, "99th percentile round-trip delay in the phase" },
	{ "qos.<phase>.jitter_ms", OM_NUM, "RFC 3550 interarrival jitter in the phase" },
	{ "qos.<phase>.loss_pct", OM_NUM, "share of probes without a reply in the phase" },
	{ "qos.<phase>.network_outage_ms", OM_NUM, "longest time without a reply in the phase" },
	{ "qos.<phase>.video.throughput_bps.mean", OM_NUM, "mean video download goodput" },
	{ "qos.<phase>.stream.stall_count", OM_NUM, "playout-buffer stalls of the video stream" },
	{ "qos.<phase>.stream.stall_ms", OM_NUM, "time the video stream stalled" },
	{ "qos.<phase>.page.load_ms.p99", OM_NUM, "99th percentile page load time" },
	{ "guest_disk.stall_count", OM_NUM, "guest disk writes that stalled" },
	{ "guest_disk.longest_stall_ms", OM_NUM, "longest guest disk write" },
	{ "stress.guest.dirty_rate_bytes_s", OM_NUM, "rate the guest dirtied its memory at" },
};

static const char *const phases[] = { "baseline", "during", "after" };

/* 1 when path matches pattern ("<phase>" matches one of phases[]). */
static int matches(const char *pattern, const char *path)
{
	static const char ph[] = "<phase>";
	const char *at = strstr(pattern, ph);
	size_t pre, plen;

	if (!at)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(at - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		plen = strlen(phases[i]);
		if (strncmp(path + pre, phases[i], plen) == 0 &&
		    strcmp(path + pre + plen, at + sizeof(ph) - 1) == 0)
			return 1;
	}
	return 0;
}

/* Appends c to out as a metric-name character. */
static void name_put(char *out, size_t *n, size_t len, char c)
{
	int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

	if (*n + 1 < len)
		out[(*n)++] = ok ? c : '_';
	out[*n] = '\0';
}

static void name_puts(char *out, size_t *n, size_t len, const char *s)
{
	for (; *s; s++)
		name_put(out, n, len, *s);
}

/* migtorture_<path with '.'→'_' and the unit suffix moved to the end, as its base unit>;
 * *scale converts the value to that unit. */
static void om_name(const char *path, char *out, size_t len, double *scale)
{
	const char *end = path + strlen(path), *start, *cut = NULL, *base = NULL, *p;
	size_t n = 0, i, sl, clen = 0, plen = strlen(path);

	*scale = 1;
	/* the last component carrying a unit suffix decides (p99, max, ... carry none) */
	while (end > path && !cut) {
		start = end;
		while (start > path && start[-1] != '.')
			start--;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			sl = strlen(units[i].suffix);
			if ((size_t)(end - start) > sl && strncmp(end - sl, units[i].suffix, sl) == 0) {
				cut = end - sl;
				clen = sl;
				base = units[i].base;
				*scale = units[i].scale;
				break;
			}
		}
		end = start > path ? start - 1 : path;
	}
	/* "_count" is reserved for histograms and summaries: a count of things is named by the
	 * things, "stall_count" → "stalls". */
	if (!cut && plen > 6 && strcmp(path + plen - 6, "_count") == 0) {
		cut = path + plen - 6;
		clen = 6;
		base = path[plen - 7] == 's' ? "" : "s";
	}
	if (len)
		out[0] = '\0';
	name_puts(out, &n, len, "migtorture_");
	for (p = path; *p; p++) {
		if (p == cut) {
			p += clen - 1;
			continue;
		}
		name_put(out, &n, len, *p);
	}
	if (base && strcmp(base, "s") == 0) {
		name_put(out, &n, len, 's');
	} else if (base && *base) {
		name_put(out, &n, len, '_');
		name_puts(out, &n, len, base);
	}
}

/* Label value escaping of the text format: backslash, double quote, newline. */
static void label_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void help_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void value_put(FILE *f, double v)
{
	char buf[40];
	int prec;

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

static void labels_put(FILE *f, const struct mt_cell_result *c)
{
	fputs("{section=\"", f);
	label_put(f, c->section ? c->section : "");
	fputs("\",cell=\"", f);
	label_put(f, c->name ? c->name : "");
	fprintf(f, "\",repeat=\"%d\"", c->repeat);
}

static void family_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	help_put(f, help);
	fprintf(f, "\n# TYPE %s gauge\n", name);
}

/* The path without a leading vm.NAME. (*vm, *vmlen: the name), else path itself. */
static const char *vm_strip(const char *path, const char **vm, size_t *vmlen)
{
	const char *dot;

	*vm = NULL;
	*vmlen = 0;
	if (strncmp(path, "vm.", 3) != 0 || !(dot = strchr(path + 3, '.')) || dot == path + 3)
		return path;
	*vm = path + 3;
	*vmlen = (size_t)(dot - *vm);
	return dot + 1;
}

/* 1 when m is exported under entry e. */
static int exported_as(const struct mt_metric *m, const struct om_entry *e)
{
	const char *vm;
	size_t vmlen;

	if (!m->path || !matches(e->pattern, vm_strip(m->path, &vm, &vmlen)))
		return 0;
	if (e->kind == OM_WORD)
		return m->kind == MT_METRIC_STR && m->str;
	return m->kind == MT_METRIC_NUM && !isnan(m->num);
}

/* The label an info gauge carries its word in: the path's last component. */
static void word_label(const char *path, char *out, size_t len)
{
	const char *dot = strrchr(path, '.');
	size_t n = 0;

	if (len)
		out[0] = '\0';
	name_puts(out, &n, len, dot ? dot + 1 : path);
}

/* Writes the family of one table entry and one phase (or none): every matching metric of
 * every cell, in cell order. The family name comes from the first match. */
static void write_family(const struct mt_run_result *run, const struct om_entry *e,
			 const char *phase, FILE *f)
{
	char name[NAME_MAX_LEN], label[128], help[NAME_MAX_LEN];
	int head = 0;
	double scale = 1;

	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		for (size_t j = 0; j < c->nmetrics; j++) {
			const struct mt_metric *m = &c->metrics[j];

			const char *vm, *path;
			size_t vmlen;

			if (!exported_as(m, e) || (phase && !strstr(m->path, phase)))
				continue;
			path = vm_strip(m->path, &vm, &vmlen);
			if (!head) {
				om_name(path, name, sizeof(name) - 5, &scale);
				if (e->kind == OM_WORD) {
					strcat(name, "_info");
					word_label(path, label, sizeof(label));
				}
				snprintf(help, sizeof(help), "%s%s%s (%s)", e->help,
					 phase ? ": " : "", phase ? phase : "", path);
				family_head(f, name, help);
				head = 1;
			}
			fputs(name, f);
			labels_put(f, c);
			if (vm) {
				char v[256];

				snprintf(v, sizeof(v), "%.*s", (int)(vmlen < 255 ? vmlen : 255), vm);
				fputs(",vm=\"", f);
				label_put(f, v);
				fputc('"', f);
			}
			if (e->kind == OM_WORD) {
				fprintf(f, ",%s=\"", label);
				label_put(f, m->str);
				fputs("\"} 1\n", f);
				continue;
			}
			fputs("} ", f);
			value_put(f, m->num * scale);
			fputc('\n', f);
		}
	}
}

int mt_report_openmetrics(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	size_t i, k, p;

	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report openmetrics: no run or no stream");
	for (k = 0; k < sizeof(exported) / sizeof(exported[0]); k++) {
		if (!strstr(exported[k].pattern, "<phase>")) {
			write_family(run, &exported[k], NULL, f);
			continue;
		}
		/* one family per phase: its name carries the phase */
		for (p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
			char dotted[32];

			snprintf(dotted, sizeof(dotted), ".%s.", phases[p]);
			write_family(run, &exported[k], dotted, f);
		}
	}

	family_head(f, "migtorture_cell_verdict", "verdict of each cell and repeat (1 = this one)");
	for (i = 0; i < run->ncells; i++) {
		fputs("migtorture_cell_verdict", f);
		labels_put(f, &run->cells[i]);
		fprintf(f, ",verdict=\"%s\"} 1\n", mt_verdict_name(run->cells[i].verdict));
	}
	family_head(f, "migtorture_cell_duration_seconds", "wall time of each cell and repeat");
	for (i = 0; i < run->ncells; i++) {
		fputs("migtorture_cell_duration_seconds", f);
		labels_put(f, &run->cells[i]);
		fputs("} ", f);
		value_put(f, (double)run->cells[i].duration_ns / 1e9);
		fputc('\n', f);
	}
	family_head(f, "migtorture_run_exit_status",
		    "exit status of the run (0 pass, 1 fail, 2 usage, 3 infrastructure, 4 all "
		    "skipped)");
	fprintf(f, "migtorture_run_exit_status %d\n", run->exit_status);
	if (run->finished_wall_ns) {
		family_head(f, "migtorture_run_finished_timestamp_seconds",
			    "when the run finished (Unix time)");
		fputs("migtorture_run_finished_timestamp_seconds ", f);
		value_put(f, (double)run->finished_wall_ns / 1e9);
		fputc('\n', f);
	}
	fputs("# EOF\n", f);
	if (fflush(f) == EOF || ferror(f))
		return mt_err(err, MT_EIO, "report openmetrics: write failed: %s", strerror(errno));
	return 0;
}
