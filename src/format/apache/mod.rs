//! Apache httpd `LogFormat` strings (mod_log_config), compiled into
//! [`Template`]s: the one engine behind the predefined CLF formats and any
//! format copied from an Apache configuration (`--apache-format`).
//!
//! The syntax follows httpd's `parse_log_string` (shared/reference/formats.md
//! 2.1): `%[!][codes][<|>][{arg}]LETTER`, `%%`, and the `\\`, `\r`, `\n`, `\t`
//! escapes of literal text, after the configuration parser has turned `\"`
//! into `"` and `\\` into `\` inside the quoted argument.
//!
//! How directives are anonymized (see [`FieldKind`]):
//!
//! * The client (`%h`, `%a`, `%{c}a`, `%{c}h`) is truncated; `%{remote}p`,
//!   the client's source port, is a quasi-identifier that narrows a
//!   truncated address back down to one client, so it is a
//!   [`Secret`] (replaced by `-`). The server's own ports
//!   (`%p`, `%{canonical}p`, `%{local}p`) are kept.
//! * Credentials are secrets: `%{NAME}C` cookies, the `Cookie`,
//!   `Authorization`, `Proxy-Authorization` and `Set-Cookie` headers, any
//!   header, variable or note whose name mentions a cookie, authentication,
//!   a token, key, secret, password, session or signature, and mod_ssl's
//!   client-certificate data (`SSL_CLIENT_*` but `SSL_CLIENT_VERIFY`,
//!   `%{subjectdn}c`, `%{issuerdn}c`). Names mentioning a user
//!   (`%{REMOTE_USER}e`, `X-Remote-User`) are users.
//! * Purely technical values are kept byte for byte
//!   ([`Verbatim`]): method, protocol, durations, pid
//!   and tid, keep-alive count, connection status, log id, time formats.
//! * Names and paths (`%A`, `%V`, `%f`, `%R`, `Host`) and mod_ssl's
//!   connection parameters (`SSL_PROTOCOL`, `SSL_CIPHER`, ...) are
//!   [`Text`], scrubbed of IP literals; `%v` is [`Vhost`], which is
//!   anonymized the same way. Client-address headers (`X-Forwarded-For`,
//!   `X-Real-IP`, names ending in `-IP`) are [`ForwardedFor`].
//! * Every other header, environment variable, note or SSL variable is
//!   [`Unknown`] (kept only when inert, scrubbed otherwise), and listed in
//!   [`Compiled::unknown`] so `--stats` can say that no specific rule
//!   applied. The names themselves are free: `%{NAME}i` takes any header.
//! * `%U%q` (path immediately followed by query) is one
//!   [`Target`] field: the query always starts with `?`.
//! * A status condition (`%400,501{User-agent}i`) makes Apache write `-`
//!   when it does not hold. Every kind accepts `-` except the all-digit
//!   status and port, which become [`Bytes`] fields
//!   (digits or `-`, copied unchanged like status and port).
//! * `%{format}t` strftime formats are split at their own literal text into
//!   one Verbatim field per run of conversions, so `%{%Y-%m-%d %T}t` can be
//!   followed by a space. A format is refused when a conversion can write
//!   the byte that starts the text after it (`%e` pads with a space), since
//!   the end of the field could not be found.

mod directive;
mod kinds;
mod paste;
mod strftime;

use super::FieldKind::{self, *};
use super::{Piece, Template, TemplateError};
use directive::{Directive, directive};
use kinds::{Emit, map};
pub use paste::{NICKNAMES, compile_arg};
use strftime::{ByteSet, DIGITS};

/// A compiled `LogFormat` string.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The template that parses lines written with the format.
    pub template: Template,
    /// Directives given the [`Unknown`] treatment because anonlog has no
    /// specific rule for them, e.g. `%{X-Custom}i`, without duplicates, in
    /// format order (reported by `--stats`).
    pub unknown: Vec<String>,
}

pub use super::FormatError;

