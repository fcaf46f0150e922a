//! The Spark job (`samples/spark/anonymize_archives.py`) run by a real
//! `spark-submit` in local mode, `local[2,4]` (two task slots, a task may
//! fail up to four times), on a tree of a few hundred small plain and gzip
//! files ([`archives::make_tree`]). `.ci/run` installs pyspark into a venv
//! of its own and puts its `bin` on `PATH`.
//!
//! Every output must be byte for byte what anonlog writes for the same
//! file alone, with truncation and with `pfx` under daily rotation; the
//! task killed mid-write (the script's fault hook) must end complete after
//! its retry with no temporary file left; a rerun must skip what is done,
//! leaving those files untouched, redo only what is missing, and report a
//! file anonlog fails on with its path and status, and exit 1.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::archives::{
    self, BIG, MIDNIGHT, SUMMED, assert_outputs_match, files_under, inode, make_tree, parts_under,
};
use crate::harness::{Check, Need, needed};
use crate::util::{bin, samples, stat};

const NEEDS: &[Need] = &[Need::Program("spark-submit"), Need::Program("java")];

pub const CHECKS: &[Check] = &[
    Check {
        name: "spark::job_survives_a_killed_task_and_resumes",
        needs: NEEDS,
        run: job_survives_a_killed_task_and_resumes,
    },
    Check {
        name: "spark::pfx_with_daily_rotation_and_the_key_by_files",
        needs: NEEDS,
        run: pfx_with_daily_rotation_and_the_key_by_files,
    },
];

/// Generated access logs in the tree, beside the big one, the midnight
/// one, the empty ones and the samples: a few hundred files in all.
const GENERATED: usize = 220;

/// One run of the job: its exit status, its summary (the last line of its
/// standard output) and its stderr.
struct Run {
    out: Output,
    summary: String,
}

