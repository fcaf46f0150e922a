//! Key material for keyed pseudonyms: the master key and its per-mode and
//! per-period derivations. No I/O: key files are `app::keyfile`.
//!
//! The master key never leaves this module in a printable form except
//! through [`MasterKey::to_hex`] (for `keygen`), and every buffer that held it
//! is zeroized. What may be printed is [`MasterKey::id`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use hkdf::Hkdf;

use crate::error::show_path;

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// HKDF salt: binds every derived key to this tool and this derivation
/// scheme, so a master key reused elsewhere yields unrelated subkeys.
const HKDF_SALT: &[u8] = b"anonlog v1";

/// Why a key could not be made, loaded or written. Messages never contain
/// key material, and say how to fix the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a 32-byte key in hex.
    #[error(
        "{context}expected 64 hex digits (a 32-byte key, as written by `anonlog keygen`), {found}"
    )]
    Format {
        /// `"key file PATH: "` when the text came from a file, else empty.
        context: String,
        /// What was found instead (never the text itself).
        found: String,
    },
    /// All 32 bytes are the same value: a placeholder, not a secret.
    #[error(
        "{context}the key has all bytes equal, which is a placeholder, not a secret; generate one with `anonlog keygen`"
    )]
    Placeholder {
        /// `"key file PATH: "` when the key came from a file, else empty.
        context: String,
    },
    /// ipcrypt-pfx needs two different AES keys; with K1 == K2 the
    /// construction outputs its input unchanged.
    #[error(
        "the two halves of the ipcrypt-pfx key are equal (K1 == K2), which would leave addresses unchanged; use a key from `anonlog keygen`"
    )]
    EqualHalves,
    /// The key file can be read or written by its group or by others.
    #[error(
        "key file {} is accessible by group or others (mode {mode:04o}); fix it with: chmod 600 {}",
        show_path(.path),
        shell_quote(.path)
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key path is a directory, device, FIFO or socket.
    #[error("key file {} is not a regular file", show_path(.path))]
    NotRegular {
        /// The key path.
        path: PathBuf,
    },
    /// `write_key_file` never replaces an existing file.
    #[error(
        "key file {} already exists; refusing to overwrite it (move it away or choose another path)",
        show_path(.path)
    )]
    Exists {
        /// The existing path.
        path: PathBuf,
    },
    /// The key file belongs to another user, who could change the key.
    #[error(
        "key file {} is owned by uid {uid}, not by the user running anonlog (uid {me}) or root; its owner could choose the key. Fix it with: chown {me} {}",
        show_path(.path),
        shell_quote(.path)
    )]
    Owner {
        /// The key file.
        path: PathBuf,
        /// Its owner.
        uid: u32,
        /// The effective uid of this process.
        me: u32,
    },
    /// A directory on the way to the key file lets someone else replace
    /// the file (or the symlink leading to it).
    #[error(
        "key file {}: directory {} {why}, so someone else could replace the key; {fix}",
        show_path(.path),
        show_path(.dir)
    )]
    Directory {
        /// The key file as named.
        path: PathBuf,
        /// The directory.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
        /// How to fix it.
        fix: String,
    },
    /// Reading or writing the key file failed. The message names the file
    /// only: the cause is the error's source, printed after it.
    #[error("key file {}", show_path(.path))]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// The secret every pseudonym key is derived from: 32 bytes from the OS
