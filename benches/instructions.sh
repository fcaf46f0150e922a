#!/usr/bin/env bash
# Instructions per input byte, counted by valgrind's callgrind on a fixed
# 20 MB corpus: the figure that noise cannot move (these machines have no
# hardware counters, and wall clock varies with whatever else runs).
# BENCHMARKS.md keeps the figures as the regression guard.
#
#   benches/instructions.sh [BINARY]
#
# Runs `-j 1` on the corpus (gen_log, seed 24301, combined, uniform
# addresses, 20,000,022 bytes) for: truncation; pfx and det with daily keys
# on the corpus as generated (dates in order); and pfx and det on the same
# lines with dates shuffled across a year. The key is a fixed test key
# (never a real one), so every run counts the same work.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed" >&2; exit 2; }
DATA=bench-data
mkdir -p "$DATA"
cargo build --release --locked --quiet --bin anonlog --example gen_log
BIN=${1:-target/release/anonlog}
SIZE=20000000
SORTED=$DATA/callgrind-sorted.log
SHUFFLED=$DATA/callgrind-shuffled.log
[ -f "$SORTED" ] || target/release/examples/gen_log "$SORTED" "$SIZE" 24301 combined uniform sorted
[ -f "$SHUFFLED" ] || target/release/examples/gen_log "$SHUFFLED" "$SIZE" 24301 combined uniform shuffled
KEY=$DATA/callgrind-test.key
if [ ! -f "$KEY" ]; then
  (umask 077 && echo 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 > "$KEY")
fi

# count LABEL FILE ARGS...: prints instructions per byte of FILE.
count() {
  local label=$1 file=$2 out
  shift 2
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" -q -j 1 "$@" "$file" \
    2>"$out" >/dev/null
  local ir bytes
  ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out")
  rm -f "$out"
  bytes=$(stat -c %s "$file")
  printf '%-34s %14s instructions  %6.2f per byte\n' "$label" "$ir" "$(echo "$ir / $bytes" | bc -l)"
}

count "truncation" "$SORTED"
for mode in pfx det; do
  count "$mode, daily keys, dates in order" "$SORTED" --key-file "$KEY" --key-rotation daily --pseudonymize "$mode"
  count "$mode, daily keys, dates shuffled" "$SHUFFLED" --key-file "$KEY" --key-rotation daily --pseudonymize "$mode"
done
