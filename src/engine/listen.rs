//! Listener mode: receive nginx's syslog datagrams on a unix or UDP socket,
//! anonymize the lines, append them to files.
//!
//! nginx cannot pipe its logs, and a FIFO reader that stalls blocks nginx's
//! workers. A datagram socket never blocks nginx: when anonlog falls behind,
//! the kernel drops datagrams instead (nginx notes it in its error log; on
//! UDP anonlog counts them too). Raw lines never touch the disk.
//!
//! Who may write: a unix socket is owner-only (0600) unless a group is
//! given (`--socket-group`, then 0660), since every line in it goes into
//! the anonymized log, and its tag chooses the file. A datagram is always
//! exactly one line: line breaks inside it are escaped
//! ([`syslog::push_line`]). A full disk is waited out ([`backlog`]).

mod backlog;
mod queue;
mod socket;

use std::collections::HashMap;
use std::io;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crossbeam_channel::RecvTimeoutError;

use crate::anonymize::Anonymizer;
use crate::config::{Config, ListenConfig};
use crate::engine::output::BlockWriter;
use crate::error::Error;
use crate::format::syslog;
use crate::stats::Stats;

pub use backlog::{BACKLOG_BYTES, RETRY};
pub use queue::{MIN_UNIX_QUEUE, UNIX_QUEUE_SYSCTL, parse_queue_len, short_unix_queue};
pub use socket::parse_group;