impl Run {
    /// What the job said: spark-submit runs the driver's Python with its
    /// stderr merged into stdout, so its failure lines are there too.
    fn said(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    fn count(&self, key: &str) -> u64 {
        stat(&self.summary, key).unwrap_or_else(|| panic!("{key} in {}", self.summary))
    }

    fn context(&self) -> String {
        let err = String::from_utf8_lossy(&self.out.stderr);
        let tail = &err[err.len().saturating_sub(6000)..];
        format!(
            "status {}\nstdout:\n{}\nstderr (end):\n{tail}",
            self.out.status,
            self.said()
        )
    }
}

/// `spark-submit --master local[2,4]` of the script, shipping anonlog and
/// `files` with `--files`, in `dir` (Spark's scratch space too).
fn submit(dir: &Path, files: &[&Path], args: &[&OsStr], env: &[(&str, &OsStr)]) -> Run {
    let spark_submit = needed("spark-submit");
    let mut shipped = bin().into_os_string();
    for f in files {
        shipped.push(",");
        shipped.push(f);
    }
    let scratch = dir.join("spark-local");
    fs::create_dir_all(&scratch).unwrap();
    let mut cmd = Command::new(&spark_submit);
    cmd.args(["--master", "local[2,4]"])
        .args(["--conf", "spark.ui.enabled=false"])
        .args(["--conf", "spark.log.level=WARN"])
        .arg("--conf")
        .arg(format!("spark.local.dir={}", scratch.display()))
        .arg("--files")
        .arg(shipped)
        .arg(samples().join("spark/anonymize_archives.py"))
        .args(args)
        .current_dir(dir)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env_remove("ANONLOG_KEY_FILE")
        .env_remove("ANONLOG_SPARK_FAULT")
        .env_remove("ANONLOG_SPARK_FAULT_MARKER");
    // The venv's own interpreter for the driver and the workers, beside
    // its spark-submit (pyspark is installed there, maybe nowhere else).
    let python = spark_submit.with_file_name("python3");
    if python.exists() {
        cmd.env("PYSPARK_PYTHON", &python)
            .env("PYSPARK_DRIVER_PYTHON", &python);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("")
        .to_owned();
    Run { out, summary }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Asserts that the summary's sums are those of the files' own runs.
fn assert_sums(run: &Run, alone: &[String]) {
    for key in SUMMED {
        let want: u64 = alone.iter().map(|s| stat(s, key).unwrap()).sum();
        assert_eq!(
            stat(&run.summary, key),
            Some(want),
            "{key}\n{}",
            run.context()
        );
    }
}

/// Truncation (anonlog's default): the first run, whose task for [`BIG`]
/// is killed after writing part of its temporary file, ends with every
/// output complete; a second run after losing some outputs (one with a
/// killed attempt's temporary file beside it) and gaining an archive that
/// is cut short redoes only those, leaves the rest untouched, reports the
/// broken archive and exits 1.
fn job_survives_a_killed_task_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (input, output) = (d.join("in"), d.join("out"));
    let files = make_tree(&input, GENERATED);
    assert!(files.len() > 200, "{}", files.len());
    let marker = d.join("fault-fired");
    let args = [
        os("--input"),
        input.as_os_str(),
        os("--output"),
        output.as_os_str(),
    ];
    let fault = [
        ("ANONLOG_SPARK_FAULT", os(BIG)),
        ("ANONLOG_SPARK_FAULT_MARKER", marker.as_os_str()),
    ];
    let run = submit(d, &[], &args, &fault);
    assert!(run.out.status.success(), "{}", run.context());
    assert_eq!(run.count("files"), files.len() as u64, "{}", run.context());
    assert_eq!(
        run.count("anonymized"),
        files.len() as u64,
        "{}",
        run.context()
    );
    assert_eq!(
        (run.count("skipped"), run.count("failed")),
        (0, 0),
        "{}",
        run.context()
    );
    // The fault fired once, on the first attempt, which left a piece of
    // the output in its temporary file and died; the second attempt made
    // the whole output and cleared the piece.
    let note = fs::read_to_string(&marker).expect("the fault hook fired");
    assert!(
        run.summary.contains(&format!("\"retried\":[\"{BIG}\"]")),
        "{}",
        run.context()
    );
    let piece = stat(&note, "bytes").unwrap();
    let whole = fs::metadata(output.join(BIG)).unwrap().len();
    assert!(piece > 0 && piece < whole, "{note}: {whole} bytes in all");
    let temp = note.split('"').nth(3).unwrap();
    assert!(
        temp.contains(".anonlog-part-") && !Path::new(temp).exists(),
        "{note}"
    );
    assert_eq!(parts_under(&output), Vec::<String>::new());
    assert_eq!(files_under(&output), files.iter().cloned().collect());
    let alone = assert_outputs_match(&input, &output, &files, &[]);
    assert_sums(&run, &alone);
    // Resume: five outputs lost, one of them with a dead attempt's
    // temporary file beside it, and a broken archive added.
    let lost: Vec<&String> = files.iter().step_by(files.len() / 5).take(5).collect();
    for rel in &lost {
        fs::remove_file(output.join(rel)).unwrap();
    }
    let stale = output.join(lost[0]).with_file_name(format!(
        ".{}.anonlog-part-1-dead",
        Path::new(lost[0]).file_name().unwrap().to_str().unwrap()
    ));
    fs::write(&stale, b"half an output").unwrap();
    let kept: Vec<(PathBuf, u64)> = files
        .iter()
        .filter(|f| !lost.contains(f))
        .map(|f| {
            let p = output.join(f);
            let i = inode(&p);
            (p, i)
        })
        .collect();
    let broken = "host-1/2026/11/broken.log.gz";
    fs::write(input.join(broken), archives::truncated_gzip()).unwrap();
    let run = submit(d, &[], &args, &[]);
    assert_eq!(run.out.status.code(), Some(1), "{}", run.context());
    assert_eq!(
        run.count("files"),
        files.len() as u64 + 1,
        "{}",
        run.context()
    );
    assert_eq!(run.count("anonymized"), 5, "{}", run.context());
    assert_eq!(
        run.count("skipped"),
        files.len() as u64 - 5,
        "{}",
        run.context()
    );
    assert_eq!(run.count("failed"), 1, "{}", run.context());
    let said = format!("anonymize_archives: failed: {broken}: anonlog exit status 2");
    assert!(run.said().contains(&said), "{}", run.context());
    assert!(
        run.summary.contains(&format!(
            "{{\"path\":\"{broken}\",\"error\":\"anonlog exit status 2\""
        )),
        "{}",
        run.context()
    );
    for (p, i) in kept {
        assert_eq!(inode(&p), i, "{} was written again", p.display());
    }
    assert_eq!(parts_under(&output), Vec::<String>::new());
    assert_eq!(files_under(&output), files.iter().cloned().collect());
    let lost: Vec<String> = lost.into_iter().cloned().collect();
    let alone = assert_outputs_match(&input, &output, &lost, &[]);
    assert_sums(&run, &alone);
}

/// `--pseudonymize pfx --key-rotation daily` with the key shipped by
/// `--files` and named by its SparkFiles name: every output is anonlog's
/// alone with the same key file, the key id is the file's, one address
/// gets a pseudonym per day, and the key is nowhere in what the job says.
fn pfx_with_daily_rotation_and_the_key_by_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (input, output) = (d.join("in"), d.join("out"));
    let files = make_tree(&input, GENERATED);
    let keys = d.join("keys");
    fs::create_dir(&keys).unwrap();
    fs::set_permissions(&keys, fs::Permissions::from_mode(0o700)).unwrap();
    let key = keys.join("anonlog.key");
    let made = Command::new(bin())
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let said = String::from_utf8_lossy(&made.stderr);
    let key_id = said.split_whitespace().nth(3).unwrap().to_owned();
    let policy = ["--pseudonymize", "pfx", "--key-rotation", "daily"];
    let mut args = vec![
        os("--input"),
        input.as_os_str(),
        os("--output"),
        output.as_os_str(),
        os("--key"),
        os("anonlog.key"),
        os("--"),
    ];
    args.extend(policy.iter().map(|a| os(a)));
    let run = submit(d, &[&key], &args, &[]);
    assert!(run.out.status.success(), "{}", run.context());
    assert_eq!(
        run.count("anonymized"),
        files.len() as u64,
        "{}",
        run.context()
    );
    assert!(
        run.summary.contains(&format!("\"key_ids\":[\"{key_id}\"]")),
        "{key_id}: {}",
        run.context()
    );
    assert_eq!(parts_under(&output), Vec::<String>::new());
    assert_eq!(files_under(&output), files.iter().cloned().collect());
    let mut with_key: Vec<&str> = policy.to_vec();
    with_key.extend(["--key-file", key.to_str().unwrap()]);
    let alone = assert_outputs_match(&input, &output, &files, &with_key);
    assert_sums(&run, &alone);
    assert!(
        run.count("addresses_pseudonymized") > 1000,
        "{}",
        run.summary
    );
    let midnight = fs::read_to_string(output.join(MIDNIGHT)).unwrap();
    let clients: Vec<&str> = midnight
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert!(
        clients.len() == 2 && clients[0] != clients[1] && clients[0] != "192.0.2.77",
        "one pseudonym a day: {clients:?}"
    );
    let hex = fs::read_to_string(&key).unwrap();
    let everything = format!("{}{}", run.said(), String::from_utf8_lossy(&run.out.stderr));
    assert!(
        !everything.contains(hex.trim()),
        "the key is in the job's output"
    );
}
