//! nginx's variables: which names exist, and how each is anonymized.
//!
//! The table is nginx's own: the `ngx_http_variable_t` arrays of the http
//! core and every module in the nginx source tree (nginx/nginx, 2026-08),
//! the stream modules' variables (a stream `log_format` uses the same
//! syntax), and the commercial and module variables of nginx.org's
//! "Alphabetical index of variables" (`$jwt_*`, `$session_log_*`,
//! `$upstream_queue_time`, `$otel_*`, `$acme_*`, `$mqtt_preread_*`). A name
//! that is in none of them, and not in a family below, is not an nginx
//! variable: nginx itself refuses such a configuration, so it is a typo
//! (or a variable defined with `set`, `map`, `geo`, `js_set`, ..., which
//! must be declared with `--nginx-var`).
//!
//! Families take any suffix: `$http_*`, `$sent_http_*`, `$sent_trailer_*`,
//! `$upstream_http_*`, `$upstream_trailer_*` and `$proxy_protocol_tlv_*`
//! (headers, trailers and TLVs, classified by name), `$cookie_*` and
//! `$upstream_cookie_*` (secret), `$arg_*` (query), `$jwt_claim_*`,
//! `$jwt_header_*` (secret) and the third-party `$geoip2_*` (location:
//! secret).

use crate::format::FieldKind::{self, *};

