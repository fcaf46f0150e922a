#!/usr/bin/env bash
# Builds the seed corpus of every fuzz target into fuzz/corpus/<target>/
# (git-ignored) from the lines of samples/*.log and, when present, of
# ../shared/corpus: those files may be read but must not be copied into the
# repository (see its SOURCES.md), so they are only ever seeds here.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, hashlib, os, random, struct

random.seed(11)
files = sorted(glob.glob("samples/*.log"))
shared = os.path.join("..", "shared", "corpus")
if os.path.isdir(shared):
    for root, _, names in os.walk(shared):
        for n in sorted(names):
            if n.endswith((".md", ".txt")) or n == "COMMIT":
                continue
            files.append(os.path.join(root, n))

lines = []
for f in files:
    with open(f, "rb") as fh:
        for l in fh.read().split(b"\n"):
            if l and len(l) < 4000:
                lines.append(l.rstrip(b"\r"))

def choices(n=24):
    return bytes(random.randrange(256) for _ in range(n))

def seed_line(l):
    # build_line's "plant into the rest" layout: 0, u16 length, line, choices.
    return b"\x00" + struct.pack("<H", len(l)) + l + choices()

specs = [
    (0, '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'),
    (0, '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"'),
    (0, '$remote_addr $upstream_cache_status "$http_x_forwarded_for" "$request" $request_time $http_x_custom'),
    (0, 'escape=json {"remote_addr":"$remote_addr","request":"$request","status":$status,"cookie":"$http_cookie"}'),
    (0, '$host $remote_addr:$remote_port $request_uri $args $uri $http_authorization'),
    (1, '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'),
    (1, '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"'),
    (1, '%a %{c}a %A %U%q %{Cookie}i %{X-Forwarded-For}i %D %T'),
    (1, '%h %l %u %t \\"%r\\" %>s %b'),
]

def write(target, name, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + "-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as fh:
        fh.write(data)

for i, l in enumerate(lines):
    for k in range(8):
        write("line", "s", bytes([k + 8 * (i % 3)]) + seed_line(l))
    write("keyed", "s", bytes([i % 24]) + seed_line(l))
    write("privacy", "s", bytes([i % 24]) + seed_line(l))
    write("syslog", "s", b"\x00<190>Nov 22 08:39:58 web1 nginx: " + l)
    write("syslog", "p", b"\x0f\xbe\x16\x05web1 \x05nginx" + seed_line(l))
    kind, spec = specs[i % len(specs)]
    s = spec.encode()
    write("format_compile", "s", bytes([kind]) + struct.pack("<H", len(s)) + s + seed_line(l))
for f in files:
    with open(f, "rb") as fh:
        text = fh.read()[:8000]
    write("gzip_stream", "s", choices(8) + text)
print("seed corpus: %d lines from %d files into fuzz/corpus/" % (len(lines), len(files)))
PY
