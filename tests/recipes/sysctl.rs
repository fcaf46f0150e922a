//! The sysctl recipe (`samples/sysctl.d/60-anonlog.conf`): applied by the
//! real `sysctl` in a network namespace of the check's own (the setting is
//! per namespace, so the machine's own value is never touched), where it
//! silences the listener's warning about a short queue.

use std::fs;
use std::process::{Command, Stdio};

use crate::child::{Anonlog, QUEUE_WARNING};
use crate::harness::{Check, Need, needed};
use crate::util::{bin, eventually, samples};

pub const CHECKS: &[Check] = &[
    Check {
        name: "sysctl::recipe_raises_the_queue_past_the_warning",
        needs: &[],
        run: recipe_raises_the_queue_past_the_warning,
    },
    Check {
        name: "sysctl::recipe_silences_the_listeners_warning",
        needs: &[
            Need::Root,
            Need::Program("unshare"),
            Need::Program("sysctl"),
        ],
        run: recipe_silences_the_listeners_warning,
    },
];

fn recipe() -> std::path::PathBuf {
    samples().join("sysctl.d/60-anonlog.conf")
}

/// The file sets one key that this kernel has, to at least the length
/// below which anonlog warns.
fn recipe_raises_the_queue_past_the_warning() {
    let text = fs::read_to_string(recipe()).unwrap();
    let settings: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('=').expect("key = value"))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    assert_eq!(settings.len(), 1, "{settings:?}");
    let (key, value) = settings[0];
    assert_eq!(
        format!("/proc/sys/{}", key.replace('.', "/")),
        anonlog::engine::listen::UNIX_QUEUE_SYSCTL
    );
    let n = anonlog::engine::listen::parse_queue_len(value.as_bytes()).expect("a number");
    assert!(n >= anonlog::engine::listen::MIN_UNIX_QUEUE, "{n}");
}

/// A listener started with `--quiet` in a fresh network namespace, which
/// has the kernel's default queue of 10: warned about, naming the sysctl
/// file; then, with the recipe applied first by `sysctl -p`: silent.
fn recipe_silences_the_listeners_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (apply, want_warning) in [(false, true), (true, false)] {
        let sock = d.join(format!("s{apply}.sock"));
        let script = if apply {
            r#"sysctl -q -p "$1" && exec "$2" --listen "unix:$3" --quiet"#
        } else {
            r#"exec "$2" --listen "unix:$3" --quiet"#
        };
        let err = d.join(format!("err{apply}"));
        let child = Command::new(needed("unshare"))
            .args(["-n", "sh", "-c", script, "sh"])
            .arg(recipe())
            .arg(bin())
            .arg(&sock)
            .env(
                "PATH",
                format!(
                    "/usr/sbin:/sbin:{}",
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        // `unshare` and `sh -c exec` run anonlog in the same process.
        let mut anonlog = Anonlog {
            child: Some(child),
            stderr: err,
        };
        eventually("the socket", || sock.exists(), || anonlog.report());
        anonlog.signal(libc::SIGTERM);
        let status = anonlog.wait();
        let stderr = anonlog.stderr_text();
        assert!(status.success(), "apply {apply}: {status}; {stderr}");
        if want_warning {
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.starts_with(&format!("{QUEUE_WARNING}10:"))
                    && stderr.contains("samples/sysctl.d/60-anonlog.conf"),
                "{stderr}"
            );
        } else {
            assert_eq!(stderr, "", "with the recipe applied");
        }
    }
}
