//! `anonlog keygen`: a new master key, to a 0600 file or a private
//! standard output.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use anyhow::{Context, ensure};
use zeroize::Zeroizing;

use super::cli::KeygenCli;
use super::keyfile::{generate, write_key_file};

/// `anonlog keygen`.
pub fn keygen(cli: &KeygenCli) -> anyhow::Result<()> {
    let key = generate().context("cannot get random bytes from the operating system")?;
    if cli.out.as_os_str() == "-" {
        ensure_private_stdout()?;
        let mut line = Zeroizing::new(String::with_capacity(65));
        line.push_str(&key.to_hex());
        line.push('\n');
        let mut out = io::stdout().lock();
        out.write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .context("standard output")?;
        eprintln!("anonlog: key id {}", key.id());
    } else {
        write_key_file(&cli.out, &key)?;
        eprintln!(
            "anonlog: wrote key {} to {} (mode 0600); keep it apart from the logs: it reveals every pseudonym made with it",
            key.id(),
            crate::error::show_path(&cli.out)
        );
    }
    Ok(())
}

/// Standard output may receive a key: not a terminal (scrollback, screen
/// sharing), not a file that group or others can access.
fn ensure_private_stdout() -> anyhow::Result<()> {
    let stdout = io::stdout();
    ensure!(
        !stdout.is_terminal(),
        "refusing to print a key on a terminal; use --out PATH (or pipe it to the program that stores it)"
    );
    let meta = File::from(stdout.as_fd().try_clone_to_owned()?).metadata()?;
    let mode = meta.mode() & 0o7777;
    ensure!(
        !meta.is_file() || mode & 0o077 == 0,
        "refusing to write a key to standard output: it is a file that group or others can access (mode {mode:04o}); use --out PATH, which creates the file with mode 0600"
    );
    Ok(())
}
