//! The key settings of the main command (`--pseudonymize`, `--key-file`,
//! `--key-rotation`, `--user`), resolved from the command line, and the
//! master key they name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, ensure};

use super::cli::{Cli, PseudoArg, RotationArg, UserArg};
use super::keyfile::load_key_file;
use crate::anonymize::pseudonym::{KeyedConfig, MasterKey, Mode, Rotation};

/// The environment variable naming the key file when `--key-file` is not
/// given.
pub const KEY_FILE_ENV: &str = "ANONLOG_KEY_FILE";

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
