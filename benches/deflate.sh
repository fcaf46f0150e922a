#!/usr/bin/env bash
# Per-block compression as `anonlog -z` and `--zstd` do it (1 MiB blocks,
# one compressor per worker), by backend and level: zlib-rs (flate2, what
# -z used before libdeflate), libdeflate, and zstd for comparison.
#
#   benches/deflate.sh [ROUNDS]
#
# The input is what -z really compresses: the fixed 20 MB corpus of
# benches/instructions.sh (gen_log, seed 24301) after anonymization. For
# each backend and level it prints the ratio (input / output bytes), the
# median MB/s over ROUNDS interleaved rounds (a shared machine: compare
# the rows with each other, not with another run), and, with valgrind,
# the instructions per input byte, which noise cannot move.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-5}
DATA=bench-data
mkdir -p "$DATA"
cargo build --release --locked --quiet --bin anonlog --example gen_log --example compress_blocks
T=${CARGO_TARGET_DIR:-target}/release
SORTED=$DATA/callgrind-sorted.log
[ -f "$SORTED" ] || "$T/examples/gen_log" "$SORTED" 20000000 24301 combined uniform sorted
ANON=$DATA/deflate-input.log
[ -f "$ANON" ] || "$T/anonlog" -q -j 1 "$SORTED" > "$ANON"
RUNS=("zlib-rs 1" "libdeflate 1" "zlib-rs 6" "libdeflate 6" "zlib-rs 9" "libdeflate 9" "zstd 1" "zstd 3" "zstd 6")

echo "input: $ANON, $(stat -c %s "$ANON") bytes (anonymized), 1 MiB blocks, $ROUNDS rounds"
declare -A secs=() ratio=()
for _ in $(seq "$ROUNDS"); do
  for run in "${RUNS[@]}"; do
    # shellcheck disable=SC2086
    line=$("$T/examples/compress_blocks" $run "$ANON")
    ratio[$run]=$(sed -n 's/.*ratio \([0-9.]*\).*/\1/p' <<<"$line")
    secs[$run]+=" $(sed -n 's/.*, \([0-9.]*\) s,.*/\1/p' <<<"$line")"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
BYTES=$(stat -c %s "$ANON")
for run in "${RUNS[@]}"; do
  s=$(echo "${secs[$run]}" | median)
  ir=""
  if command -v valgrind >/dev/null; then
    # shellcheck disable=SC2086
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$T/examples/compress_blocks" $run "$ANON" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    ir=$(printf '%6.2f instructions/byte' "$(echo "$n / $BYTES" | bc -l)")
  fi
  printf '%-14s ratio %6s  %7.1f MB/s  %s\n' "$run" "${ratio[$run]}" "$(echo "$BYTES / $s / 1000000" | bc -l)" "$ir"
done
