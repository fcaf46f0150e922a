//! gzip in and out, in-place rewrites (including a real SIGKILL), batches.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;
use std::time::Duration;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::util::{bin, count_lines, expected, run, sample, temps};

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    MultiGzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn multi_member_gzip_input_is_read_whole() {
    let log = sample("access.log");
    let cut = log[..log.len() / 2]
        .iter()
        .rposition(|&c| c == b'\n')
        .unwrap()
        + 1;
    let (a, b) = log.split_at(cut);
    let both = [gz(a), gz(b)].concat();
    let out = run(&["-q"], &both);
    assert!(out.status.success());
    assert_eq!(out.stdout, expected("access.out"));
}

#[test]
fn gzip_is_detected_by_magic_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log"); // no .gz suffix
    fs::write(&f, gz(&sample("access.log"))).unwrap();
    let out = run(&["-q", f.to_str().unwrap()], b"");
    assert_eq!(out.stdout, expected("access.out"));
}

#[test]
fn truncated_gzip_names_the_file_and_keeps_earlier_lines() {
    let mut big = Vec::new();
    for _ in 0..400 {
        big.extend(sample("access.log"));
    }
    let z = gz(&big);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cut.log.gz");
    fs::write(&f, &z[..z.len() / 2]).unwrap();
    for threads in ["1", "2"] {
        let out = run(&["-q", "-j", threads, f.to_str().unwrap()], b"");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot read") && err.contains("cut.log.gz"),
            "{err}"
        );
        let lines = count_lines(&out.stdout);
        assert!(
            lines > 1000,
            "lines decoded before the fault are written: {lines}"
        );
        // Whatever was written is anonymized: no raw client of the sample.
        assert!(!String::from_utf8_lossy(&out.stdout).contains("198.51.100.77"));
    }
}

#[test]
fn gzip_output_is_valid_multi_member_gzip() {
    let log = sample("access.log");
    // zlib-rs at levels 1-2 and 8-9, libdeflate at 3-7.
    for (threads, level) in [("1", "1"), ("2", "1"), ("2", "6"), ("1", "9")] {
        let out = run(
            &[
                "-q",
                "-z",
                "-j",
                threads,
                "--block-size",
                "300",
                "--gzip-level",
                level,
            ],
            &log,
        );
        assert!(out.status.success());
        assert_eq!(&out.stdout[..2], &[0x1f, 0x8b]);
        assert_eq!(gunzip(&out.stdout), expected("access.out"));
        if let Ok(st) = Command::new("gzip")
            .arg("-t")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(&out.stdout)?;
                c.wait()
            })
        {
            assert!(st.success(), "gzip -t rejects our output");
        }
    }
    // No input at all still gives a valid gzip file (logrotate on an empty log).
    let out = run(&["-q", "-z"], b"");
    assert!(out.status.success());
    assert_eq!(gunzip(&out.stdout), b"");
}

#[test]
fn in_place_keeps_metadata_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("access.log");
    let zipped = dir.path().join("access.log.2.gz");
    fs::write(&plain, sample("access.log")).unwrap();
    fs::write(&zipped, gz(&sample("access.log"))).unwrap();
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o640)).unwrap();
    let old = fs::FileTimes::new()
        .set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000));
    fs::File::options()
        .write(true)
        .open(&plain)
        .unwrap()
        .set_times(old)
        .unwrap();
    let before = fs::metadata(&plain).unwrap();

    let out = run(
        &[
            "-q",
            "--in-place",
            plain.to_str().unwrap(),
            zipped.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(fs::read(&plain).unwrap(), expected("access.out"));
    let z = fs::read(&zipped).unwrap();
    assert_eq!(&z[..2], &[0x1f, 0x8b], "gzip stays gzip");
    assert_eq!(gunzip(&z), expected("access.out"));
    let after = fs::metadata(&plain).unwrap();
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_eq!(after.mtime(), 1_600_000_000);
    assert_ne!(
        after.ino(),
        before.ino(),
        "replaced by rename, not rewritten in place"
    );
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
}

#[test]
fn rerun_leaves_anonymized_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log");
    fs::write(&f, sample("access.log")).unwrap();
    assert!(
        run(&["-q", "-i", f.to_str().unwrap()], b"")
            .status
            .success()
    );
    let first = fs::metadata(&f).unwrap();
    let content = fs::read(&f).unwrap();
    let out = run(&["-i", f.to_str().unwrap()], b"");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 rewritten, 1 already anonymized"));
    assert_eq!(fs::read(&f).unwrap(), content);
    assert_eq!(
        fs::metadata(&f).unwrap().ino(),
        first.ino(),
        "not even replaced"
    );
}