/// Variables with a rule. `Unknown` here is a rule too: the value is
/// client-supplied free text (a request header nginx names itself) that
/// gets the unknown-value treatment without being reported as unruled.
pub(super) const EXACT: &[(&str, FieldKind)] = &[
    // Client addresses and ports. A client port narrows a truncated
    // address back down to one client: secret.
    ("remote_addr", Client),
    ("realip_remote_addr", Client),
    ("proxy_protocol_addr", Client),
    ("binary_remote_addr", Secret),
    ("remote_port", Secret),
    ("realip_remote_port", Secret),
    ("proxy_protocol_port", Secret),
    // Address lists, and single-address client headers (client-controlled,
    // may be `-` or junk, so not Client).
    ("http_x_forwarded_for", ForwardedFor),
    ("proxy_add_x_forwarded_for", ForwardedFor),
    ("http_x_real_ip", ForwardedFor),
    ("http_x_client_ip", ForwardedFor),
    ("http_x_cluster_client_ip", ForwardedFor),
    ("http_true_client_ip", ForwardedFor),
    ("http_cf_connecting_ip", ForwardedFor),
    // Users.
    ("remote_user", User),
    ("mqtt_preread_username", User),
    // The request.
    ("request", Request),
    ("request_uri", Target),
    ("uri", Target),
    ("document_uri", Target),
    ("fastcgi_script_name", Target),
    ("fastcgi_path_info", Target),
    ("sent_http_location", Target),
    ("args", Query),
    ("query_string", Query),
    ("http_referer", Referer),
    ("http_user_agent", UserAgent),
    ("time_local", Time),
    ("status", Status),
    ("body_bytes_sent", Bytes),
    ("bytes_sent", Bytes),
    ("request_length", Bytes),
    ("server_port", Port),
    // Secrets: credentials, bodies, sessions, client certificates,
    // tracking ids and locations.
    ("http_cookie", Secret),
    ("http_authorization", Secret),
    ("http_proxy_authorization", Secret),
    ("sent_http_set_cookie", Secret),
    ("upstream_http_set_cookie", Secret),
    ("request_body", Secret),
    ("ssl_session_id", Secret),
    ("session_log_id", Secret),
    ("session_log_binary_id", Secret),
    ("uid_got", Secret),
    ("uid_set", Secret),
    ("jwt_payload", Secret),
    ("acme_certificate", Secret),
    ("acme_certificate_key", Secret),
    ("mqtt_preread_clientid", Secret),
    ("proxy_protocol_tlv_ssl_cn", Secret),
    ("ssl_client_cert", Secret),
    ("ssl_client_raw_cert", Secret),
    ("ssl_client_escaped_cert", Secret),
    ("ssl_client_s_dn", Secret),
    ("ssl_client_i_dn", Secret),
    ("ssl_client_s_dn_legacy", Secret),
    ("ssl_client_i_dn_legacy", Secret),
    ("ssl_client_serial", Secret),
    ("ssl_client_fingerprint", Secret),
    ("ssl_client_verify", Secret),
    ("ssl_client_v_start", Secret),
    ("ssl_client_v_end", Secret),
    ("ssl_client_v_remain", Secret),
    ("ssl_client_sigalg", Secret),
    ("geoip_country_code", Secret),
    ("geoip_country_code3", Secret),
    ("geoip_country_name", Secret),
    ("geoip_org", Secret),
    ("geoip_city_continent_code", Secret),
    ("geoip_city_country_code", Secret),
    ("geoip_city_country_code3", Secret),
    ("geoip_city_country_name", Secret),
    ("geoip_region", Secret),
    ("geoip_region_name", Secret),
    ("geoip_city", Secret),
    ("geoip_postal_code", Secret),
    ("geoip_latitude", Secret),
    ("geoip_longitude", Secret),
    ("geoip_dma_code", Secret),
    ("geoip_area_code", Secret),
    // The Host header is the client's to write (nginx only refuses `/`,
    // controls and `..` in it), and `$host` falls back to it: unknown, not
    // safe. A plain host name passes the scrubber unchanged.
    ("host", Unknown),
    ("http_host", Unknown),
    // Server-side names and paths: known non-personal text.
    ("server_name", Text),
    ("ssl_server_name", Text),
    ("ssl_ech_outer_server_name", Text),
    ("ssl_preread_server_name", Text),
    ("hostname", Text),
    ("server_addr", Text),
    ("proxy_protocol_server_addr", Text),
    ("upstream_addr", Text),
    ("proxy_host", Text),
    ("document_root", Text),
    ("realpath_root", Text),
    ("request_filename", Text),
    ("request_body_file", Text),
    ("sent_http_content_type", Text),
    ("sent_http_cache_control", Text),
    // Client-supplied values nginx names itself: unknown treatment.
    ("http_via", Unknown),
    ("content_length", Unknown),
    ("content_type", Unknown),
    ("request_port", Unknown),
    ("sent_http_link", Unknown),
    ("proxy_add_via", Unknown),
    ("memcached_key", Unknown),
    ("upstream_cache_etag", Unknown),
    // Generated by nginx: numbers, times, tokens, protocol names.
    ("time_iso8601", Verbatim),
    ("msec", Verbatim),
    ("request_time", Verbatim),
    ("connection", Verbatim),
    ("connection_requests", Verbatim),
    ("connection_time", Verbatim),
    ("connections_active", Verbatim),
    ("connections_reading", Verbatim),
    ("connections_writing", Verbatim),
    ("connections_waiting", Verbatim),
    ("pid", Verbatim),
    ("pipe", Verbatim),
    ("request_method", Verbatim),
    ("server_protocol", Verbatim),
    ("scheme", Verbatim),
    ("https", Verbatim),
    ("http2", Verbatim),
    ("http3", Verbatim),
    ("is_request_port", Verbatim),
    ("proxy_protocol_server_port", Verbatim),
    ("proxy_port", Verbatim),
    ("proxy_internal_body_length", Verbatim),
    ("proxy_internal_chunked", Verbatim),
    ("request_id", Verbatim),
    ("request_completion", Verbatim),
    ("is_args", Verbatim),
    ("limit_rate", Verbatim),
    ("nginx_version", Verbatim),
    ("date_local", Verbatim),
    ("date_gmt", Verbatim),
    ("tcpinfo_rtt", Verbatim),
    ("tcpinfo_rttvar", Verbatim),
    ("tcpinfo_snd_cwnd", Verbatim),
    ("tcpinfo_rcv_space", Verbatim),
    ("gzip_ratio", Verbatim),
    ("uid_reset", Verbatim),
    ("secure_link", Verbatim),
    ("secure_link_expires", Verbatim),
    ("invalid_referer", Verbatim),
    ("slice_range", Verbatim),
    ("msie", Verbatim),
    ("modern_browser", Verbatim),
    ("ancient_browser", Verbatim),
    ("grpc_internal_trailers", Verbatim),
    ("limit_req_status", Verbatim),
    ("limit_conn_status", Verbatim),
    ("sent_http_content_length", Verbatim),
    ("sent_http_last_modified", Verbatim),
    ("sent_http_connection", Verbatim),
    ("sent_http_keep_alive", Verbatim),
    ("sent_http_transfer_encoding", Verbatim),
    ("upstream_status", Verbatim),
    ("upstream_response_time", Verbatim),
    ("upstream_connect_time", Verbatim),
    ("upstream_header_time", Verbatim),
    ("upstream_queue_time", Verbatim),
    ("upstream_first_byte_time", Verbatim),
    ("upstream_session_time", Verbatim),
    ("upstream_response_length", Verbatim),
    ("upstream_bytes_sent", Verbatim),
    ("upstream_bytes_received", Verbatim),
    ("upstream_cache_status", Verbatim),
    ("upstream_cache_last_modified", Verbatim),
    ("ssl_protocol", Verbatim),
    ("ssl_cipher", Verbatim),
    ("ssl_ciphers", Verbatim),
    ("ssl_curve", Verbatim),
    ("ssl_curves", Verbatim),
    ("ssl_sigalg", Verbatim),
    ("ssl_sigalgs", Verbatim),
    ("ssl_session_reused", Verbatim),
    ("ssl_early_data", Verbatim),
    ("ssl_alpn_protocol", Verbatim),
    ("ssl_ech_status", Verbatim),
    ("ssl_preread_protocol", Verbatim),
    ("ssl_preread_alpn_protocols", Verbatim),
    ("otel_trace_id", Verbatim),
    ("otel_span_id", Verbatim),
    ("otel_parent_id", Verbatim),
    ("otel_parent_sampled", Verbatim),
    // Stream log_format.
    ("bytes_received", Bytes),
    ("session_time", Verbatim),
    ("protocol", Verbatim),
];

