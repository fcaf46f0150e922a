#!/usr/bin/env bash
# Builds the .deb (build-deb.sh), checks what it holds, installs it for
# real with dpkg, uses what it installed (the binary on the sample log, the
# man page through man, the completions, the copyright, the system user,
# the anonip alternative with the Apache piped-log line),
# installs it again over itself (postinst must be idempotent), and removes
# it. Run as root on Debian; CI does, after the tests. Without dpkg it fails
# under CI (CI=...) and is skipped, loudly, elsewhere.
#
# It refuses to start when /usr/bin/anonlog exists and is not this
# package's, and it leaves the system as it found it (removed, then purged)
# except for the `anonlog` system user, which removal and purge keep by
# design (debian/postrm).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

need_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ -n "${CI:-}" ]; then
    fail "$1 not found: CI must test the Debian package (.ci/run installs what it needs)"
  fi
  echo "test-deb: SKIPPED: $1 not found" >&2
  exit 0
}
need_tool dpkg
need_tool dpkg-deb
need_tool man
[ "$(id -u)" = 0 ] || { [ -z "${CI:-}" ] || fail "needs root"; echo "test-deb: SKIPPED: needs root" >&2; exit 0; }

target=${CARGO_TARGET_DIR:-target}
packaging/build-deb.sh --quiet
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb="$target/debian/anonlog_${version}-1_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "$deb was not built"

echo "== dpkg-deb -I $deb"
dpkg-deb -I "$deb"
echo "== dpkg-deb -c $deb"
contents=$(dpkg-deb -c "$deb")
echo "$contents"
has() { grep -q " \./$1\$" <<<"$contents" || fail "the package lacks /$1"; }
for f in usr/bin/anonlog usr/share/man/man1/anonlog.1.gz \
  usr/share/bash-completion/completions/anonlog \
  usr/share/zsh/vendor-completions/_anonlog \
  usr/share/fish/vendor_completions.d/anonlog.fish \
  usr/share/doc/anonlog/copyright; do
  has "$f"
done
for f in $(find samples/systemd samples/logrotate samples/nginx samples/apache samples/sysctl.d -type f); do
  has "usr/share/doc/anonlog/examples/${f#samples/}"
done
# The units are examples only: nothing where systemd would find or enable
# them, nothing in /etc.
if grep -E ' \./(lib|usr/lib|etc)/' <<<"$contents"; then
  fail "the package installs into /lib, /usr/lib or /etc"
fi
control=$(dpkg-deb -I "$deb")
grep -q '^ Depends: .*adduser' <<<"$control" || fail "Depends lacks adduser"
grep -q '^ Package: anonlog$' <<<"$control" || fail "not the anonlog package"

if [ -e /usr/bin/anonlog ] && ! dpkg -S /usr/bin/anonlog 2>/dev/null | grep -q '^anonlog:'; then
  fail "/usr/bin/anonlog exists and is not the anonlog package's; not replacing it"
fi
# The anonip alternative is checked for coming and going: a real anonip
# there would make both checks meaningless.
if [ -e /usr/bin/anonip ] && [ "$(readlink /usr/bin/anonip)" != /etc/alternatives/anonip ]; then
  fail "/usr/bin/anonip exists and is no alternative; not testing the anonip alternative over it"
fi

tmp=$(mktemp -d)
# On any failure, the package goes (purged: it has no conffiles to keep).
cleanup() {
  rm -rf "$tmp"
  if dpkg-query -W anonlog >/dev/null 2>&1; then dpkg --purge anonlog >/dev/null || true; fi
}
trap cleanup EXIT

# dpkg runs one at a time; a package manager busy elsewhere on the machine
# (unattended-upgrades, another job's apt-get) holds its lock for a while.
# Wait for it (up to 5 minutes) instead of failing on it; any other dpkg
# error still fails at once.
dpkg_() {
  local out tries=0
  while ! out=$(dpkg "$@" 2>&1); do
    if grep -q 'lock' <<<"$out" && [ $tries -lt 60 ]; then
      tries=$((tries + 1))
      sleep 5
      continue
    fi
    echo "$out" >&2
    return 1
  done
  echo "$out"
}
echo "== dpkg -i"
dpkg_ -i "$deb"
/usr/bin/anonlog --version
/usr/bin/anonlog samples/access.log > "$tmp/access.out"
cmp "$tmp/access.out" samples/expected/access.out || fail "/usr/bin/anonlog samples/access.log differs from samples/expected/access.out"
echo "== man -l /usr/share/man/man1/anonlog.1.gz | head"
MANWIDTH=80 man -l /usr/share/man/man1/anonlog.1.gz > "$tmp/man.txt"
head "$tmp/man.txt"
grep -q '^EXAMPLES' "$tmp/man.txt" || fail "the installed man page has no EXAMPLES"
MANWIDTH=80 MANPAGER=cat man anonlog | grep -q -- '--in-place' || fail "man anonlog does not find the page"
# Found where bash-completion looks, by its own on-demand loader (which
# returns 124, "completion loaded, try again", on success).
if [ -f /usr/share/bash-completion/bash_completion ]; then
  bash -c 'source /usr/share/bash-completion/bash_completion; _completion_loader anonlog; complete -p anonlog' \
    | grep -q -- '-F _anonlog anonlog$' || fail "bash-completion does not load the installed completion"
