//! JSON keys without a rule: the name families that classify them (the
//! table and its order are in the parent module's docs) and the record of
//! those left unknown, for `--stats`.

use super::FieldKind::{self, *};
use crate::stats::UnknownNames;

/// A worker's record of the JSON keys without a rule: what it has seen,
/// and what it has seen since [`KeyNotes::take`].
#[derive(Debug, Default)]
pub struct KeyNotes {
    seen: UnknownNames,
    fresh: UnknownNames,
}

impl KeyNotes {
    /// The keys first seen since the last call.
    pub fn take(&mut self) -> UnknownNames {
        std::mem::take(&mut self.fresh)
    }

    /// Records the key path `path` (ranges of `line`).
    pub(super) fn note(&mut self, line: &[u8], path: &[(usize, usize)]) {
        let parts = || path.iter().map(|&(s, e)| &line[s..e]);
        if self
            .seen
            .shown()
            .iter()
            .any(|n| joined_eq(n.as_bytes(), parts()))
        {
            return;
        }
        if self.seen.is_hidden(UnknownNames::hash_parts(parts())) || self.seen.is_full() {
            return;
        }
        // First sighting: the one allocation.
        let name = parts().collect::<Vec<_>>().join(&b'.');
        self.seen.add(&name);
        self.fresh.add(&name);
    }
}

/// `name` equals `parts` joined with `.`.
fn joined_eq<'a>(name: &[u8], parts: impl Iterator<Item = &'a [u8]>) -> bool {
    let mut rest = name;
    for (i, p) in parts.enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix(b".") else {
                return false;
            };
            rest = r;
        }
        let Some(r) = rest.strip_prefix(p) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

/// Words that make a key a secret.
const SECRET_WORDS: &[&str] = &[
    "cookie",
    "auth",
    "token",
    "session",
    "passw",
    "secret",
    "key",
    "signature",
    "jwt",
    "csrf",
    "xsrf",
    "credential",
    "mail",
    "phone",
];

/// `hay` contains `needle` (lowercase) ASCII case-insensitively.
fn contains_ci(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// `key` has `ip` (or `ips`, `ip4`, `ip6`, `ipv4`, `ipv6`) as a word:
/// words are split at non-alphanumerics and at camel-case humps
/// (`clientIp`, `IPAddress`), so `zip` and `description` do not count.
fn has_ip_word(key: &[u8]) -> bool {
    let mut start = 0;
    for i in 0..=key.len() {
        let boundary = match (i.checked_sub(1).map(|j| key[j]), key.get(i)) {
            (_, None) => true,
            (_, Some(c)) if !c.is_ascii_alphanumeric() => true,
            (Some(p), Some(c)) if c.is_ascii_uppercase() => {
                !p.is_ascii_uppercase() || key.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
            }
            _ => false,
        };
        if boundary {
            let word = &key[start..i];
            if ["ip", "ips", "ip4", "ip6", "ipv4", "ipv6"]
                .iter()
                .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
            {
                return true;
            }
            start = if key.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
                i
            } else {
                i + 1
            };
        }
    }
    false
}

/// The kind a key's name implies when no rule names it (the module docs
/// give the table and the reasons for its order).
pub(super) fn family(key: &[u8]) -> FieldKind {
    let has = |w: &str| contains_ci(key, w);
    if has("user_agent") || has("useragent") || has("user-agent") {
        return UserAgent;
    }
    if SECRET_WORDS.iter().any(|w| has(w)) {
        return Secret;
    }
    if has("referer") || has("referrer") {
        return Referer;
    }
    if has("user") {
        return User;
    }
    if has("query") || has("args") {
        return Query;
    }
    if has("url") || has("uri") || has("path") {
        return Target;
    }
    let client = key.len() >= 6 && key[..6].eq_ignore_ascii_case(b"client");
    if has_ip_word(key) || has("addr") || client || (has("forwarded") && !has("proto")) {
        return if has("port") { Secret } else { ForwardedFor };
    }
    Unknown
}
