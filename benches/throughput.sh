#!/usr/bin/env bash
# Reproducible throughput figures for anonlog, quoted against `cat` measured
# in the same run (this machine is shared and noisy; ratios travel, GB/s do not).
#
#   benches/throughput.sh [SIZE_BYTES] [ROUNDS]
#
# Generates a deterministic combined-format corpus (examples/gen_log.rs) in
# bench-data/, then reports the median over ROUNDS of:
#   cat FILE > /dev/null, anonlog FILE > /dev/null (-j N and -j 1),
#   lines/s for -j 1 and -j N, the 1->N speed-up, peak RSS,
#   anonip 1.1.0 on a slice of the corpus when it is installed, and keyed
#   pseudonyms (--pseudonymize MODE --key-rotation daily, key generated into
#   bench-data/) against truncation at -j N, interleaved, on two corpora:
#   * a visitors corpus of the same size (gen_log ... visitors: visits of
#     1-29 requests, 200 at a time, 30 % returning), where addresses repeat
#     as they do in real logs, and
#   * the corpus above, where every line has a new random address, so the
#     per-worker pseudonym cache never hits (the worst case), and
#   * the same lines with their dates shuffled across a year, as merged
#     logs of several servers come (gen_log ... shuffled).
#   PSEUDO_MODES (default "pfx det cryptopan") picks the modes.
# and the archives: gz -> gz, gz -> zst, zst -> zst against
# `zcat | pigz` (needs pigz and zstd: apt-get install pigz zstd).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1073741824}
ROUNDS=${2:-5}
GZ_ONLY=${GZ_ONLY:-}
N=$(nproc)
DATA=bench-data
CORPUS=$DATA/corpus-$SIZE.log
mkdir -p "$DATA"

cargo build --release --locked --quiet --bin anonlog --example gen_log
T=${CARGO_TARGET_DIR:-target}/release
BIN=$T/anonlog
[ -f "$CORPUS" ] || "$T"/examples/gen_log "$CORPUS" "$SIZE" 24301
BYTES=$(stat -c %s "$CORPUS")
LINES=$(wc -l < "$CORPUS")
cat "$CORPUS" > /dev/null # warm the page cache

