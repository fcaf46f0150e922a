//! Log formats: turning one line into field spans.
//!
//! A format is a [`Template`]: a fixed sequence of literal separators and
//! typed fields. Parsing a line yields [`Fields`], byte ranges into the line
//! itself, so no field is ever copied or allocated (the rust-csv
//! `ByteRecord` idea). The template engine is shared by every format; the
//! predefined formats live one per file and only declare their template.
//! JSON lines ([`json`]) and the servers' error logs ([`errorlog`]) have
//! scanners of their own behind the same [`Parser`] interface, and
//! [`detect`] picks a format for `-f auto`.

pub mod apache;
mod clf;
pub mod columns;
pub mod detect;
pub mod errorlog;
mod fields;
pub mod json;
pub mod nginx;
pub mod syslog;
mod template;
pub mod time;

pub use clf::{combined, common, main, vhost_combined};
pub use fields::{Fields, Span};
pub use template::{Piece, Template, TemplateError};

/// A format definition (nginx `log_format`, Apache `LogFormat`) that cannot
/// be compiled, with the byte offset of the offending spot.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {message}")]
pub struct FormatError {
    /// Byte offset into the string given to the compiler.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl FormatError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        FormatError {
            offset,
            message: message.into(),
        }
    }

    /// The line of `spec` holding the error and, below it, a `^` under the
    /// offending character (two lines, no trailing newline). Control
    /// characters are shown as spaces so the caret lines up.
    pub fn render(&self, spec: &str) -> String {
        let mut off = self.offset.min(spec.len());
        while !spec.is_char_boundary(off) {
            off -= 1;
        }
        let start = spec[..off].rfind('\n').map_or(0, |i| i + 1);
        let end = spec[off..].find('\n').map_or(spec.len(), |i| off + i);
        let shown: String = spec[start..end]
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let col = spec[start..off].chars().count();
        format!("{shown}\n{}^", " ".repeat(col))
    }
}

/// Any line format anonlog reads: the one interface the anonymizer uses.
///
/// Every parser reports the fields to rewrite as ascending,
/// non-overlapping [`Span`]s of the line; the bytes between spans are
/// copied verbatim, so a parser must cover with a span (of kind
/// [`FieldKind::Text`] at least) every byte that could hold personal data.
#[derive(Clone, Debug)]
pub enum Parser {
    /// A template of literals and fields (CLF family, compiled nginx
    /// `log_format` and Apache `LogFormat` strings).
    Template(Template),
    /// One JSON object per line (nginx `escape=json` recipes, Caddy,
    /// Traefik), with key rules.
    Json(json::JsonFormat),
    /// The nginx error log.
    NginxError,
    /// The Apache httpd error log (2.4 and 2.2 default layouts).
    ApacheError,
    /// anonip's columns or regex groups ([`columns`]).
    Columns(Box<columns::Columns>),
}

impl Parser {
    /// The format's name, for diagnostics and `--stats`.
    pub fn name(&self) -> &str {
        match self {
            Parser::Template(t) => t.name(),
            Parser::Json(_) => "json",
            Parser::NginxError => "nginx-error",
            Parser::ApacheError => "apache-error",
            Parser::Columns(_) => "columns",
        }
    }

    /// Parses `line` (without terminator) into `fields`; `false` means the
    /// line is not of this format and must go through the fail-closed path.
    #[inline]
    pub fn parse(&self, line: &[u8], fields: &mut Fields) -> bool {
        match self {
            Parser::Template(t) => t.parse(line, fields),
            Parser::Json(j) => j.parse(line, fields),
            Parser::NginxError => errorlog::parse_nginx_error(line, fields),
            Parser::ApacheError => errorlog::parse_apache_error(line, fields),
            Parser::Columns(c) => c.parse(line, fields),
        }
    }
}

