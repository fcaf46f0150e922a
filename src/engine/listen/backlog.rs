//! A listener output that outlives a full disk.
//!
//! A stream can stop and say so; a listener cannot: nginx keeps sending.
//! When a write fails for lack of space (ENOSPC, EDQUOT), the sink has cut
//! the file back to whole lines, and the lines wait in memory, in order, up
//! to [`BACKLOG_BYTES`] over all outputs, while the write is retried every
//! [`RETRY`]. Lines that arrive when the backlog is full are lost, counted
//! in `lines_lost_disk_full` and said once per episode on stderr, never
//! silently. Any other write error ends the run, as before.

use std::io;
use std::time::{Duration, Instant};

use crate::engine::output::BlockWriter;
use crate::error::{Error, count};
use crate::stats::Stats;

/// Anonymized bytes a listener holds in memory while its disk is full,
/// over all its outputs: about 300,000 combined lines, minutes of a busy
/// site's traffic, for a bounded cost in memory.
pub const BACKLOG_BYTES: usize = 64 << 20;

/// How often a write to a full disk is tried again.
pub const RETRY: Duration = Duration::from_secs(1);

/// Most bytes written per retry write, so that a disk with a little room
/// takes what fits instead of refusing the whole backlog each time.
const CHUNK: usize = 1 << 20;

/// The memory budget shared by every output of a listener.
pub(super) struct Budget {
    limit: usize,
    held: usize,
}

impl Budget {
    /// [`BACKLOG_BYTES`]; debug builds let the tests shrink it
    /// (`ANONLOG_TEST_BACKLOG_BYTES`) to overflow it without 64 MiB.
    pub(super) fn new() -> Budget {
        #[cfg(debug_assertions)]
        if let Some(n) = std::env::var("ANONLOG_TEST_BACKLOG_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            return Budget { limit: n, held: 0 };
        }
        Budget {
            limit: BACKLOG_BYTES,
            held: 0,
        }
    }
}

/// An ongoing disk-full episode of one output.
struct Episode {
    next_try: Instant,
    /// Lines lost in this episode (said at its end).
    lost: u64,
    /// Lines written from the backlog so far.
    landed: u64,
}

/// One output of the listener and the lines waiting for it.
pub(super) struct Output {
    pub(super) name: String,
    pub(super) sink: BlockWriter,
    /// Whole anonymized lines, oldest first.
    held: Vec<u8>,
    episode: Option<Episode>,
}

