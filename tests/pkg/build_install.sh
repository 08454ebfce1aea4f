#!/bin/bash
# tests/pkg/build_install.sh SRCDIR — the Debian packages as a user gets them: built with
# dpkg-buildpackage -b from a copy of the tree (the work tree stays clean), checked by lintian
# (any error fails), installed with dpkg -i, looked at, and purged again. With MT_PKG_KEEP=DIR
# the .debs are left in DIR.
# Exit 0 pass, 1 fail, 77 skip: not root, no debhelper or lintian, or a migtorture package (or
# a file one ships) is already on this machine — not ours to replace or remove.
set -u
src=$(cd "$1" && pwd)
t0=$(date +%s)
PKGS=(migtorture migtorture-guest migtorture-lab)
tmp=''
ours=0   # set once dpkg -i has run: the exit trap purges then

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
present() { # present PKG — dpkg knows PKG in any state but not-installed
  local st
  st=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != not-installed ]
}
cleanup() {
  if [ "$ours" = 1 ]; then
    dpkg -P "${PKGS[@]}" >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; echo "FAIL: dpkg -P"; }
  fi
  [ -n "$tmp" ] && rm -rf "$tmp"
}

[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i, dpkg -P)"
for t in dpkg-buildpackage dh lintian dpkg-deb dpkg-parsechangelog readelf strings tar; do
  command -v "$t" >/dev/null 2>&1 || skip "missing $t (scripts/setup installs debhelper, lintian)"
done
for p in "${PKGS[@]}"; do
  present "$p" && skip "$p is already installed here (not ours to replace or purge)"
done
tmp=$(mktemp -d /tmp/mt-pkg.XXXXXX)
trap cleanup EXIT

# A copy of the tree as it is now: tracked and untracked, not ignored files (no build
# directories); without git, everything but build*/ and .git.
mkdir "$tmp/src"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z -co --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -x -C "$tmp/src" || fail "copying the tree failed"
else
  tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . |
    tar -x -C "$tmp/src" || fail "copying the tree failed"
fi
version=$(dpkg-parsechangelog -l "$tmp/src/debian/changelog" -S Version) ||
  fail "debian/changelog unreadable"

tb=$(date +%s)
(cd "$tmp/src" && DEB_BUILD_OPTIONS="parallel=${JOBS:-2}" dpkg-buildpackage -us -uc -b) \
  >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; fail "dpkg-buildpackage failed"; }