/// What a field holds, which decides how it is anonymized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// The client address (`$remote_addr`, `%h`, `%a`): IP, `ip:port`,
    /// `[v6]:port`, or a non-address such as a host name or `-`. Written
    /// as the bare rewritten address: a port and brackets are removed.
    Client,
    /// The `:port` after a client address, when the parser had to split it
    /// off itself because the two cannot be told apart later (Apache 2.4
    /// error logs write `2001:db8::1:51234`, without brackets): removed,
    /// separator included, as a [`FieldKind::Client`] field's port is.
    ClientPort,
    /// The identd logname (`%l`); personal whenever it is not `-`.
    Ident,
    /// The authenticated or merely claimed user (`$remote_user`, `%u`).
    User,
    /// The request time in CLF brackets (`$time_local`, `%t`), without the brackets.
    Time,
    /// The request line `METHOD target PROTO` (`$request`, `%r`).
    Request,
    /// The response status (`$status`, `%>s`).
    Status,
    /// A byte count (`$body_bytes_sent`, `%b`, `%O`): digits or `-`.
    Bytes,
    /// The Referer header.
    Referer,
    /// The User-Agent header: IP literals rewritten, product versions
    /// (`Chrome/120.0.0.0`) kept ([`crate::anonymize::ua`]).
    UserAgent,
    /// An X-Forwarded-For list of addresses.
    ForwardedFor,
    /// The virtual host name (`%v`).
    Vhost,
    /// A server port (`%p`): digits.
    Port,
    /// A request target or URI that may carry a query (`$request_uri`,
    /// `$uri` after rewrites, a URL): the query and `;jsessionid=` are cut,
    /// IP literals truncated.
    Target,
    /// A query string on its own (`$args`, `$query_string`, `$arg_NAME`,
    /// Apache `%q`): removed.
    Query,
    /// A value that is personal or secret and has no anonymized form
    /// (cookies, credentials, client certificates): replaced by `-`.
    Secret,
    /// Text known to be non-personal that is kept but scrubbed of IP
    /// literals (server and host names, paths, protocol parameters);
    /// anything without a rule is [`FieldKind::Unknown`] instead.
    Text,
    /// A value that cannot hold personal data (numbers, times, status,
    /// sizes, durations): kept byte for byte.
    Verbatim,
    /// A JSON number under a key that names personal data (a client port,
    /// a user id, an address as an integer): replaced by `null`, which
    /// keeps the line valid JSON where `-` would not.
    SecretScalar,
    /// An address the parser found and checked (anonip's columns and
    /// regex groups): only the address text, brackets, port and zone
    /// outside it or cut off. Rewritten by the run's rewriter and written
    /// as anonip writes it
    /// ([`write_addr_python`](crate::addr::write_addr_python)); text that
    /// is no address after all is scrubbed.
    Address,
    /// A field that holds no address, replaced whole by the run's
    /// replacement text (anonip's `--replace`).
    Replace,
    /// A value anonlog does not understand (trailing fields after a known
    /// format, variables and JSON keys without a rule, error-log message
    /// text). Unknown is not safe: it is kept as is only when its shape
    /// shows it holds nothing personal (a number, a duration, a status, a
    /// list of those, `-`); a list of addresses is truncated entry by
    /// entry; anything else gets the unparsed-line treatment
    /// ([`crate::anonymize::scrub::scrub_field`]).
    Unknown,
}

/// The predefined formats selectable with `-f/--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predefined {
    /// nginx/Apache combined.
    Combined,
    /// NCSA common: the first seven fields of combined.
    Common,
    /// nginx `main`: combined plus a quoted X-Forwarded-For field.
    Main,
    /// Debian Apache `vhost_combined`: `%v:%p` before combined.
    VhostCombined,
}

impl Predefined {
    /// Builds the template for this format, which accepts trailing fields
    /// after the stock ones ([`Template::with_trailing_fields`]): what most
    /// real configurations write.
    pub fn template(self) -> Template {
        match self {
            Predefined::Combined => combined(),
            Predefined::Common => common(),
            Predefined::Main => main(),
            Predefined::VhostCombined => vhost_combined(),
        }
        .with_trailing_fields()
    }

    /// Every predefined format, in the order `-f auto` prefers them: a
    /// format comes before any other that also accepts its lines (`main`
    /// lines are `combined` lines with a trailing field, `combined` lines
    /// are `common` lines with two).
    pub const ALL: [Predefined; 4] = [
        Predefined::Main,
        Predefined::VhostCombined,
        Predefined::Combined,
        Predefined::Common,
    ];

    /// The name used on the command line and in diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            Predefined::Combined => "combined",
            Predefined::Common => "common",
            Predefined::Main => "main",
            Predefined::VhostCombined => "vhost_combined",
        }
    }
}