/// How the members of a family are classified.
#[derive(Clone, Copy)]
pub(super) enum Family {
    /// Every member has this kind.
    All(FieldKind),
    /// Headers, trailers, TLVs: by name, else unknown.
    ByName,
}

/// Variable families: a prefix and any non-empty suffix.
pub(super) const FAMILIES: &[(&str, Family)] = &[
    ("http_", Family::ByName),
    ("sent_http_", Family::ByName),
    ("sent_trailer_", Family::ByName),
    ("upstream_http_", Family::ByName),
    ("upstream_trailer_", Family::ByName),
    ("proxy_protocol_tlv_", Family::ByName),
    ("cookie_", Family::All(Secret)),
    ("upstream_cookie_", Family::All(Secret)),
    ("arg_", Family::All(Query)),
    ("jwt_claim_", Family::All(Secret)),
    ("jwt_header_", Family::All(Secret)),
    ("geoip2_", Family::All(Secret)),
];

/// Words that make a header or custom variable a secret.
const SECRET_WORDS: &[&str] = &[
    "cookie",
    "auth",
    "token",
    "secret",
    "session",
    "passw",
    "key",
    "signature",
    "jwt",
    "csrf",
    "xsrf",
    "credential",
    "mail",
    "phone",
];

/// What anonlog makes of a variable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Var {
    /// In the table, or in a family with a fixed kind, or classified by
    /// its name.
    Rule(FieldKind),
    /// A header of a family or a `--nginx-var` that nothing classifies:
    /// [`Unknown`], and reported by `--stats`.
    NoRule,
    /// Not an nginx variable.
    Missing,
}

/// Looks `name` (lowercase) up: the table, the families, then the
/// declared custom variables (`custom`, lowercase).
pub(super) fn lookup(name: &str, custom: &[String]) -> Var {
    if let Some(&(_, kind)) = EXACT.iter().find(|(n, _)| *n == name) {
        return Var::Rule(kind);
    }
    let family = FAMILIES
        .iter()
        .find(|(p, _)| name.len() > p.len() && name.starts_with(p));
    match family {
        Some(&(_, Family::All(kind))) => Var::Rule(kind),
        Some(&(_, Family::ByName)) => by_name(name).map_or(Var::NoRule, Var::Rule),
        None if custom.iter().any(|c| c == name) => by_name(name).map_or(Var::NoRule, Var::Rule),
        None => Var::Missing,
    }
}

/// The name heuristics: secret-looking words, users, address headers.
fn by_name(name: &str) -> Option<FieldKind> {
    if SECRET_WORDS.iter().any(|w| name.contains(w)) {
        return Some(Secret);
    }
    if name.contains("user") && !name.contains("user_agent") {
        return Some(User);
    }
    if name.contains("forwarded_for") || name.ends_with("_ip") {
        return Some(ForwardedFor);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicates_and_only_name_characters() {
        for (i, (n, _)) in EXACT.iter().enumerate() {
            assert!(
                n.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
                "{n}"
            );
            assert!(!EXACT[..i].iter().any(|(m, _)| m == n), "{n} twice");
        }
    }

    #[test]
    fn families_need_a_suffix() {
        assert_eq!(lookup("http_", &[]), Var::Missing);
        assert_eq!(lookup("cookie_", &[]), Var::Missing);
        assert_eq!(lookup("cookie_a", &[]), Var::Rule(Secret));
        assert_eq!(lookup("http_x_a", &[]), Var::NoRule);
    }
}
