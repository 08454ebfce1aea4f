#!/bin/bash
# tests/cli/promcheck.sh RESULTS.json MIGTORTURE — the OpenMetrics rendering of a results file
# is what Prometheus accepts: `promtool check metrics` (its lint: base units, no "_count" or
# "_total" on a gauge, ...) finds nothing, and Python's OpenMetrics parser reads it whole.
# Prints the series count and the file's size. Exit 0 pass, 1 fail, 77 skip (the tools are
# missing: Debian packages prometheus and python3-prometheus-client, scripts/setup).
set -u
results=${1:?RESULTS.json} mt=${2:?MIGTORTURE}
tmp=$(mktemp -d /tmp/mt-promcheck.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
command -v promtool >/dev/null || { echo "SKIP: no promtool (Debian package prometheus)"; exit 77; }
# Debian's package is for Debian's interpreter, whatever python3 comes first on PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null ||
  { echo "SKIP: no prometheus_client (Debian package python3-prometheus-client)"; exit 77; }

"$mt" report "$results" --format openmetrics -o "$tmp/m.prom" || fail "report --format openmetrics exited $?"
promtool check metrics <"$tmp/m.prom" >"$tmp/lint" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$tmp/lint" ] || { cat "$tmp/lint"; fail "promtool check metrics: exit $rc"; }

"$py" - "$tmp/m.prom" <<'EOF' || fail "the OpenMetrics parser refused it"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families

families = list(text_string_to_metric_families(open(sys.argv[1]).read()))
samples = sum(len(f.samples) for f in families)
assert families and samples, "no samples"
for f in families:
    assert f.type == "gauge", f"{f.name}: {f.type}"
print(f"{len(families)} families, {samples} series")
EOF
echo "$(grep -vc '^#' "$tmp/m.prom") series lines, $(wc -c <"$tmp/m.prom") bytes; promtool: clean"
