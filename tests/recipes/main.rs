//! The shipped recipes (`samples/`: nginx, Apache, logrotate, systemd and
//! sysctl files) checked by the programs that read them, and run with them
//! where that can be done on 127.0.0.1: a real nginx and a real Apache
//! logging through anonlog, a real logrotate rotating, `systemd-analyze
//! verify`, `sysctl` in a network namespace of the test's own.
//!
//! A check names what it needs from the machine ([`harness::Need`]: a
//! program, root). When something is missing, the check is not passed but
//! ignored, with the reason on its line (`... ignored (needs apache2)`) and
//! in the count of the summary, so a machine without Apache cannot look
//! like one where the Apache recipe works. With `CI` set it is run all the
//! same, and fails saying what is missing: `.ci/run` installs every program
//! and runs the tests as root, so there a missing program is a broken CI,
//! not a reason to pass.
//!
//! libtest decides `#[ignore]` when the test is compiled, so this binary
//! has its own harness (libtest-mimic, `harness = false` in Cargo.toml),
//! which decides when the tests run. It takes libtest's arguments
//! (`cargo test --test recipes -- nginx`, `--list`, `--test-threads`) and
//! prints libtest's lines. Nothing here asserts timing: every wait is an
//! "eventually" with a generous limit.

#[path = "../it/child.rs"]
mod child;
#[path = "../it/util.rs"]
mod util;

mod apache;
mod archives;
mod credentials;
mod harness;
mod kubernetes;
mod logrotate;
mod nginx;
mod spark;
mod sysctl;
mod systemd;

fn main() {
    let checks: Vec<&harness::Check> = [
        apache::CHECKS,
        credentials::CHECKS,
        kubernetes::CHECKS,
        logrotate::CHECKS,
        nginx::CHECKS,
        spark::CHECKS,
        sysctl::CHECKS,
        systemd::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect();
    harness::run(&checks);
}
