//! The logrotate recipes (`samples/logrotate/`): each read by `logrotate
//! -d` as shipped, and each run by a forced rotation (`logrotate -f` with a
//! state file of its own) on a copy whose paths point into a temporary
//! directory, which must leave only anonymized lines in what was rotated.

use std::fs;
use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};

use flate2::read::MultiGzDecoder;

use crate::child::{Anonlog, assert_stats, lines_in, read_text};
use crate::harness::{Check, Need, needed};
use crate::util::{bin, count_lines, eventually, run, sample, samples};

const LOGROTATE: Need = Need::Program("logrotate");

pub const CHECKS: &[Check] = &[
    Check {
        name: "logrotate::debug_reads_every_recipe",
        needs: &[LOGROTATE],
        run: debug_reads_every_recipe,
    },
    Check {
        name: "logrotate::nginx_compresscmd_recipe",
        needs: &[LOGROTATE],
        run: nginx_compresscmd_recipe,
    },
    Check {
        name: "logrotate::nginx_compresscmd_recipe_keeps_a_log_whose_format_does_not_fit",
        needs: &[LOGROTATE],
        run: nginx_compresscmd_recipe_keeps_a_log_whose_format_does_not_fit,
    },
    Check {
        name: "logrotate::nginx_postrotate_in_place_recipe",
        needs: &[LOGROTATE],
        run: nginx_postrotate_in_place_recipe,
    },
    Check {
        name: "logrotate::apache_recipe_with_delaycompress",
        needs: &[LOGROTATE],
        run: apache_recipe_with_delaycompress,
    },
    Check {
        name: "logrotate::listener_recipe_reopens_every_output",
        needs: &[LOGROTATE, Need::Root],
        run: listener_recipe_reopens_every_output,
    },
];

/// The recipes, as shipped.
fn recipes() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(samples().join("logrotate"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(v.len() >= 4, "{v:?}");
    v
}

/// `logrotate -d` takes every recipe file as it is shipped, with no error
/// and no warning (a stanza with an unknown user, a duplicate log entry or
/// a bad directive is an `error:` line).
fn debug_reads_every_recipe() {
    let dir = tempfile::tempdir().unwrap();
    for recipe in recipes() {
        let out = Command::new(needed("logrotate"))
            .arg("-d")
            .arg("-s")
            .arg(dir.path().join("state"))
            .arg(&recipe)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "logrotate -d {}: {}\n{text}",
            recipe.display(),
            out.status
        );
        for line in text.lines() {
            let complaint = line.starts_with("error:")
                || (line.starts_with("warning:") && !line.contains("debug mode"));
            assert!(!complaint, "logrotate -d {}: {line}", recipe.display());
        }
    }
}

/// The recipe with its system paths pointed into `dir`.
fn localize(recipe: &str, dir: &Path) -> String {
    let d = format!("{}/", dir.display());
    fs::read_to_string(samples().join("logrotate").join(recipe))
        .unwrap()
        .replace("/var/log/nginx/", &d)
        .replace("/var/log/apache2/", &d)
        .replace("/var/log/anonlog/", &d)
        .replace("/usr/local/bin/anonlog", bin().to_str().unwrap())
        .replace("/run/nginx.pid", &format!("{d}nginx.pid"))
        .replace("create 0640 www-data adm", "create 0640")
        .replace("create 640 root adm", "create 0640")
}

