//! The age filter of a retention sweep (`--older-than`): which collected
//! files are old enough to be taken. A file's age is that of its last
//! write (mtime), which for a rotated log is the time of its newest line.
//!
//! The filter runs twice: on the walk's list, so a file that is too young
//! is never opened (no lock, no lease, no read), and again on the opened
//! descriptor, so a file written between the walk and the open is not
//! rewritten either.

use std::fs::{self, Metadata};
use std::time::SystemTime;

use super::walk::Collected;
use crate::config::Age;

/// The time a file must have been last modified at or before to be at
/// least `age` old at `now`.
///
/// Guarantees: never later than `now`. [`Age::MAX`] keeps `now - age`
/// representable; if it were not, the cutoff would be the Unix epoch,
/// which takes fewer files, never more.
pub fn cutoff(age: &Age, now: SystemTime) -> SystemTime {
    now.checked_sub(age.duration)
        .unwrap_or(SystemTime::UNIX_EPOCH)
        .min(now)
}

/// Whether the file described by `meta` was last modified at or before
/// `cutoff`. A modification time in the future (a skewed clock) or one
/// the system cannot give is not old: a file is taken only when it is
/// known to be old enough.
pub fn old_enough(meta: &Metadata, cutoff: SystemTime) -> bool {
    meta.modified().is_ok_and(|m| m <= cutoff)
}

impl Collected {
    /// Keeps in [`Collected::files`] only the files last modified at or
    /// before `cutoff`; the others move, in order, to
    /// [`Collected::recent`]. The cutoff is remembered in
    /// [`Collected::cutoff`] so that a rewrite checks it again on the file
    /// it opens.
    ///
    /// Symlinks are not followed (a file is judged by its own mtime). A
    /// file that cannot be examined stays in `files`, so that the rewrite
    /// reports why (a file removed meanwhile, say) instead of it vanishing
    /// from the summary.
    pub fn keep_older_than(&mut self, cutoff: SystemTime) {
        let (old, recent) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|p| fs::symlink_metadata(p).map_or(true, |m| old_enough(&m, cutoff)));
        self.files = old;
        self.recent.extend::<Vec<_>>(recent);
        self.cutoff = Some(cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    const DAY: Duration = Duration::from_secs(86_400);

    fn age(days: u64) -> Age {
        Age {
            duration: DAY * days as u32,
            label: format!("{days}d"),
        }
    }

    fn file_modified(dir: &std::path::Path, name: &str, at: SystemTime) -> PathBuf {
        let p = dir.join(name);
        let f = fs::File::create(&p).unwrap();
        f.set_modified(at).unwrap();
        p
    }

    #[test]
    fn only_files_old_enough_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let old = file_modified(dir.path(), "old.log", now - DAY * 8);
        let young = file_modified(dir.path(), "young.log", now - DAY * 6);
        let future = file_modified(dir.path(), "future.log", now + DAY);
        let gone = dir.path().join("gone.log");
        let mut c = Collected {
            files: vec![old.clone(), young.clone(), future.clone(), gone.clone()],
            ..Collected::default()
        };
        let cut = cutoff(&age(7), now);
        c.keep_older_than(cut);
        assert_eq!(c.files, [old, gone]);
        assert_eq!(c.recent, [young, future]);
        assert_eq!(c.cutoff, Some(cut));
    }

    #[test]
    fn the_boundary_is_taken_and_the_cutoff_is_never_after_now() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let cut = cutoff(&age(7), now);
        assert_eq!(cut, now - DAY * 7);
        let exact = file_modified(dir.path(), "exact.log", cut);
        assert!(old_enough(&fs::metadata(&exact).unwrap(), cut));
        let huge = Age {
            duration: Age::MAX,
            label: "36600d".into(),
        };
        assert!(cutoff(&huge, now) < now);
        assert!(cutoff(&huge, SystemTime::UNIX_EPOCH) <= SystemTime::UNIX_EPOCH);
    }
}
