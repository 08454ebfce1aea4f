#!/bin/bash
# The guest's website for the thesis' three scenarios: page + assets, 20 MiB deterministic video
# with Range, and stream segments of kbps*125*dur bytes, the same bytes on every fetch.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
url=$(desc .guest.http_url) tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in $(desc .guest.page_path) $(desc '.guest.page_assets[]'); do
  http_ok "$p" || fail "page or asset $p not served"
done
client curl -fsS -m 60 -o "$tmp/video" "$url$(desc .guest.video_path | cut -c2-)" || fail "video download failed"
[ "$(stat -c %s "$tmp/video")" = "$(desc .guest.video_bytes)" ] || fail "video size $(stat -c %s "$tmp/video")"
# Expected content: 20 x the AES-128-CTR zero-key keystream MiB (lab/guest/build.sh).
head -c 1048576 > "$tmp/block" < <(openssl enc -aes-128-ctr -nosalt \
  -K 00000000000000000000000000000000 -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null)
for _ in $(seq 1 20); do cat "$tmp/block"; done | cmp -s - "$tmp/video" || fail "video content differs"
code=$(client curl -sS -m 10 -r 1048570-1048585 -o "$tmp/range" -w '%{http_code}' "${url}video.bin")
[ "$code" = 206 ] || fail "Range request answered $code, not 206"
cmp -s "$tmp/range" <(dd if="$tmp/video" bs=1 skip=1048570 count=16 2>/dev/null) || fail "Range bytes differ"
seg="${url}cgi-bin/seg?n=7&kbps=2000&dur=2"
client curl -fsS -m 10 -o "$tmp/s1" "$seg" || fail "segment fetch failed"
client curl -fsS -m 10 -o "$tmp/s2" "$seg" || fail "segment fetch failed"
[ "$(stat -c %s "$tmp/s1")" = 500000 ] || fail "segment size $(stat -c %s "$tmp/s1") != 2000*125*2"
cmp -s "$tmp/s1" "$tmp/s2" || fail "segment 7 differs between fetches"
code=$(client curl -sS -m 10 -o /dev/null -w '%{http_code}' "${url}cgi-bin/seg?n=x")
[ "$code" = 400 ] || fail "bad segment query answered $code, not 400"
ok "page+assets, 20 MiB video (content, Range 206), deterministic 500000-byte segment"
