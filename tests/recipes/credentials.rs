//! The production key recipe
//! (`samples/systemd/anonlog-nginx.service.d/pseudonymize.conf`): its
//! command, run as the service's user on a credential directory laid out
//! as systemd lays one out for `LoadCredential=` on a file system with
//! ACLs (tmpfs): directory and key owned by root, mode 0500 and 0400, each
//! with an ACL entry for the service's user, so they show as 0550 and 0440.

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::child::{Anonlog, NOBODY, combined_datagram, open_dir, read_text};
use crate::harness::{Check, Need};
use crate::util::{bin, eventually, run};

pub const CHECKS: &[Check] = &[Check {
    name: "credentials::service_user_reads_its_credential",
    needs: &[Need::Root],
    run: service_user_reads_its_credential,
}];

/// Gives `path` the access ACL `user::P, user:UID:P, group::-, mask::P,
/// other::-` (P = `perm`), in the kernel's format, as systemd does with
/// `fd_add_uid_acl_permission`.
fn set_acl(path: &Path, uid: u32, perm: u16) {
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, p, id) in [
        (0x01u16, perm, u32::MAX),
        (0x02, perm, uid),
        (0x04, 0, u32::MAX),
        (0x10, perm, u32::MAX),
        (0x20, 0, u32::MAX),
    ] {
        acl.extend(tag.to_le_bytes());
        acl.extend(p.to_le_bytes());
        acl.extend(id.to_le_bytes());
    }
    let name = c"system.posix_acl_access";
    let p = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: both strings are NUL-terminated and `acl` outlives the call.
    let r = unsafe { libc::setxattr(p.as_ptr(), name.as_ptr(), acl.as_ptr().cast(), acl.len(), 0) };
    assert_eq!(
        r,
        0,
        "setting an ACL on {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

fn service_user_reads_its_credential() {
    let www = anonlog::engine::listen::parse_group("www-data").expect("the group www-data");
    let dir = open_dir();
    let d = dir.path();
    // /run/credentials/anonlog-nginx.service
    let creds = d.join("credentials/anonlog-nginx.service");
    fs::create_dir_all(&creds).unwrap();
    let key = creds.join("anonlog.key");
    let out = Command::new(bin())
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // The same key where only root can read it, for the expected output.
    let private = d.join("root.key");
    fs::copy(&key, &private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o400)).unwrap();
    set_acl(&key, NOBODY, 4);
    fs::set_permissions(&creds, fs::Permissions::from_mode(0o500)).unwrap();
    set_acl(&creds, NOBODY, 5);
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(
        (mode(&creds), mode(&key)),
        (0o550, 0o440),
        "as systemd shows them"
    );

    let (rundir, logs) = (d.join("run"), d.join("log"));
    for p in [&rundir, &logs] {
        fs::create_dir(p).unwrap();
        std::os::unix::fs::chown(p, Some(NOBODY), Some(www)).unwrap();
        fs::set_permissions(p, fs::Permissions::from_mode(0o750)).unwrap();
    }
    let args: Vec<String> =
        crate::systemd::recipe_args("anonlog-nginx.service.d/pseudonymize.conf", &rundir, &logs)
            .iter()
            .map(|a| a.replace("%d", creds.to_str().unwrap()))
            .collect();
    let stderr = d.join("err");
    let child = Command::new(bin())
        .args(&args)
        .uid(NOBODY)
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
    let sock = rundir.join("nginx.sock");
    eventually("the socket", || sock.exists(), || anonlog.report());
    let dg = combined_datagram("GET /keyed HTTP/1.1");
    // As root: the socket's mode does not keep root out.
    UnixDatagram::unbound()
        .unwrap()
        .send_to(&dg, &sock)
        .unwrap();
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    assert!(status.success(), "{status}: {}", anonlog.stderr_text());

    let text = String::from_utf8(dg).unwrap();
    // The line as the listener writes it: one datagram, one line.
    let line = format!("{}\n", text.split_once(" nginx: ").unwrap().1);
    let line = line.as_bytes();
    let want = run(
        &[
            "--pseudonymize",
            "pfx",
            "--key-file",
            private.to_str().unwrap(),
            "-q",
        ],
        line,
    );
    assert!(want.status.success(), "{want:?}");
    let got = read_text(&logs.join("access.log"));
    assert_eq!(
        got,
        String::from_utf8_lossy(&want.stdout),
        "pseudonymized with the credential"
    );
    assert!(!got.starts_with("192.0.2."), "not pseudonymized: {got}");

    // The same file is refused to root: someone else (the service's user)
    // can read it.
    let out = run(
        &["--pseudonymize", "pfx", "--key-file", key.to_str().unwrap()],
        line,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("mode 0440"), "{err}");
}
