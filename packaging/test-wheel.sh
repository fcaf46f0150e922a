#!/usr/bin/env bash
# Builds the Python wheel (pyproject.toml, maturin's `bin` bindings) in a
# throw-away venv, installs it into a second, fresh venv, and runs the
# installed `anonlog` on the sample log: its output must be the golden
# samples/expected/access.out. maturin builds with cargo in
# $CARGO_TARGET_DIR (target/ by default), so after `cargo build --release
# --locked` it only packages the binary. Without python3 it fails under CI
# and is skipped, loudly, elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-wheel: FAILED: $*" >&2; exit 1; }
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
  [ -z "${CI:-}" ] || fail "python3 with venv not found: CI must test the wheel"
  echo "test-wheel: SKIPPED: python3 with venv not found" >&2
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 -m venv "$tmp/build"
"$tmp/build/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2"
"$tmp/build/bin/maturin" --version
"$tmp/build/bin/maturin" build --release --locked --out "$tmp/dist"

wheels=("$tmp"/dist/anonlog-*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel, got: ${wheels[*]}"
echo "test-wheel: built $(basename "${wheels[0]}")"

python3 -m venv "$tmp/run"
"$tmp/run/bin/pip" install --quiet --disable-pip-version-check --no-index "${wheels[0]}"
anonlog="$tmp/run/bin/anonlog"
[ -x "$anonlog" ] || fail "the wheel installed no bin/anonlog"
"$anonlog" --version
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
"$anonlog" --version | grep -q "^anonlog $version " || fail "the installed anonlog is not version $version"
"$anonlog" samples/access.log > "$tmp/access.out"
cmp "$tmp/access.out" samples/expected/access.out \
  || fail "the wheel's anonlog samples/access.log differs from samples/expected/access.out"
# As a user reaches it: through the venv's PATH.
(PATH="$tmp/run/bin:$PATH" && anonlog --quiet < samples/access.log | cmp - samples/expected/access.out) \
  || fail "anonlog on the venv's PATH differs"
meta=$("$tmp/run/bin/python" -c 'import importlib.metadata as m; d = m.metadata("anonlog"); print(d["Version"], d["License-Expression"], sep="|")')
[ "$meta" = "$version|MIT OR Apache-2.0" ] || fail "the wheel's metadata says $meta"
echo "test-wheel: ok: ${wheels[0]##*/} installs and anonymizes the sample as the golden output says"
