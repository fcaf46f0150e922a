//! Key files on disk: reading one with the checks that keep it private
//! (mode, owner, the directories above it), writing a new one (`O_EXCL`,
//! mode 0600, fsync), and drawing a new key from the OS. The key itself,
//! and everything derived from it, is `anonymize::pseudonym`: no I/O there.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use zeroize::Zeroizing;

use crate::anonymize::pseudonym::{KeyError, MasterKey, parse_hex};
use crate::error::show_path;

mod access;
mod acl;
use access::check_directories;

/// Longest key file accepted: 64 hex digits plus generous whitespace. A
/// bound keeps the read in one fixed buffer that is zeroized afterwards.
const MAX_KEY_FILE: usize = 512;

/// Draws a new key from the operating system's CSPRNG (`getrandom(2)`).
/// Fails only if the OS cannot provide randomness; never falls back to a
/// weaker source.
pub fn generate() -> io::Result<MasterKey> {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut bytes[..]).map_err(io::Error::from)?;
        // All 32 bytes equal: a chance of 2^-248; draw again rather than
        // fail.
        if let Ok(key) = MasterKey::from_bytes(&bytes) {
            return Ok(key);
        }
    }
}

/// Loads a master key from a file holding 64 hex digits (surrounding
/// whitespace ignored).
///
/// Refuses, with a message that says how to fix it:
/// * a file whose mode grants any access to group or others (`chmod 600`),
///   since anyone who can read the key can reverse every pseudonym, and
///   anyone who can write it can choose the key; group bits that are only
///   the mask of an ACL granting no one but the owner and the running user
///   (systemd's `LoadCredential=`) are accepted;
/// * anything but a regular file (directories, FIFOs, devices);
/// * more than 512 bytes, or text that is not one hex key.
///
/// * a file owned by anyone but the running user or root, who could write
///   it despite its mode;
/// * a file reached through a directory that another user could change:
///   one owned by another user (not root), or writable by its group or by
///   others, on the way to the name as given or to the file it resolves to
///   (see `check_directories` in `keyfile/access.rs`).
///
/// Symlinks are followed (Kubernetes secrets and configuration managers
/// install keys as symlinks); the mode and owner checks apply to the file
/// actually opened, read from the open descriptor, so the file cannot be
/// swapped between the check and the read. The read buffer is zeroized.
pub fn load_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    let io_err = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    // O_NONBLOCK: opening a FIFO must not hang waiting for a writer; it is
    // then refused as not a regular file.
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(KeyError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let mode = meta.mode() & 0o7777;
    let me = crate::engine::sys::effective_uid();
    if mode & 0o077 != 0 && !private_by_acl(&file, mode, me) {
        return Err(KeyError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    if meta.uid() != me && meta.uid() != 0 {
        return Err(KeyError::Owner {
            path: path.to_path_buf(),
            uid: meta.uid(),
            me,
        });
    }
    check_directories(path)?;
    let mut buf = Zeroizing::new([0u8; MAX_KEY_FILE]);
    let mut len = 0;
    loop {
        if len == MAX_KEY_FILE {
            // One more byte decides between "exactly full" and "too large".
            let mut probe = Zeroizing::new([0u8; 1]);
            if read_retrying(&mut file, &mut probe[..]).map_err(io_err)? > 0 {
                return Err(KeyError::Format {
                    context: file_context(path),
                    found: format!("found a file larger than {MAX_KEY_FILE} bytes"),
                });
            }
            break;
        }
        let n = read_retrying(&mut file, &mut buf[len..]).map_err(io_err)?;
        if n == 0 {
            break;
        }
        len += n;
    }
    let Ok(text) = std::str::from_utf8(&buf[..len]) else {
        return Err(KeyError::Format {
            context: file_context(path),
            found: "found bytes that are not text".into(),
        });
    };
    parse_hex(text, file_context(path))
}

/// Writes `key` to a new file at `path` as 64 hex digits and a newline.
///
/// The file is created with `O_CREAT | O_EXCL` and mode 0600 in the same
/// system call, so it is never readable by anyone else, not even briefly
/// (the umask can only narrow it), and an existing file or symlink at
/// `path` is never replaced ([`KeyError::Exists`]). The data is flushed to
/// disk before returning, since logs pseudonymized with a key that a crash
/// lost could never be revealed. If writing fails, the partial file is
/// removed.
pub fn write_key_file(path: &Path, key: &MasterKey) -> Result<(), KeyError> {
    let io_err = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(KeyError::Exists {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(e)),
    };
    let written = file
        .write_all(key.to_hex().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(io_err(e));
    }
    // Make the new directory entry durable too. Some filesystems refuse to
    // sync a directory; the file itself is already on disk then.
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// True when the group bits of `mode` are only an ACL's mask and the ACL
/// lets no one but the owner and `me` at the file (systemd's credentials:
/// see `keyfile/acl.rs`). Others' bits are never excused.
fn private_by_acl(file: &File, mode: u32, me: u32) -> bool {
    use std::os::fd::AsRawFd;
    mode & 0o007 == 0
        && crate::engine::sys::access_acl(file.as_raw_fd())
            .ok()
            .flatten()
            .is_some_and(|a| acl::only_owner_and(&a, me))
}

fn read_retrying(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

fn file_context(path: &Path) -> String {
    format!("key file {}: ", show_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    const HEX: &str = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";

    fn set_mode(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn generated_keys_differ_and_round_trip() {
        let g = generate().unwrap();
        assert_eq!(
            MasterKey::from_hex(&g.to_hex()).unwrap().to_hex(),
            g.to_hex()
        );
        assert_ne!(g.to_hex(), generate().unwrap().to_hex());
    }

    #[test]
    fn write_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anonlog.key");
        let k = generate().unwrap();
        write_key_file(&path, &k).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o077, 0, "never wider than 0600");
        assert_eq!(meta.mode() & 0o600, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{}\n", *k.to_hex()));
        assert_eq!(load_key_file(&path).unwrap().id(), k.id());
        // Never overwrites, not even with the same key.
        let e = write_key_file(&path, &k).unwrap_err();
        assert!(matches!(e, KeyError::Exists { .. }), "{e}");
        assert!(e.to_string().contains("already exists"));
        // A dangling symlink is not followed when creating.
        let link = dir.path().join("link.key");
        symlink(dir.path().join("target.key"), &link).unwrap();
        assert!(matches!(
            write_key_file(&link, &k),
            Err(KeyError::Exists { .. })
        ));
        assert!(!dir.path().join("target.key").exists());
        // Missing directory: an I/O error naming the path.
        let e = write_key_file(&dir.path().join("no/such/key"), &k).unwrap_err();
        assert!(matches!(e, KeyError::Io { .. }) && e.to_string().contains("no/such/key"));
    }

    #[test]
    fn load_refuses_loose_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my key's file");
        std::fs::write(&path, format!("{HEX}\n")).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610] {
            set_mode(&path, mode);
            let e = load_key_file(&path).unwrap_err();
            assert!(matches!(e, KeyError::Permissions { .. }), "{mode:o}: {e}");
            let msg = e.to_string();
            assert!(msg.contains(&format!("mode {mode:04o}")), "{msg}");
            assert!(
                msg.contains(&format!("chmod 600 '{}'", path.display()).replace("'s", r"'\''s")),
                "{msg}"
            );
        }
        for mode in [0o600, 0o400] {
            set_mode(&path, mode);
            assert_eq!(*load_key_file(&path).unwrap().to_hex(), HEX);
        }
    }

    #[test]
    fn load_follows_symlinks_but_checks_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, HEX).unwrap();
        set_mode(&target, 0o600);
        let link = dir.path().join("link");
        symlink(&target, &link).unwrap();
        assert_eq!(*load_key_file(&link).unwrap().to_hex(), HEX);
        set_mode(&target, 0o644);
        assert!(matches!(
            load_key_file(&link),
            Err(KeyError::Permissions { .. })
        ));
    }

    #[test]
    fn load_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = load_key_file(dir.path()).unwrap_err();
        assert!(matches!(e, KeyError::NotRegular { .. }), "{e}");
        let missing = dir.path().join("missing");
        assert!(matches!(load_key_file(&missing), Err(KeyError::Io { .. })));
        let cases: [(&[u8], &str); 4] = [
            (b"", "found 0 characters"),
            (&[b' '; MAX_KEY_FILE + 1], "larger than 512 bytes"),
            (b"\xff\xfe", "not text"),
            (b"0123", "found 4 characters"),
        ];
        let path = dir.path().join("k");
        for (content, want) in cases {
            let _ = std::fs::remove_file(&path);
            std::fs::write(&path, content).unwrap();
            set_mode(&path, 0o600);
            let e = load_key_file(&path).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("key file"), "{e}");
        }
        // Exactly the buffer size, padded with whitespace, is accepted.
        let mut padded = HEX.as_bytes().to_vec();
        padded.resize(MAX_KEY_FILE, b'\n');
        std::fs::write(&path, &padded).unwrap();
        assert_eq!(*load_key_file(&path).unwrap().to_hex(), HEX);
    }

    #[test]
    fn load_refuses_fifo_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        set_mode(&fifo, 0o600);
        assert!(matches!(
            load_key_file(&fifo),
            Err(KeyError::NotRegular { .. })
        ));
    }
}
