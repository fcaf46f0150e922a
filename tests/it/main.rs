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

mod util;

mod batch_safety;
mod check;
mod cli;
mod diskfull;
mod docs;
mod faults;
mod files;
mod live;
mod logrotate;
mod prop;
mod pseudo;
mod snapshots;