# median of the wall-clock seconds of ROUNDS runs of "$@"
median_secs() {
  local t=()
  for _ in $(seq "$ROUNDS"); do
    local s e
    s=$(date +%s.%N)
    "$@" > /dev/null
    e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

once_secs() {
  local s e
  s=$(date +%s.%N)
  "$@" > /dev/null
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mbps() { echo "scale=1; $BYTES / $1 / 1000000" | bc -l; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
lps() { echo "scale=0; $LINES / $1" | bc -l; }

echo "corpus: $CORPUS, $BYTES bytes, $LINES lines, $N cores, $ROUNDS rounds (median)"
if [ -z "$GZ_ONLY" ]; then
T_CAT=$(median_secs cat "$CORPUS")
T_N=$(median_secs "$BIN" -q -j "$N" "$CORPUS")
T_1=$(median_secs "$BIN" -q -j 1 "$CORPUS")
T_CATPIPE=$(median_secs sh -c "cat '$CORPUS' | cat")
T_PIPE=$(median_secs sh -c "cat '$CORPUS' | '$BIN' -q -j $N | cat")

printf '%-34s %9s MB/s\n' "cat FILE > /dev/null" "$(mbps "$T_CAT")"
printf '%-34s %9s MB/s  %s lines/s\n' "anonlog -j $N FILE > /dev/null" "$(mbps "$T_N")" "$(lps "$T_N")"
printf '%-34s %9s MB/s  %s lines/s\n' "anonlog -j 1 FILE > /dev/null" "$(mbps "$T_1")" "$(lps "$T_1")"
printf '%-34s %9s MB/s\n' "cat FILE | cat" "$(mbps "$T_CATPIPE")"
printf '%-34s %9s MB/s\n' "cat FILE | anonlog -j $N | cat" "$(mbps "$T_PIPE")"
echo "ratio anonlog -j $N / cat (time):   $(echo "scale=2; $T_N / $T_CAT" | bc -l)x   (target <= 3x, stretch 2x)"
echo "ratio pipe anonlog / cat|cat (time): $(echo "scale=2; $T_PIPE / $T_CATPIPE" | bc -l)x"
echo "speed-up -j 1 -> -j $N:              $(echo "scale=2; $T_1 / $T_N" | bc -l)x   (target >= 1.7x)"

RSS=$(/usr/bin/time -f %M "$BIN" -q -j "$N" "$CORPUS" 2>&1 >/dev/null | tail -1)
echo "peak RSS anonlog -j $N:              $((RSS / 1024)) MiB   (target <= 64 MiB)"

if command -v anonip >/dev/null 2>&1; then
  SLICE=$DATA/anonip-slice.log
  head -c 50000000 "$CORPUS" > "$SLICE"
  SB=$(stat -c %s "$SLICE")
  s=$(date +%s.%N); anonip --input "$SLICE" > /dev/null; e=$(date +%s.%N)
  T_AN=$(echo "$e - $s" | bc -l)
  s=$(date +%s.%N); "$BIN" -q -j "$N" "$SLICE" > /dev/null; e=$(date +%s.%N)
  T_AL=$(echo "$e - $s" | bc -l)
  echo "anonip 1.1.0 on $SB bytes:          $(echo "scale=1; $SB / $T_AN / 1000000" | bc -l) MB/s; anonlog is $(echo "scale=0; $T_AN / $T_AL" | bc -l)x faster"
else
  echo "anonip: not installed (pip install anonip==1.1.0) - skipped"
fi

# Keyed pseudonyms against truncation, both at -j N. The ratio is
# pseudonymized throughput / truncation throughput (target >= 0.75). Each
# round runs truncation and every mode once, in turn, so that load from
# other jobs on a shared machine hits them alike.
KEY=$DATA/bench.key
[ -f "$KEY" ] || "$BIN" keygen --out "$KEY" 2>/dev/null
KEYED=(--key-file "$KEY" --key-rotation daily --pseudonymize)
MODES=${PSEUDO_MODES:-pfx det cryptopan}


# compare FILE LABEL: truncation and each of MODES, interleaved.
compare() {
  local file=$1 label=$2 r mode
  declare -A times=()
  for r in $(seq "$ROUNDS"); do
    times[truncation]+=" $(once_secs "$BIN" -q -j "$N" "$file")"
    for mode in $MODES; do
      times[$mode]+=" $(once_secs "$BIN" -q -j "$N" "${KEYED[@]}" "$mode" "$file")"
    done
  done
  BYTES=$(stat -c %s "$file")
  local t0
  t0=$(echo "${times[truncation]}" | median)
  printf '%-34s %9s MB/s  (%s)\n' "truncation -j $N" "$(mbps "$t0")" "$label"
  for mode in $MODES; do
    local t
    t=$(echo "${times[$mode]}" | median)
    printf '%-34s %9s MB/s  ratio to truncation %s\n' "$mode, daily keys -j $N" "$(mbps "$t")" "$(ratio "$t0" "$t")"
  done
}

VCORPUS=$DATA/visitors-$SIZE.log
[ -f "$VCORPUS" ] || "$T"/examples/gen_log "$VCORPUS" "$SIZE" 24301 combined visitors
cat "$VCORPUS" > /dev/null
compare "$VCORPUS" "visitors corpus: addresses repeat as visits do; target ratio >= 0.75"
cat "$CORPUS" > /dev/null
compare "$CORPUS" "first corpus: a new address on every line, the cache never hits (worst case)"
SCORPUS=$DATA/shuffled-$SIZE.log
[ -f "$SCORPUS" ] || "$T"/examples/gen_log "$SCORPUS" "$SIZE" 24301 combined uniform shuffled
cat "$SCORPUS" > /dev/null
compare "$SCORPUS" "the first corpus with its dates shuffled across a year (merged logs)"
fi # GZ_ONLY

# Archives (issues 4 and 18): gz -> gz, gz -> zst and zst -> zst on the
# same slice of the corpus (at most 256 MiB), each as a speed ratio to
# `zcat FILE.gz | pigz -p N -6` (decompress and recompress, no
# anonymization at all) timed in the same rounds, interleaved; and the
# size of what each writes. GZ_ONLY=1 runs only this part.
if command -v pigz >/dev/null 2>&1 && command -v zstd >/dev/null 2>&1; then
  ABYTES=$((BYTES < 268435456 ? BYTES : 268435456))
  GZ=$DATA/corpus-$ABYTES.log.gz
  ZST=$DATA/corpus-$ABYTES.log.zst
  [ -f "$GZ" ] || head -c "$ABYTES" "$CORPUS" | gzip -6 > "$GZ"
  [ -f "$ZST" ] || head -c "$ABYTES" "$CORPUS" | zstd -q -3 > "$ZST"
  RAW=$(gzip -dc "$GZ" | wc -c)
  OUT=$DATA/archive-out
  declare -A at=()
  runs=(ref gzgz gzzst zstzst pigzpigz zstdzstd)
  for _ in $(seq "$ROUNDS"); do
    at[ref]+=" $(once_secs sh -c "zcat '$GZ' | pigz -p $N -6")"
    at[gzgz]+=" $(once_secs "$BIN" -q -j "$N" -z "$GZ")"
    at[gzzst]+=" $(once_secs "$BIN" -q -j "$N" --zstd "$GZ")"
    at[zstzst]+=" $(once_secs "$BIN" -q -j "$N" --zstd "$ZST")"
    at[pigzpigz]+=" $(once_secs sh -c "pigz -dc '$GZ' | pigz -p $N -6")"
    at[zstdzstd]+=" $(once_secs sh -c "zstd -dc '$ZST' | zstd -T$N -3")"
  done
  declare -A label=(
    [ref]="zcat FILE.gz | pigz -p $N -6"
    [gzgz]="anonlog -j $N -z FILE.gz"
    [gzzst]="anonlog -j $N --zstd FILE.gz"
    [zstzst]="anonlog -j $N --zstd FILE.zst"
    [pigzpigz]="pigz -dc FILE.gz | pigz -p $N -6"
    [zstdzstd]="zstd -dc FILE.zst | zstd -T$N -3"
  )
  "$BIN" -q -j "$N" -z "$GZ" > "$OUT.gz"
  "$BIN" -q -j "$N" --zstd "$GZ" > "$OUT.zst"
  ANON=$(gzip -dc "$OUT.gz" | wc -c)
  t_ref=$(echo "${at[ref]}" | median)
  echo "archives: $RAW bytes of log ($(stat -c %s "$GZ") gzip -6, $(stat -c %s "$ZST") zstd -3), $ROUNDS rounds interleaved (median)"
  for r in "${runs[@]}"; do
    t=$(echo "${at[$r]}" | median)
    printf '%-34s %9s MB/s (uncompressed)  %sx the speed of zcat | pigz\n' "${label[$r]}" \
      "$(echo "scale=1; $RAW / $t / 1000000" | bc -l)" "$(ratio "$t_ref" "$t")"
  done
  echo "anonymized output, $ANON bytes: -z (gzip -6) $(stat -c %s "$OUT.gz") bytes (ratio $(ratio "$ANON" "$(stat -c %s "$OUT.gz")")), --zstd (level 3) $(stat -c %s "$OUT.zst") bytes (ratio $(ratio "$ANON" "$(stat -c %s "$OUT.zst")"))"
  rm -f "$OUT.gz" "$OUT.zst"
else
  echo "pigz or zstd: not installed (apt-get install pigz zstd) - archive comparisons skipped"
fi
