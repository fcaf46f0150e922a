//! A real Apache httpd with anonip's own configuration line, the symlink
//! in place of anonip: `CustomLog "|ANONIP --output FILE" combined`, on
//! its own ServerRoot and a free 127.0.0.1 port. Requests before and after
//! a graceful restart must all reach the file, masked as anonip masks them.
//! Without apache2 the test fails under CI (`.ci/run` installs it) and is
//! skipped elsewhere.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::Symlink;
use super::util;

fn find_apache() -> Option<PathBuf> {
    let path = ["/usr/sbin/apache2", "/usr/sbin/httpd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    match path {
        Some(p) => util::have_program(p.to_str().unwrap(), &["-v"]).then_some(p),
        None => util::have_program("apache2", &["-v"]).then(|| "apache2".into()),
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The apache2 parent; stopped (SIGTERM, then waited for) when dropped.
struct Apache(Child);

impl Drop for Apache {
    fn drop(&mut self) {
        signal(&self.0, libc::SIGTERM);
        let _ = self.0.wait();
    }
}

fn signal(c: &Child, sig: libc::c_int) {
    // SAFETY: kill has no memory preconditions; the pid is our child's.
    unsafe { libc::kill(c.id() as i32, sig) };
}

fn config(root: &Path, port: u16, anonip: &Path, log: &Path) -> String {
    let modules = "/usr/lib/apache2/modules";
    // As root, the workers need an unprivileged user; the piped logger
    // runs as the parent, as anonip does under Apache.
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 {
        "User nobody\nGroup nogroup\n"
    } else {
        ""
    };
    format!(
        "ServerRoot \"{root}\"\n\
         DefaultRuntimeDir \"{root}\"\n\
         PidFile \"{root}/httpd.pid\"\n\
         Mutex file:{root} default\n\
         LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         {user}\
         ServerName localhost\n\
         Listen 127.0.0.1:{port}\n\
         StartServers 1\n\
         ErrorLog \"{root}/error.log\"\n\
         DocumentRoot \"{root}/htdocs\"\n\
         <Directory \"{root}/htdocs\">\n  Require all granted\n</Directory>\n\
         LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{{Referer}}i\\\" \\\"%{{User-Agent}}i\\\"\" combined\n\
         CustomLog \"|{anonip} --output {log}\" combined\n",
        root = root.display(),
        anonip = anonip.display(),
        log = log.display(),
    )
}

fn get(port: u16, i: usize) {
    util::eventually(
        "apache to answer",
        || {
            let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
                return false;
            };
            let req = format!(
                "GET /page{i}?id={i} HTTP/1.0\r\nHost: localhost\r\nReferer: https://ref.example/{i}\r\nUser-Agent: anonip-test/{i}\r\n\r\n"
            );
            let mut reply = Vec::new();
            s.write_all(req.as_bytes()).is_ok()
                && s.read_to_end(&mut reply).is_ok()
                && !reply.is_empty()
        },
        String::new,
    );
}

fn logged(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn real_apache_piped_log_with_anonips_customlog_line() {
    let Some(apache) = find_apache() else { return };
    let link = Symlink::new();
    let root = link.dir().join("root");
    fs::create_dir_all(root.join("htdocs")).unwrap();
    fs::write(root.join("htdocs/index.html"), "hi\n").unwrap();
    // The workers (nobody) must reach the document root.
    use std::os::unix::fs::PermissionsExt;
    for d in [link.dir(), &root, &root.join("htdocs")] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = root.join("access.log");
    let port = free_port();
    let conf = root.join("httpd.conf");
    fs::write(&conf, config(&root, port, &link.path(), &log)).unwrap();
    // A process group of its own: Apache signals its whole group on a
    // restart or a stop (its logger gets SIGUSR1, a reopen, then SIGTERM,
    // a drain), and this test must not be in it.
    let child = Command::new(&apache)
        .process_group(0)
        .args(["-f", conf.to_str().unwrap(), "-DFOREGROUND"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let apache = Apache(child);
    let context = || fs::read_to_string(root.join("error.log")).unwrap_or_default();
    for i in 0..3 {
        get(port, i);
        // Each line reaches the file at once: nothing waits for a block.
        util::eventually(
            "the request in access.log",
            || logged(&log).len() == i + 1,
            context,
        );
    }
    // A graceful restart (SIGUSR1), then more requests.
    signal(&apache.0, libc::SIGUSR1);
    for i in 3..6 {
        get(port, i);
    }
    util::eventually(
        "all requests in access.log",
        || logged(&log).len() == 6,
        context,
    );
    drop(apache);
    let lines = logged(&log);
    for (i, line) in lines.iter().enumerate() {
        let (head, tail) = line
            .split_once(" - - [")
            .unwrap_or_else(|| panic!("{line}"));
        assert_eq!(head, "127.0.0.0", "{line}");
        // The rest as Apache wrote it: anonip touches the address only.
        let request = format!("] \"GET /page{i}?id={i} HTTP/1.0\" 404 ");
        let headers = format!(" \"https://ref.example/{i}\" \"anonip-test/{i}\"");
        assert!(
            tail.contains(&request) && tail.ends_with(&headers),
            "{line}"
        );
    }
}