echo "built in $(($(date +%s) - tb)) s:"
for d in "$tmp"/*.deb; do
  printf '  %-44s %8d bytes, installed %6s KiB\n' "$(basename "$d")" "$(stat -c %s "$d")" \
    "$(dpkg-deb -f "$d" Installed-Size)"
done

# lintian: every error fails; warnings and the rest are listed.
changes=$(ls "$tmp"/*.changes)
lintian --display-info "$changes" >"$tmp/lintian.log" 2>&1
echo "lintian: $(grep -c '^E: ' "$tmp/lintian.log") errors, $(grep -c '^W: ' "$tmp/lintian.log") warnings, $(grep -c '^I: ' "$tmp/lintian.log") info"
grep -E '^[EWI]: ' "$tmp/lintian.log" | sed 's/^/  /'
grep -q '^E: ' "$tmp/lintian.log" && fail "lintian reports errors"
# MT_PKG_KEEP=DIR: the .debs are kept there (ceph_lab_cluster runs the hosts' agent from them)
if [ -n "${MT_PKG_KEEP:-}" ]; then
  rm -rf "$MT_PKG_KEEP" && mkdir -p "$MT_PKG_KEEP" && cp "$tmp"/*.deb "$MT_PKG_KEEP"/ ||
    fail "could not keep the packages in $MT_PKG_KEEP"
fi

deb() { ls "$tmp/$1_${version}_"*.deb; } # deb PKG — its .deb
# A file a package ships that is already on disk (a `make install`) would be overwritten by
# dpkg -i and removed by the purge.
for p in "${PKGS[@]}"; do
  while read -r f; do
    [ -e "$f" ] && [ ! -d "$f" ] && skip "$f exists and is not from a package (would be overwritten)"
  done < <(dpkg-deb -c "$(deb "$p")" | awk '{print substr($6, 2)}')
done

# migtorture and migtorture-guest: their dependencies must already be met (dpkg -i fails else).
ours=1
dpkg -i "$(deb migtorture)" "$(deb migtorture-guest)" >"$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log"; fail "dpkg -i migtorture migtorture-guest failed"; }
mt=/usr/bin/migtorture
got=$("$mt" --version) || fail "$mt --version failed"
[ "$got" = "migtorture ${version%%-*}" ] ||
  fail "'$got' is not the package's version $version (CMakeLists.txt and debian/changelog differ?)"
if command -v man >/dev/null 2>&1; then
  [ "$(man -w migtorture 2>/dev/null)" = /usr/share/man/man1/migtorture.1.gz ] ||
    fail "man -w migtorture: '$(man -w migtorture 2>&1)'"
else
  [ -f /usr/share/man/man1/migtorture.1.gz ] || fail "no man page"
fi
comp=/usr/share/bash-completion/completions/migtorture
[ -f "$comp" ] || fail "no bash completion $comp"
cmp -s "$comp" <("$mt" --bash-completion) || fail "$comp is not the binary's --bash-completion"
words=$(bash -c '. "$1"; COMP_WORDS=(migtorture re); COMP_CWORD=1; _migtorture
  echo "${COMPREPLY[*]}"' _ "$comp")
[ "$words" = "report recover reference" ] || fail "completing 'migtorture re' offers '$words'"
[ -f /usr/share/migtorture/scenarios/seed.ini ] || fail "no scenarios"
"$mt" validate /usr/share/migtorture/scenarios/seed.ini >/dev/null || fail "seed.ini does not validate"
helper=/usr/libexec/migtorture/mt-guest
[ -x "$helper" ] || fail "no $helper"
readelf -lW "$helper" | grep -q INTERP && fail "$helper is not static (it has an ELF interpreter)"
readelf -dW "$helper" | grep -q NEEDED && fail "$helper needs shared libraries"
for b in "$mt" "$helper"; do
  hit=$(strings -a "$b" | grep -F -e "$src" -e "$tmp" -e /obj- | head -n 3)
  [ -z "$hit" ] || fail "$b names a build path: $hit"
done

# Where `lab` looks once installed: the install paths, the helper found without MT_GUEST_BIN.
mkdir "$tmp/lab"
printf '#!/bin/sh\necho "fake-lab $* helper=$MT_GUEST_BIN"\n' >"$tmp/lab/mt-lab"
chmod 0755 "$tmp/lab/mt-lab"
got=$(env -u MT_GUEST_BIN MT_LAB_DIR="$tmp/lab" "$mt" lab up 2>&1) || fail "lab up: $got"
[ "$got" = "fake-lab up helper=$helper" ] || fail "lab up did not find $helper: $got"
got=$(env -u MT_LAB_DIR "$mt" lab help 2>&1)
[ $? = 3 ] && [ "$got" = "migtorture lab: no lab script /usr/share/migtorture/lab/mt-lab (the migtorture-lab package; a source tree's lab/ through MT_LAB_DIR)" ] ||
  fail "lab without migtorture-lab: $got"

# migtorture-lab: installed when its dependencies are met (scripts/setup installs them); its
# help is the lab script's own, found at the install path. Nothing else of it is run here.
missing=''
while read -r dep; do
  dep=${dep%% *}
  case $dep in migtorture|migtorture-guest) continue ;; esac
  dpkg-query -W -f='${db:Status-Status}' "$dep" 2>/dev/null | grep -qx installed ||
    missing="$missing $dep"
done < <(dpkg-deb -f "$(deb migtorture-lab)" Depends | tr ',' '\n' | sed 's/^ *//')
if [ -n "$missing" ]; then
  echo "NOTE: migtorture-lab not installed, its dependencies are missing here:$missing"
else
  dpkg -i "$(deb migtorture-lab)" >"$tmp/dpkg-lab.log" 2>&1 ||
    { cat "$tmp/dpkg-lab.log"; fail "dpkg -i migtorture-lab failed"; }
  got=$(env -u MT_LAB_DIR "$mt" lab help 2>&1) || fail "lab help: $got"
  case $got in "usage: mt-lab up"*) ;; *) fail "lab help did not run the installed lab: $got" ;; esac
  echo "migtorture-lab installed; lab help runs /usr/share/migtorture/lab/mt-lab"
fi

# Purge, and nothing of the packages is left.
ours=0
dpkg -P "${PKGS[@]}" >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "dpkg -P failed"; }
for p in "${PKGS[@]}"; do
  present "$p" && fail "$p is still known to dpkg after the purge"
done
for d in /usr/bin/migtorture /usr/share/migtorture /usr/libexec/migtorture "$comp" \
         /usr/share/doc/migtorture; do
  [ -e "$d" ] && fail "$d is left after the purge"
done
echo "PASS: built, lintian-clean, installed, checked and purged in $(($(date +%s) - t0)) s"
exit 0
