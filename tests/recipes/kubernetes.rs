//! The Kubernetes recipe (`samples/kubernetes/`): the Indexed Job's entry
//! script run here for every index, as the Job's pods would run it, on a
//! tree of plain and gzip archives ([`archives::make_tree`]) with the key
//! laid out as the kubelet lays out a Secret volume with `defaultMode:
//! 0400`; and the manifest read by PyYAML (what the pods depend on: the
//! shard count, the mounts, the key's mode and owner) and by kubectl. No
//! cluster runs the manifest here.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::archives::{
    self, SUMMED, assert_outputs_match, files_under, inode, make_tree, parts_under,
};
use crate::harness::{Check, Need, needed};
use crate::util::{bin, samples, stat};

pub const CHECKS: &[Check] = &[
    Check {
        name: "kubernetes::entry_does_each_file_in_exactly_one_shard",
        needs: &[Need::Program("sh")],
        run: entry_does_each_file_in_exactly_one_shard,
    },
    Check {
        name: "kubernetes::manifest_is_an_indexed_job_that_can_read_its_key",
        needs: &[Need::PythonModule("yaml")],
        run: manifest_is_an_indexed_job_that_can_read_its_key,
    },
    Check {
        name: "kubernetes::kubectl_reads_the_manifest_and_the_configmap",
        needs: &[Need::Program("kubectl")],
        run: kubectl_reads_the_manifest_and_the_configmap,
    },
];

const SHARDS: usize = 4;
const POLICY: &[&str] = &["--pseudonymize", "pfx", "--key-rotation", "daily"];

fn manifest() -> PathBuf {
    samples().join("kubernetes/anonymize-archives.yaml")
}

/// `key` installed under `dir` as the kubelet installs a Secret's file
/// with `defaultMode: 0400`: the volume's directory a tmpfs (1777), the
/// file 0400 in a directory of the update's timestamp (0755), `..data` a
/// symlink to that directory and the key's name a symlink through
/// `..data`. Returns the path the pod is given.
fn secret_volume(dir: &Path, key: &Path) -> PathBuf {
    let stamp = "..2026_11_01_00_00_00.000000001";
    fs::create_dir_all(dir.join(stamp)).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o1777)).unwrap();
    fs::set_permissions(dir.join(stamp), fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.join(stamp).join("anonlog.key");
    fs::copy(key, &file).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o400)).unwrap();
    symlink(stamp, dir.join("..data")).unwrap();
    symlink("..data/anonlog.key", dir.join("anonlog.key")).unwrap();
    dir.join("anonlog.key")
}

struct Tree {
    input: PathBuf,
    output: PathBuf,
    list: PathBuf,
    key: PathBuf,
}

