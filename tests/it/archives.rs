//! zstd, xz and bzip2 archives: read across frames and streams, truncated
//! and corrupt ones written up to the fault, `--zstd` output, and in-place
//! rewrites that keep each file's format. gzip has its own tests in
//! files.rs and faults.rs; these check the other formats the same way.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::{count_lines, expected, have_program, run, sample, stderr, temps};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Zstd,
    Xz,
    Bzip2,
}

const FORMATS: [Format; 3] = [Format::Zstd, Format::Xz, Format::Bzip2];

impl Format {
    fn suffix(self) -> &'static str {
        match self {
            Format::Zstd => "zst",
            Format::Xz => "xz",
            Format::Bzip2 => "bz2",
        }
    }

    /// The format's program, which `.ci/run` installs.
    fn program(self) -> &'static str {
        match self {
            Format::Zstd => "zstd",
            Format::Xz => "xz",
            Format::Bzip2 => "bzip2",
        }
    }

    /// The first bytes of every file of the format.
    fn magic(self) -> &'static [u8] {
        match self {
            Format::Zstd => &[0x28, 0xb5, 0x2f, 0xfd],
            Format::Xz => &[0xfd, b'7', b'z', b'X', b'Z', 0],
            Format::Bzip2 => b"BZh",
        }
    }

    /// `data` as one frame or stream. bzip2 at level 1 has 100 kB blocks,
    /// so that a truncated test archive still holds whole blocks; xz at
    /// level 1 is quick in the unoptimized test build.
    fn pack(self, data: &[u8]) -> Vec<u8> {
        match self {
            Format::Zstd => zstd::encode_all(data, 3).unwrap(),
            Format::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Format::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(1));
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }

    /// Every frame or stream of `data`, decoded.
    fn unpack(self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Format::Zstd => zstd::stream::read::Decoder::new(data)
                .unwrap()
                .read_to_end(&mut out),
            Format::Xz => liblzma::read::XzDecoder::new_multi_decoder(data).read_to_end(&mut out),
            Format::Bzip2 => bzip2::read::MultiBzDecoder::new(data).read_to_end(&mut out),
        }
        .unwrap();
        out
    }

    /// `PROGRAM -t FILE` accepts the file; false when the program is not
    /// installed (which fails under CI).
    fn tested_by_program(self, file: &Path) -> bool {
        if !have_program(self.program(), &["--version"]) {
            return false;
        }
        let out = Command::new(self.program())
            .arg("-t")
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} -t rejects {}: {}",
            self.program(),
            file.display(),
            stderr(&out)
        );
        true
    }
}

/// `sample` cut in two at a line boundary near its middle.
fn halves(log: &[u8]) -> (&[u8], &[u8]) {
    let cut = log[..log.len() / 2]
        .iter()
        .rposition(|&c| c == b'\n')
        .unwrap()
        + 1;
    log.split_at(cut)
}

#[test]
fn multi_frame_and_multi_stream_inputs_are_read_whole() {
    let log = sample("access.log");
    let (a, b) = halves(&log);
    for f in FORMATS {
        let both = [f.pack(a), f.pack(b)].concat();
        for threads in ["1", "2"] {
            let out = run(&["-q", "-j", threads], &both);
            assert!(out.status.success(), "{f:?}: {}", stderr(&out));
            assert_eq!(out.stdout, expected("access.out"), "{f:?}");
        }
    }
    // A zstd file may start with a skippable frame (pzstd writes one).
    let mut skippable = vec![0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
    skippable.extend(Format::Zstd.pack(&log));
    let out = run(&["-q"], &skippable);
    assert_eq!(out.stdout, expected("access.out"), "{}", stderr(&out));
}

#[test]
fn archives_are_detected_by_magic_not_name() {
    let dir = tempfile::tempdir().unwrap();
    for f in FORMATS {
        let file = dir.path().join(format!("access-{}.log", f.suffix()));
        fs::write(&file, f.pack(&sample("access.log"))).unwrap();
        let out = run(&["-q", file.to_str().unwrap()], b"");
        assert_eq!(out.stdout, expected("access.out"), "{f:?}");
    }
    // A plain line that starts like bzip2's magic stays plain text.
    let plain = b"BZh9 is no archive\n";
    let out = run(&["-q", "-f", "combined", "--max-unparsed", "100%"], plain);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, plain, "an unparsed line with nothing to scrub");
}