#[test]
fn in_place_leaves_a_file_whose_format_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    // vhost_combined lines read as combined would lose every client (it
    // would be taken for the identd name): combined refuses them.
    let vhost = sample("vhost_combined.log").repeat(50);
    let f = dir.path().join("other_vhosts_access.log");
    fs::write(&f, &vhost).unwrap();
    let good = dir.path().join("access.log");
    fs::write(&good, sample("access.log")).unwrap();
    let out = run(
        &[
            "--in-place",
            "-q",
            "-f",
            "combined",
            f.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("other_vhosts_access.log: 100 of 100 lines"),
        "{err}"
    );
    assert!(err.contains("Try -f vhost_combined"), "{err}");
    assert!(err.contains("the file was left unchanged"), "{err}");
    assert_eq!(fs::read(&f).unwrap(), vhost, "untouched");
    assert_eq!(
        fs::read(&good).unwrap(),
        expected("access.out"),
        "the batch goes on"
    );
    assert!(temps(dir.path()).is_empty());
    // Chosen from its own lines, the format fits.
    let out = run(&["--in-place", "-q", f.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read(&f).unwrap(),
        expected("vhost_combined.out").repeat(50)
    );
}

#[test]
fn refuses_hard_links_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.log");
    fs::write(&f, sample("access.log")).unwrap();
    let link = dir.path().join("b.log");
    fs::hard_link(&f, &link).unwrap();
    let out = run(&["-q", "-i", f.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hard links"));
    assert_eq!(fs::read(&f).unwrap(), sample("access.log"));
    fs::remove_file(&link).unwrap();
    let sym = dir.path().join("s.log");
    std::os::unix::fs::symlink(&f, &sym).unwrap();
    let out = run(&["-q", "-i", sym.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn batch_walks_directories_reports_errors_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("archive/2025");
    fs::create_dir_all(&sub).unwrap();
    fs::write(dir.path().join("access.log"), sample("access.log")).unwrap();
    fs::write(sub.join("access.log.3.gz"), gz(&sample("access.log"))).unwrap();
    fs::write(sub.join("other_vhosts_access.log"), sample("access.log")).unwrap();
    fs::write(sub.join("broken.log.gz"), &gz(&sample("access.log"))[..40]).unwrap();
    fs::write(sub.join("notes.txt"), b"keep 198.51.100.7\n").unwrap();
    fs::write(sub.join(".hidden.log"), b"keep 198.51.100.7\n").unwrap();
    let out = run(&["-i", "-r", "-j", "2", dir.path().to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2), "one file failed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.log.gz"), "{err}");
    assert!(
        err.contains("4 files: 3 rewritten, 0 already anonymized, 1 failed"),
        "{err}"
    );
    assert_eq!(
        fs::read(dir.path().join("access.log")).unwrap(),
        expected("access.out")
    );
    assert_eq!(
        gunzip(&fs::read(sub.join("access.log.3.gz")).unwrap()),
        expected("access.out")
    );
    assert_eq!(
        fs::read(sub.join("other_vhosts_access.log")).unwrap(),
        expected("access.out")
    );
    assert_eq!(
        fs::read(sub.join("notes.txt")).unwrap(),
        b"keep 198.51.100.7\n",
        "not a log name"
    );
    assert_eq!(
        fs::read(sub.join(".hidden.log")).unwrap(),
        b"keep 198.51.100.7\n"
    );
    assert_eq!(
        fs::read(sub.join("broken.log.gz")).unwrap(),
        &gz(&sample("access.log"))[..40],
        "a failed file is left as it was"
    );
}

/// The kill test: SIGKILL an in-place rewrite at several points; the file is
/// always either the original or the complete anonymized version, and the
/// next run finishes the job and removes the dead run's temporary file.
#[test]
fn sigkill_during_in_place_leaves_original_or_complete_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut original = Vec::new();
    let unit = sample("access.log");
    while original.len() < 24 << 20 {
        original.extend(&unit);
    }
    let reference = dir.path().join("reference.log");
    fs::write(&reference, &original).unwrap();
    let want = run(&["-q", reference.to_str().unwrap()], b"").stdout;
    assert_ne!(want, original);
    let f = dir.path().join("access.log");
    let mut outcomes = (0, 0);
    for (i, delay_ms) in [0u64, 30, 120, 400, 1500].into_iter().enumerate() {
        fs::write(&f, &original).unwrap();
        let mut child = Command::new(bin())
            .args([
                "-q",
                "-i",
                "-j",
                if i % 2 == 0 { "1" } else { "2" },
                f.to_str().unwrap(),
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = fs::read(&f).unwrap();
        if now == original {
            outcomes.0 += 1;
        } else {
            assert!(
                now == want,
                "after SIGKILL at {delay_ms} ms the file is neither original nor complete"
            );
            outcomes.1 += 1;
        }
        // Any temporary file holds anonymized bytes only, never raw ones.
        for e in fs::read_dir(dir.path()).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".access.log.anonlog-")
            {
                let t = fs::read(&p).unwrap();
                assert!(
                    !String::from_utf8_lossy(&t).contains("198.51.100.77"),
                    "temporary file holds raw data"
                );
            }
        }
        // The next run completes the rewrite and cleans up.
        assert!(
            run(&["-q", "-i", f.to_str().unwrap()], b"")
                .status
                .success()
        );
        assert_eq!(fs::read(&f).unwrap(), want);
        assert!(
            temps(dir.path()).is_empty(),
            "stale temporary file left after a successful run"
        );
    }
    assert!(outcomes.0 + outcomes.1 == 5);
}

#[test]
fn progress_bar_only_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let unit = sample("access.log");
    for i in 0..3 {
        fs::write(
            dir.path().join(format!("access.log.{i}")),
            unit.repeat(4000),
        )
        .unwrap();
    }
    let d = dir.path().to_str().unwrap();
    // Not a terminal: the summary line and nothing else.
    let out = run(&["-i", "-r", d], b"");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("ETA"), "{err}");
    assert!(err.contains("3 files: 3 rewritten"), "{err}");
    // A terminal (script(1) provides a pty): the bar is drawn.
    let log = dir.path().join("typescript");
    for i in 0..3 {
        fs::write(
            dir.path().join(format!("access.log.{i}")),
            unit.repeat(4000),
        )
        .unwrap();
    }
    let cmd = format!("{} -i -r {d}", bin().display());
    let Ok(st) = Command::new("script")
        .args(["-qec", &cmd])
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .status()
    else {
        eprintln!("SKIPPED: script(1) is not installed");
        return;
    };
    assert!(st.success());
    let tty = String::from_utf8_lossy(&fs::read(&log).unwrap()).into_owned();
    assert!(
        tty.contains("ETA") && tty.contains("MiB"),
        "no progress bar on a terminal: {tty}"
    );
}
