#!/usr/bin/env python3
"""Anonymize a tree of log archives with anonlog, one Spark task per file.

    spark-submit --master yarn --conf spark.task.maxFailures=4 \\
        --files /usr/bin/anonlog,/etc/anonlog/anonlog.key \\
        anonymize_archives.py --input /mnt/logs/raw --output /mnt/logs/anon \\
        --key anonlog.key -- --pseudonymize pfx --key-rotation daily

Everything after `--` is given to anonlog as it is (its policy options:
-f, --pseudonymize, --key-rotation, --ipv4-prefix, --referrer...). The
input and output roots must be the same paths on the driver and on every
executor: a shared filesystem (NFS, CephFS, Lustre...) or, in local mode,
the machine's own.

How it works:

* The driver lists the regular files under --input (hidden names skipped)
  and schedules, as one task each, those whose output does not exist yet
  (gzip cannot be split, and one file per task keeps a retry to one file).
* A task runs `anonlog --stats=json [options] -- INPUT` with its standard
  output on a temporary file beside the final one, in the same directory
  (`.NAME.anonlog-part-...`); anonlog reads the input itself, gzip
  included, so no file is ever held in memory. The output is compressed
  as the input's name says: `.gz` gets `-z`, `.zst` `--zstd`, anything
  else stays plain (OUTPUT_COMPRESSION below is the one place to add
  another).
* Only when anonlog exits 0 is the temporary file fsynced and renamed to
  the input's relative path under --output (then the directory is
  fsynced). The rename is the commit point: the final name exists only
  for a complete output, so a killed, retried or speculative task never
  leaves a half file under it, and a rerun skips every file that is done
  (a 10,000-file job is resumed by running it again).
* The binary and the key reach the executors with `--files` (SparkFiles).
  The key is never on a command line: the task gives anonlog the local
  SparkFiles path in $ANONLOG_KEY_FILE. Spark copies `--files` with the
  execute bits added; the task narrows the key's copy to 0600, since
  anonlog refuses a key file that grants anything to group or others.
  Without --files anonlog, the executors' own `anonlog` (the .deb or the
  wheel) on PATH is used.
* A file that fails (anonlog's status is not 0, or its output cannot be
  written) is reported by the driver, one line `anonymize_archives:
  failed: PATH: anonlog exit status N` with anonlog's own diagnostics
  under it (they never hold log content); its temporary file is removed
  and it has no output, so a rerun tries it again. A failed file does not
  stop the others.
* Then the driver prints its summary, one JSON object on the last line:
  files found, anonymized, already done (skipped), failed, the
  `--stats=json` counters summed over the files anonymized by this run,
  the formats detected, the key ids used, the files that needed a retry,
  and the failures. The exit status is 1 if any file failed. (spark-submit
  runs the driver's Python with its stderr merged into its stdout, so in
  client mode both are on spark-submit's standard output; in cluster mode,
  in the driver's log.)

Test hook (tests/recipes/spark.rs): with ANONLOG_SPARK_FAULT=REL and
ANONLOG_SPARK_FAULT_MARKER=PATH in the driver's environment, the task for
the input REL kills itself (SIGKILL) after writing part of its temporary
output, on the first attempt only: the attempt that creates PATH (O_EXCL)
is the first, and it writes what it left there into PATH before dying.
"""

import argparse
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

# The anonlog options that write each compressed output, by the input's
# extension; an input with any other extension gets a plain output. A
# compression anonlog reads but cannot write yet is listed in
# COMPRESSED_INPUT and fails its file instead of being written plain under
# a compressed name (xz and bzip2: anonlog writes them only in place).
OUTPUT_COMPRESSION = {
    ".gz": ["-z"],
    ".zst": ["--zstd"],
}
COMPRESSED_INPUT = (".gz", ".zst", ".xz", ".bz2")

# Options this job sets itself, refused after `--`.
OWN_OPTIONS = {
    "-o": "the job writes each output itself",
    "--output": "the job writes each output itself",
    "-i": "the job writes beside --output, never in place",
    "--in-place": "the job writes beside --output, never in place",
    "-r": "the job lists --input itself",
    "--recursive": "the job lists --input itself",
    "--listen": "the job reads files",
    "--tag-output": "the job reads files",
    "-z": "the output's compression follows the input's name",
    "--gzip": "the output's compression follows the input's name",
    "--zstd": "the output's compression follows the input's name",
    "--stats": "the job reads anonlog's --stats=json",
    "-q": "the job reads anonlog's --stats=json",
    "--quiet": "the job reads anonlog's --stats=json",
    "--key-file": "ship the key with --files and name it with --key",
    "-j": "anonlog's threads are spark.task.cpus",
    "--threads": "anonlog's threads are spark.task.cpus",
}

