#!/bin/bash
# tests/cli/report_html_chromium.sh MIGTORTURE SRCDIR BUILDDIR — the HTML report as a reader
# sees it: rendered by headless Chromium from a multi-cell fixture, checked on its DOM and
# visible text, with a screenshot kept as an artifact. Exit 0 pass, 1 fail, 77 skip.
set -u
mt=$1 src=$2 bld=$3
fail() { echo "FAIL: $*"; exit 1; }

chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "SKIP: chromium not installed"; exit 77; }
command -v perl >/dev/null || { echo "SKIP: perl not installed"; exit 77; }

fixture=$src/tests/unit/fixtures/results/small.json
# The fixture's four scenarios (cell names; two repeats each)
names=("no-video/fault=none" "no-video/fault=netem delay=20ms" "offline-video/fault=none"
       "offline-video/fault=netem delay=20ms")
out=$bld/artifacts/report_html_chromium
rm -rf "$out" && mkdir -p "$out" || fail "cannot create $out"
tmp=$(mktemp -d /tmp/mt-chromium.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$mt" report "$fixture" --format html -o "$out/report.html" || fail "report --format html failed"
chrome() {
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile-$1" "${@:2}" "file://$out/report.html" 2>/dev/null
}
chrome dom --dump-dom >"$out/dom.html" || fail "chromium --dump-dom failed"
[ -s "$out/dom.html" ] || fail "chromium dumped an empty DOM"
# Visible text: the DOM without <style>, <title> and tags, entities decoded.
perl -0777 -pe 's#<(style|title)\b.*?</\1>##gs; s#<[^>]*>#\n#g; s#&lt;#<#g; s#&gt;#>#g;
                s#&quot;#"#g; s#&amp;#&#g; s#\n\s*\n#\n#g' "$out/dom.html" >"$out/text.txt"

# The verdict comes before the first threshold row, in the DOM and in the text.
v=$(grep -bo 'id="verdict"' "$out/dom.html" | head -1 | cut -d: -f1)
t=$(grep -bo '<tr class="thr"' "$out/dom.html" | head -1 | cut -d: -f1)
[ -n "$v" ] || fail "no verdict in the DOM"
[ -n "$t" ] || fail "no threshold row in the DOM"
[ "$v" -lt "$t" ] || fail "the verdict (byte $v) comes after the first threshold row (byte $t)"
vl=$(grep -n '^Verdict: ' "$out/text.txt" | head -1 | cut -d: -f1)
tl=$(grep -n 'total_time_ms <= 30s' "$out/text.txt" | head -1 | cut -d: -f1)
[ -n "$vl" ] && [ -n "$tl" ] && [ "$vl" -lt "$tl" ] ||
  fail "visible text: verdict at line ${vl:-none}, first threshold at line ${tl:-none}"

# Scenario names label the plots' category axes.
for n in "${names[@]}"; do
  grep -qF "class=\"cat\"" "$out/dom.html" || fail "no category labels on any plot"
  grep -F "class=\"cat\"" "$out/dom.html" | grep -qF ">$n</text>" ||
    fail "scenario '$n' is not on a plot axis"
done

# Human units: no e-notation anywhere in the visible text.
if grep -nE 'e\+0|e-0|[0-9]e[+-]?[0-9]' "$out/text.txt"; then
  fail "e-notation in the visible text (lines above)"
fi

chrome shot --window-size=1280,2000 --screenshot="$out/report.png" >/dev/null
[ -s "$out/report.png" ] || fail "no screenshot"
echo "screenshot: $out/report.png ($(stat -c %s "$out/report.png") bytes)"
echo "report: $out/report.html; DOM: $out/dom.html; text: $out/text.txt"
