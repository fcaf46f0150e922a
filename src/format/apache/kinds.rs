//! What each directive becomes: the directive → [`FieldKind`] mapping and
//! the header, variable and note tables (the rules are in the parent
//! module's docs).

use super::FieldKind::{self, *};
use super::FormatError;
use super::directive::Directive;

/// What a directive becomes.
pub(super) enum Emit {
    /// One field.
    Field(FieldKind),
    /// An [`Unknown`] field: anonlog has no specific rule for it.
    Unknown,
    /// `%t`: `[`, the time, `]`.
    ClfTime,
    /// A number of seconds, milliseconds or microseconds (`%{msec}t`).
    Number,
    /// `%{format}t` with a strftime format (the argument from this index).
    Strftime(usize),
    /// `%q` right after `%U`: already part of the target.
    Nothing,
}

/// Secret-looking words in header, variable and note names.
const SECRET_WORDS: &[&str] = &[
    "cookie",
    "auth",
    "token",
    "secret",
    "passw",
    "key",
    "session",
    "credential",
    "signature",
    "csrf",
    "xsrf",
];

/// The kind of a named value (header, variable, note), from `exact` names
/// (lower case) first, then from words in the name; `None` means no rule.
fn named(name: &str, exact: &[(&str, FieldKind)]) -> Option<FieldKind> {
    let lower = name.to_ascii_lowercase();
    if let Some(&(_, k)) = exact.iter().find(|(n, _)| *n == lower) {
        return Some(k);
    }
    if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        return Some(Secret);
    }
    if lower.contains("user") {
        return Some(User);
    }
    if lower.contains("forwarded-for") || lower.ends_with("-ip") || lower.ends_with("_ip") {
        return Some(ForwardedFor);
    }
    None
}

const REQUEST_HEADERS: &[(&str, FieldKind)] = &[
    ("referer", Referer),
    ("user-agent", UserAgent),
    ("x-forwarded-for", ForwardedFor),
    // The client's to write: unknown, not safe (a host name passes the
    // scrubber unchanged).
    ("host", Unknown),
    ("authorization", Secret),
    ("proxy-authorization", Secret),
];

const RESPONSE_HEADERS: &[(&str, FieldKind)] = &[
    ("set-cookie", Secret),
    // A redirect target can carry tokens in its query.
    ("location", Target),
    ("content-type", Text),
];

const SSL_VARS: &[(&str, FieldKind)] = &[("ssl_client_verify", Text)];

/// mod_ssl's connection parameters: chosen by the server from a fixed
/// list, so non-personal (listed before the name words, which would take
/// `KEYSIZE` for a key).
const SSL_CONNECTION_VARS: &[(&str, FieldKind)] = &[
    ("https", Text),
    ("ssl_protocol", Text),
    ("ssl_cipher", Text),
    ("ssl_cipher_export", Text),
    ("ssl_cipher_usekeysize", Text),
    ("ssl_cipher_algkeysize", Text),
    ("ssl_session_resumed", Text),
    ("ssl_secure_reneg", Text),
    ("ssl_compress_method", Text),
    ("ssl_tls_sni", Text),
    ("ssl_version_interface", Text),
    ("ssl_version_library", Text),
];

pub(super) fn map(d: &Directive, arg: &str, after_path: bool) -> Result<Emit, FormatError> {
    let lower = arg.to_ascii_lowercase();
    let bad_arg = |expected: &str| {
        FormatError::new(
            d.arg_at,
            format!(
                "unknown argument `{arg}` of `%{}` (expected {expected})",
                d.letter
            ),
        )
    };
    let or_unknown = |k: Option<FieldKind>| k.map_or(Emit::Unknown, Emit::Field);
    Ok(match d.letter {
        "h" | "a" => Emit::Field(Client),
        "A" | "f" | "R" | "V" => Emit::Field(Text),
        "l" => Emit::Field(Ident),
        "u" => Emit::Field(User),
        "t" => return time(d),
        "r" => Emit::Field(Request),
        "U" => Emit::Field(Target),
        "q" if after_path => Emit::Nothing,
        "q" => Emit::Field(Query),
        "m" | "H" | "k" | "X" | "L" | "D" | "^FB" => Emit::Field(Verbatim),
        "P" => match lower.as_str() {
            "" | "pid" | "tid" | "hextid" => Emit::Field(Verbatim),
            _ => return Err(bad_arg("pid, tid or hextid")),
        },
        "T" => match lower.as_str() {
            "" | "s" | "ms" | "us" => Emit::Field(Verbatim),
            _ => return Err(bad_arg("s, ms or us")),
        },
        "v" => Emit::Field(Vhost),
        "p" => match lower.as_str() {
            "" | "canonical" | "local" => Emit::Field(Port),
            "remote" => Emit::Field(Secret),
            _ => return Err(bad_arg("canonical, local or remote")),
        },
        "s" => Emit::Field(Status),
        "b" | "B" | "O" | "I" | "S" => Emit::Field(Bytes),
        "C" => Emit::Field(Secret),
        "i" | "^ti" => or_unknown(named(arg, REQUEST_HEADERS)),
        "o" | "^to" => or_unknown(named(arg, RESPONSE_HEADERS)),
        "e" | "x" if lower.starts_with("ssl_client_") => {
            Emit::Field(named(arg, SSL_VARS).unwrap_or(Secret))
        }
        "e" | "x" => or_unknown(named(arg, SSL_CONNECTION_VARS)),
        "n" => or_unknown(named(arg, &[])),
        "c" => match lower.as_str() {
            "subjectdn" | "issuerdn" => Emit::Field(Secret),
            "version" | "cipher" | "errcode" | "errstr" => Emit::Field(Text),
            _ => Emit::Unknown,
        },
        _ => unreachable!("every letter of LETTERS is mapped"),
    })
}

/// `%t` and `%{format}t`, following httpd's `log_request_time`.
fn time(d: &Directive) -> Result<Emit, FormatError> {
    let bytes: Vec<u8> = d.arg.iter().map(|&(b, _)| b).collect();
    let mut from = 0;
    for prefix in [&b"begin"[..], b"end"] {
        if let Some(rest) = bytes.strip_prefix(prefix) {
            match rest.first() {
                None => return Ok(Emit::ClfTime),
                Some(b':') => from = prefix.len() + 1,
                Some(_) => {}
            }
        }
    }
    Ok(match &bytes[from..] {
        b"" => Emit::ClfTime,
        b"sec" | b"msec" | b"usec" | b"msec_frac" | b"usec_frac" => Emit::Number,
        _ => Emit::Strftime(from),
    })
}
