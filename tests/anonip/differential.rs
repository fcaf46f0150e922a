//! anonip mode against anonip 1.1.0 itself, line by line, on generated
//! valid input: UTF-8 lines without trailing whitespace whose selected
//! fields hold addresses in anonip's forms (IPv4 and IPv6, ports,
//! brackets, a trailing `]`, bare upper-case IPv6), or, with `--replace`,
//! words. Addresses where anonlog is stricter on purpose are left out:
//! 6to4, IPv4-mapped and NAT64 (their IPv4 part keeps no more than the IPv4
//! mask allows), upper-case IPv6 in brackets (which anonip writes raw),
//! and the ranges whose privacy Python 3.11 releases disagree on.
//!
//! anonip comes from `ANONLOG_ANONIP_BIN` (`.ci/run` installs anonip 1.1.0
//! into a venv and sets it); without it the test fails under CI and is
//! skipped elsewhere.

use std::path::PathBuf;

use super::{Symlink, run_program};

/// anonip 1.1.0, or `None` (skipped) outside CI.
fn reference() -> Option<PathBuf> {
    let Some(bin) = std::env::var_os("ANONLOG_ANONIP_BIN").map(PathBuf::from) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set ANONLOG_ANONIP_BIN to anonip 1.1.0 (.ci/run installs it)"
        );
        eprintln!("SKIPPED: ANONLOG_ANONIP_BIN is not set");
        return None;
    };
    // Not anonlog's own symlink, which would agree with itself.
    let out = run_program(&bin, &["--version"], b"");
    assert_eq!(
        out.stdout,
        b"1.1.0\n",
        "{} is not anonip 1.1.0",
        bin.display()
    );
    Some(bin)
}

/// xorshift64*: the same input on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
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

fn v4(rng: &mut Rng) -> String {
    let a = match rng.below(6) {
        0 => 0x0a00_0000 | rng.next() as u32 & 0x00ff_ffff,
        1 => 0xc0a8_0000 | rng.next() as u32 & 0xffff,
        2 => 0xac10_0000 | rng.next() as u32 & 0x000f_ffff,
        _ => rng.next() as u32,
    };
    std::net::Ipv4Addr::from(a).to_string()
}

fn v6(rng: &mut Rng) -> String {
    loop {
        let prefix: u128 = match rng.below(6) {
            0 => 0x2001_0db8 << 96,
            1 => 0x2a00_1450 << 96,
            2 => 0xfe80 << 112,
            3 => 0xfd00 << 112,
            _ => (0x2000 | u128::from(rng.below(0x2000) as u16)) << 112,
        };
        let mut a = prefix | (u128::from(rng.next()) << 64 | u128::from(rng.next())) >> 32;
        // Runs of zero groups, for the `::` spellings.
        for _ in 0..rng.below(4) {
            let g = rng.below(8) as u32;
            a &= !(0xffffu128 << (16 * g));
        }
        let top96 = a >> 32;
        let embeds_v4 = a >> 112 == 0x2002 || top96 == 0xffff || top96 == 0x0064_ff9b << 64;
        // Python 3.11 releases disagree whether parts of 2001::/23 are
        // private; anonip mode masks them, and the test keeps out of them.
        let disputed = a >> 112 == 0x2001 && a >> 96 != 0x2001_0db8;
        if embeds_v4 || disputed {
            continue;
        }
        let ip = std::net::Ipv6Addr::from(a);
        return match rng.below(4) {
            0 => ip
                .segments()
                .iter()
                .map(|s| format!("{s:04x}"))
                .collect::<Vec<_>>()
                .join(":"),
            _ => ip.to_string(),
        };
    }
}

/// An address in one of anonip's forms.
fn address(rng: &mut Rng) -> String {
    let port = rng.below(65536);
    if rng.below(2) == 0 {
        let a = v4(rng);
        match rng.below(5) {
            0 => format!("{a}:{port}"),
            1 => format!("{a}]"),
            2 => format!("{a}:{port}]"),
            _ => a,
        }
    } else {
        let a = v6(rng);
        match rng.below(7) {
            0 => format!("[{a}]"),
            1 => format!("[{a}]:{port}"),
            2 => format!("[{a}]]"),
            3 => format!("[{a}]:{port}]"),
            4 => a.to_uppercase(),
            _ => a,
        }
    }
}

const WORDS: &[&str] = &[
    "GET",
    "/index.html",
    "\"Mozilla/5.0\"",
    "200",
    "öéäü",
    "日本",
    "[22/Nov/2025:08:39:58",
    "+0000]",
    "-",
    "x=1",
    "ß",
];
const NON_ADDRESSES: &[&str] = &["-", "unknown", "host.example", "localhost"];

/// A line of `width` columns joined by `delim`, addresses in `selected`.
fn column_line(
    rng: &mut Rng,
    width: usize,
    selected: &[usize],
    delim: &str,
    replace: bool,
) -> String {
    let cols: Vec<String> = (1..=width)
        .map(|c| {
            if !selected.contains(&c) {
                rng.pick(WORDS).to_owned()
            } else if c < width && rng.below(40) == 0 {
                // Not the last: anonip strips a line's trailing blanks, so
                // an empty last column after a blank delimiter is missing.
                String::new()
            } else if replace && rng.below(4) == 0 {
                rng.pick(NON_ADDRESSES).to_owned()
            } else {
                address(rng)
            }
        })
        .collect();
    cols.join(delim)
}

fn host(field: &str) -> &str {
    let f = field.trim_end_matches(']');
    let f = f
        .strip_prefix('[')
        .map_or(f, |r| r.split(']').next().unwrap());
    match f.matches(':').count() {
        1 => f.split(':').next().unwrap(),
        _ => f,
    }
}