/// Runs the listener until SIGTERM or SIGINT, then drains, writes, removes
/// the socket and returns. Lines are written within about 100 ms of their
/// arrival, in whole lines, one `write` per route and batch; while a disk
/// is full they wait in memory (bounded, [`BACKLOG_BYTES`]) and are retried
/// every [`RETRY`], and lines beyond the bound are counted, never lost
/// silently. Ends with `Error::Write` if lines are still held at exit.
pub fn run(config: &Config, lc: &ListenConfig) -> Result<Stats, Error> {
    let sock_name = lc.addr.name();
    let stop =
        crate::engine::signals::stop_on_term_or_int().map_err(|e| read_err(&sock_name, e))?;
    let mut routes = Vec::with_capacity(lc.routes.len() + 1);
    let mut by_tag: HashMap<Vec<u8>, usize> = HashMap::new();
    for target in std::iter::once(&lc.output).chain(lc.routes.iter().map(|(_, t)| t)) {
        let name = target.name();
        let sink = BlockWriter::open(target).map_err(|e| Error::Write {
            name: name.clone(),
            source: e,
        })?;
        routes.push(backlog::Output::new(name, sink));
    }
    for (i, (tag, _)) in lc.routes.iter().enumerate() {
        by_tag.insert(tag.clone(), i + 1);
    }
    crate::engine::signals::reopen_on_hup(
        routes
            .iter()
            .map(|r| (r.name.clone(), r.sink.clone()))
            .collect(),
    )
    .map_err(|e| read_err(&sock_name, e))?;
    let sock = socket::bind(lc).map_err(|e| read_err(&sock_name, e))?;

    // The receiver thread does nothing but move datagrams out of the kernel
    // queue: a unix datagram socket holds only net.unix.max_dgram_qlen
    // messages however large its buffer, so any pause in receiving (an
    // anonymizing or writing stall) would make the kernel refuse lines.
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Vec<u8>>>(256);
    let block_size = config.engine.block_size;
    let route_count = routes.len();
    let stop_rx = std::sync::Arc::clone(&stop);
    let receiver = std::thread::spawn(move || -> io::Result<Stats> {
        let fd = sock.fd();
        let mut stats = Stats::default();
        let mut buf = vec![0u8; 256 << 10];
        let mut stop_budget: Option<u64> = None;
        loop {
            if stop_budget.is_none() && stop_rx.load(Ordering::Relaxed) {
                note_drops(&mut stats, socket::kernel_drops(fd));
                // Drain what has arrived by now, then stop, even if senders
                // keep sending: at most a full queue's worth more.
                stop_budget = Some(stats.datagrams + 100_000);
            }
            if stop_budget.is_none() && !socket::ready(fd, 100) {
                continue;
            }
            let mut batch: Vec<Vec<u8>> = vec![Vec::new(); route_count];
            let mut pending = 0;
            let mut got = 0;
            while pending < block_size {
                let Some((n, drops)) = socket::recv(fd, &mut buf, false)? else {
                    break;
                };
                got += 1;
                stats.datagrams += 1;
                note_drops(&mut stats, drops);
                let n = if n > buf.len() {
                    stats.datagrams_truncated += 1;
                    buf.len()
                } else {
                    n
                };
                let msg = syslog::split(&buf[..n]);
                let route = msg.tag.and_then(|t| by_tag.get(t).copied()).unwrap_or(0);
                syslog::push_line(&mut batch[route], msg.line);
                pending += n;
            }
            if got > 0 && tx.send(batch).is_err() {
                break;
            }
            if let Some(budget) = stop_budget {
                if got == 0 || stats.datagrams >= budget {
                    break;
                }
            }
        }
        // Drops after the last datagram received travel with no datagram.
        note_drops(&mut stats, socket::kernel_drops(fd));
        drop(sock);
        Ok(stats)
    });

    let mut anonymizer = Anonymizer::new(&config.rules, config.rewrite.rewriter());
    // -f auto: datagrams have no "first lines" and arrive in batches of any
    // size, so each line is judged on its own; the share of lines no
    // format explains is still watched (warn_mismatch).
    anonymizer.select_per_line();
    let mut stats = Stats::default();
    let mut out = Vec::new();
    let mut warned = false;
    let mut budget = backlog::Budget::new();
    loop {
        // Wait for lines, or until a full disk is due for another try.
        let due = routes.iter().filter_map(backlog::Output::next_try).min();
        let batch = match due {
            None => rx.recv().ok(),
            Some(t) => match rx.recv_timeout(t.saturating_duration_since(Instant::now())) {
                Ok(b) => Some(b),
                Err(RecvTimeoutError::Timeout) => Some(Vec::new()),
                Err(RecvTimeoutError::Disconnected) => None,
            },
        };
        let Some(batch) = batch else { break };
        for (r, lines) in routes.iter_mut().zip(&batch) {
            if lines.is_empty() {
                continue;
            }
            out.clear();
            let _ = anonymizer.process_block(lines, &mut out, &mut stats);
            if !warned && stats.judged() >= crate::format::detect::SAMPLE_LINES as u64 {
                warned = warn_mismatch(config, &sock_name, &stats);
            }
            r.write(&out, &mut budget, &mut stats)?;
        }
        let now = Instant::now();
        for r in &mut routes {
            r.retry(Some(now), &mut budget)?;
        }
    }
    let mut result = Ok(());
    for r in &mut routes {
        if let Err(e) = r.finish(&mut budget, &mut stats) {
            result = result.and(Err(e));
        }
    }
    result?;
    let received = receiver
        .join()
        .map_err(|_| Error::WorkerPanic)?
        .map_err(|e| read_err(&sock_name, e))?;
    stats.datagrams = received.datagrams;
    stats.datagrams_dropped = received.datagrams_dropped;
    stats.datagrams_truncated = received.datagrams_truncated;
    Ok(stats)
}

/// Says once, on stderr, that the format does not fit what the listener
/// receives (a listener never ends, so this cannot wait for the end).
/// Returns whether it said so.
fn warn_mismatch(config: &Config, name: &str, stats: &Stats) -> bool {
    let max = config.rules.max_unparsed;
    if !max.exceeded_by(stats.unparsed(), stats.judged()) {
        return false;
    }
    let m = crate::error::Mismatch {
        name: name.to_owned(),
        format: config.rules.format_name().to_owned(),
        unparsed: stats.unparsed(),
        lines: stats.judged(),
        max,
        hint: None,
        reported: true,
    };
    let msg = format!("anonlog: warning: {m}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), msg.as_bytes());
    true
}

/// Records the kernel's cumulative drop count. The counter only grows (it
/// is read at different moments: with a datagram, at drain, at exit), so
/// the largest reading is the latest.
fn note_drops(stats: &mut Stats, drops: Option<u32>) {
    if let Some(d) = drops {
        stats.datagrams_dropped = stats.datagrams_dropped.max(u64::from(d));
    }
}

fn read_err(name: &str, e: io::Error) -> Error {
    Error::Read {
        name: name.to_owned(),
        source: e,
    }
}
