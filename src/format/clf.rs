//! The NCSA/CLF family: `common`, `combined`, nginx `main` and Debian
//! Apache `vhost_combined`. Exact layouts: shared/reference/formats.md 1.1, 2.1.
//!
//! Every one is compiled from the string its server defines (one engine,
//! no hand-written parsers): the Apache formats by [`super::apache`], nginx
//! `main` by [`super::nginx`]. `combined` uses Apache's spelling, whose `%l`
//! field also accepts an identd name where nginx writes a literal `-`.

use super::Template;

/// Upstream httpd's `common` (`%h %l %u %t "%r" %>s %b`): the first seven
/// fields of combined.
pub(super) const COMMON: &str = r#"%h %l %u %t "%r" %>s %b"#;

/// Upstream httpd's `combined`: `common` followed by the quoted Referer and
/// User-Agent (nginx's `combined` has the same layout).
pub(super) const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

/// Debian's `vhost_combined` (apache2.conf).
pub(super) const VHOST_COMBINED: &str =
    r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#;

fn apache(name: &str, spec: &str) -> Template {
    super::apache::compile(name, spec)
        .expect("predefined formats compile")
        .template
}

/// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`,
/// compiled from Apache's `COMMON`.
pub fn common() -> Template {
    apache("common", COMMON)
}

/// `common` followed by `"$http_referer" "$http_user_agent"`, compiled from
/// Apache's `COMBINED`.
pub fn combined() -> Template {
    apache("combined", COMBINED)
}

/// nginx `main` (the nginx packages' and image's default): `combined`
/// followed by `"$http_x_forwarded_for"`, compiled from nginx's string.
pub fn main() -> Template {
    super::nginx::compile("main", super::nginx::MAIN)
        .expect("predefined formats compile")
        .template
}

/// Debian Apache `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`.
pub fn vhost_combined() -> Template {
    apache("vhost_combined", VHOST_COMBINED)
}