/// One pod: entry.sh with index `index`, as `sh` runs it.
fn pod(t: &Tree, index: usize) -> Output {
    Command::new(needed("sh"))
        .arg(samples().join("kubernetes/entry.sh"))
        .args(POLICY)
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .env("SHARDS", SHARDS.to_string())
        .env("FILE_LIST", &t.list)
        .env("INPUT_ROOT", &t.input)
        .env("OUTPUT_ROOT", &t.output)
        .env("ANONLOG", bin())
        .env("ANONLOG_KEY_FILE", &t.key)
        .env("HOSTNAME", format!("anonymize-archives-{index}-x7k2p"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The paths a pod said it handled each way (`anonymized`, `already
/// done`), in order.
fn said(out: &Output, how: &str) -> Vec<String> {
    let prefix = format!("entry.sh: {how}: ");
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

fn context(index: usize, out: &Output) -> String {
    format!(
        "pod {index}: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Every index in turn, as the Job's pods: each does the files of its
/// shard, in the list's order (files i with i mod 4 its index, the list
/// not sorted, `./` prefixes and an empty line in it), and all together
/// every file once, each output anonlog's alone with the same key read
/// through the Secret's symlinks, the summed counters those of the files.
/// Run again, a pod does nothing and touches nothing; after an output is
/// lost (a killed pod's temporary file beside it) and a broken archive
/// added to the list, the pods redo the lost one, report the broken one
/// with its path and anonlog's status, and that pod exits 1.
fn entry_does_each_file_in_exactly_one_shard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("raw");
    let files = make_tree(&input, 40);
    // The list in an order of its own: the files reversed.
    let listed: Vec<String> = files.iter().rev().cloned().collect();
    let mut list = String::new();
    for (i, f) in listed.iter().enumerate() {
        if i % 7 == 0 {
            list.push_str("./");
        }
        list.push_str(f);
        list.push('\n');
        if i == 10 {
            list.push('\n');
        }
    }
    fs::write(d.join("files.txt"), &list).unwrap();
    let made = d.join("made.key");
    let k = Command::new(bin())
        .args(["keygen", "--out"])
        .arg(&made)
        .output()
        .unwrap();
    assert!(k.status.success(), "{k:?}");
    let t = Tree {
        input: input.clone(),
        output: d.join("anon"),
        list: d.join("files.txt"),
        key: secret_volume(&d.join("secret"), &made),
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut sums = vec![0u64; SUMMED.len()];
    for index in 0..SHARDS {
        let out = pod(&t, index);
        assert!(out.status.success(), "{}", context(index, &out));
        let mine: Vec<String> = listed
            .iter()
            .enumerate()
            .filter(|(i, _)| i % SHARDS == index)
            .map(|(_, f)| f.clone())
            .collect();
        assert_eq!(said(&out, "anonymized"), mine, "{}", context(index, &out));
        let summary = format!(
            "entry.sh: shard {index} of {SHARDS}: {n} files: {n} anonymized, 0 already done, 0 failed",
            n = mine.len()
        );
        let stdout = text(&out.stdout);
        assert!(stdout.contains(&summary), "{}", context(index, &out));
        let stats = stdout
            .lines()
            .find(|l| l.starts_with("entry.sh: stats {"))
            .unwrap();
        for (sum, key) in sums.iter_mut().zip(SUMMED) {
            *sum += stat(stats, key).unwrap_or_else(|| panic!("{key} in {stats}"));
        }
        for f in mine {
            *seen.entry(f).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), files.len());
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    assert_eq!(files_under(&t.output), files.iter().cloned().collect());
    assert_eq!(parts_under(&t.output), Vec::<String>::new());
    let mut with_key = POLICY.to_vec();
    with_key.extend(["--key-file", t.key.to_str().unwrap()]);
    let alone = assert_outputs_match(&input, &t.output, &files, &with_key);
    for (sum, key) in sums.iter().zip(SUMMED) {
        let want: u64 = alone.iter().map(|s| stat(s, key).unwrap()).sum();
        assert_eq!(*sum, want, "{key}");
    }

    // Again: nothing to do, nothing written.
    let inodes: Vec<u64> = files.iter().map(|f| inode(&t.output.join(f))).collect();
    for index in 0..SHARDS {
        let out = pod(&t, index);
        assert!(out.status.success(), "{}", context(index, &out));
        assert!(
            said(&out, "anonymized").is_empty(),
            "{}",
            context(index, &out)
        );
        assert_eq!(
            said(&out, "already done").len(),
            listed.iter().skip(index).step_by(SHARDS).count()
        );
    }
    let again: Vec<u64> = files.iter().map(|f| inode(&t.output.join(f))).collect();
    assert_eq!(inodes, again, "outputs were written again");

    // A lost output with a dead pod's temporary file beside it, and a
    // broken archive at the end of the list.
    let lost = &listed[5];
    let lost_out = t.output.join(lost);
    fs::remove_file(&lost_out).unwrap();
    let name = lost_out.file_name().unwrap().to_str().unwrap();
    let stale =
        lost_out.with_file_name(format!(".{name}.anonlog-part-anonymize-archives-1-old-42"));
    fs::write(&stale, b"half").unwrap();
    let broken = "host-3/2026/11/broken.log.gz";
    fs::write(input.join(broken), archives::truncated_gzip()).unwrap();
    list.push_str(broken);
    list.push('\n');
    fs::write(&t.list, &list).unwrap();
    let broken_shard = listed.len() % SHARDS;
    for index in 0..SHARDS {
        let out = pod(&t, index);
        let redone = said(&out, "anonymized");
        if index == 5 % SHARDS {
            assert_eq!(redone, vec![lost.clone()], "{}", context(index, &out));
        } else {
            assert!(redone.is_empty(), "{}", context(index, &out));
        }
        if index == broken_shard {
            assert_eq!(out.status.code(), Some(1), "{}", context(index, &out));
            let line = format!("entry.sh: failed: {broken}: anonlog exit status 2\n");
            assert!(
                text(&out.stderr).starts_with(&line),
                "{}",
                context(index, &out)
            );
            assert!(
                text(&out.stdout).contains(" 1 failed\n"),
                "{}",
                context(index, &out)
            );
        } else {
            assert!(out.status.success(), "{}", context(index, &out));
        }
    }
    assert!(!t.output.join(broken).exists());
    assert_eq!(parts_under(&t.output), Vec::<String>::new());
    assert_eq!(files_under(&t.output), files.iter().cloned().collect());
    assert_outputs_match(&input, &t.output, std::slice::from_ref(lost), &with_key);
}

/// What the pods rely on, read from the manifest by PyYAML.
const MANIFEST_CHECK: &str = r#"
import os, sys, yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert len(docs) == 1, f"{len(docs)} documents"
job = docs[0]
assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job"), job["kind"]
spec = job["spec"]
assert spec["completionMode"] == "Indexed"
pod = spec["template"]["spec"]
assert pod["restartPolicy"] == "Never"
(c,) = pod["containers"]
env = {e["name"]: e["value"] for e in c["env"]}
assert int(env["SHARDS"]) == spec["completions"], "SHARDS must be completions"
assert "JOB_COMPLETION_INDEX" not in env, "Kubernetes sets it"
assert all(isinstance(a, str) for a in c["args"])
mounts = {m["name"]: m for m in c["volumeMounts"]}
volumes = {v["name"]: v for v in pod["volumes"]}
assert set(mounts) == set(volumes), (set(mounts), set(volumes))

def mount_of(path):
    for name, m in mounts.items():
        if path.startswith(m["mountPath"].rstrip("/") + "/") or path == m["mountPath"]:
            return name, m, volumes[name]
    raise AssertionError(f"{path} is on no volume")

# The entry script and the list come from the ConfigMap.
shell, script = c["command"]
name, m, v = mount_of(script)
assert "configMap" in v and os.path.basename(script) == "entry.sh", script
assert mount_of(env["FILE_LIST"])[0] == name, "FILE_LIST is in the ConfigMap"

# The key: the Secret's file anonlog.key, read-only, mode 0400, read by
# its owner (the kubelet writes it as root), no fsGroup (it would make the
# file 0440, which anonlog refuses).
name, m, v = mount_of(env["ANONLOG_KEY_FILE"])
assert "secret" in v and os.path.basename(env["ANONLOG_KEY_FILE"]) == "anonlog.key"
assert m.get("readOnly") is True
assert v["secret"]["defaultMode"] == 0o400, oct(v["secret"]["defaultMode"])
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
assert "fsGroup" not in psc, "fsGroup makes the key 0440"
assert csc.get("runAsUser", psc.get("runAsUser")) == 0, "the Secret's files are root's"
assert csc["allowPrivilegeEscalation"] is False
assert csc["capabilities"]["drop"] == ["ALL"]

# The trees: input read-only, output writable; with a read-only root
# filesystem, /tmp (the entry's scratch) is a volume.
name, m, v = mount_of(env["INPUT_ROOT"])
assert m.get("readOnly") is True and v["persistentVolumeClaim"]["readOnly"] is True
name, m, v = mount_of(env["OUTPUT_ROOT"])
assert not m.get("readOnly") and "persistentVolumeClaim" in v
if csc.get("readOnlyRootFilesystem"):
    name, m, v = mount_of("/tmp/x")
    assert "emptyDir" in v and not m.get("readOnly")
print("ok")
"#;

fn manifest_is_an_indexed_job_that_can_read_its_key() {
    let out = Command::new(needed("python3"))
        .args(["-c", MANIFEST_CHECK])
        .arg(manifest())
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out.stdout).trim() == "ok",
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// kubectl, with no cluster: `kubectl kustomize` takes the manifest as a
/// resource, and the ConfigMap of the manifest's instructions is made
/// from the entry script and a list, with the names the Job mounts.
fn kubectl_reads_the_manifest_and_the_configmap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(manifest(), d.join("anonymize-archives.yaml")).unwrap();
    fs::write(
        d.join("kustomization.yaml"),
        "resources:\n- anonymize-archives.yaml\n",
    )
    .unwrap();
    let out = Command::new(needed("kubectl"))
        .arg("kustomize")
        .arg(d)
        .output()
        .unwrap();
    let rendered = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for want in [
        "kind: Job",
        "completionMode: Indexed",
        "secretName: anonlog-key",
        "defaultMode: 256",
    ] {
        assert!(rendered.contains(want), "{want}:\n{rendered}");
    }
    fs::write(d.join("files.txt"), "host-0/access.log.1.gz\n").unwrap();
    let out = Command::new(needed("kubectl"))
        .args([
            "create",
            "configmap",
            "anonymize-archives",
            "--dry-run=client",
            "-o",
            "yaml",
        ])
        .arg(format!(
            "--from-file=entry.sh={}",
            samples().join("kubernetes/entry.sh").display()
        ))
        .arg(format!("--from-file={}", d.join("files.txt").display()))
        .output()
        .unwrap();
    let cm = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for want in [
        "name: anonymize-archives",
        "  entry.sh: |",
        "  files.txt: |",
    ] {
        assert!(cm.contains(want), "{want}:\n{cm}");
    }
}
