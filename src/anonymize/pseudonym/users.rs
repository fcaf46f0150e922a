//! User tokens.

use aes::cipher::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::DerivedKey;

/// The key-derivation label for user tokens (see [`Mode::label`]).
pub const USER_TOKEN_LABEL: &str = "user";

/// A pseudonym for a user name (or any other identifier): the first 80 bits
/// of HMAC-SHA256(key, user) in lower-case RFC 4648 base32 without padding,
/// exactly 16 ASCII characters from `[a-z2-7]`.
///
/// Guarantees: the same (key, user) always gives the same token; without
/// the key, tokens reveal nothing about the user beyond equality; 80 bits
/// make an accidental collision negligible (about 2^-41 for a million
/// distinct users). Not reversible, even with the key: the key holder can
/// only test candidate names. Derive `key` with [`USER_TOKEN_LABEL`] so it
/// is never the key of an address mode.
pub fn user_token(key: &DerivedKey, user: &[u8]) -> [u8; 16] {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(user);
    let tag = mac.finalize().into_bytes();
    let bits = tag[..10]
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let mut out = [0u8; 16];
    for (i, c) in out.iter_mut().enumerate() {
        *c = ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::hex;
    use super::*;

    // -- user tokens --

    /// Computed independently with Python's `hmac`/`hashlib`/`base64`:
    /// HKDF-SHA256(master = CPAN_KEY, salt "anonlog v1", info
    /// "user|2026-11-22") then base32(HMAC-SHA256(key, user)[..10]).lower().
    #[test]
    fn user_token_vectors() {
        let key = DerivedKey::from_bytes(&hex(
            "204eec2cf159fa0d959726e276980e023f640a02d425696c1c3a109641568bde",
        ));
        let cases: [(&[u8], &str); 3] = [
            (b"alice", "a5g2qkhnr3rdrzmr"),
            (b"", "4nrnga2225cnmwhh"),
            (b"bob@example.com", "aesvyw2yb2iopwej"),
        ];
        for (user, want) in cases {
            assert_eq!(std::str::from_utf8(&user_token(&key, user)).unwrap(), want);
        }
        // The key above is what the master key derives.
        let master = super::super::MasterKey::from_hex(
            "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202",
        )
        .unwrap();
        assert_eq!(
            master.derive(USER_TOKEN_LABEL, "2026-11-22").as_bytes(),
            key.as_bytes()
        );
        assert_eq!(master.id(), "3ef4b8b940095a0e");
        assert_eq!(
            master.derive("pfx", "2026-11-22").as_bytes(),
            &hex::<32>("278d7c6e46b9d447daa7fc2342d0988eac37b2f9c66db941a1d12c69750abaa5")
        );
        assert_eq!(
            master.derive("det", "").as_bytes(),
            &hex::<32>("57830fa31e8a792846865ee3a4fb274855ee3848d53fec06fef9149fa741ed43")
        );
    }
}
