//! `-f auto`: picks, from an input's own lines, the format that explains
//! them, and never one that fails on more of them than the policy allows.

use super::json::JsonFormat;
use super::{Fields, Parser, Predefined};
use crate::stats::Share;

/// How many non-empty lines of an input the choice is made on (fewer when
/// the input is shorter).
pub const SAMPLE_LINES: usize = 1000;

/// The formats `-f auto` chooses from, in order of preference on ties:
/// `main`, `vhost_combined`, `combined`, `common` (each accepting trailing
/// fields), `json` (default key rules), `nginx-error`, `apache-error`.
///
/// A format must come before any other that also accepts its lines: a
/// `main` line is a `combined` line with a trailing field, a `combined`
/// line a `common` line with two. A `vhost_combined` line is no `combined`
/// line, since `combined`'s identd field refuses the address it would see
/// there.
pub fn builtin_candidates() -> Vec<Parser> {
    debug_assert_eq!(Predefined::ALL.len() + 3, BUILTIN_NAMES.len());
    let mut v: Vec<Parser> = Predefined::ALL
        .iter()
        .map(|p| Parser::Template(p.template()))
        .collect();
    v.extend([
        Parser::Json(JsonFormat::new()),
        Parser::NginxError,
        Parser::ApacheError,
    ]);
    v
}

/// The names of [`builtin_candidates`], in their order.
pub const BUILTIN_NAMES: [&str; 7] = [
    "main",
    "vhost_combined",
    "combined",
    "common",
    "json",
    "nginx-error",
    "apache-error",
];

/// Per-candidate parse counts over the first lines of an input, which may
/// arrive over several blocks (a live pipe hands on one line at a time).
#[derive(Clone, Debug, Default)]
pub struct Sample {
    lines: usize,
    parsed: Vec<usize>,
}

impl Sample {
    /// An empty sample for `n` candidates.
    pub fn new(n: usize) -> Self {
        Sample {
            lines: 0,
            parsed: vec![0; n],
        }
    }

    /// Non-empty lines seen so far.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// True once the sample holds [`SAMPLE_LINES`] lines.
    pub fn is_full(&self) -> bool {
        self.lines >= SAMPLE_LINES
    }

    /// Adds the lines of `block` (terminators removed, empty lines
    /// skipped) until the sample is full.
    pub fn add(&mut self, block: &[u8], candidates: &[Parser], fields: &mut Fields) {
        for line in block.split(|&b| b == b'\n') {
            if self.is_full() {
                return;
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            self.lines += 1;
            for (n, p) in self.parsed.iter_mut().zip(candidates) {
                *n += usize::from(p.parse(line, fields));
            }
        }
    }

    /// The candidate that parses most lines (the earlier one on ties) and
    /// how many, or `None` if none parses any.
    pub fn best(&self) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (i, &n) in self.parsed.iter().enumerate() {
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((i, n));
            }
        }
        best
    }

    /// [`Sample::best`], if the lines it fails on are no more than
    /// `max_unparsed` of the sample.
    pub fn fit(&self, max_unparsed: Share) -> Option<usize> {
        self.best()
            .filter(|&(_, n)| !max_unparsed.exceeded_by((self.lines - n) as u64, self.lines as u64))
            .map(|(i, _)| i)
    }
}