/// A combined-like line for the regex configurations, whose last field
/// repeats the first address or holds another.
fn regex_line(rng: &mut Rng, replace: bool) -> String {
    let field = |rng: &mut Rng| {
        if replace && rng.below(4) == 0 {
            rng.pick(NON_ADDRESSES).to_owned()
        } else {
            address(rng)
        }
    };
    let first = field(rng);
    let second = loop {
        let s = if rng.below(3) == 0 {
            first.clone()
        } else {
            field(rng)
        };
        // A host text inside another one would be replaced inside it too,
        // in an order anonip leaves to its hash seed.
        let (a, b) = (host(&first), host(&s));
        if a == b || !a.contains(b) && !b.contains(a) {
            break s;
        }
    };
    format!(
        "{first} - - [22/Nov/2025:08:39:58 +0000] \"GET /{} HTTP/1.1\" 200 {} \"-\" \"curl/8\" {second}",
        rng.pick(&["index.html", "a/b", "öéäü", "日本", "x=1", "ß"]),
        rng.below(100_000)
    )
}

struct Case {
    args: &'static [&'static str],
    lines: fn(&mut Rng) -> String,
}

const HUGE: &str = "340282366920938463463374607431768211456";
const COMBINED: &str = r#"^(\S+) - - \[[^\]]+\] "[^"]*" \d+ \d+ "[^"]*" "[^"]*" (\S+)$"#;

fn cases() -> Vec<Case> {
    let plain: fn(&mut Rng) -> String = |r| column_line(r, 4, &[1], " ", false);
    vec![
        Case {
            args: &[],
            lines: plain,
        },
        Case {
            args: &["-4", "8", "-6", "64"],
            lines: plain,
        },
        Case {
            args: &["-4", "32", "-6", "128"],
            lines: plain,
        },
        Case {
            args: &["-4", "1", "-6", "1", "-i", "1"],
            lines: plain,
        },
        Case {
            args: &["-4", "31", "-6", "127"],
            lines: plain,
        },
        Case {
            args: &["-i", "300"],
            lines: plain,
        },
        Case {
            args: &["-i", "4294967295", "-6", "20"],
            lines: plain,
        },
        Case {
            args: &["-i", HUGE],
            lines: plain,
        },
        Case {
            args: &["-p"],
            lines: plain,
        },
        Case {
            args: &["-p", "-i", "5", "-4", "16", "-6", "100"],
            lines: plain,
        },
        Case {
            args: &["-c", "1", "3", "-l", ";"],
            lines: |r| column_line(r, 5, &[1, 3], ";", false),
        },
        Case {
            args: &["-c", "4", "2", "-l", " | ", "-i", "7"],
            lines: |r| column_line(r, 4, &[2, 4], " | ", false),
        },
        Case {
            args: &["-c", "1", "2", "-r", "0.0.0.0"],
            lines: |r| column_line(r, 3, &[1, 2], " ", true),
        },
        Case {
            args: &["--regex", COMBINED],
            lines: |r| regex_line(r, false),
        },
        Case {
            args: &["--regex", COMBINED, "-r", "REPL", "-4", "24"],
            lines: |r| regex_line(r, true),
        },
        Case {
            args: &["--regex", r"^client (\S+)$", r"^peer (\S+) via (\S+)$"],
            lines: |r| match r.below(2) {
                0 => format!("client {}", address(r)),
                _ => format!("peer {} via {}", address(r), address(r)),
            },
        },
    ]
}

#[test]
fn zero_differences_from_anonip_on_valid_input() {
    let Some(anonip) = reference() else { return };
    let link = Symlink::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut compared = 0;
    for case in cases() {
        let mut input = String::new();
        for i in 0..1500 {
            if i % 97 == 0 {
                input.push('\n');
            }
            input.push_str(&(case.lines)(&mut rng));
            input.push('\n');
        }
        let want = run_program(&anonip, case.args, input.as_bytes());
        assert!(want.status.success(), "anonip {:?} failed", case.args);
        // The messages valid input may cause: an increment that does not
        // fit (anonip then writes the masked address), and with --replace
        // a field that is no address (which anonip names on stderr).
        let replace = case.args.contains(&"-r");
        let expected = |l: &str| {
            l.starts_with("ERROR:anonip:Could not increment IP ")
                || replace && l.ends_with("does not appear to be an IPv4 or IPv6 network")
        };
        let warned = String::from_utf8_lossy(&want.stderr)
            .lines()
            .any(|l| !expected(l));
        assert!(
            !warned,
            "anonip {:?} warned, so the input is not valid: {}",
            case.args,
            String::from_utf8_lossy(&want.stderr)
        );
        let got = run_program(&link.path(), case.args, input.as_bytes());
        assert!(
            got.status.success(),
            "{:?}: {}",
            case.args,
            String::from_utf8_lossy(&got.stderr)
        );
        let (want, got) = (
            String::from_utf8(want.stdout).unwrap(),
            String::from_utf8(got.stdout).unwrap(),
        );
        let diffs: Vec<String> = input
            .lines()
            .zip(want.lines().zip(got.lines()))
            .filter(|(_, (w, g))| w != g)
            .take(5)
            .map(|(i, (w, g))| format!("  in:     {i}\n  anonip: {w}\n  anonlog: {g}"))
            .collect();
        assert!(diffs.is_empty(), "{:?}:\n{}", case.args, diffs.join("\n"));
        assert_eq!(want.lines().count(), got.lines().count(), "{:?}", case.args);
        compared += want.lines().count();
    }
    eprintln!("differential: {compared} lines, 0 differences");
}