/// Compiles an Apache `LogFormat` string into a template named `name`.
///
/// Accepts the bare format or the format as pasted from a configuration
/// file, wrapped in double quotes with `\"` escapes inside
/// (`"%h %l %u %t \"%r\" %>s %b"`). In both, `\"` and `\\` denote `"` and
/// `\` (Apache unescapes the configuration string), and `\t`, `\n`, `\r`,
/// `\\` in literal text denote tab, newline, CR and backslash (mod_log_config
/// unescapes the format), so `\\t` is a tab, as in Apache. A string that
/// starts and ends with `"` and has no other unescaped `"` is taken as
/// pasted: a bare format `"%r"` must be written `"\"%r\""`.
///
/// A newline in the format is refused (entries would span two lines); a CR
/// at its very end is dropped, since lines are read without their CR.
pub fn compile(name: &str, spec: &str) -> Result<Compiled, FormatError> {
    let (pieces, unknown) = compile_pieces(spec)?;
    let template = Template::new(name, pieces).map_err(|e| match e {
        TemplateError::NoFields => FormatError::new(0, "the format has no directive to anonymize"),
        // The builder never produces adjacent fields or empty literals.
        other => FormatError::new(0, other.to_string()),
    })?;
    Ok(Compiled { template, unknown })
}

/// The pieces of `spec` and its unknown directives (see [`compile`]).
fn compile_pieces(spec: &str) -> Result<(Vec<Piece>, Vec<String>), FormatError> {
    compile_src(spec, &config_unescape(spec))
}

/// The pieces of the format `src`: its bytes, unquoted, with their
/// offsets in `spec` (which error messages quote).
fn compile_src(spec: &str, src: &[(u8, usize)]) -> Result<(Vec<Piece>, Vec<String>), FormatError> {
    let mut b = Builder::default();
    let mut i = 0;
    while i < src.len() {
        let (c, at) = src[i];
        if c != b'%' {
            i = b.literal_char(src, i)?;
            continue;
        }
        if src.get(i + 1).is_some_and(|&(c, _)| c == b'%') {
            b.literal(b"%", at)?;
            i += 2;
            continue;
        }
        let d = directive(spec, src, i)?;
        i = d.end;
        b.emit(&d)?;
    }
    b.finish()
}

/// `spec` without the configuration file's quoting: bytes with their
/// offsets in `spec`, `\"` and `\\` turned into `"` and `\`.
fn config_unescape(spec: &str) -> Vec<(u8, usize)> {
    let bytes = spec.as_bytes();
    let (mut start, mut end) = (0, bytes.len());
    while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let trimmed = spec.trim_ascii();
    if is_pasted(trimmed.as_bytes()) {
        start = trimmed.as_ptr() as usize - spec.as_ptr() as usize + 1;
        end = start + trimmed.len() - 2;
    }
    let mut out = Vec::with_capacity(end - start);
    let mut i = start;
    while i < end {
        if bytes[i] == b'\\' && i + 1 < end && matches!(bytes[i + 1], b'"' | b'\\') {
            out.push((bytes[i + 1], i));
            i += 2;
        } else {
            out.push((bytes[i], i));
            i += 1;
        }
    }
    out
}

/// `"…"` with no unescaped quote inside: a quoted configuration argument.
fn is_pasted(s: &[u8]) -> bool {
    if s.len() < 2 || s[0] != b'"' || s[s.len() - 1] != b'"' {
        return false;
    }
    let inner = &s[1..s.len() - 1];
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'\\' => i += 2,
            b'"' => return false,
            _ => i += 1,
        }
    }
    // `i > len` means the closing quote was escaped.
    i == inner.len()
}

/// The template under construction.
#[derive(Default)]
struct Builder {
    pieces: Vec<Piece>,
    /// Time fields: piece index, the bytes they can hold and the offset to
    /// blame, checked against the literal that follows them.
    checks: Vec<(usize, ByteSet, usize)>,
    unknown: Vec<String>,
    /// The last piece is the field of a `%U`.
    after_path: bool,
}