fn logrotate(dir: &Path, conf: &str) {
    let c = dir.join("logrotate.conf");
    fs::write(&c, conf).unwrap();
    let out = Command::new(needed("logrotate"))
        .arg("-f")
        .arg("-s")
        .arg(dir.join("state"))
        .arg(&c)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "logrotate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "logrotate reported: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn raw_log() -> Vec<u8> {
    sample("access.log").repeat(300)
}

/// Checks that `path` is a valid gzip file holding exactly what anonlog
/// (with `args`) makes of `raw`, one line per line of it.
fn check_gz(path: &Path, raw: &[u8], args: &[&str]) {
    let z = fs::read(path).unwrap_or_else(|e| panic!("{} missing: {e}", path.display()));
    let mut text = Vec::new();
    MultiGzDecoder::new(&z[..])
        .read_to_end(&mut text)
        .expect("valid gzip");
    if let Ok(st) = Command::new("gzip").arg("-t").arg(path).status() {
        assert!(st.success(), "gzip -t rejects {}", path.display());
    }
    let mut a = args.to_vec();
    a.push("-q");
    let want = run(&a, raw).stdout;
    assert_eq!(
        count_lines(&text),
        count_lines(raw),
        "one line per original line"
    );
    assert!(
        text == want,
        "{} is not the fully anonymized log",
        path.display()
    );
    let text = String::from_utf8_lossy(&text);
    for raw_address in ["198.51.100.7", "2001:db8:1:2::99", "203.0.113.5"] {
        assert!(!text.contains(raw_address), "{raw_address} in {text}");
    }
}

/// The access log and the error log are both rotated and anonymized, each
/// in its own format, and only the anonymized .gz files are left.
fn nginx_compresscmd_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw = raw_log();
    let err = sample("nginx-error.log").repeat(50);
    fs::write(d.join("access.log"), &raw).unwrap();
    fs::write(d.join("error.log"), &err).unwrap();
    logrotate(d, &localize("nginx", d));
    check_gz(&d.join("access.log.1.gz"), &raw, &["-f", "combined"]);
    check_gz(&d.join("error.log.1.gz"), &err, &["-f", "nginx-error"]);
    for name in ["access.log.1", "error.log.1"] {
        assert!(!d.join(name).exists(), "raw rotated file {name} removed");
    }
    for name in ["access.log", "error.log"] {
        assert_eq!(fs::read(d.join(name)).unwrap(), b"", "new empty {name}");
    }
}

fn nginx_compresscmd_recipe_keeps_a_log_whose_format_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    // Not an access log in any format anonlog knows.
    let raw = b"x 198.51.100.77 /reset?token=s3cr3t\n".repeat(50);
    fs::write(dir.path().join("access.log"), &raw).unwrap();
    let c = dir.path().join("logrotate.conf");
    fs::write(&c, localize("nginx", dir.path())).unwrap();
    let out = Command::new(needed("logrotate"))
        .arg("-f")
        .arg("-s")
        .arg(dir.path().join("state"))
        .arg(&c)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "logrotate must report the failure: {err}"
    );
    assert!(
        err.contains("match no format"),
        "anonlog's advice reaches the admin: {err}"
    );
    assert!(
        !err.contains("198.51.100") && !err.contains("s3cr3t"),
        "{err}"
    );
    // The rotated file is kept as it was, and no half archive is left.
    assert_eq!(fs::read(dir.path().join("access.log.1")).unwrap(), raw);
    assert!(!dir.path().join("access.log.1.gz").exists());
}

fn nginx_postrotate_in_place_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw = raw_log();
    let err = sample("nginx-error.log").repeat(50);
    fs::write(d.join("access.log"), &raw).unwrap();
    fs::write(d.join("error.log"), &err).unwrap();
    logrotate(d, &localize("nginx-postrotate", d));
    check_gz(&d.join("access.log.1.gz"), &raw, &[]);
    check_gz(&d.join("error.log.1.gz"), &err, &["-f", "nginx-error"]);
}

/// Every log of Debian's stanza (access, other_vhosts_access, error) is
/// rotated; delaycompress leaves .1 plain and the next rotation compresses
/// it, anonymized.
fn apache_recipe_with_delaycompress() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw = raw_log();
    let vhost = sample("vhost_combined.log").repeat(100);
    let err = sample("apache-error.log").repeat(50);
    fs::write(d.join("access.log"), &raw).unwrap();
    fs::write(d.join("other_vhosts_access.log"), &vhost).unwrap();
    fs::write(d.join("error.log"), &err).unwrap();
    let conf = localize("apache2", d);
    logrotate(d, &conf);
    for name in ["access.log.1", "other_vhosts_access.log.1", "error.log.1"] {
        assert!(d.join(name).exists(), "{name} after the first rotation");
    }
    fs::write(
        d.join("access.log"),
        b"192.0.2.1 - - [22/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n",
    )
    .unwrap();
    fs::write(d.join("other_vhosts_access.log"), b"x\n").unwrap();
    fs::write(d.join("error.log"), b"x\n").unwrap();
    logrotate(d, &conf);
    check_gz(&d.join("access.log.2.gz"), &raw, &[]);
    check_gz(
        &d.join("other_vhosts_access.log.2.gz"),
        &vhost,
        &["-f", "vhost_combined"],
    );
    check_gz(&d.join("error.log.2.gz"), &err, &["-f", "apache-error"]);
}

