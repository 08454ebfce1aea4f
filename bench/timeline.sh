#!/bin/sh
# bench/timeline.sh — builds (if needed) and runs bench/timeline: lateness of timeline events.
# usage: bench/timeline.sh [BUILD_DIR] [-- timeline args, e.g. -n 2000 -a 1 -b 5]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
if [ ! -x "$build/bench/timeline" ]; then
	cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" --target bench_timeline -j2 >/dev/null
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), cpus: $(nproc)"
exec "$build/bench/timeline" "$@"
