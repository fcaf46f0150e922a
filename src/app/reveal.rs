//! `anonlog reveal`: pseudonyms back to the addresses they stand for.

use std::io::{self, Write};

use anyhow::{anyhow, bail};

use super::cli::RevealCli;
use super::keys::{load_master_key, mode_of, rotation_of};
use crate::addr::{Addr, AddrRewrite, TokenKind, rewrite_addr_token};
use crate::anonymize::pseudonym::{Period, Pseudonymizer, Rotation, mode_key};
use crate::format::time::arg_date;

/// Maps pseudonyms back to addresses.
struct Reveal<'a>(&'a Pseudonymizer);

impl AddrRewrite for Reveal<'_> {
    fn rewrite(&mut self, addr: Addr) -> Addr {
        self.0.reveal(addr)
    }
}

/// `anonlog reveal`.
pub fn reveal(cli: &RevealCli) -> anyhow::Result<()> {
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
