//! The integration tests: one binary that runs the real `anonlog`.
//!
//! Every file here is a module of this one test binary, so cargo builds
//! and links the tests once instead of once per file. A new test file
//! (such as `faults.rs`) becomes a module here: put it in `tests/it/`, add
//! `mod faults;` below, and take shared helpers from [`util`] instead of
//! copying them. Insta names snapshots after the module path, so a
//! snapshot of module `foo` lives in `snapshots/it__foo__<name>.snap`;
//! proptest keeps a module's regressions beside it, in
//! `<module>.proptest-regressions`.
//!
//! Run one module with `cargo test --test it cli::`.
//!
//! The checks of the shipped recipes (`samples/`), which need programs
//! such as nginx, Apache, logrotate or systemd-analyze, are a second
//! binary, `tests/recipes/`, whose harness shows a check whose program is
//! missing as ignored, with the reason, instead of as passed.

mod child;
mod util;

mod archives;
mod batch_safety;
mod check;
mod cli;
mod diskfull;
mod docs;
mod faults;
mod files;
mod interface;
mod live;
mod privacy;
mod prop;
mod pseudo;
mod record;
mod retain;
mod snapshots;
