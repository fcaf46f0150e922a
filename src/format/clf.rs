//! The NCSA/CLF family: `common`, `combined`, nginx `main` and Debian
//! Apache `vhost_combined`. Exact layouts: shared/reference/formats.md 1.1, 2.1.

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

/// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`
pub fn common() -> Template {
    build("common", clf_head())
}

/// `common` followed by `"$http_referer" "$http_user_agent"`.
pub fn combined() -> Template {
    let mut p = clf_head();
    p.extend(referer_and_agent());
    build("combined", p)
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
    let mut p = vec![Piece::Field(Vhost), lit(":"), Piece::Field(Port), lit(" ")];
    p.extend(clf_head());
    p.extend(referer_and_agent());
    build("vhost_combined", p)
}
