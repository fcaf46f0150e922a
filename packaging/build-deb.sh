#!/usr/bin/env bash
# Builds the Debian package: $CARGO_TARGET_DIR/debian/anonlog_VERSION-1_ARCH.deb
# (target/debian/ by default). Needs cargo-deb (`cargo install cargo-deb
# --locked`); extra arguments go to `cargo deb`.
#
# The release binary writes what the package ships besides itself, under
# the target dir's release/packaging/ (Cargo.toml's [package.metadata.deb]
# assets): its man page, gzipped, and its bash, zsh and fish completions, so
# they always describe this very binary; and the recipes of samples/ as
# examples, with their /usr/local/bin/anonlog (where a hand install puts
# it) changed to the package's /usr/bin/anonlog so they run as installed.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked
bin="$target/release/anonlog"
gen="$target/release/packaging"
rm -rf "$gen"
mkdir -p "$gen/man" "$gen/completions" "$gen/examples"

"$bin" man > "$gen/man/anonlog.1"
# -n: no name or time stamp, so the same page gives the same bytes.
gzip -9 -n -f "$gen/man/anonlog.1"
"$bin" completions bash > "$gen/completions/anonlog"
"$bin" completions zsh > "$gen/completions/_anonlog"
"$bin" completions fish > "$gen/completions/anonlog.fish"

# Every recipe file, subdirectories (a unit's drop-in) included.
rm -rf "$gen/examples"
for dir in systemd logrotate nginx apache sysctl.d; do
  (cd samples && find "$dir" -type f) | while read -r f; do
    mkdir -p "$gen/examples/$(dirname "$f")"
    sed 's#/usr/local/bin/anonlog#/usr/bin/anonlog#g' "samples/$f" > "$gen/examples/$f"
  done
done

cargo deb --no-build --locked "$@"
