//! The systemd recipes (`samples/systemd/`): every unit and drop-in
//! verified by `systemd-analyze verify`, the listener unit run as its own
//! user and group, and the units' command lines kept in step with each
//! other and with the README.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::child::{
    Anonlog, NOBODY, assert_stats, combined_datagram, open_dir, read_text, send_as,
};
use crate::harness::{Check, Need, needed};
use crate::util::{bin, eventually, samples};

pub const CHECKS: &[Check] = &[
    Check {
        name: "systemd::verify_every_unit",
        needs: &[Need::Program("systemd-analyze")],
        run: verify_every_unit,
    },
    Check {
        name: "systemd::readme_example_is_the_listener_unit",
        needs: &[],
        run: readme_example_is_the_listener_unit,
    },
    Check {
        name: "systemd::pseudonymize_dropin_is_the_unit_with_a_key",
        needs: &[],
        run: pseudonymize_dropin_is_the_unit_with_a_key,
    },
    Check {
        name: "systemd::listener_unit_lets_the_web_server_group_in",
        needs: &[Need::Root],
        run: listener_unit_lets_the_web_server_group_in,
    },
];

/// The arguments of the last `ExecStart=` with a command in
/// `samples/systemd/<file>` (a drop-in clears the unit's with an empty
/// one first), without the binary.
pub fn exec_start(file: &str) -> Vec<String> {
    let text = fs::read_to_string(samples().join("systemd").join(file)).unwrap();
    let line = text
        .lines()
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .rfind(|l| !l.is_empty())
        .unwrap_or_else(|| panic!("no ExecStart= in {file}"));
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/anonlog"), "{file}");
    words.map(str::to_owned).collect()
}

/// [`exec_start`] of `file` with its directories moved: `RuntimeDirectory=`
/// to `run`, `LogsDirectory=` to `logs`.
pub fn recipe_args(file: &str, run: &Path, logs: &Path) -> Vec<String> {
    exec_start(file)
        .iter()
        .map(|a| {
            a.replace("/run/anonlog", run.to_str().unwrap())
                .replace("/var/log/anonlog", logs.to_str().unwrap())
        })
        .collect()
}

/// `systemd-analyze verify` accepts every unit, with the drop-in beside
/// it, without a warning (an unknown key or a bad value is only a warning
/// to systemd, and the unit would start without the setting). The binary
/// is pointed at the one under test, which verify checks is executable.
fn verify_every_unit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut units = Vec::new();
    for entry in walk(&samples().join("systemd")) {
        let rel = entry.strip_prefix(samples().join("systemd")).unwrap();
        let to = d.join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        let text = fs::read_to_string(&entry)
            .unwrap()
            .replace("/usr/local/bin/anonlog", bin().to_str().unwrap());
        fs::write(&to, text).unwrap();
        if rel.components().count() == 1 {
            units.push(to);
        }
    }
    assert!(units.len() >= 3, "{units:?}");
    for unit in units {
        let out = Command::new(needed("systemd-analyze"))
            .arg("verify")
            .arg(&unit)
            .current_dir(d)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify {}: {}\n{said}",
            unit.display(),
            out.status
        );
    }
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}

/// The value of `opt` in a command line, if it is given.
fn value<'a>(args: &'a [String], opt: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == opt)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The README's listener example (`anonlog ... --listen
/// unix:/run/anonlog/nginx.sock ...`, continued over `\` lines) names the
/// socket, group and output of the listener unit, so that it works with the
/// unit's RuntimeDirectory=, Group= and LogsDirectory=. It may leave out
/// what the unit adds (the error log's route).
fn readme_example_is_the_listener_unit() {
    let readme = fs::read_to_string(samples().join("../README.md")).unwrap();
    let start = readme
        .lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with("anonlog ") && l.contains("--listen unix:/run/anonlog/nginx.sock")
        })
        .expect("the listener example in the README");
    let mut example = String::new();
    for line in readme.lines().skip(start) {
        let (text, more) = match line.trim().strip_suffix('\\') {
            Some(t) => (t, true),
            None => (line.trim(), false),
        };
        example.push_str(text);
        example.push(' ');
        if !more {
            break;
        }
    }
    let example: Vec<String> = example.split_whitespace().map(str::to_owned).collect();
    let unit = exec_start("anonlog-nginx.service");
    for opt in ["--listen", "--socket-group", "--output"] {
        assert_eq!(
            value(&example, opt),
            value(&unit, opt),
            "{opt}: README example {example:?} vs ExecStart= {unit:?}"
        );
    }
}

