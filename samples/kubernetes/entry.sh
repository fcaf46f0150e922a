#!/bin/sh
# One pod of the anonymize-archives Indexed Job
# (samples/kubernetes/anonymize-archives.yaml): anonymizes its shard of a
# list of log archives with anonlog.
#
#   JOB_COMPLETION_INDEX  this pod's index, 0 .. SHARDS-1 (Kubernetes sets
#                         it in every pod of an Indexed Job)
#   SHARDS                the number of indexes: the Job's spec.completions
#   FILE_LIST             the list: one path a line, relative to INPUT_ROOT
#                         (a leading ./ is dropped; empty lines are skipped)
#   INPUT_ROOT            the tree to read
#   OUTPUT_ROOT           the tree to write: the same relative paths
#   ANONLOG               the binary (default: anonlog on PATH)
#   ANONLOG_KEY_FILE      the key for --pseudonymize and user tokens, read
#                         by anonlog itself (never on a command line)
#
# The arguments are anonlog's policy options, given to it as they are.
#
# File i of the list (counting from 0) is in shard i mod SHARDS, so every
# file is in exactly one shard, whatever pod runs it and however often.
# For each of its files the pod runs `anonlog --stats=json [-z|--zstd]
# OPTIONS -- INPUT` with the output on a temporary file beside the final
# one (.NAME.anonlog-part-POD-PID), and only when anonlog exits 0 fsyncs
# it, renames it to OUTPUT_ROOT/PATH and fsyncs the directory: the final
# name exists only for a complete output, so a pod killed mid-file leaves
# no half file under it, and a file whose output exists is skipped (a
# retried pod, or the Job run again, picks up where it stopped). The
# output is compressed as the input's name says: .gz gets -z, .zst
# --zstd, .xz and .bz2 fail (anonlog writes them only in place), anything
# else stays plain. A file that fails is reported with its path and anonlog's exit
# status (anonlog's diagnostics never hold log content), keeps no output
# and does not stop the others; the pod then exits 1, so Kubernetes
# retries the index, which redoes only what is missing.
#
# Printed: one line per file (anonymized, already done or failed), then
# the shard's count and the --stats=json counters summed over the files it
# anonymized.
set -u

say() { printf 'entry.sh: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

index=${JOB_COMPLETION_INDEX:-}
shards=${SHARDS:-}
case $index in '' | *[!0-9]*) die "JOB_COMPLETION_INDEX must be a number (got '$index')" ;; esac
case $shards in '' | *[!0-9]* | 0) die "SHARDS must be a number above 0 (got '$shards')" ;; esac
[ "$index" -lt "$shards" ] || die "JOB_COMPLETION_INDEX $index is not below SHARDS $shards"
[ -n "${FILE_LIST:-}" ] && [ -r "$FILE_LIST" ] || die "FILE_LIST '${FILE_LIST:-}' cannot be read"
[ -d "${INPUT_ROOT:-}" ] || die "INPUT_ROOT '${INPUT_ROOT:-}' is not a directory"
[ -n "${OUTPUT_ROOT:-}" ] || die "OUTPUT_ROOT is not set"
anonlog=${ANONLOG:-anonlog}

scratch=$(mktemp -d) || die "cannot make a scratch directory"
trap 'rm -rf "$scratch"' EXIT
awk -v n="$shards" -v i="$index" 'length($0) > 0 { if (k % n == i) print; k++ }' \
  "$FILE_LIST" >"$scratch/mine" || die "cannot read FILE_LIST $FILE_LIST"
: >"$scratch/stats"

pod=${HOSTNAME:-$(uname -n)}
anonymized=0 skipped=0 failed=0

fail() {
  say "failed: $rel: $*" >&2
  failed=$((failed + 1))
}

while IFS= read -r rel; do
  rel=${rel#./}
  case /$rel/ in
  //* | */../* | *//*)
    fail "not a relative path inside INPUT_ROOT"
    continue
    ;;
  esac
  in=$INPUT_ROOT/$rel
  out=$OUTPUT_ROOT/$rel
  if [ -e "$out" ]; then
    say "already done: $rel"
    skipped=$((skipped + 1))
    continue
  fi
  # The output's compression, from the input's name. anonlog reads xz and
  # bzip2 but writes them only in place.
  case $rel in
  *.gz) z=-z ;;
  *.zst) z=--zstd ;;
  *.xz | *.bz2)
    fail "no way to write a .${rel##*.} output"
    continue
    ;;
  *) z= ;;
  esac
  dir=${out%/*}
  name=${out##*/}
  if ! mkdir -p "$dir"; then
    fail "cannot make $dir"
    continue
  fi
  tmp=$dir/.$name.anonlog-part-$pod-$$
  # $z is one word or none.
  "$anonlog" --stats=json $z "$@" -- "$in" </dev/null >"$tmp" 2>"$scratch/err"
  status=$?
  if [ "$status" -ne 0 ]; then
    fail "anonlog exit status $status"
    grep -v '^{' "$scratch/err" | sed 's/^/entry.sh:   /' >&2
    rm -f "$tmp"
    continue
  fi
  # Keep the input's times, fsync, rename (the commit point), fsync the
  # directory, then clear what killed attempts at this file left.
  if ! { touch -r "$in" "$tmp" && sync "$tmp" && mv -f "$tmp" "$out" && sync "$dir"; }; then
    fail "cannot write $out"
    rm -f "$tmp"
    continue
  fi
  for part in "$dir/.$name.anonlog-part-"*; do
    [ -e "$part" ] && rm -f "$part"
  done
  grep '^{' "$scratch/err" | tail -n 1 >>"$scratch/stats"
  say "anonymized: $rel"
  anonymized=$((anonymized + 1))
done <"$scratch/mine"

say "shard $index of $shards: $((anonymized + skipped + failed)) files: $anonymized anonymized, $skipped already done, $failed failed"
# The numeric counters of the --stats=json objects, summed, in their order.
awk '{
  s = $0
  while (match(s, /"[a-z_]+":[0-9]+/)) {
    kv = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
    split(kv, a, ":"); gsub(/"/, "", a[1])
    if (!(a[1] in sum)) order[++n] = a[1]
    sum[a[1]] += a[2]
  }
}
END {
  printf "entry.sh: stats {"
  for (j = 1; j <= n; j++) printf "%s\"%s\":%.0f", (j > 1 ? "," : ""), order[j], sum[order[j]]
  print "}"
}' "$scratch/stats"
[ "$failed" -eq 0 ]