/// The candidate that fits `block`'s first lines ([`Sample::fit`]), or
/// `None`.
pub fn detect(block: &[u8], candidates: &[Parser], max_unparsed: Share) -> Option<usize> {
    let mut sample = Sample::new(candidates.len());
    sample.add(block, candidates, &mut Fields::new());
    sample.fit(max_unparsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &str = "198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /p?q=1 HTTP/1.1\" 200 3 \"https://r.example/\" \"Mozilla/5.0\"";
    const COMBINED_V6: &str = "2001:db8::1 - bob [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 404 - \"-\" \"curl/8.0\"";
    const COMMON: &str = "192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET /x HTTP/1.0\" 404 0";
    const MAIN: &str = "192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\" \"203.0.113.1, 198.51.100.2\"";
    const COMBINED_D: &str = "198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 3 \"-\" \"Mozilla/5.0\" 1234";
    const MAIN_TIMES: &str = "192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\" \"-\" 0.004 0.003";
    const VHOST: &str = "www.example.com:443 192.0.2.9 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\"";
    const JSON: &str = r#"{"time":"2026-11-22T08:38:17+00:00","remote_addr":"198.51.100.7","request":"GET / HTTP/1.1","status":200}"#;
    const CADDY: &str = r#"{"level":"info","ts":1761019828.6,"logger":"http.log.access","request":{"remote_ip":"192.0.2.1","uri":"/"},"status":200}"#;
    const NGINX_ERR: &str = "2026/11/22 08:39:58 [error] 1234#1234: *5 open() \"/x\" failed (2: No such file), client: 198.51.100.7, server: x, request: \"GET / HTTP/1.1\"";
    const NGINX_ERR2: &str = "2026/11/22 08:40:01 [notice] 1#1: signal process started";
    const APACHE_ERR: &str = "[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 14703:tid 14752] [client 198.51.100.7:38498] AH00128: File does not exist: /x";
    const APACHE22_ERR: &str =
        "[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.7] Directory index forbidden";

    fn pick_with(lines: &[&str], share: Share) -> Option<String> {
        let candidates = builtin_candidates();
        let block = lines.join("\n");
        detect(block.as_bytes(), &candidates, share).map(|i| candidates[i].name().to_owned())
    }

    #[test]
    fn builtin_order_and_names() {
        let names: Vec<String> = builtin_candidates()
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        assert_eq!(names, BUILTIN_NAMES);
    }

    #[test]
    fn detects_each_format() {
        let half = Share::parse_percent("50%").unwrap();
        let cases: &[(&[&str], Share, Option<&str>)] = &[
            (
                &[COMBINED, COMBINED_V6],
                Share::ONE_PERCENT,
                Some("combined"),
            ),
            (&[COMMON], Share::ONE_PERCENT, Some("common")),
            (&[MAIN, MAIN], Share::ONE_PERCENT, Some("main")),
            (&[VHOST], Share::ONE_PERCENT, Some("vhost_combined")),
            (&[JSON, CADDY], Share::ONE_PERCENT, Some("json")),
            (
                &[NGINX_ERR, NGINX_ERR2],
                Share::ONE_PERCENT,
                Some("nginx-error"),
            ),
            (
                &[APACHE_ERR, APACHE22_ERR],
                Share::ONE_PERCENT,
                Some("apache-error"),
            ),
            // Trailing fields after a stock format.
            (
                &[COMBINED_D, COMBINED],
                Share::ONE_PERCENT,
                Some("combined"),
            ),
            (&[MAIN, MAIN_TIMES], Share::ONE_PERCENT, Some("main")),
            // A format that fails on more than the share is never chosen,
            // however many lines it explains.
            (
                &[COMBINED, COMBINED, COMBINED, "garbage", ""],
                Share::ONE_PERCENT,
                None,
            ),
            (
                &[COMBINED, COMBINED, COMBINED, "garbage", ""],
                half,
                Some("combined"),
            ),
            (&[JSON, NGINX_ERR, NGINX_ERR2], Share::ONE_PERCENT, None),
            (&[JSON, NGINX_ERR, NGINX_ERR2], half, Some("nginx-error")),
            // common accepts combined lines (two trailing fields), so a log
            // that mixes them is common with trailing fields.
            (&[COMMON, COMBINED], Share::ONE_PERCENT, Some("common")),
            (&["garbage", "", "caddy  | {}"], half, None),
            (&[], Share::ONE_PERCENT, None),
        ];
        for (lines, share, want) in cases {
            assert_eq!(pick_with(lines, *share).as_deref(), *want, "{lines:?}");
        }
    }

    #[test]
    fn a_sample_ends_after_its_lines() {
        let c = builtin_candidates();
        let mut s = Sample::new(c.len());
        let mut f = Fields::new();
        let block = format!("{COMBINED}\n").repeat(SAMPLE_LINES - 1) + "garbage\n\n" + COMMON;
        s.add(block.as_bytes(), &c, &mut f);
        assert!(s.is_full());
        assert_eq!(s.lines(), SAMPLE_LINES);
        // 1 of 1000 fails (0.1%): combined fits. The common line past the
        // sample was not looked at.
        assert_eq!(s.fit(Share::ONE_PERCENT), Some(2));
        assert_eq!(s.best(), Some((2, SAMPLE_LINES - 1)));
        s.add(COMMON.as_bytes(), &c, &mut f);
        assert_eq!(s.lines(), SAMPLE_LINES);
    }

    #[test]
    fn terminators_are_ignored() {
        let c = builtin_candidates();
        let crlf = format!("{JSON}\r\n");
        let lf = format!("{APACHE_ERR}\n");
        assert_eq!(detect(crlf.as_bytes(), &c, Share::ONE_PERCENT), Some(4));
        assert_eq!(detect(lf.as_bytes(), &c, Share::ONE_PERCENT), Some(6));
    }

    #[test]
    fn which_formats_accept_which_lines() {
        let c = builtin_candidates();
        let own: &[(&str, &[&str])] = &[
            (MAIN, &["main", "combined", "common"]),
            (MAIN_TIMES, &["main", "combined", "common"]),
            (COMBINED, &["combined", "common"]),
            (COMBINED_D, &["combined", "common"]),
            (COMBINED_V6, &["combined", "common"]),
            (COMMON, &["common"]),
            (VHOST, &["vhost_combined"]),
            (JSON, &["json"]),
            (CADDY, &["json"]),
            (NGINX_ERR, &["nginx-error"]),
            (APACHE_ERR, &["apache-error"]),
            (APACHE22_ERR, &["apache-error"]),
        ];
        let mut f = Fields::new();
        for (line, names) in own {
            let accepted: Vec<&str> = c
                .iter()
                .filter(|p| p.parse(line.as_bytes(), &mut f))
                .map(|p| p.name())
                .collect();
            assert_eq!(accepted, *names, "{line}");
        }
    }

    #[test]
    fn corpus_samples() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/");
        if std::fs::metadata(dir).is_err() {
            assert!(std::env::var_os("CI").is_none(), "{dir} is missing");
            eprintln!("SKIPPED: {dir} is missing");
            return;
        }
        let cases = [
            ("elastic-beats/apache-test.log", None),
            ("elastic-beats/nginx-test.log", None),
            ("lnav/logfile_access_log.1", Some("combined")),
            ("lnav/logfile_bad_access_log.0", None),
            // IIS, HAProxy via syslog, and Caddy behind a
            // `docker compose logs` prefix are none of ours.
            ("lnav/logfile_w3c_big.0", None),
            ("lnav/logfile_haproxy.0", None),
            ("lnav/logfile_caddy_log.0", None),
        ];
        let c = builtin_candidates();
        for (file, want) in cases {
            let data = std::fs::read(format!("{dir}{file}")).unwrap();
            let got = detect(&data, &c, Share::ONE_PERCENT).map(|i| c[i].name());
            assert_eq!(got, want, "{file}");
        }
    }
}
