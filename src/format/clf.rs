//! The NCSA/CLF family: `common`, `combined`, nginx `main` and Debian
//! Apache `vhost_combined`. Exact layouts: shared/reference/formats.md 1.1, 2.1.
//!
//! The Apache formats are compiled from their `LogFormat` strings by
//! [`super::apache`]; nginx `main` is built by hand until the nginx
//! `log_format` compiler exists.

use super::FieldKind::*;
use super::{Piece, Template};

fn build(name: &str, pieces: Vec<Piece>) -> Template {
    Template::new(name, pieces).expect("predefined templates are well formed")
}

fn lit(s: &str) -> Piece {
    Piece::Literal(s.as_bytes().to_vec())
}

/// `%h %l %u [%t] "%r" %>s %b` (the part every CLF format shares).
fn clf_head() -> Vec<Piece> {
    vec![
        Piece::Field(Client),
        lit(" "),
        Piece::Field(Ident),
        lit(" "),
        Piece::Field(User),
        lit(" ["),
        Piece::Field(Time),
        lit("] \""),
        Piece::Field(Request),
        lit("\" "),
        Piece::Field(Status),
        lit(" "),
        Piece::Field(Bytes),
    ]
}

fn referer_and_agent() -> Vec<Piece> {
    vec![
        lit(" \""),
        Piece::Field(Referer),
        lit("\" \""),
        Piece::Field(UserAgent),
        lit("\""),
    ]
}

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

/// nginx `main`: `combined` followed by `"$http_x_forwarded_for"`.
pub fn main() -> Template {
    let mut p = clf_head();
    p.extend(referer_and_agent());
    p.extend([lit(" \""), Piece::Field(ForwardedFor), lit("\"")]);
    build("main", p)
}

/// Debian Apache `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`.
pub fn vhost_combined() -> Template {
    apache("vhost_combined", VHOST_COMBINED)
}
