//! The Apache recipe (`samples/apache/anonlog.conf`): accepted by `apache2
//! -t` as shipped, and run by a real Apache on 127.0.0.1 (its own
//! ServerRoot, no envvars, no service), which must log each request once,
//! anonymized, and its error log anonymized too.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::child::{lines_in, open_dir, read_text, signal};
use crate::harness::{Check, Need, needed};
use crate::util::{bin, eventually, samples};

const APACHE: Need = Need::Program("apache2");

pub const CHECKS: &[Check] = &[
    Check {
        name: "apache::config_test_accepts_the_recipe",
        needs: &[APACHE],
        run: config_test_accepts_the_recipe,
    },
    Check {
        name: "apache::recipe_logs_each_request_once",
        needs: &[APACHE, Need::Root],
        run: recipe_logs_each_request_once,
    },
];

/// Debian's modules (the MPM and `Require` are modules there).
const MODULES: &str = "/usr/lib/apache2/modules";

/// An httpd.conf that runs Apache on `root` alone (no Debian envvars), on
/// 127.0.0.1:`port`, serving `root`/html, with `include` at the end as
/// Debian's conf-enabled/ comes after the main server's settings.
fn httpd_conf(root: &Path, port: u16, include: &Path) -> String {
    let d = root.display();
    format!(
        r#"ServerRoot {d}
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {d}/apache2.pid
DefaultRuntimeDir {d}
Mutex file:{d} default
User www-data
Group www-data
LogLevel info
ErrorLog {d}/raw-error.log
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{{Referer}}i\" \"%{{User-Agent}}i\"" combined
DocumentRoot {d}/html
<Directory {d}/html>
    Require all granted
</Directory>
Include {include}
"#,
        include = include.display()
    )
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `apache2 -t` accepts the recipe file as shipped.
fn config_test_accepts_the_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("html")).unwrap();
    let conf = d.join("httpd.conf");
    fs::write(
        &conf,
        httpd_conf(d, free_port(), &samples().join("apache/anonlog.conf")),
    )
    .unwrap();
    let out = Command::new(needed("apache2"))
        .arg("-d")
        .arg(d)
        .arg("-f")
        .arg(&conf)
        .arg("-t")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "apache2 -t: {}\n{said}", out.status);
    assert_eq!(said.trim(), "Syntax OK");
}

/// Processes whose command line names `dir`: Apache and its piped anonlogs.
fn running_in(dir: &Path) -> Vec<u32> {
    let needle = dir.to_str().unwrap().as_bytes();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

/// Apache and its piped loggers, stopped (SIGTERM to the master, which
/// stops its children and loggers) when the guard goes.
struct Apache {
    child: Option<Child>,
    root: std::path::PathBuf,
}

impl Drop for Apache {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(c.id(), libc::SIGTERM);
            let _ = c.wait();
        }
        for pid in running_in(&self.root) {
            // SAFETY: kill(2) takes plain integers and touches no memory.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    }
}

/// Apache with the recipe (its paths moved into the test's directory):
/// requests for a page, a missing page and the same page again, each with
/// a query, a referrer and credentials. Each is in access.log exactly once,
/// anonymized; error.log has Apache's messages, the one about the missing
/// file with the client's address truncated and without its port.
fn recipe_logs_each_request_once() {
    let dir = open_dir();
    let d = dir.path();
    fs::create_dir(d.join("html")).unwrap();
    fs::write(d.join("html/index.html"), "ok\n").unwrap();
    let recipe = fs::read_to_string(samples().join("apache/anonlog.conf"))
        .unwrap()
        .replace("/usr/local/bin/anonlog", bin().to_str().unwrap())
        .replace("/var/log/apache2/", &format!("{}/", d.display()));
    let include = d.join("anonlog.conf");
    fs::write(&include, recipe).unwrap();
    let port = free_port();
    let conf = d.join("httpd.conf");
    fs::write(&conf, httpd_conf(d, port, &include)).unwrap();
    let child = Command::new(needed("apache2"))
        .arg("-d")
        .arg(d)
        .arg("-f")
        .arg(&conf)
        .arg("-DFOREGROUND")
        .stdin(Stdio::null())
        .stdout(fs::File::create(d.join("apache.out")).unwrap())
        .stderr(fs::File::create(d.join("apache.err")).unwrap())
        .spawn()
        .unwrap();
    let mut apache = Apache {
        child: Some(child),
        root: d.to_owned(),
    };
    let said = || {
        format!(
            "{}{}",
            fs::read_to_string(d.join("apache.err")).unwrap_or_default(),
            fs::read_to_string(d.join("raw-error.log")).unwrap_or_default()
        )
    };
    eventually(
        "Apache to accept connections",
        || TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok(),
        said,
    );
    let ask = |path: &str| {
        let req = format!(
            "GET {path}?token=SECRET HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Referer: https://ref.example.org/?q=jane\r\n\
             Authorization: Basic YWxpY2U6cHc=\r\nConnection: close\r\n\r\n"
        );
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp
    };
    let requests = [
        ("/index.html", 200),
        ("/missing.html", 404),
        ("/index.html", 200),
    ];
    for (path, status) in requests {
        let resp = ask(path);
        assert!(resp.starts_with(&format!("HTTP/1.1 {status} ")), "{resp}");
    }
    let (access, error) = (d.join("access.log"), d.join("error.log"));
    eventually(
        "the requests' lines",
        || lines_in(&access) >= requests.len() && read_text(&error).contains("AH00128"),
        said,
    );
    // Stopping Apache stops its loggers; they write what is left and exit.
    let mut master = apache.child.take().unwrap();
    signal(master.id(), libc::SIGTERM);
    master.wait().unwrap();
    eventually(
        "the piped anonlogs to exit",
        || running_in(d).is_empty(),
        said,
    );

    // Once in all of the logs: no second CustomLog writes another copy.
    for e in fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".log") && !["access.log", "error.log"].contains(&name.as_str()) {
            assert_eq!(lines_in(&p), 0, "{name}: {}", read_text(&p));
        }
    }
    let access = read_text(&access);
    let lines: Vec<&str> = access.lines().collect();
    assert_eq!(lines.len(), requests.len(), "each request once: {access}");
    for (line, (path, status)) in lines.iter().zip(requests) {
        assert!(
            line.starts_with("127.0.0.0 - - [")
                && line.contains(&format!("\"GET {path} HTTP/1.1\" {status} "))
                && line.ends_with(" \"-\" \"-\""),
            "{line}"
        );
    }
    let error = read_text(&error);
    assert!(
        error.lines().any(
            |l| l.contains("[client 127.0.0.0] AH00128: File does not exist:")
                && l.contains("missing.html")
        ),
        "{error}"
    );
    assert!(
        error.contains("AH00489"),
        "Apache's own messages too: {error}"
    );
    let raw = fs::read_to_string(d.join("raw-error.log")).unwrap_or_default();
    assert_eq!(raw, "", "the recipe's ErrorLog replaces the stock one");
    for (name, text) in [("access.log", &access), ("error.log", &error)] {
        for raw in ["127.0.0.1", "SECRET", "jane", "ref.example.org", "alice"] {
            assert!(!text.contains(raw), "{raw} in {name}: {text}");
        }
    }
}
