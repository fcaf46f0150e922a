//! Retention sweeps: `--in-place -r DIR --older-than AGE` rewrites only
//! files old enough, leaves younger ones and files open for writing
//! untouched, and says so in the summary.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::batch_safety::{cont, stopped_rewrite};
use crate::util::{expected, run, sample, stderr, temps};

const DAY: Duration = Duration::from_secs(86_400);

/// Writes `content` to `dir/name`, last modified `age` ago.
fn aged(dir: &Path, name: &str, content: &[u8], age: Duration) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, content).unwrap();
    let when = SystemTime::now() - age;
    let times = fs::FileTimes::new().set_modified(when).set_accessed(when);
    File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_times(times)
        .unwrap();
    p
}

fn mtime(p: &Path) -> (i64, i64) {
    let m = fs::metadata(p).unwrap();
    (m.mtime(), m.mtime_nsec())
}

/// A file eight days old is rewritten (keeping its times); one six days
/// old is byte-identical, the same inode, with the same mtime.
#[test]
fn only_files_older_than_the_age_are_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let old = aged(dir.path(), "access.log.8", &sample("access.log"), DAY * 8);
    let young = aged(dir.path(), "access.log.6", &sample("access.log"), DAY * 6);
    let (old_mtime, young_mtime) = (mtime(&old), mtime(&young));
    let young_ino = fs::metadata(&young).unwrap().ino();
    let d = dir.path().to_str().unwrap();
    let out = run(&["--in-place", "-r", d, "--older-than", "7d"], b"");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(fs::read(&old).unwrap(), expected("access.out"));
    assert_eq!(mtime(&old), old_mtime, "a rewrite keeps the mtime");
    assert_eq!(fs::read(&young).unwrap(), sample("access.log"));
    assert_eq!(mtime(&young), young_mtime);
    assert_eq!(fs::metadata(&young).unwrap().ino(), young_ino);
    assert!(
        err.contains(
            "2 files: 1 rewritten, 0 already anonymized, 0 failed, 0 skipped, 1 younger than 7d;"
        ),
        "{err}"
    );
    // The next sweep finds the old file done and still leaves the young one.
    let out = run(&["--in-place", "-r", d, "--older-than", "7d"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("0 rewritten, 1 already anonymized"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&young).unwrap(), sample("access.log"));
    // Other units, and named files, take the same rule.
    let out = run(&["-i", "--older-than", "36h", young.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read(&young).unwrap(), expected("access.out"));
}

/// An old file the test holds open for writing is not touched, is named
/// with the writer's pid, counted as open for writing, and fails the run
/// (raw lines stay in it), while the other old file is rewritten. An empty
/// one held open (a quiet site's live log) is counted but fails nothing.
#[test]
fn a_file_open_for_writing_is_left_alone_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let held = aged(dir.path(), "held.log", &sample("access.log"), DAY * 9);
    let old = aged(dir.path(), "old.log", &sample("access.log"), DAY * 9);
    let held_mtime = mtime(&held);
    let writer = OpenOptions::new().append(true).open(&held).unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&["-i", "-r", d, "--older-than", "1w"], b"");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "skipped {}: is open for writing by another process (pid {})",
            held.display(),
            std::process::id()
        )),
        "{err}"
    );
    assert!(
        err.contains("2 files: 1 rewritten, 0 already anonymized, 0 failed, 0 skipped, 1 open for writing, 0 younger than 1w;"),
        "{err}"
    );
    assert_eq!(fs::read(&held).unwrap(), sample("access.log"));
    assert_eq!(mtime(&held), held_mtime);
    assert_eq!(fs::read(&old).unwrap(), expected("access.out"));
    drop(writer);

    let quiet = tempfile::tempdir().unwrap();
    let empty = aged(quiet.path(), "access.log", b"", DAY * 9);
    let _writer = OpenOptions::new().append(true).open(&empty).unwrap();
    let out = run(
        &[
            "-i",
            "-r",
            quiet.path().to_str().unwrap(),
            "--older-than",
            "7d",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 open for writing"));
    assert!(temps(dir.path()).is_empty() && temps(quiet.path()).is_empty());
}

/// Ages that make no sense, and --older-than where no file is judged, are
/// usage errors (status 2) that say what to write; nothing is touched.
#[test]
fn bad_ages_and_misplaced_older_than_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = aged(dir.path(), "a.log", &sample("access.log"), DAY * 30);
    let p = f.to_str().unwrap();
    for (age, says) in [
        ("0", "zero"),
        ("0d", "zero"),
        ("-7d", "negative"),
        ("7", "needs a unit"),
        ("6m", "6min"),
        ("99999999999999999999999d", "too long"),
        ("1.5d", "expected a whole number"),
    ] {
        let out = run(&["-i", "--older-than", age, p], b"");
        assert_eq!(out.status.code(), Some(2), "{age}");
        assert!(stderr(&out).contains(says), "{age}: {}", stderr(&out));
    }
    let out = run(&["--older-than", "7d", p], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "needs --in-place: for a retention sweep, `anonlog --in-place -r DIR --older-than 7d`"
        ),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read(&f).unwrap(), sample("access.log"));
}

/// logrotate shifting rotated files while a sweep rewrites one: the path
/// being rewritten comes to name another (younger) file. The rename is
/// refused, so neither file loses a line: the younger one is untouched,
/// the older one, under its new name, is still whole.
#[test]
fn a_file_renamed_during_the_rewrite_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log.7");
    let (child, original) = stopped_rewrite(dir.path(), &f, false);
    let shifted = dir.path().join("access.log.8");
    fs::rename(&f, &shifted).unwrap();
    let younger = sample("combined-extra.log");
    fs::write(&f, &younger).unwrap();
    cont(&child);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{} was renamed or replaced by another process during the rewrite",
            f.display()
        )),
        "{err}"
    );
    assert_eq!(fs::read(&f).unwrap(), younger);
    assert_eq!(fs::read(&shifted).unwrap(), original);
    assert!(temps(dir.path()).is_empty());
}