/// random generator.
///
/// Guarantees: zeroized on drop; `Debug` prints only [`MasterKey::id`]; not
/// `Clone`, so the only copies are the ones callers make on purpose.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// The key made of `bytes` (drawn from the OS random generator by
    /// `app::keyfile::generate`). Rejects keys whose bytes are all equal.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let key = MasterKey(*bytes);
        if key.0.iter().all(|&b| b == key.0[0]) {
            return Err(KeyError::Placeholder {
                context: String::new(),
            });
        }
        Ok(key)
    }

    /// Parses 64 hex digits (either case); surrounding whitespace is
    /// ignored. Rejects other lengths, non-hex characters and keys whose
    /// bytes are all equal. Error messages never echo the text.
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        parse_hex(s, String::new())
    }

    /// The key as 64 lower-case hex digits, in a string zeroized on drop.
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(64));
        push_hex(&mut s, &self.0);
        s
    }

    /// Derives the key for one pseudonymization mode and one rotation
    /// period: HKDF-SHA256 with ikm = the master key, salt = `"anonlog v1"`,
    /// info = `"<mode>|<period>"`, 32 bytes of output.
    ///
    /// `mode` names the use (e.g. `"pfx"`, `"user"`) so that no two uses
    /// share a key; `period` is the rotation label (e.g. `"2026-11-22"`), or
    /// `""` without rotation. Different (mode, period) pairs give
    /// independent keys, and a derived key reveals nothing about the master
    /// key or its siblings.
    ///
    /// # Panics
    /// If `mode` contains `|`: that would make `info` ambiguous (modes are
    /// fixed names chosen by the program, so this is a programming error).
    pub fn derive(&self, mode: &str, period: &str) -> DerivedKey {
        assert!(
            !mode.contains('|'),
            "key derivation mode must not contain '|'"
        );
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.0);
        let mut out = DerivedKey([0; 32]);
        hk.expand_multi_info(&[mode.as_bytes(), b"|", period.as_bytes()], &mut out.0)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// A public name for this key: the first 8 bytes of SHA-256(master key)
    /// as 16 lower-case hex digits. Safe to print and to store next to the
    /// output (it tells which key produced a file); it does not help to
    /// recover the key.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.0);
        let mut s = String::with_capacity(16);
        push_hex(&mut s, &digest[..8]);
        s
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id()).finish()
    }
}

/// A 32-byte key derived from the master key for one mode and period (see
/// [`MasterKey::derive`]).
///
/// Guarantees: zeroized on drop; `Debug` never prints it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    /// Wraps raw key bytes that did not come from [`MasterKey::derive`]:
    /// published test vectors, or a key shared with another Crypto-PAn or
    /// ipcrypt tool. The caller remains responsible for zeroizing `bytes`.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        DerivedKey(*bytes)
    }

    /// The key bytes, for building a cipher or MAC.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedKey(..)")
    }
}

