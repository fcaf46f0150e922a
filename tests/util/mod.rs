//! Helpers shared by the integration tests: they run the real binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_anonlog"))
}

/// The repository's samples directory.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Runs anonlog with `args`, feeding `stdin`, and returns its output.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn anonlog");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // The child may exit early (errors); a broken pipe here is fine.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for anonlog");
    feeder.join().unwrap();
    out
}

/// Counts lines the way anonlog does: terminated lines plus a final
/// unterminated one.
pub fn count_lines(b: &[u8]) -> usize {
    let n = b.iter().filter(|&&c| c == b'\n').count();
    n + usize::from(!b.is_empty() && b.last() != Some(&b'\n'))
}
