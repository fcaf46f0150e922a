//! Who could replace a key file: its owner and the directories above it.
//! Whoever can write the key file, or swap it through a directory, can
//! choose the key, and so make pseudonyms that they can reverse.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::anonymize::pseudonym::{KeyError, shell_quote};
use crate::error::show_path;

/// Refuses a key file that someone other than the running user or root
/// could replace through a directory: every directory from the root down
/// to the name as given and down to the file it resolves to must be owned
/// by the running user or root and not be writable by group or others,
/// as OpenSSH requires of `~/.ssh`. A sticky directory that others can
/// write (`/tmp`) is accepted when the entry in it is the running user's
/// or root's: the sticky bit lets only that owner rename or remove it.
pub(super) fn check_directories(path: &Path) -> Result<(), KeyError> {
    let io_err = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    // The name as given: its directory resolved, the last component not
    // (it may be a symlink, which whoever can write there could repoint).
    let given = std::fs::canonicalize(parent).map_err(io_err)?.join(name);
    let real = std::fs::canonicalize(path).map_err(io_err)?;
    for entry in [given, real] {
        let mut child = entry.as_path();
        while let Some(dir) = child.parent() {
            check_directory(path, dir, child).map_err(|(why, fix)| KeyError::Directory {
                path: path.to_path_buf(),
                dir: dir.to_path_buf(),
                why,
                fix,
            })?;
            child = dir;
        }
    }
    Ok(())
}

/// Checks one directory `dir` holding `child` on the way to `key`; the
/// error is (what is wrong, how to fix it).
fn check_directory(key: &Path, dir: &Path, child: &Path) -> Result<(), (String, String)> {
    let me = crate::engine::sys::effective_uid();
    let ours = |uid: u32| uid == me || uid == 0;
    let examine = |e: std::io::Error| (format!("cannot be examined ({e})"), String::new());
    let meta = std::fs::metadata(dir).map_err(examine)?;
    let quoted = shell_quote(dir);
    if !ours(meta.uid()) {
        return Err((
            format!("is owned by uid {}", meta.uid()),
            format!("keep the key in a directory of your own or root's (e.g. chown {me} {quoted})"),
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 == 0 {
        return Ok(());
    }
    if mode & 0o1000 != 0 {
        let entry = std::fs::symlink_metadata(child).map_err(examine)?;
        if ours(entry.uid()) {
            return Ok(());
        }
        return Err((
            format!(
                "is writable by others (mode {mode:04o}, sticky) and {} in it is owned by uid {}",
                show_path(child),
                entry.uid()
            ),
            format!(
                "move the key ({}) to a directory of your own",
                show_path(key)
            ),
        ));
    }
    let (who, flag) = if mode & 0o002 != 0 {
        ("others", "o-w")
    } else {
        ("its group", "g-w")
    };
    Err((
        format!("is writable by {who} (mode {mode:04o})"),
        format!("fix it with: chmod {flag} {quoted}"),
    ))
}