/// Parses a key in hex; `context` (`"key file PATH: "` or empty) starts
/// every error message. Messages never echo the text.
pub(crate) fn parse_hex(s: &str, context: String) -> Result<MasterKey, KeyError> {
    let s = s.trim().as_bytes();
    if s.len() != 64 {
        return Err(KeyError::Format {
            context,
            found: format!("found {} characters", s.len()),
        });
    }
    let mut key = MasterKey([0; 32]);
    for (i, pair) in s.chunks_exact(2).enumerate() {
        match (hex_val(pair[0]), hex_val(pair[1])) {
            (Some(hi), Some(lo)) => key.0[i] = (hi << 4) | lo,
            _ => {
                return Err(KeyError::Format {
                    context,
                    found: "found a character that is not a hex digit".into(),
                });
            }
        }
    }
    if key.0.iter().all(|&b| b == key.0[0]) {
        return Err(KeyError::Placeholder { context });
    }
    Ok(key)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// The path as a shell word, so the suggested `chmod` can be pasted even
/// when the path has spaces or quotes; a path with control characters or
/// bytes that are not UTF-8 becomes a bash `$'...'` word built from its
/// escaped form, so the hint can never print them raw.
pub(crate) fn shell_quote(path: &Path) -> String {
    let shown = show_path(path);
    if shown != path.to_string_lossy() || shown.contains('\\') {
        return format!("$'{}'", shown.replace('\'', r"\'"));
    }
    let s = path.to_string_lossy();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%=".contains(&b));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const HEX: &str = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";

    #[test]
    fn hex_round_trip_and_whitespace() {
        let k = MasterKey::from_hex(&format!(" \n\t{}\r\n", HEX.to_uppercase())).unwrap();
        assert_eq!(*k.to_hex(), HEX);
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        let g = MasterKey::from_bytes(&bytes).unwrap();
        assert_eq!(
            MasterKey::from_hex(&g.to_hex()).unwrap().to_hex(),
            g.to_hex()
        );
        assert!(MasterKey::from_bytes(&[7; 32]).is_err(), "a placeholder");
    }

    #[test]
    fn bad_hex_is_rejected_without_echo() {
        let cases = [
            (&HEX[..63], "found 63 characters"),
            ("", "found 0 characters"),
            (&HEX[..62], "found 62 characters"),
        ];
        for (text, want) in cases {
            let e = MasterKey::from_hex(text).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
        let bad = format!("{}g{}", &HEX[..10], &HEX[11..]);
        let e = MasterKey::from_hex(&bad).unwrap_err().to_string();
        assert!(e.contains("not a hex digit"), "{e}");
        assert!(
            !e.contains(&HEX[..10]),
            "message must not echo the key: {e}"
        );
        let spaced = format!("{} {}", &HEX[..32], &HEX[32..]);
        assert!(MasterKey::from_hex(&spaced).is_err());
        for placeholder in ["0".repeat(64), "f".repeat(64), "ab".repeat(32)] {
            assert!(matches!(
                MasterKey::from_hex(&placeholder),
                Err(KeyError::Placeholder { .. })
            ));
        }
    }

    #[test]
    fn debug_never_prints_key() {
        let k = MasterKey::from_hex(HEX).unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains(&HEX[..16]) && !d.contains(&HEX[48..]), "{d}");
        assert!(d.contains(&k.id()));
        let dk = k.derive("pfx", "");
        let d = format!("{dk:?}");
        assert_eq!(d, "DerivedKey(..)");
    }

    #[test]
    fn id_is_sha256_prefix() {
        let k = MasterKey::from_hex(HEX).unwrap();
        let full = Sha256::digest(k.0);
        let mut want = String::new();
        push_hex(&mut want, &full[..8]);
        assert_eq!(k.id(), want);
        assert_eq!(k.id().len(), 16);
    }

    #[test]
    fn derivation_matches_hkdf_and_separates_uses() {
        let k = MasterKey::from_hex(HEX).unwrap();
        let hk = Hkdf::<Sha256>::new(Some(b"anonlog v1"), &k.0);
        let mut want = [0u8; 32];
        hk.expand(b"pfx|2026-11-22", &mut want).unwrap();
        assert_eq!(k.derive("pfx", "2026-11-22").as_bytes(), &want);
        let keys = [
            k.derive("pfx", ""),
            k.derive("pfx", "2026-11-22"),
            k.derive("pfx", "2026-11-23"),
            k.derive("det", "2026-11-22"),
            k.derive("user", "2026-11-22"),
            k.derive("pfx2026-11-22", ""),
        ]
        .map(|d| *d.as_bytes());
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j], "{i} vs {j}");
            }
        }
        assert_eq!(
            k.derive("det", "x").as_bytes(),
            k.derive("det", "x").as_bytes()
        );
    }

    #[test]
    #[should_panic(expected = "must not contain")]
    fn derive_rejects_separator_in_mode() {
        let _ = MasterKey::from_hex(HEX).unwrap().derive("a|b", "");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(
            shell_quote(Path::new("/etc/anonlog/key")),
            "/etc/anonlog/key"
        );
        assert_eq!(shell_quote(Path::new("/a b")), "'/a b'");
        assert_eq!(shell_quote(Path::new("it's")), r"'it'\''s'");
        // A control character never reaches the terminal raw, and the
        // word still names the file in bash.
        assert_eq!(
            shell_quote(Path::new("k\nanonlog: it's ok\x1b")),
            r"$'k\nanonlog: it\'s ok\x1b'"
        );
        assert_eq!(shell_quote(Path::new(r"a\b")), r"$'a\\b'");
    }
}
