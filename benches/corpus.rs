//! Deterministic generator of realistic access logs, shared by the
//! benches and `examples/gen_log.rs` (one source of truth for the corpus).
//!
//! Mix: ~200-250 bytes a line, 20% IPv6 (mapped, link-local, global), 40% of
//! requests with a query string, referrers on ~65% of lines, real browser,
//! bot and CLI user agents, and a few odd lines (`"-"` requests, remote
//! users, absolute-form targets). Client addresses span the whole space so
//! truncation has work to do: by default every line has a new random one,
//! and [`Clients::Visitors`] repeats them as visits do (for caches of keyed
//! pseudonyms). The data is generated, never committed.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{self, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: tiny, deterministic, good enough for test data.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/7.88.1",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
];
const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/blog/2026/11/privacy-by-design",
    "/static/css/site.min.css",
    "/static/js/app.4f3a9c.js",
    "/images/logo.png",
    "/api/v1/items",
    "/search",
    "/products/12345",
    "/account/login",
    "/feed.xml",
    "/wp-login.php",
    "/robots.txt",
    "/favicon.ico",
    "/docs/getting-started",
];
const QUERIES: &[&str] = &[
    "q=jane%40example.com",
    "page=2&sort=desc",
    "utm_source=newsletter&utm_medium=email&utm_campaign=nov",
    "id=8472&session=a9f8e7d6c5b4",
    "token=eyJhbGciOiJIUzI1NiJ9.e30.abc",
    "lang=de",
    "ref=198.51.100.23",
];
const REFERRERS: &[&str] = &[
    "https://www.example.com/",
    "https://www.example.org/search?q=anonymous+logs",
    "https://news.example.net/item?id=31337",
    "https://example.com/blog/2026/11/privacy-by-design",
    "android-app://com.example.reader/",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "GET", "POST", "HEAD", "PUT"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Writes a client address drawn uniformly: 80 % IPv4, 20 % IPv6
/// (mapped, link-local, global).
fn random_client(rng: &mut Rng, line: &mut String) {
    let v6 = rng.below(5) == 0;
    if v6 {
        match rng.below(4) {
            0 => write!(
                line,
                "::ffff:{}.{}.{}.{}",
                rng.below(223) + 1,
                rng.below(256),
                rng.below(256),
                rng.below(256)
            )
            .unwrap(),
            1 => write!(
                line,
                "fe80::{:x}:{:x}",
                rng.below(0x10000),
                rng.below(0x10000)
            )
            .unwrap(),
            _ => write!(
                line,
                "2001:db8:{:x}:{:x}::{:x}",
                rng.below(0x10000),
                rng.below(0x10000),
                rng.below(0x10000)
            )
            .unwrap(),
        }
    } else {
        write!(
            line,
            "{}.{}.{}.{}",
            rng.below(223) + 1,
            rng.below(256),
            rng.below(256),
            rng.below(256)
        )
        .unwrap();
    }
}

/// Where client addresses come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clients {
    /// A new random address on every line: no address repeats (the worst
    /// case for anything that caches per address).
    Uniform,
    /// Visits, as a web server sees them: 200 visitors active at a time,
    /// each making 1 to 29 requests (page and assets, 15 on average), 30 %
    /// of visits from a returning visitor; about 93 % of lines repeat a
    /// recent address.
    Visitors,
}

/// The visitor model of [`Clients::Visitors`].
struct Visitors {
    active: Vec<(String, u64)>,
    past: Vec<String>,
}

impl Visitors {
    const ACTIVE: u64 = 200;
    const PAST: usize = 100_000;

    fn new() -> Self {
        Visitors {
            active: vec![(String::new(), 0); Self::ACTIVE as usize],
            past: Vec::new(),
        }
    }

    fn next(&mut self, rng: &mut Rng) -> &str {
        let i = rng.below(Self::ACTIVE) as usize;
        if self.active[i].1 == 0 {
            let addr = if !self.past.is_empty() && rng.below(100) < 30 {
                self.past[rng.below(self.past.len() as u64) as usize].clone()
            } else {
                let mut a = String::new();
                random_client(rng, &mut a);
                a
            };
            if self.past.len() < Self::PAST {
                self.past.push(addr.clone());
            } else {
                let j = rng.below(Self::PAST as u64) as usize;
                self.past[j] = addr.clone();
            }
            self.active[i] = (addr, 1 + rng.below(29));
        }
        self.active[i].1 -= 1;
        &self.active[i].0
    }
}