/// 10,000 distinct lines, 1.9 MB: a dozen bzip2 blocks at level 1, and
/// zstd and xz blocks that do not shrink to nothing.
fn big_log() -> Vec<u8> {
    crate::faults::log_lines(10_000, 0)
}

#[test]
fn truncated_archives_keep_the_lines_before_the_fault_and_name_the_file() {
    let plain = big_log();
    let reference = run(&["-q"], &plain).stdout;
    let dir = tempfile::tempdir().unwrap();
    for f in FORMATS {
        let packed = f.pack(&plain);
        let file = dir.path().join(format!("cut.log.{}", f.suffix()));
        fs::write(&file, &packed[..packed.len() / 2]).unwrap();
        for threads in ["1", "2"] {
            let out = run(&["-q", "-j", threads, file.to_str().unwrap()], b"");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{f:?}: {err}");
            assert!(
                err.contains("cannot read")
                    && err.contains(file.to_str().unwrap())
                    && err.contains(f.program()),
                "{f:?}: {err}"
            );
            assert!(!err.contains("198.51.") && !err.contains("GET"), "{err}");
            // Whole lines, each as a sound run writes it, and many of them.
            let whole = &out.stdout[..out
                .stdout
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)];
            assert!(
                reference.starts_with(whole),
                "{f:?}: lines before the fault differ"
            );
            let n = count_lines(whole);
            assert!(
                n > 500 && n < count_lines(&reference),
                "{f:?}: {n} lines before the fault"
            );
        }
    }
}

#[test]
fn garbage_after_an_archive_keeps_every_line_and_fails() {
    let plain = big_log();
    let reference = run(&["-q"], &plain).stdout;
    let dir = tempfile::tempdir().unwrap();
    for f in FORMATS {
        let mut packed = f.pack(&plain);
        packed.extend_from_slice(b"\x00garbage 198.51.100.7 GET /x\n");
        let file = dir.path().join(format!("tail.log.{}", f.suffix()));
        fs::write(&file, &packed).unwrap();
        let out = run(&["-q", file.to_str().unwrap()], b"");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{f:?}: {err}");
        assert!(err.contains(file.to_str().unwrap()), "{f:?}: {err}");
        assert!(!err.contains("198.51."), "{err}");
        assert!(out.stdout == reference, "{f:?}: every line is written");
    }
}

