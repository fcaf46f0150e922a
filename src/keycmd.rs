//! The key subcommands (`anonlog keygen`, `anonlog reveal`) and the key
//! settings of the main command (`--pseudonymize`, `--key-file`,
//! `--key-rotation`, `--user`), resolved from the command line.
//!
//! anonlog has no subcommand syntax of its own (`anonlog [OPTIONS]
//! [FILE]...`), so [`dispatch`] recognises `keygen` and `reveal` as the
//! first argument; a log file of that name is given as `./keygen`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail, ensure};
use clap::Parser;
use zeroize::Zeroizing;

use crate::anonymize::ip::{Addr, AddrRewrite, TokenKind, rewrite_addr_token};
use crate::anonymize::keyed::{KeyedConfig, mode_key};
use crate::anonymize::keys::{MasterKey, load_key_file, write_key_file};
use crate::anonymize::period::{Period, Rotation, arg_date};
use crate::anonymize::pseudo::{Mode, Pseudonymizer};
use crate::app::cli::{Cli, KeygenCli, PseudoArg, RevealCli, RotationArg, UserArg};

/// The environment variable naming the key file when `--key-file` is not
/// given.
pub const KEY_FILE_ENV: &str = "ANONLOG_KEY_FILE";

/// Runs `anonlog keygen ...` or `anonlog reveal ...` when `args[1]` names
/// one, and returns its exit status; `None` for the main command.
pub fn dispatch(args: &[OsString]) -> Option<ExitCode> {
    let result = match args.get(1).and_then(|a| a.to_str()) {
        Some("keygen") => keygen(&KeygenCli::parse_from(&args[1..])),
        Some("reveal") => reveal(&RevealCli::parse_from(&args[1..])),
        _ => return None,
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<io::Error>().map(io::Error::kind)
                == Some(io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("anonlog: error: {e:#}");
            ExitCode::from(2)
        }
    })
}

/// `--pseudonymize` / `--mode` as the core's mode.
pub fn mode_of(a: PseudoArg) -> Mode {
    match a {
        PseudoArg::Pfx => Mode::Pfx,
        PseudoArg::Det => Mode::Det,
        PseudoArg::Cryptopan => Mode::CryptoPan,
    }
}

/// `--key-rotation` as the core's rotation.
pub fn rotation_of(a: RotationArg) -> Rotation {
    match a {
        RotationArg::None => Rotation::None,
        RotationArg::Daily => Rotation::Daily,
        RotationArg::Weekly => Rotation::Weekly,
        RotationArg::Monthly => Rotation::Monthly,
    }
}

/// The key settings of a run, or `None` when nothing is keyed.
///
/// Refuses: a key option without anything keyed; a keyed run without a
/// key; `--in-place` with a keyed run (rerunning an in-place rewrite, as
/// after a crash or from logrotate, would pseudonymize the pseudonyms).
pub fn keyed_config(cli: &Cli) -> anyhow::Result<Option<Arc<KeyedConfig>>> {
    let mode = cli.pseudonymize.map(mode_of);
    let users = cli.user == Some(UserArg::Pseudonymize);
    let rotation = rotation_of(cli.key_rotation);
    if mode.is_none() && !users {
        ensure!(
            rotation == Rotation::None,
            "--key-rotation applies only with --pseudonymize or --user pseudonymize"
        );
        ensure!(
            cli.key_file.is_none(),
            "--key-file applies only with --pseudonymize or --user pseudonymize"
        );
        return Ok(None);
    }
    let what = if mode.is_some() {
        "--pseudonymize"
    } else {
        "--user pseudonymize"
    };
    ensure!(
        !cli.in_place,
        "{what} cannot be combined with --in-place: running it again on a rewritten file (after a crash, or from logrotate) would pseudonymize the pseudonyms; write to a new file instead"
    );
    let master = load_master_key(cli.key_file.as_deref(), what)?;
    Ok(Some(Arc::new(KeyedConfig::new(
        master, mode, users, rotation,
    )?)))
}

/// Loads the master key from `flag` or, without it, from the file named
/// by `$ANONLOG_KEY_FILE`. A value that is a key rather than the path of
/// one is refused without being echoed.
pub fn load_master_key(flag: Option<&Path>, what: &str) -> anyhow::Result<MasterKey> {
    let path = match flag {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => bail!(
                "{what} needs a key: --key-file PATH or {KEY_FILE_ENV}=PATH (create one with `anonlog keygen --out PATH`)"
            ),
        },
    };
    let is_a_key = || {
        path.to_str()
            .is_some_and(|s| MasterKey::from_hex(s).is_ok())
    };
    if !path.exists() && is_a_key() {
        bail!(
            "the key file setting takes the path of a key file, not a key: a key on the command line or in the environment would show in ps and shell history; store it with `anonlog keygen --out PATH`"
        );
    }
    Ok(load_key_file(&path)?)
}

/// `anonlog keygen`.
fn keygen(cli: &KeygenCli) -> anyhow::Result<()> {
    let key = MasterKey::generate().context("cannot get random bytes from the operating system")?;
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

/// Maps pseudonyms back to addresses.
struct Reveal<'a>(&'a Pseudonymizer);

impl AddrRewrite for Reveal<'_> {
    fn rewrite(&mut self, addr: Addr) -> Addr {
        self.0.reveal(addr)
    }
}

/// `anonlog reveal`.
fn reveal(cli: &RevealCli) -> anyhow::Result<()> {
    let mode = mode_of(cli.mode);
    let rotation = rotation_of(cli.key_rotation);
    let period = match (rotation, &cli.date) {
        (Rotation::None, None) => Period::NONE,
        (Rotation::None, Some(_)) => {
            bail!("--date needs --key-rotation: the rotation the logs were pseudonymized with")
        }
        (r, None) => bail!(
            "--key-rotation {r} needs --date YYYY-MM-DD: the date of the line the pseudonym comes from"
        ),
        (r, Some(d)) => r.period(
            arg_date(d).ok_or_else(|| anyhow!("--date {d:?}: expected a date as YYYY-MM-DD"))?,
        ),
    };
    let master = load_master_key(cli.key_file.as_deref(), "reveal")?;
    let cipher = Pseudonymizer::with_cache(mode, &mode_key(&master, mode, period.as_str()), 0)?;
    let mut out = Vec::new();
    for a in &cli.addresses {
        match rewrite_addr_token(&mut Reveal(&cipher), a.trim().as_bytes(), &mut out) {
            TokenKind::NotAddr => bail!("not an address: {a:?}"),
            _ => out.push(b'\n'),
        }
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}