/// A datagram for the listener: `tag` and a line that names a client.
fn datagram(tag: &str, i: usize) -> Vec<u8> {
    let line = if tag == "nginx_error" {
        format!(
            "2026/11/22 08:39:58 [error] 7#7: *{i} open() \"/srv/e{i}\" failed (2: No such file or directory), client: 198.51.100.7, server: x, request: \"GET /e{i}?q=secret HTTP/1.1\", host: \"x\""
        )
    } else {
        format!(
            "198.51.100.7 - - [22/Nov/2026:08:39:58 +0000] \"GET /a{i}?q=secret HTTP/1.1\" 200 5 \"-\" \"ua\""
        )
    };
    format!("<190>Nov 22 08:39:58 {tag}: {line}").into_bytes()
}

/// True when no descriptor of `pid` is open on a file whose name ends in
/// `.1`: after a rotation, anonlog writes to the new files only.
fn writes_no_rotated_file(pid: u32) -> bool {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
        .all(|target| !target.to_string_lossy().ends_with(".1"))
}

/// The systemd recipe's listener, rotated twice by the listener recipe:
/// its SIGHUP reopens both outputs, so each line is in exactly one file,
/// and the second rotation compresses the first day's (already anonymized)
/// lines with plain gzip.
fn listener_recipe_reopens_every_output() {
    let dir = crate::child::open_dir();
    let d = dir.path();
    let sock = d.join("nginx.sock");
    let mut args = crate::systemd::recipe_args("anonlog-nginx.service", d, d);
    args.push("--stats=json".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut anonlog = Anonlog::start(&args, Stdio::null(), d.join("anonlog.err"));
    eventually("the socket", || sock.exists(), || anonlog.report());
    let client = UnixDatagram::unbound().unwrap();
    let send = |from: usize, to: usize| {
        for i in from..to {
            for tag in ["nginx", "nginx_error"] {
                client.send_to(&datagram(tag, i), &sock).unwrap();
            }
        }
    };
    let (access, error) = (d.join("access.log"), d.join("error.log"));
    let conf = localize("anonlog-listener", d).replace(
        "systemctl kill --kill-whom=main --signal=HUP anonlog-nginx.service anonlog-fifo.service",
        &format!("kill -HUP {}", anonlog.pid()),
    );
    for (day, (from, to)) in [(0, 50), (50, 80), (80, 90)].into_iter().enumerate() {
        send(from, to);
        eventually(
            &format!("the lines of day {day}"),
            || lines_in(&access) == to - from && lines_in(&error) == to - from,
            || anonlog.report(),
        );
        if day < 2 {
            logrotate(d, &conf);
            let pid = anonlog.pid();
            eventually(
                "anonlog to reopen its outputs",
                || writes_no_rotated_file(pid),
                || anonlog.report(),
            );
        }
    }
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; {stderr}");
    assert_stats(&stderr, &[("datagrams", 180), ("parsed", 180)]);

    let gunzip = |p: &Path| {
        let mut s = String::new();
        MultiGzDecoder::new(&fs::read(p).unwrap()[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    for (name, marker) in [("access", "/a"), ("error", "/e")] {
        let days = [
            gunzip(&d.join(format!("{name}.log.2.gz"))),
            read_text(&d.join(format!("{name}.log.1"))),
            read_text(&d.join(format!("{name}.log"))),
        ];
        let mut seen = Vec::new();
        for text in &days {
            for line in text.lines() {
                assert!(
                    !line.contains("198.51.100.7") && !line.contains("secret"),
                    "{name}: {line}"
                );
                let n = line.split(marker).nth(1).unwrap();
                let n: usize = n[..n.find([' ', '"']).unwrap()].parse().unwrap();
                seen.push(n);
            }
        }
        assert_eq!(
            seen,
            (0..90).collect::<Vec<_>>(),
            "{name}: every line once, in order"
        );
    }
}