impl Builder {
    fn literal(&mut self, bytes: &[u8], at: usize) -> Result<(), FormatError> {
        if bytes.contains(&b'\n') {
            return Err(FormatError::new(
                at,
                "a newline in the format splits each entry over two lines; anonlog reads one entry per line",
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        self.after_path = false;
        match self.pieces.last_mut() {
            Some(Piece::Literal(l)) => l.extend_from_slice(bytes),
            _ => self.pieces.push(Piece::Literal(bytes.to_vec())),
        }
        Ok(())
    }

    /// One character of literal text at `src[i]`, with mod_log_config's
    /// escapes; returns the index after it.
    fn literal_char(&mut self, src: &[(u8, usize)], i: usize) -> Result<usize, FormatError> {
        let (c, at) = src[i];
        if c != b'\\' {
            self.literal(&[c], at)?;
            return Ok(i + 1);
        }
        let unescaped = match src.get(i + 1).map(|p| p.0) {
            Some(b'\\') => b'\\',
            Some(b'r') => b'\r',
            Some(b'n') => b'\n',
            Some(b't') => b'\t',
            // Copied verbatim; the next character is read on its own.
            _ => {
                self.literal(b"\\", at)?;
                return Ok(i + 1);
            }
        };
        self.literal(&[unescaped], at)?;
        Ok(i + 2)
    }

    fn field(&mut self, kind: FieldKind, at: usize) -> Result<(), FormatError> {
        if let Some(Piece::Field(_)) = self.pieces.last() {
            return Err(FormatError::new(
                at,
                "this directive follows another with nothing between them, so their values cannot be told apart",
            ));
        }
        self.after_path = false;
        self.pieces.push(Piece::Field(kind));
        Ok(())
    }

    fn emit(&mut self, d: &Directive) -> Result<(), FormatError> {
        let arg = d.arg_str();
        match map(d, &arg, self.after_path)? {
            Emit::Field(kind) => {
                let kind = match kind {
                    // `-` when the condition does not hold.
                    Status | Port if d.conditional => Bytes,
                    k => k,
                };
                self.field(kind, d.at)?;
                self.after_path = d.letter == "U";
            }
            Emit::Unknown => {
                self.field(Unknown, d.at)?;
                let name = format!("%{{{arg}}}{}", d.letter);
                if !self.unknown.contains(&name) {
                    self.unknown.push(name);
                }
            }
            Emit::Nothing => {}
            Emit::ClfTime if d.conditional => return Err(conditional_time(d)),
            Emit::ClfTime => {
                self.literal(b"[", d.at)?;
                self.field(Time, d.at)?;
                self.literal(b"]", d.at)?;
            }
            Emit::Number => {
                let mut set = DIGITS;
                if d.conditional {
                    set = set.or(ByteSet::of(b"-"));
                }
                self.time_field(set, d.at, d.at)?;
            }
            Emit::Strftime(from) => self.strftime(d, &d.arg[from..])?,
        }
        Ok(())
    }

    fn time_field(&mut self, set: ByteSet, at: usize, blame: usize) -> Result<(), FormatError> {
        self.field(Verbatim, at)?;
        self.checks.push((self.pieces.len() - 1, set, blame));
        Ok(())
    }

    fn finish(mut self) -> Result<(Vec<Piece>, Vec<String>), FormatError> {
        for &(i, set, blame) in &self.checks {
            if let Some(Piece::Literal(l)) = self.pieces.get(i + 1)
                && set.contains(l[0])
            {
                return Err(FormatError::new(
                    blame,
                    format!(
                        "this time conversion can write {:?}, which also starts the text after it, so the end of the time cannot be found (use zero-padded conversions such as %d or %H)",
                        char::from(l[0])
                    ),
                ));
            }
        }
        // Lines are read without their CR.
        if let Some(Piece::Literal(l)) = self.pieces.last_mut()
            && l.last() == Some(&b'\r')
        {
            l.pop();
            if l.is_empty() {
                self.pieces.pop();
            }
        }
        Ok((self.pieces, self.unknown))
    }
}

fn conditional_time(d: &Directive) -> FormatError {
    FormatError::new(
        d.at,
        "a status condition is not supported on a time with brackets or separators: Apache writes a bare `-` when it does not hold",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;
    use crate::anonymize::{Anonymizer, ReferrerMode, Rules};
    use crate::format::{Fields, Parser, Predefined};
    use crate::stats::Stats;

    fn pieces(spec: &str) -> Vec<Piece> {
        compile_pieces(spec)
            .unwrap_or_else(|e| panic!("{spec}: {e}\n{}", e.render(spec)))
            .0
    }

    fn kinds(spec: &str) -> Vec<FieldKind> {
        pieces(spec)
            .into_iter()
            .filter_map(|p| match p {
                Piece::Field(k) => Some(k),
                Piece::Literal(_) => None,
            })
            .collect()
    }

    fn lit(s: &str) -> Piece {
        Piece::Literal(s.as_bytes().to_vec())
    }

    fn f(k: FieldKind) -> Piece {
        Piece::Field(k)
    }

    #[test]
    fn directive_kinds() {
        let table: &[(&str, FieldKind)] = &[
            ("%h", Client),
            ("%a", Client),
            ("%{c}a", Client),
            ("%{c}h", Client),
            ("%A", Text),
            ("%l", Ident),
            ("%u", User),
            ("%t", Time),
            ("%{begin}t", Time),
            ("%{end:}t", Time),
            ("%{sec}t", Verbatim),
            ("%{msec}t", Verbatim),
            ("%{usec}t", Verbatim),
            ("%{msec_frac}t", Verbatim),
            ("%{end:usec_frac}t", Verbatim),
            ("%{%s}t", Verbatim),
            ("%r", Request),
            ("%U", Target),
            ("%U%q", Target),
            ("%q", Query),
            ("%m", Verbatim),
            ("%H", Verbatim),
            ("%v", Vhost),
            ("%V", Text),
            ("%R", Text),
            ("%f", Text),
            ("%L", Verbatim),
            ("%{c}L", Verbatim),
            ("%X", Verbatim),
            ("%k", Verbatim),
            ("%P", Verbatim),
            ("%{pid}P", Verbatim),
            ("%{tid}P", Verbatim),
            ("%{hextid}P", Verbatim),
            ("%p", Port),
            ("%{canonical}p", Port),
            ("%{local}p", Port),
            ("%{LOCAL}p", Port),
            ("%{remote}p", Secret),
            ("%s", Status),
            ("%>s", Status),
            ("%<s", Status),
            ("%b", Bytes),
            ("%B", Bytes),
            ("%O", Bytes),
            ("%I", Bytes),
            ("%S", Bytes),
            ("%D", Verbatim),
            ("%T", Verbatim),
            ("%{ms}T", Verbatim),
            ("%{us}T", Verbatim),
            ("%{s}T", Verbatim),
            ("%^FB", Verbatim),
            ("%{Referer}i", Referer),
            ("%{referer}i", Referer),
            ("%{User-Agent}i", UserAgent),
            ("%{User-agent}i", UserAgent),
            ("%{X-Forwarded-For}i", ForwardedFor),
            ("%{x-forwarded-for}i", ForwardedFor),
            ("%{Host}i", Unknown),
            ("%{Cookie}i", Secret),
            ("%{Authorization}i", Secret),
            ("%{Proxy-Authorization}i", Secret),
            ("%{Set-Cookie}o", Secret),
            ("%{session}C", Secret),
            ("%{X-Api-Key}i", Secret),
            ("%{X-Auth-Token}i", Secret),
            ("%{WWW-Authenticate}o", Secret),
            ("%{X-Remote-User}i", User),
            ("%{REMOTE_USER}e", User),
            ("%{HTTP_COOKIE}e", Secret),
            ("%{cookie}n", Secret),
            ("%{SSL_CLIENT_S_DN}x", Secret),
            ("%{SSL_CLIENT_CERT}e", Secret),
            ("%{SSL_CLIENT_VERIFY}x", Text),
            ("%{SSL_SESSION_ID}x", Secret),
            ("%{subjectdn}c", Secret),
            ("%{cipher}c", Text),
            ("%{SSL_PROTOCOL}x", Text),
            ("%{SSL_CIPHER_USEKEYSIZE}x", Text),
            ("%{Content-Type}o", Text),
            ("%{Location}o", Target),
            ("%{X-Real-IP}i", ForwardedFor),
            ("%{CF-Connecting-IP}i", ForwardedFor),
            ("%{X-Original-Forwarded-For}i", ForwardedFor),
            // No rule: unknown.
            ("%{X-Custom}i", Unknown),
            ("%{Accept-Language}i", Unknown),
            ("%{UNIQUE_ID}e", Unknown),
            ("%{ratio}n", Unknown),
            ("%{SSL_FOO}x", Unknown),
            ("%{Trailer-X}^ti", Unknown),
            ("%{Grpc-Status}^to", Unknown),
            ("%{weird}c", Unknown),
        ];
        for &(spec, kind) in table {
            assert_eq!(kinds(spec), vec![kind], "{spec}");
        }
    }

    #[test]
    fn unknown_directives_are_listed_once() {
        let c = compile(
            "x",
            "%{X-Custom}i %{Referer}i %{Cookie}i %{UNIQUE_ID}e %{X-Custom}i %{ratio}n %{SSL_PROTOCOL}x %{Content-Type}o %{X-Thing}o %{x}^ti %{version}c %{weird}c %{Host}i %A",
        )
        .unwrap();
        assert_eq!(
            c.unknown,
            [
                "%{X-Custom}i",
                "%{UNIQUE_ID}e",
                "%{ratio}n",
                "%{X-Thing}o",
                "%{x}^ti",
                "%{weird}c"
            ]
        );
        assert!(compile("x", "%h").unwrap().unknown.is_empty());
    }

    /// Configuration lines pasted whole compile like their format string.
    #[test]
    fn pasted_directive_lines() {
        let want = hand_built_combined();
        let combined_pieces = |arg: &str| {
            let c =
                compile_arg("x", arg).unwrap_or_else(|e| panic!("{arg}: {e}\n{}", e.render(arg)));
            (c.template, c.unknown)
        };
        let bare = compile("x", COMBINED).unwrap().template;
        let line = b"192.0.2.1 - bob [22/Nov/2026:08:41:08 +0000] \"GET /?q=1 HTTP/1.1\" 200 5 \"-\" \"ua\"";
        let parse = |t: &Template| {
            let mut f = Fields::new();
            t.parse(line, &mut f).then(|| f.spans().to_vec())
        };
        for arg in [
            r#"LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined"#,
            r#"  logformat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"""#,
            r#"LogFormat '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"' mine"#,
            r#"CustomLog "|/usr/bin/anonlog -o /var/log/apache2/access.log" "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" env=!dontlog"#,
            r#"CustomLog ${APACHE_LOG_DIR}/access.log combined"#,
            r#"CustomLog "|$/usr/bin/anonlog" Combined expr=%{REQUEST_STATUS}!=200"#,
            "LogFormat combined\n",
        ] {
            let (t, unknown) = combined_pieces(arg);
            assert!(unknown.is_empty(), "{arg}");
            assert_eq!(parse(&t), parse(&bare), "{arg}");
            assert!(parse(&t).is_some(), "{arg}");
        }
        assert_eq!(pieces(COMBINED), want);
        // The other stock nicknames.
        for (nick, spec) in NICKNAMES {
            let c = compile_arg("x", &format!("CustomLog logs/x {nick}")).unwrap();
            let plain = compile("x", spec).unwrap();
            assert_eq!(
                format!("{:?}", c.template),
                format!("{:?}", plain.template),
                "{nick}"
            );
        }
        let c = compile_arg("x", r#"LogFormat "%h \"%{X-Thing}i\"" thing"#).unwrap();
        assert_eq!(c.unknown, ["%{X-Thing}i"]);
    }

    #[test]
    fn pasted_directive_line_errors() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "CustomLog logs/access_log mine",
                26,
                "paste that line instead",
            ),
            (
                "CustomLog logs/access_log mine",
                26,
                "combined, common, vhost_combined",
            ),
            (
                "CustomLog logs/access_log",
                25,
                "CustomLog needs a file or pipe and a format",
            ),
            ("LogFormat", 9, "LogFormat needs a format"),
            (
                r#"LogFormat "%h %u" a b"#,
                20,
                "LogFormat takes a format and a nickname",
            ),
            (
                "CustomLog x combined sometimes",
                21,
                "an env= or expr= condition",
            ),
            ("CustomLog x combined env=a more", 27, "paste one line"),
            (r#"LogFormat "%h %Z" x"#, 15, "unknown directive `%Z`"),
            (r#"LogFormat '%h \'%Z' x"#, 17, "unknown directive `%Z`"),
            (r#"LogFormat "%h"#, 10, "unterminated quoted string"),
        ];
        for &(arg, offset, msg) in cases {
            let e = compile_arg("x", arg).unwrap_err();
            assert_eq!(e.offset, offset, "{arg}: {e}");
            assert!(e.message.contains(msg), "{arg}: {e}");
        }
        let arg = r#"LogFormat "%h %{X}Q" x"#;
        let e = compile_arg("x", arg).unwrap_err();
        assert_eq!(e.render(arg), format!("{arg}\n{}^", " ".repeat(18)));
    }

    #[test]
    fn modifiers() {
        let table: &[(&str, FieldKind)] = &[
            ("%400,501{User-agent}i", UserAgent),
            ("%!200,304{Referer}i", Referer),
            ("%!200,304,302{X-Custom}i", Unknown),
            ("%<u", User),
            ("%>u", User),
            ("%<>s", Status),
            ("%!s", Status),
            // Apache writes `-` when the condition fails: digits or `-`.
            ("%200s", Bytes),
            ("%!404>s", Bytes),
            ("%500p", Bytes),
            ("%400,501{remote}p", Secret),
            ("%404b", Bytes),
            ("%200h", Client),
            ("%!200r", Request),
            ("%200{Cookie}i", Secret),
            ("%200{msec}t", Verbatim),
            ("%200{%s}t", Verbatim),
            ("%{User-agent}400i", UserAgent),
        ];
        for &(spec, kind) in table {
            assert_eq!(kinds(spec), vec![kind], "{spec}");
        }
    }

    #[test]
    fn literals_and_escapes() {
        let cases: &[(&str, Vec<Piece>)] = &[
            ("%h %%%u", vec![f(Client), lit(" %"), f(User)]),
            ("%h\\t%u\\n", vec![]),
            ("%h\\t%u", vec![f(Client), lit("\t"), f(User)]),
            ("%h\\\\%u", vec![f(Client), lit("\\"), f(User)]),
            // `\\\\` in a config string is `\\` for mod_log_config: one `\`.
            ("%h\\\\\\\\%u", vec![f(Client), lit("\\"), f(User)]),
            ("%h\\x%u", vec![f(Client), lit("\\x"), f(User)]),
            ("%h \\%u", vec![f(Client), lit(" \\"), f(User)]),
            ("%h\\r", vec![f(Client)]),
            ("%h\\r%u", vec![f(Client), lit("\r"), f(User)]),
            (
                "\u{e9}%h\u{e9}",
                vec![lit("\u{e9}"), f(Client), lit("\u{e9}")],
            ),
            (
                "%h \\\"%r\\\"",
                vec![f(Client), lit(" \""), f(Request), lit("\"")],
            ),
            (
                "%h %t %u",
                vec![f(Client), lit(" ["), f(Time), lit("] "), f(User)],
            ),
            ("%h%t", vec![f(Client), lit("["), f(Time), lit("]")]),
            (
                "%{Referer}i -> %U",
                vec![f(Referer), lit(" -> "), f(Target)],
            ),
            ("%h\n", vec![f(Client)]),
            ("%h\r\n", vec![f(Client)]),
        ];
        for (spec, want) in cases {
            if want.is_empty() {
                let e = compile_pieces(spec).unwrap_err();
                assert!(e.message.contains("newline"), "{spec}: {e}");
                continue;
            }
            assert_eq!(&pieces(spec), want, "{spec:?}");
        }
    }

    const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;
    const COMBINED_PASTED: &str =
        r#""%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"""#;
    const COMBINED_DEBIAN: &str =
        r#""%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-agent}i\"""#;

    /// The hand-written layout the predefined formats had before they were
    /// compiled: the compiler must produce it piece for piece.
    fn hand_built_combined() -> Vec<Piece> {
        vec![
            f(Client),
            lit(" "),
            f(Ident),
            lit(" "),
            f(User),
            lit(" ["),
            f(Time),
            lit("] \""),
            f(Request),
            lit("\" "),
            f(Status),
            lit(" "),
            f(Bytes),
            lit(" \""),
            f(Referer),
            lit("\" \""),
            f(UserAgent),
            lit("\""),
        ]
    }

    #[test]
    fn pasted_form_equals_bare_form() {
        let want = hand_built_combined();
        for spec in [
            COMBINED,
            COMBINED_PASTED,
            COMBINED_DEBIAN,
            "  \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\"\n",
            // Bare, with the config escapes still in (copied from between the quotes).
            r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#,
        ] {
            assert_eq!(pieces(spec), want, "{spec}");
        }
        assert_eq!(
            pieces(r#""%h \t %u""#),
            vec![f(Client), lit(" \t "), f(User)]
        );
        assert_eq!(
            pieces(r#""%h \\t %u""#),
            vec![f(Client), lit(" \t "), f(User)]
        );
        // Inner unescaped quotes: bare, and the outer quotes are literals.
        assert_eq!(
            pieces(r#""%r" "%{User-Agent}i""#),
            vec![lit("\""), f(Request), lit("\" \""), f(UserAgent), lit("\"")]
        );
        // The closing quote is escaped: not a quoted argument.
        assert_eq!(pieces(r#""%r\""#), vec![lit("\""), f(Request), lit("\"")]);
    }

    #[test]
    fn predefined_formats_are_compiled() {
        let mut vhost = vec![f(Vhost), lit(":"), f(Port), lit(" ")];
        vhost.extend(hand_built_combined());
        assert_eq!(pieces(super::super::clf::VHOST_COMBINED), vhost);
        assert_eq!(pieces(super::super::clf::COMBINED), hand_built_combined());
        assert_eq!(
            pieces(super::super::clf::COMMON),
            hand_built_combined()[..13].to_vec()
        );
        for p in [
            Predefined::Common,
            Predefined::Combined,
            Predefined::VhostCombined,
        ] {
            assert_eq!(p.template().name(), p.name());
        }
    }

    #[test]
    fn errors_with_offsets() {
        let table: &[(&str, usize, &str)] = &[
            ("%h %z", 4, "unknown directive `%z`"),
            ("%h %{X}Q", 7, "unknown directive `%Q`"),
            ("%h %\u{e9}", 4, "unknown directive `%\u{e9}`"),
            ("%h %^xy", 4, "unknown directive `%^xy`"),
            ("%h %^t", 4, "unknown directive `%^t`"),
            ("%h%l", 2, "nothing between them"),
            ("%h %u%>s", 5, "nothing between them"),
            ("%{Referer}i%{User-Agent}i", 11, "nothing between them"),
            ("%q%U", 2, "nothing between them"),
            ("%h%{sec}t", 2, "nothing between them"),
            ("%h %{Referer", 3, "unterminated `%{`"),
            ("%h %400{", 3, "unterminated `%{`"),
            ("%h %", 3, "without a directive letter"),
            ("%h %400", 3, "without a directive letter"),
            ("%h %{bogus}p", 5, "unknown argument `bogus` of `%p`"),
            ("%h %{min}T", 5, "unknown argument `min` of `%T`"),
            ("%h %{x}P", 5, "unknown argument `x` of `%P`"),
            ("%h\\n%u", 2, "newline"),
            ("%h %{%Y%n}t", 7, "newline"),
            ("literal only", 0, "no directive"),
            ("", 0, "no directive"),
            ("%%", 0, "no directive"),
            ("%{abc}t", 0, "no directive"),
            // Pasted: offsets count the opening quote.
            (r#""%h %l%u""#, 6, "nothing between them"),
            (r#""%h \"%Z\"""#, 7, "unknown directive `%Z`"),
            // Time formats whose end cannot be found.
            ("%{%b %e}t %h", 5, "can write ' '"),
            ("%{%c}t %h", 2, "can write ' '"),
            ("%{%_H}t %h", 2, "can write ' '"),
            ("%{%Y}t%{%m}t", 6, "nothing between them"),
            ("%{%d/%Q}t", 6, "unknown strftime conversion `%Q`"),
            ("%{sec}t1 %h", 0, "can write '1'"),
            ("%400t %h", 0, "status condition"),
            ("%400{%d/%b}t %h", 0, "status condition"),
        ];
        for &(spec, offset, message) in table {
            let e = compile("x", spec)
                .err()
                .unwrap_or_else(|| panic!("{spec} compiled"));
            assert_eq!(e.offset, offset, "{spec}: {e}");
            assert!(e.message.contains(message), "{spec}: {e}");
            assert_eq!(e.to_string(), format!("at byte {offset}: {}", e.message));
        }
    }

    #[test]
    fn caret_points_at_the_offense() {
        let spec = "%h %l %u %t \"%r\" %>s %b%D";
        let e = compile("x", spec).unwrap_err();
        assert_eq!(e.offset, 23);
        assert_eq!(e.render(spec), format!("{spec}\n{}^", " ".repeat(23)));
        let spec = "\u{e9}\t%z";
        let e = compile("x", spec).unwrap_err();
        assert_eq!(e.render(spec), "\u{e9} %z\n   ^");
        let e = FormatError::new(99, "x");
        assert_eq!(e.render("%h"), "%h\n  ^");
    }

    fn parse<'a>(spec: &str, line: &'a [u8]) -> Option<Vec<(FieldKind, &'a [u8])>> {
        let t = compile("x", spec).unwrap().template;
        let mut fields = Fields::new();
        t.parse(line, &mut fields).then(|| {
            fields
                .spans()
                .iter()
                .map(|s| (s.kind, &line[s.start..s.end]))
                .collect()
        })
    }

    #[test]
    fn time_formats_parse() {
        let f = parse(
            "%{%Y-%m-%d %H:%M:%S}t.%{msec_frac}t %h %{%z}t [%{%d/%b/%Y:%T %z}t] %>s",
            b"2026-11-22 08:38:17.123 192.0.2.1 +0000 [22/Nov/2026:08:38:17 +0000] 200",
        )
        .unwrap();
        let values: Vec<&[u8]> = f.iter().map(|x| x.1).collect();
        assert_eq!(
            values,
            [
                &b"2026"[..],
                b"11",
                b"22",
                b"08",
                b"38",
                b"17",
                b"123",
                b"192.0.2.1",
                b"+0000",
                b"22",
                b"Nov",
                b"2026",
                b"08:38:17",
                b"+0000",
                b"200"
            ]
        );
        assert_eq!(f[7].0, Client);
        // `%e` is fine when its padding cannot be confused with what follows.
        let f = parse("[%{%e/%b}t] %h", b"[ 2/Nov] 192.0.2.1").unwrap();
        assert_eq!(f[0], (Verbatim, &b" 2"[..]));
        // Literal-only time text and `%%`.
        let f = parse("%{at %H%%}t %h", b"at 08% 192.0.2.1").unwrap();
        assert_eq!(f[0], (Verbatim, &b"08"[..]));
        assert!(parse("%{%s}t %h", b"1700000000 192.0.2.1").is_some());
        assert!(
            parse("%{%s}t %h", b"x 192.0.2.1").is_some(),
            "Verbatim is unchecked"
        );
    }

    #[test]
    fn conditional_fields_accept_dash() {
        let spec = r#"%h %400,501s %!200p %404{User-agent}i "%!200{Referer}i""#;
        let f = parse(spec, br#"192.0.2.1 - - - "-""#).unwrap();
        assert_eq!(f[1], (Bytes, &b"-"[..]));
        assert_eq!(f[2], (Bytes, &b"-"[..]));
        assert!(parse(spec, br#"192.0.2.1 400 443 curl "https://r.example/""#).is_some());
    }

    fn rules(parser: Template, referrer: ReferrerMode, keep: bool) -> Rules {
        Rules {
            keep_query: keep,
            referrer,
            keep_user: keep,
            ..Rules::new(Parser::Template(parser))
        }
    }

    fn anonymize(rules: &Rules, input: &[u8]) -> (Vec<u8>, Stats) {
        let mut a = Anonymizer::new(rules, Truncate::new(24, 48).unwrap());
        let mut out = Vec::new();
        let mut stats = Stats::default();
        a.process_block(input, &mut out, &mut stats).unwrap();
        (out, stats)
    }

    const SAMPLE: &[u8] = include_bytes!("../../../samples/access.log");

    #[test]
    fn compiled_combined_matches_predefined() {
        let lines = SAMPLE
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
        for spec in [COMBINED, COMBINED_PASTED, COMBINED_DEBIAN] {
            for (referrer, keep) in [
                (ReferrerMode::Remove, false),
                (ReferrerMode::Origin, true),
                (ReferrerMode::Keep, false),
            ] {
                let compiled = compile("x", spec).unwrap();
                assert!(compiled.unknown.is_empty());
                let (want, want_stats) = anonymize(
                    &rules(Predefined::Combined.template(), referrer, keep),
                    SAMPLE,
                );
                let (got, got_stats) = anonymize(&rules(compiled.template, referrer, keep), SAMPLE);
                assert_eq!(got, want, "{spec} {referrer:?}");
                assert_eq!(got_stats, want_stats);
                assert_eq!(got_stats.parsed, lines);
                assert_eq!(got_stats.scrubbed, 0);
            }
        }
    }

    #[test]
    fn custom_format_end_to_end() {
        let spec = r#""%v %h %{remote}p %l %u [%{%d/%b/%Y:%T %z}t] \"%m %U%q %H\" %>s %B %D \"%{Cookie}i\" \"%{X-Custom}i\" \"%{X-Forwarded-For}i\" %{hextid}P""#;
        let c = compile("custom", spec).unwrap();
        assert_eq!(c.unknown, ["%{X-Custom}i"]);
        let r = rules(c.template, ReferrerMode::Remove, false);
        let line = br#"www.example.com 2001:db8:abcd:12::1 51234 - bob [22/Nov/2026:08:38:17 +0000] "GET /a;jsessionid=S1/b?email=a%40b.example HTTP/1.1" 200 512 1234 "sid=abc; t=1" "node 198.51.100.7" "203.0.113.9, 192.0.2.44" 7f3a"#;
        let (out, stats) = anonymize(&r, line);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"www.example.com 2001:db8:abcd:: - - - [22/Nov/2026:08:38:17 +0000] "GET /a/b HTTP/1.1" 200 512 1234 "-" "node 198.51.100.0" "203.0.113.0, 192.0.2.0" 7f3a"#
        );
        assert_eq!(stats.parsed, 1);
        // The port, the cookie and the session id.
        assert_eq!(stats.secrets, 3);
        assert_eq!(stats.queries, 1);
        assert_eq!(stats.users, 1);
    }
}
