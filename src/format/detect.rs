//! `-f auto`: picks the format that parses most of an input's first lines.

use super::json::JsonFormat;
use super::{Fields, Parser, combined, common, main, vhost_combined};

/// The formats `-f auto` chooses from, in order of preference on ties:
/// `main`, `vhost_combined`, `combined`, `common`, `json` (default key
/// rules), `nginx-error`, `apache-error`.
///
/// A format must come before any other that also accepts its lines.
/// `vhost_combined` precedes `combined` because a `vhost_combined` line also
/// parses as `combined` (the `%v:%p` prefix reads as the client and the
/// client as the identd name, the user field absorbing `- -`), while a
/// `combined` line never parses as `vhost_combined` (its first `:` is inside
/// the time, and what follows is not a port). `main` and `combined` lines
/// only parse as their own format, and neither does `common`.
pub fn builtin_candidates() -> Vec<Parser> {
    vec![
        Parser::Template(main()),
        Parser::Template(vhost_combined()),
        Parser::Template(combined()),
        Parser::Template(common()),
        Parser::Json(JsonFormat::new()),
        Parser::NginxError,
        Parser::ApacheError,
    ]
}

/// The index of the candidate that parses the most of `lines` (the first
/// lines of an input, e.g. 100), or `None` if none parses any. On a tie the
/// earlier candidate wins.
///
/// A line may still carry its terminator (`\n`, `\r\n`): it is removed
/// before parsing, as the anonymizer does. Empty lines count for no one.
pub fn detect(lines: &[&[u8]], candidates: &[Parser]) -> Option<usize> {
    let mut fields = Fields::new();
    let mut best: Option<(usize, usize)> = None;
    for (i, parser) in candidates.iter().enumerate() {
        let parsed = lines
            .iter()
            .map(|l| trim_terminator(l))
            .filter(|l| !l.is_empty() && parser.parse(l, &mut fields))
            .count();
        if parsed > 0 && best.is_none_or(|(_, n)| parsed > n) {
            best = Some((i, parsed));
        }
    }
    best.map(|(i, _)| i)
}

fn trim_terminator(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &str = "198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /p?q=1 HTTP/1.1\" 200 3 \"https://r.example/\" \"Mozilla/5.0\"";
    const COMBINED_V6: &str = "2001:db8::1 - bob [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 404 - \"-\" \"curl/8.0\"";
    const COMMON: &str = "192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET /x HTTP/1.0\" 404 0";
    const MAIN: &str = "192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\" \"203.0.113.1, 198.51.100.2\"";
    const VHOST: &str = "www.example.com:443 192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\"";
    const JSON: &str = r#"{"time":"2026-11-22T08:38:17+00:00","remote_addr":"198.51.100.7","request":"GET / HTTP/1.1","status":200}"#;
    const CADDY: &str = r#"{"level":"info","ts":1761019828.6,"logger":"http.log.access","request":{"remote_ip":"192.0.2.1","uri":"/"},"status":200}"#;
    const NGINX_ERR: &str = "2026/11/22 08:39:58 [error] 1234#1234: *5 open() \"/x\" failed (2: No such file), client: 198.51.100.7, server: x, request: \"GET / HTTP/1.1\"";
    const NGINX_ERR2: &str = "2026/11/22 08:40:01 [notice] 1#1: signal process started";
    const APACHE_ERR: &str = "[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 14703:tid 14752] [client 198.51.100.7:38498] AH00128: File does not exist: /x";
    const APACHE22_ERR: &str =
        "[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.7] Directory index forbidden";

    fn pick(lines: &[&str]) -> Option<String> {
        let candidates = builtin_candidates();
        let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        detect(&lines, &candidates).map(|i| candidates[i].name().to_owned())
    }

    #[test]
    fn builtin_order_and_names() {
        let names: Vec<String> = builtin_candidates()
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "main",
                "vhost_combined",
                "combined",
                "common",
                "json",
                "nginx-error",
                "apache-error"
            ]
        );
    }

    #[test]
    fn detects_each_format() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&[COMBINED, COMBINED_V6], Some("combined")),
            (&[COMMON], Some("common")),
            (&[MAIN, MAIN], Some("main")),
            (&[VHOST], Some("vhost_combined")),
            (&[JSON, CADDY], Some("json")),
            (&[NGINX_ERR, NGINX_ERR2], Some("nginx-error")),
            (&[APACHE_ERR, APACHE22_ERR], Some("apache-error")),
            // The majority wins; garbage and empty lines count for no one.
            (
                &[COMMON, COMBINED, COMBINED, "garbage", ""],
                Some("combined"),
            ),
            (&[JSON, NGINX_ERR, NGINX_ERR2], Some("nginx-error")),
            // Tie: the earlier candidate.
            (&[COMMON, COMBINED], Some("combined")),
            (&["garbage", "", "caddy  | {}"], None),
            (&[], None),
        ];
        for (lines, want) in cases {
            assert_eq!(pick(lines).as_deref(), *want, "{lines:?}");
        }
    }

    #[test]
    fn terminators_are_ignored() {
        let c = builtin_candidates();
        let crlf = format!("{JSON}\r\n");
        let lf = format!("{APACHE_ERR}\n");
        assert_eq!(detect(&[crlf.as_bytes()], &c), Some(4));
        assert_eq!(detect(&[lf.as_bytes()], &c), Some(6));
    }

    #[test]
    fn each_sample_parses_only_as_its_own_format() {
        let c = builtin_candidates();
        let own = [
            (MAIN, "main"),
            (COMBINED, "combined"),
            (COMBINED_V6, "combined"),
            (COMMON, "common"),
            (JSON, "json"),
            (CADDY, "json"),
            (NGINX_ERR, "nginx-error"),
            (APACHE_ERR, "apache-error"),
            (APACHE22_ERR, "apache-error"),
        ];
        let mut f = Fields::new();
        for (line, name) in own {
            let accepted: Vec<&str> = c
                .iter()
                .filter(|p| p.parse(line.as_bytes(), &mut f))
                .map(|p| p.name())
                .collect();
            assert_eq!(accepted, [name], "{line}");
        }
        // The reason vhost_combined comes before combined.
        let accepted: Vec<&str> = c
            .iter()
            .filter(|p| p.parse(VHOST.as_bytes(), &mut f))
            .map(|p| p.name())
            .collect();
        assert_eq!(accepted, ["vhost_combined", "combined"]);
    }

    #[test]
    fn corpus_samples() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/");
        let cases = [
            // Mixed common, combined and main lines: combined has most.
            ("elastic-beats/apache-test.log", Some("combined")),
            ("elastic-beats/nginx-test.log", Some("combined")),
            ("lnav/logfile_access_log.1", Some("combined")),
            ("lnav/logfile_bad_access_log.0", Some("combined")),
            // IIS, HAProxy via syslog, and Caddy behind a
            // `docker compose logs` prefix are none of ours.
            ("lnav/logfile_w3c_big.0", None),
            ("lnav/logfile_haproxy.0", None),
            ("lnav/logfile_caddy_log.0", None),
        ];
        for (file, _) in &cases {
            if std::fs::metadata(format!("{dir}{file}")).is_err() {
                return;
            }
        }
        let c = builtin_candidates();
        for (file, want) in cases {
            let data = std::fs::read(format!("{dir}{file}")).unwrap();
            let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let first: Vec<&[u8]> = lines.into_iter().take(100).collect();
            assert_eq!(detect(&first, &c).map(|i| c[i].name()), want, "{file}");
        }
    }
}