/// The drop-in runs the unit's command with the key options added, and the
/// key it names is the credential it loads.
fn pseudonymize_dropin_is_the_unit_with_a_key() {
    let file = "anonlog-nginx.service.d/pseudonymize.conf";
    let mut want = exec_start("anonlog-nginx.service");
    want.extend(["--pseudonymize", "pfx", "--key-file", "%d/anonlog.key"].map(String::from));
    assert_eq!(exec_start(file), want);
    let text = fs::read_to_string(samples().join("systemd").join(file)).unwrap();
    assert!(
        text.lines()
            .any(|l| l == "LoadCredential=anonlog.key:/etc/credstore/anonlog.key"),
        "{text}"
    );
    let clears = text.lines().position(|l| l == "ExecStart=");
    let sets = text.lines().position(|l| l.starts_with("ExecStart=/"));
    assert!(
        clears.is_some() && clears < sets,
        "an empty ExecStart= must clear the unit's first"
    );
}

/// The unit's command, run as its User= (played by nobody) and Group=
/// (www-data) in directories made as RuntimeDirectory= and LogsDirectory=
/// make them: the socket has the web server's group and mode 0660, the web
/// server gets in, anyone else does not.
fn listener_unit_lets_the_web_server_group_in() {
    let www = anonlog::engine::listen::parse_group("www-data")
        .expect("the group www-data (Debian's base-passwd has it)");
    // User=anonlog is played by nobody; the web server by another uid.
    const ANONLOG: u32 = NOBODY;
    const WEB: u32 = 12_345;
    let dir = open_dir();
    let d = dir.path();
    let (run, logs) = (d.join("run"), d.join("log"));
    for p in [&run, &logs] {
        // RuntimeDirectory= and LogsDirectory=: User:Group, 0750.
        fs::create_dir(p).unwrap();
        std::os::unix::fs::chown(p, Some(ANONLOG), Some(www)).unwrap();
        fs::set_permissions(p, fs::Permissions::from_mode(0o750)).unwrap();
    }
    let mut args = recipe_args("anonlog-nginx.service", &run, &logs);
    args.push("--stats=json".to_owned());
    let stderr = d.join("err");
    let child = Command::new(bin())
        .args(&args)
        .uid(ANONLOG)
        .gid(www)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut anonlog = Anonlog {
        child: Some(child),
        stderr,
    };
    let sock = run.join("nginx.sock");
    eventually("the recipe's socket", || sock.exists(), || anonlog.report());
    let meta = fs::symlink_metadata(&sock).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (ANONLOG, www, 0o660),
        "socket owner, group and mode"
    );
    let dg = combined_datagram("GET /from-nginx HTTP/1.1");
    assert_eq!(
        send_as(WEB, www, &sock, &dg),
        0,
        "the web server is refused"
    );
    assert_eq!(
        send_as(WEB, WEB, &sock, b"FORGED"),
        libc::EACCES,
        "a user outside www-data got in"
    );
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let err = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {err}");
    assert_eq!(
        read_text(&logs.join("access.log")),
        "192.0.2.0 - - [22/Nov/2025:08:39:58 +0000] \"GET /from-nginx HTTP/1.1\" 200 5 \"-\" \"ua\"\n"
    );
    assert_stats(&err, &[("datagrams", 1)]);
}