#[test]
fn zstd_output_is_valid_multi_frame_zstd() {
    let log = crate::faults::log_lines(2_000, 0);
    let reference = run(&["-q"], &log).stdout;
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let args = ["-q", "--zstd", "-j", threads, "--block-size", "3000"];
        let out = run(&args, &log);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(&out.stdout[..4], Format::Zstd.magic());
        let magic = Format::Zstd.magic();
        let frames = out.stdout.windows(4).filter(|w| w == &magic).count();
        assert!(frames > 20, "one frame per block: {frames}");
        assert!(Format::Zstd.unpack(&out.stdout) == reference);
        let file = dir.path().join(format!("out-{threads}.zst"));
        fs::write(&file, &out.stdout).unwrap();
        Format::Zstd.tested_by_program(&file);
        outputs.push(out.stdout);
    }
    assert!(
        outputs[0] == outputs[1],
        "the same bytes at any thread count"
    );
    // A higher level is a different, smaller encoding of the same lines.
    let big = sample("access.log").repeat(400);
    let fast = run(&["-q", "--zstd", "--zstd-level", "1"], &big).stdout;
    let small = run(&["-q", "--zstd", "--zstd-level", "19"], &big).stdout;
    assert!(
        small.len() < fast.len(),
        "{} vs {}",
        small.len(),
        fast.len()
    );
    assert!(Format::Zstd.unpack(&fast) == Format::Zstd.unpack(&small));
    // No input at all still gives a valid zstd file.
    let out = run(&["-q", "--zstd"], b"");
    assert!(out.status.success());
    assert_eq!(Format::Zstd.unpack(&out.stdout), b"");
    let empty = dir.path().join("empty.zst");
    fs::write(&empty, &out.stdout).unwrap();
    Format::Zstd.tested_by_program(&empty);
    // -o FILE appends frames: the file stays one valid zstd file.
    let appended = dir.path().join("appended.zst");
    for _ in 0..2 {
        let out = run(&["-q", "--zstd", "-o", appended.to_str().unwrap()], &log);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let twice = Format::Zstd.unpack(&fs::read(&appended).unwrap());
    assert!(twice == reference.repeat(2));
}

#[test]
fn zstd_conflicts_with_gzip_in_place_and_listen() {
    for other in [
        &["-z"][..],
        &["-i", "x.log"],
        &["--listen", "udp:127.0.0.1:5514"],
    ] {
        let out = run(&[&["--zstd"][..], other].concat(), b"");
        assert_eq!(out.status.code(), Some(2), "{other:?}");
        assert!(
            stderr(&out).contains("cannot be used with"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn in_place_keeps_each_format_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let log = sample("access.log");
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let mut files = Vec::new();
    for f in FORMATS {
        let path = dir.path().join(format!("access.log.2.{}", f.suffix()));
        // Two frames or streams in, as concatenated archives have.
        let (a, b) = halves(&log);
        fs::write(&path, [f.pack(a), f.pack(b)].concat()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(fs::FileTimes::new().set_modified(old))
            .unwrap();
        files.push((f, path.clone(), fs::metadata(&path).unwrap()));
    }
    let mut args = vec!["-q", "-i", "-j", "2"];
    args.extend(files.iter().map(|(_, p, _)| p.to_str().unwrap()));
    let out = run(&args, b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty());
    for (f, path, before) in &files {
        let now = fs::read(path).unwrap();
        assert!(now.starts_with(f.magic()), "{f:?} stays {f:?}");
        assert_eq!(f.unpack(&now), expected("access.out"), "{f:?}");
        f.tested_by_program(path);
        let after = fs::metadata(path).unwrap();
        assert_eq!(after.mode() & 0o7777, 0o640, "{f:?}");
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        assert_eq!(after.mtime(), 1_600_000_000, "{f:?}");
        assert_ne!(after.ino(), before.ino(), "{f:?}: replaced by rename");
    }
    assert!(temps(dir.path()).is_empty());
    // Rewritten again, they are already anonymized: left as they are.
    let out = run(&["-i", files[0].1.to_str().unwrap()], b"");
    assert!(
        stderr(&out).contains("0 rewritten, 1 already anonymized"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn in_place_zstd_uses_zstd_level() {
    let dir = tempfile::tempdir().unwrap();
    let big = sample("access.log").repeat(400);
    let mut sizes = Vec::new();
    for level in ["1", "19"] {
        let path = dir.path().join(format!("access.log.{level}.zst"));
        fs::write(&path, Format::Zstd.pack(&big)).unwrap();
        let out = run(
            &["-q", "-i", "--zstd-level", level, path.to_str().unwrap()],
            b"",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let now = fs::read(&path).unwrap();
        assert!(Format::Zstd.unpack(&now) == run(&["-q"], &big).stdout);
        sizes.push(now.len());
    }
    assert!(
        sizes[1] < sizes[0],
        "level 19 is smaller than level 1: {sizes:?}"
    );
}