/// Writes about `target` bytes of log lines to `out`; the same seed gives
/// the same bytes. `main_format` appends an X-Forwarded-For field.
/// Client addresses are [`Clients::Uniform`].
pub fn generate<W: Write>(
    out: &mut W,
    target: u64,
    seed: u64,
    main_format: bool,
) -> io::Result<()> {
    generate_with(out, target, seed, main_format, Clients::Uniform)
}

/// [`generate`] with a choice of client addresses. With
/// [`Clients::Uniform`] the bytes are exactly [`generate`]'s.
pub fn generate_with<W: Write>(
    out: &mut W,
    target: u64,
    seed: u64,
    main_format: bool,
    clients: Clients,
) -> io::Result<()> {
    generate_dated(out, target, seed, main_format, clients, false)
}

/// [`generate_with`], and with `shuffled` every line's time drawn at
/// random across the corpus year (12 months of 28 days), as merged logs of
/// several servers or services come; all else is byte for byte the same.
pub fn generate_dated<W: Write>(
    out: &mut W,
    target: u64,
    seed: u64,
    main_format: bool,
    clients: Clients,
    shuffled: bool,
) -> io::Result<()> {
    let mut dates = Rng((seed ^ 0xda7e_5eed) | 1);
    let mut rng = Rng(seed | 1);
    let mut visitors =
        (clients == Clients::Visitors).then(|| (Visitors::new(), Rng((seed ^ 0x5151_7e57) | 1)));
    let mut written = 0u64;
    let mut line = String::with_capacity(512);
    let mut second = 0u64;
    while written < target {
        line.clear();
        match &mut visitors {
            None => random_client(&mut rng, &mut line),
            Some((v, vrng)) => line.push_str(v.next(vrng)),
        }
        let user = if rng.below(50) == 0 { "alice" } else { "-" };
        second += rng.below(3);
        let at = if shuffled {
            dates.below(12 * 28 * 86400)
        } else {
            second
        };
        let (d, h, m, s) = (
            1 + (at / 86400) % 28,
            (at / 3600) % 24,
            (at / 60) % 60,
            at % 60,
        );
        let month = MONTHS[((at / (86400 * 28)) % 12) as usize];
        write!(
            line,
            " - {user} [{d:02}/{month}/2026:{h:02}:{m:02}:{s:02} +0000] \""
        )
        .unwrap();
        if rng.below(200) == 0 {
            line.push('-');
        } else {
            line.push_str(rng.pick(METHODS));
            line.push(' ');
            if rng.below(100) == 0 {
                line.push_str("http://www.example.com");
            }
            line.push_str(rng.pick(PATHS));
            if rng.below(5) < 2 {
                line.push('?');
                line.push_str(rng.pick(QUERIES));
            }
            line.push_str(if rng.below(3) == 0 {
                " HTTP/2.0"
            } else {
                " HTTP/1.1"
            });
        }
        let status = *[200, 200, 200, 200, 304, 404, 301, 500]
            .get(rng.below(8) as usize)
            .unwrap_or(&200);
        write!(line, "\" {status} {} \"", rng.below(50_000)).unwrap();
        if rng.below(100) < 65 {
            line.push_str(rng.pick(REFERRERS));
        } else {
            line.push('-');
        }
        line.push_str("\" \"");
        line.push_str(rng.pick(AGENTS));
        line.push('"');
        if main_format {
            line.push_str(if rng.below(4) == 0 {
                " \"203.0.113.7, 198.51.100.20\""
            } else {
                " \"-\""
            });
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    Ok(())
}

/// [`generate`] into memory.
pub fn generate_vec(target: u64, seed: u64, main_format: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(target as usize + 512);
    generate(&mut v, target, seed, main_format).expect("writing to a Vec cannot fail");
    v
}
