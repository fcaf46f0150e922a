//! Retention sweeps: `--in-place -r DIR --older-than AGE` rewrites only
//! files old enough, leaves younger ones and files open for writing
//! untouched, and says so in the summary; the sample systemd units that
//! run such a sweep every day.

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

/// The sample units, `samples/systemd/anonlog-retention.{service,timer}`.
fn unit(ext: &str) -> String {
    let p = crate::util::samples().join(format!("systemd/anonlog-retention.{ext}"));
    fs::read_to_string(p).unwrap()
}

/// The values of `key=` in a unit, in order.
fn settings(unit: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}=");
    unit.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

/// Whether `program` can be run; when not, fails under CI (which installs
/// it: .ci/run) and skips loudly elsewhere.
fn have_program(program: &str, what: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing; .ci/run installs it for {what}"
        );
        eprintln!("SKIPPED {what}: {program} not found");
    }
    found
}

/// `systemd-analyze verify` finds nothing to say about the units, unknown
/// keys included (they are only warnings, so its stderr must be silent
/// about them too). It needs no running systemd, but it checks that
/// ExecStart='s program exists, so the copy verified names the binary
/// under test instead of /usr/local/bin/anonlog.
#[test]
fn retention_units_pass_systemd_analyze_verify() {
    if !have_program("systemd-analyze", "verifying the retention units") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for ext in ["service", "timer"] {
        let text = unit(ext).replace(
            "/usr/local/bin/anonlog",
            crate::util::bin().to_str().unwrap(),
        );
        let p = dir.path().join(format!("anonlog-retention.{ext}"));
        fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&paths)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("anonlog-retention"), "{err}");
}

/// What the units promise: a daily, persistent, randomized timer for the
/// service; a hardened oneshot at idle priority that sweeps with
/// --older-than 7d and records each run.
#[test]
fn retention_units_say_what_the_workflow_needs() {
    let timer = unit("timer");
    for (key, want) in [
        ("Persistent", "true"),
        ("RandomizedDelaySec", "1h"),
        ("Unit", "anonlog-retention.service"),
        ("WantedBy", "timers.target"),
    ] {
        assert_eq!(settings(&timer, key), [want], "{key}");
    }
    assert_eq!(settings(&timer, "OnCalendar").len(), 1);
    let service = unit("service");
    for (key, want) in [
        ("Type", "oneshot"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ReadWritePaths", "-/var/log/nginx -/var/log/apache2"),
        ("IOSchedulingClass", "idle"),
        ("CPUSchedulingPolicy", "idle"),
        ("Nice", "19"),
        ("After", "logrotate.service"),
    ] {
        assert_eq!(settings(&service, key), [want], "{key}");
    }
    let exec = settings(&service, "ExecStart").join(" ");
    for word in [
        "--in-place",
        "--recursive",
        "--older-than 7d",
        "--report /var/log/anonlog/",
    ] {
        assert!(exec.contains(word), "{exec}");
    }
}

/// The service's command, run as root with nothing but the unit's
/// CapabilityBoundingSet= (setpriv), no new privileges and its UMask=, on
/// a log directory laid out as Debian's: root's directory, files of
/// another user 0640. The old file is rewritten keeping owner, group,
/// mode and mtime; the young one is untouched; the record is 0640. One
/// capability fewer (FOWNER) and the rewrite fails: the set is needed.
#[test]
fn the_retention_service_works_with_its_capabilities_only() {
    use std::os::unix::fs::{PermissionsExt, chown};
    use std::os::unix::process::CommandExt;
    if !crate::util::have_root("running the retention service's command")
        || !have_program("setpriv", "running with the unit's capabilities")
    {
        return;
    }
    let service = unit("service");
    let caps: Vec<String> = settings(&service, "CapabilityBoundingSet")[0]
        .split_whitespace()
        .map(|c| c.strip_prefix("CAP_").unwrap().to_ascii_lowercase())
        .collect();
    let umask = u32::from_str_radix(&settings(&service, "UMask")[0], 8).unwrap();
    let root = tempfile::tempdir().unwrap();
    let (logs, own) = (root.path().join("nginx"), root.path().join("anonlog"));
    fs::create_dir(&logs).unwrap();
    fs::create_dir(&own).unwrap();
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let exec = settings(&service, "ExecStart")[0]
        .replace("/var/log/nginx", logs.to_str().unwrap())
        .replace("/var/log/anonlog", own.to_str().unwrap());
    let args: Vec<&str> = exec.split_whitespace().skip(1).collect();
    let file = |name: &str, days: u32| {
        let p = aged(&logs, name, &sample("access.log"), DAY * days);
        chown(&p, Some(12_345), Some(54_321)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        p
    };
    let run_with = |caps: &[String]| {
        let set: Vec<String> = caps.iter().map(|c| format!("+{c}")).collect();
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--no-new-privs", "--inh-caps=-all"])
            .arg(format!("--bounding-set=-all,{}", set.join(",")))
            .arg("--")
            .arg(crate::util::bin())
            .args(&args);
        // SAFETY: umask is async-signal-safe and touches no memory.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(umask as libc::mode_t);
                Ok(())
            })
        };
        cmd.output().unwrap()
    };
    let old = file("access.log.8", 8);
    let young = file("access.log.1", 6);
    let old_mtime = mtime(&old);
    let out = run_with(&caps);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read(&old).unwrap(), expected("access.out"));
    let m = fs::metadata(&old).unwrap();
    assert_eq!(
        (m.uid(), m.gid(), m.mode() & 0o7777),
        (12_345, 54_321, 0o640)
    );
    assert_eq!(mtime(&old), old_mtime);
    assert_eq!(fs::read(&young).unwrap(), sample("access.log"));
    let record = fs::read_dir(&own).unwrap().next().unwrap().unwrap().path();
    let m = fs::metadata(&record).unwrap();
    assert_eq!(m.mode() & 0o777, 0o640);
    let line: serde_json::Value = serde_json::from_slice(&fs::read(&record).unwrap()).unwrap();
    assert_eq!(line["files"]["rewritten"], 1);

    let fewer: Vec<String> = caps.iter().filter(|c| *c != "fowner").cloned().collect();
    assert!(fewer.len() < caps.len(), "the unit gives CAP_FOWNER");
    let again = file("access.log.9", 9);
    let out = run_with(&fewer);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read(&again).unwrap(), sample("access.log"));
    assert!(temps(&logs).is_empty());
}