/// Errors that may go away by themselves: the disk or quota fills up.
fn is_full(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

fn say(msg: &str) {
    let msg = format!("anonlog: {msg}\n");
    let _ = io::Write::write_all(&mut io::stderr().lock(), msg.as_bytes());
}

impl Output {
    pub(super) fn new(name: String, sink: BlockWriter) -> Output {
        Output {
            name,
            sink,
            held: Vec::new(),
            episode: None,
        }
    }

    fn fail(&self, e: io::Error) -> Error {
        Error::Write {
            name: self.name.clone(),
            source: e,
        }
    }

    /// Writes `block` (whole lines), or holds it when the disk is full.
    /// While an episode lasts, blocks join the backlog behind the older
    /// lines, so the output keeps the order of arrival.
    pub(super) fn write(
        &mut self,
        block: &[u8],
        budget: &mut Budget,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        if self.episode.is_none() {
            match self.sink.write_block(block) {
                Ok(()) => return Ok(()),
                Err(e) if is_full(&e) => {
                    say(&format!(
                        "warning: cannot write {}: {e}; holding up to {} MiB of lines in memory \
                         and retrying every {} s",
                        self.name,
                        budget.limit >> 20,
                        RETRY.as_secs()
                    ));
                    self.episode = Some(Episode {
                        next_try: Instant::now() + RETRY,
                        lost: 0,
                        landed: 0,
                    });
                }
                Err(e) => return Err(self.fail(e)),
            }
        }
        self.hold(block, budget, stats);
        Ok(())
    }

    /// Appends the whole lines of `block` that fit in the budget; counts
    /// the others as lost.
    fn hold(&mut self, block: &[u8], budget: &mut Budget, stats: &mut Stats) {
        let room = budget.limit.saturating_sub(budget.held);
        let take = if block.len() <= room {
            block.len()
        } else {
            memchr::memrchr(b'\n', &block[..room]).map_or(0, |i| i + 1)
        };
        self.held.extend_from_slice(&block[..take]);
        budget.held += take;
        if take == block.len() {
            return;
        }
        let lost = memchr::memchr_iter(b'\n', &block[take..]).count() as u64;
        stats.lines_lost_disk_full += lost;
        stats.lines_written -= lost.min(stats.lines_written);
        stats.bytes_written -= ((block.len() - take) as u64).min(stats.bytes_written);
        let episode = self.episode.as_mut().expect("lines are held in an episode");
        if episode.lost == 0 {
            say(&format!(
                "warning: {}: the disk-full backlog is full; newer lines are lost (and counted) \
                 until there is room again",
                self.name
            ));
        }
        episode.lost += lost;
    }

    /// When the next retry is due, if the output is in an episode.
    pub(super) fn next_try(&self) -> Option<Instant> {
        self.episode.as_ref().map(|e| e.next_try)
    }

    /// Tries to write the backlog if a retry is due (or `now` is `None`:
    /// the last try, at exit). Ends the episode once it is all written.
    pub(super) fn retry(&mut self, now: Option<Instant>, budget: &mut Budget) -> Result<(), Error> {
        let Some(episode) = &mut self.episode else {
            return Ok(());
        };
        if now.is_some_and(|t| t < episode.next_try) {
            return Ok(());
        }
        let mut done = 0;
        let mut result = Ok(());
        while done < self.held.len() {
            let rest = &self.held[done..];
            // The backlog holds whole lines only: cut after a newline.
            let end = if rest.len() <= CHUNK {
                rest.len()
            } else {
                memchr::memrchr(b'\n', &rest[..CHUNK])
                    .or_else(|| memchr::memchr(b'\n', &rest[CHUNK..]).map(|i| CHUNK + i))
                    .map_or(rest.len(), |i| i + 1)
            };
            if let Err(e) = self.sink.write_block(&rest[..end]) {
                result = Err(e);
                break;
            }
            episode.landed += memchr::memchr_iter(b'\n', &rest[..end]).count() as u64;
            done += end;
        }
        // One shift per retry, not per chunk.
        self.held.drain(..done);
        budget.held -= done;
        match result {
            Ok(()) => {
                say(&format!(
                    "{} is writable again: {} written, {} lost while the disk was full",
                    self.name,
                    count(episode.landed, "held line", "held lines"),
                    episode.lost
                ));
                // Give the memory of a long episode back.
                self.held = Vec::new();
                self.episode = None;
                Ok(())
            }
            // Still full: the episode goes on, unless this was the last try.
            Err(e) if is_full(&e) && now.is_some() => {
                episode.next_try = Instant::now() + RETRY;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The last try at exit: the backlog is written, or its lines are lost
    /// and counted, and the run ends with the write error (status 2).
    pub(super) fn finish(&mut self, budget: &mut Budget, stats: &mut Stats) -> Result<(), Error> {
        let result = self.retry(None, budget);
        if result.is_err() && !self.held.is_empty() {
            let lost = memchr::memchr_iter(b'\n', &self.held).count() as u64;
            stats.lines_lost_disk_full += lost;
            stats.lines_written -= lost.min(stats.lines_written);
            stats.bytes_written -= (self.held.len() as u64).min(stats.bytes_written);
            say(&format!(
                "error: {}: still no room at exit; {} lost",
                self.name,
                count(lost, "held line is", "held lines are")
            ));
        }
        result
    }
}
