//! The key rules: those `--json-key` accepts, and the defaults.

use super::FieldKind::{self, *};

/// The rules `--json-key KEY=RULE` accepts, with the kind each selects.
pub const RULES: &[(&str, FieldKind)] = &[
    ("addr", Client),
    ("xff", ForwardedFor),
    ("user", User),
    ("request", Request),
    ("uri", Target),
    ("query", Query),
    ("referrer", Referer),
    ("secret", Secret),
    ("time", Time),
    ("text", Text),
    ("keep", Verbatim),
];

/// The default key rules: common nginx JSON recipes (nginx variable names,
/// Matomo's keys), Caddy and Traefik.
///
/// All are bare keys, which match as the last key of any path: Caddy's
/// `request.remote_ip`, `request.client_ip`, `request.uri` and
/// `request.headers.{X-Forwarded-For,Referer,Cookie,Authorization,User-Agent}`
/// are covered by `remote_ip`, `client_ip`, `uri`, `X-Forwarded-For`,
/// `referer`, `cookie`, `Authorization` and `User-Agent` (and parsing skips
/// full-path comparisons while no rule has a dot).
pub(super) const DEFAULTS: &[(&str, FieldKind)] = &[
    // Client ports narrow a truncated address back down to one client, as
    // `$remote_port` and `%{remote}p` do in the compiled formats.
    ("remote_port", Secret),
    ("ClientPort", Secret),
    // Server-side, and a list of `ip:port` with ` : ` separators that the
    // address family would cut (nginx's `$upstream_addr` is Text too).
    ("upstream_addr", Text),
    // Client addresses.
    ("remote_addr", Client),
    ("client_ip", Client),
    ("clientip", Client),
    ("ip", Client),
    ("remote_ip", Client),
    ("realip_remote_addr", Client),
    ("ClientHost", Client),
    ("ClientAddr", Client),
    ("X-Real-IP", Client),
    // Address lists.
    ("http_x_forwarded_for", ForwardedFor),
    ("x_forwarded_for", ForwardedFor),
    ("proxy_add_x_forwarded_for", ForwardedFor),
    ("xff", ForwardedFor),
    ("X-Forwarded-For", ForwardedFor),
    ("request_X-Forwarded-For", ForwardedFor),
    // Users.
    ("remote_user", User),
    ("user_id", User),
    ("user", User),
    ("ClientUsername", User),
    // Request lines and targets.
    ("request", Request),
    ("request_uri", Target),
    ("uri", Target),
    ("path", Target),
    ("document_uri", Target),
    ("RequestPath", Target),
    // Query strings.
    ("args", Query),
    ("query_string", Query),
    // Referrers.
    ("http_referer", Referer),
    ("http_referrer", Referer),
    ("referer", Referer),
    ("referrer", Referer),
    ("request_Referer", Referer),
    // Secrets.
    ("http_cookie", Secret),
    ("cookie", Secret),
    ("Set-Cookie", Secret),
    ("request_Cookie", Secret),
    ("http_authorization", Secret),
    ("Authorization", Secret),
    ("Proxy-Authorization", Secret),
    ("request_Authorization", Secret),
    ("ssl_client_s_dn", Secret),
    ("ssl_client_cert", Secret),
    ("ssl_client_raw_cert", Secret),
    ("ssl_client_escaped_cert", Secret),
    // Times: read for key rotation and rounded by --time-resolution;
    // a value that is no time is still treated as one without a rule.
    ("time", Time),
    ("time_local", Time),
    ("time_iso8601", Time),
    ("timestamp", Time),
    ("@timestamp", Time),
    ("date", Time),
    ("ts", Time),
    // User agents.
    ("http_user_agent", UserAgent),
    ("user_agent", UserAgent),
    ("User-Agent", UserAgent),
    ("request_User-Agent", UserAgent),
];