else
  [ -z "${CI:-}" ] || fail "bash-completion not installed (.ci/run installs it)"
  echo "test-deb: bash-completion not installed: loading the script by its path only" >&2
  bash -c 'source /usr/share/bash-completion/completions/anonlog && complete -p anonlog' \
    || fail "the bash completion does not load"
fi
mit=$(sed -n '/^Permission is hereby granted/,$p' LICENSE-MIT | tr -s ' \n' ' ')
copyright=$(sed -n '/^License: MIT$/,/^License: /p' /usr/share/doc/anonlog/copyright | sed 's/^ \.$//; s/^ //' | tr -s ' \n' ' ')
grep -qF "$mit" <<<"$copyright" || fail "the copyright file's MIT text differs from LICENSE-MIT"
grep -q '^ExecStart=/usr/bin/anonlog ' /usr/share/doc/anonlog/examples/systemd/anonlog-nginx.service \
  || fail "the example unit does not run /usr/bin/anonlog"

echo "== update-alternatives --query anonip"
update-alternatives --query anonip | tee "$tmp/alt.txt"
grep -q '^Alternative: /usr/bin/anonlog$' "$tmp/alt.txt" || fail "postinst installed no anonip alternative"
[ "$(readlink -f /usr/bin/anonip)" = /usr/bin/anonlog ] || fail "/usr/bin/anonip is not anonlog"
# The Apache line, unchanged: CustomLog "|/usr/bin/anonip --output FILE".
printf '198.51.100.7 - - [22/Nov/2025:08:39:58 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"\n' \
  | sh -c "/usr/bin/anonip --output $tmp/anonip.log"
grep -qx '198.51.96.0 - - \[22/Nov/2025:08:39:58 +0000\] "GET / HTTP/1.1" 200 5 "-" "curl/8"' "$tmp/anonip.log" \
  || fail "/usr/bin/anonip --output did not write the masked line"

echo "== getent passwd anonlog"
user=$(getent passwd anonlog) || fail "postinst created no anonlog user"
echo "$user"
IFS=: read -r _ _ uid _ _ home shell <<<"$user"
[ "$home" = /nonexistent ] || fail "home is $home, not /nonexistent"
[ "$uid" -lt 1000 ] || fail "uid $uid is not a system uid"
case "$shell" in */nologin | */false) ;; *) fail "login shell $shell" ;; esac
getent group anonlog >/dev/null || fail "no anonlog group"
[ ! -e /nonexistent ] || fail "/nonexistent was created"

echo "== dpkg -i again (postinst on an existing user)"
dpkg_ -i "$deb"
[ "$(getent passwd anonlog)" = "$user" ] || fail "reinstalling changed the user"
[ "$(readlink -f /usr/bin/anonip)" = /usr/bin/anonlog ] || fail "reinstalling lost the anonip alternative"

echo "== dpkg -r anonlog"
dpkg_ -r anonlog
[ ! -e /usr/bin/anonlog ] || fail "/usr/bin/anonlog is still there"
[ ! -e /usr/share/man/man1/anonlog.1.gz ] || fail "the man page is still there"
[ ! -e /usr/bin/anonip ] && [ ! -L /usr/bin/anonip ] || fail "/usr/bin/anonip is still there"
! update-alternatives --query anonip >/dev/null 2>&1 || fail "the anonip alternative is still registered"
getent passwd anonlog >/dev/null || fail "removal deleted the anonlog user (postrm must keep it)"
# A postrm keeps the package known to dpkg until it is purged; purging
# keeps the user too.
dpkg_ --purge anonlog
! dpkg-query -W anonlog >/dev/null 2>&1 || fail "dpkg still knows anonlog after --purge"
[ "$(getent passwd anonlog)" = "$user" ] || fail "purging changed the anonlog user"
echo "test-deb: ok: $deb installs, works and removes cleanly"