PART = ".anonlog-part-"
MESSAGES_KEPT = 5


class Refused(Exception):
    """A file this job will not process (its compression cannot be written)."""


def parse_args(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, anonlog_args = argv[:cut], argv[cut + 1 :]
    else:
        own, anonlog_args = argv, []
    p = argparse.ArgumentParser(
        prog="anonymize_archives.py",
        description="Anonymize every file under --input into --output with anonlog, one Spark task per file. Options after -- go to anonlog.",
    )
    p.add_argument("--input", required=True, help="root of the tree to read")
    p.add_argument("--output", required=True, help="root of the tree to write (same relative paths)")
    p.add_argument(
        "--key",
        metavar="NAME",
        help="SparkFiles name (the file name given to --files) of the anonlog key file",
    )
    p.add_argument(
        "--anonlog",
        default="anonlog",
        metavar="NAME|PATH",
        help="SparkFiles name of the anonlog binary, else looked up on the executors' PATH; a path with / is used as it is (default: anonlog)",
    )
    opts = p.parse_args(own)
    for arg in anonlog_args:
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
        if arg.startswith("-") and name in OWN_OPTIONS:
            p.error(f"{name} after --: {OWN_OPTIONS[name]}")
    return opts, anonlog_args


def inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def list_inputs(root):
    """Relative paths of the regular files under root, sorted; hidden names
    (and what is under a hidden directory) are skipped, directory symlinks
    are not followed."""
    found = []
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            full = os.path.join(top, name)
            if os.path.isfile(full):
                found.append(os.path.relpath(full, root))
    return sorted(found)


def compression_flags(rel):
    ext = os.path.splitext(rel)[1].lower()
    if ext in OUTPUT_COMPRESSION:
        return list(OUTPUT_COMPRESSION[ext])
    if ext in COMPRESSED_INPUT:
        raise Refused(f"no way to write a {ext} output (add it to OUTPUT_COMPRESSION)")
    return []


def sparkfile(name):
    from pyspark import SparkFiles

    path = SparkFiles.get(name)
    return path if os.path.isfile(path) else None


def resolve_anonlog(spec):
    if "/" in spec:
        return spec
    path = sparkfile(spec)
    if path is not None:
        if not os.access(path, os.X_OK):
            os.chmod(path, 0o700)
        return path
    found = shutil.which(spec)
    if found is None:
        raise Refused(f"{spec} is neither among --files nor on the executor's PATH")
    return found


def key_path(name):
    path = sparkfile(name)
    if path is None:
        raise Refused(f"key {name} is not among --files")
    st = os.stat(path)
    if st.st_mode & 0o077 and st.st_uid == os.geteuid():
        os.chmod(path, 0o600)
    return path


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def first_attempt(marker):
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return None
    return fd


def die_mid_write(proc, out_fd, tmp, marker_fd):
    """The fault hook: copy a first piece of anonlog's output into the
    temporary file, note it in the marker, and die as a killed executor
    would, leaving the temporary file behind."""
    piece = os.read(proc.stdout.fileno(), 4096)
    os.write(out_fd, piece)
    os.fsync(out_fd)
    note = json.dumps({"temp": tmp, "bytes": len(piece)}, separators=(",", ":"))
    os.write(marker_fd, note.encode() + b"\n")
    os.fsync(marker_fd)
    os.kill(os.getpid(), signal.SIGKILL)


def status_of(returncode):
    if returncode < 0:
        return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def read_stderr(f):
    """anonlog's --stats=json object and its other stderr lines."""
    f.seek(0)
    stats, messages = None, []
    for raw in f.read().decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line.startswith("{"):
            try:
                stats = json.loads(line)
                continue
            except ValueError:
                pass
        if line:
            messages.append(line)
    return stats, messages


def process(rel, job):
    """One task: anonymize input REL into its output; never raises for the
    file's own failures, which come back in the result."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    result = {"path": rel, "attempt": ctx.attemptNumber() if ctx else 0}
    src = os.path.join(job["input"], rel)
    dst = os.path.join(job["output"], rel)
    if os.path.exists(dst):
        result["status"] = "skipped"
        return result
    directory, name = os.path.split(dst)
    tmp = None
    try:
        flags = compression_flags(rel)
        binary = resolve_anonlog(job["anonlog"])
        env = dict(os.environ)
        env.pop("ANONLOG_KEY_FILE", None)
        if job["key"]:
            env["ANONLOG_KEY_FILE"] = key_path(job["key"])
        cmd = [binary, "--stats=json", "-j", str(job["threads"]), *flags, *job["args"], "--", src]
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f".{name}{PART}{os.getpid()}-{os.urandom(4).hex()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        try:
            with tempfile.TemporaryFile() as err:
                fault = job["fault"]
                marker = fault and rel == fault[0] and first_attempt(fault[1])
                if marker:
                    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env)
                    die_mid_write(proc, fd, tmp, marker)
                rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=fd, stderr=err, env=env).returncode
                stats, messages = read_stderr(err)
            if rc != 0:
                result.update(status="failed", error=f"anonlog {status_of(rc)}", messages=messages[:MESSAGES_KEPT])
                return result
            st = os.stat(src)
            os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.rename(tmp, dst)
        except FileNotFoundError:
            # Another attempt at this file committed and cleared our
            # temporary file: the output is there, complete.
            if os.path.exists(dst):
                tmp = None
                result["status"] = "skipped"
                return result
            raise
        tmp = None
        fsync_dir(directory)
        clear_parts(directory, name)
        result.update(status="anonymized", stats=stats)
        return result
    except Refused as e:
        result.update(status="failed", error=str(e))
        return result
    except OSError as e:
        code = errno.errorcode.get(e.errno, e.errno)
        where = f"{e.filename}: " if e.filename else ""
        result.update(status="failed", error=f"{where}{e.strerror or e} ({code})")
        return result
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def clear_parts(directory, name):
    """Removes the temporary files that killed attempts at this output left."""
    prefix = f".{name}{PART}"
    for entry in os.listdir(directory):
        if entry.startswith(prefix):
            try:
                os.unlink(os.path.join(directory, entry))
            except FileNotFoundError:
                pass


def summarize(files, pending, results):
    counters, detected, key_ids, unknown = {}, {}, set(), set()
    summary = {
        "files": len(files),
        "anonymized": 0,
        "skipped": len(files) - len(pending),
        "failed": 0,
    }
    retried, failures = [], []
    for r in results:
        summary[r["status"]] += 1
        if r["attempt"] > 0:
            retried.append(r["path"])
        if r["status"] == "failed":
            failures.append({k: r[k] for k in ("path", "error", "messages") if k in r})
        stats = r.get("stats") or {}
        for k, v in stats.items():
            if isinstance(v, int) and not isinstance(v, bool):
                counters[k] = counters.get(k, 0) + v
        for d in stats.get("detected", []):
            detected[d["format"]] = detected.get(d["format"], 0) + 1
        if "key_id" in stats:
            key_ids.add(stats["key_id"])
        unknown.update(stats.get("unknown_fields", []))
    summary.update(
        stats=counters,
        detected=dict(sorted(detected.items())),
        key_ids=sorted(key_ids),
        unknown_fields=sorted(unknown),
        retried=sorted(retried),
        failures=sorted(failures, key=lambda f: f["path"]),
    )
    return summary


def main(argv):
    opts, anonlog_args = parse_args(argv)
    input_root = os.path.realpath(opts.input)
    output_root = os.path.abspath(opts.output)
    if not os.path.isdir(input_root):
        sys.exit(f"anonymize_archives: --input {opts.input} is not a directory")
    real_out = os.path.realpath(output_root)
    if inside(real_out, input_root) or inside(input_root, real_out):
        sys.exit("anonymize_archives: --input and --output must not be inside each other")

    from pyspark import SparkConf, SparkContext

    sc = SparkContext(conf=SparkConf().setAppName("anonymize-archives"))
    try:
        files = list_inputs(input_root)
        pending = [f for f in files if not os.path.exists(os.path.join(output_root, f))]
        fault = None
        if os.environ.get("ANONLOG_SPARK_FAULT") and os.environ.get("ANONLOG_SPARK_FAULT_MARKER"):
            fault = (os.environ["ANONLOG_SPARK_FAULT"], os.environ["ANONLOG_SPARK_FAULT_MARKER"])
        job = {
            "input": input_root,
            "output": output_root,
            "anonlog": opts.anonlog,
            "key": opts.key,
            "args": anonlog_args,
            # anonlog's worker threads: the cores Spark gives each task.
            "threads": int(sc.getConf().get("spark.task.cpus", "1")),
            "fault": fault,
        }
        results = []
        if pending:
            rdd = sc.parallelize(pending, numSlices=len(pending))
            results = rdd.map(lambda rel: process(rel, job)).collect()
    finally:
        sc.stop()
    summary = summarize(files, pending, results)
    for f in summary["failures"]:
        print(f"anonymize_archives: failed: {f['path']}: {f['error']}", file=sys.stderr)
        for m in f.get("messages", []):
            print(f"anonymize_archives:   {m}", file=sys.stderr)
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
