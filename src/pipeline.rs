//! The pipeline: input -> chunker -> workers -> ordered writer -> output.
//!
//! The chunker cuts inputs into blocks of whole lines (ripgrep's line-buffer
//! idea: only complete lines leave it, the partial tail is carried). With one
//! thread, blocks are anonymized and written inline. With more, blocks go to
//! a pool of workers over a bounded queue, and for every block the reader
//! first queues a one-shot reply slot on a second bounded queue (gzp's
//! design), so the writer receives results strictly in input order. Both
//! queues are bounded and buffers are recycled, so memory is
//! O(threads x block size) whatever the input size.

use std::io::{self, Read};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::anonymize::{Anonymizer, OnUnparsed, Unparsed};
use crate::config::Config;
use crate::error::Error;
use crate::input::{self, Input, Source};
use crate::output::Sink;
use crate::stats::Stats;

/// Reads one input as blocks of complete lines.
struct Chunker {
    input: Input,
    block_size: usize,
    max_line: usize,
    on_unparsed: OnUnparsed,
    /// Bytes after the last newline of the previous block.
    carry: Vec<u8>,
    eof: bool,
    /// Inside a line longer than `max_line`, discarding until its newline.
    skipping: bool,
    /// Terminate a final unterminated line, so it cannot merge with the
    /// first line of the next input.
    terminate_last: bool,
    /// Newlines handed out so far (only counted when a line number may be
    /// needed for an error).
    lines: u64,
    oversized: u64,
}

/// The result of reading one block.
enum Chunk {
    Block(Vec<u8>),
    End,
}

impl Chunker {
    fn new(input: Input, config: &Config, terminate_last: bool) -> Chunker {
        Chunker {
            input,
            block_size: config.block_size,
            max_line: config.max_line_bytes,
            on_unparsed: config.rules.on_unparsed,
            carry: Vec::new(),
            eof: false,
            skipping: false,
            terminate_last,
            lines: 0,
            oversized: 0,
        }
    }

    /// Fills `buf` with the next block: complete lines only, except for an
    /// unterminated last line at end of input. A block is handed on when it
    /// is full, or, for live inputs, as soon as the producer has nothing more
    /// ready, so a quiet pipe never holds a line back.
    fn next(&mut self, mut buf: Vec<u8>) -> io::Result<Result<Chunk, u64>> {
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        // Offset up to which `buf` holds complete lines.
        let mut complete = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
        loop {
            if self.eof {
                if buf.is_empty() {
                    return Ok(Ok(Chunk::End));
                }
                if self.terminate_last && buf.last() != Some(&b'\n') {
                    buf.push(b'\n');
                }
                self.count(&buf);
                return Ok(Ok(Chunk::Block(buf)));
            }
            if complete > 0 && buf.len() >= self.block_size {
                return Ok(Ok(self.cut(buf, complete)));
            }
            if complete == 0 && buf.len() > self.max_line {
                // An over-long line: it cannot be held, so it is replaced as
                // a whole by the policy's placeholder.
                buf.clear();
                self.skipping = true;
            }
            let want = self.block_size.saturating_sub(buf.len()).max(64 << 10);
            let old = buf.len();
            buf.resize(old + want, 0);
            let n = loop {
                match self.input.reader.read(&mut buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
                if self.skipping {
                    buf.clear();
                    if let Err(line) = self.placeholder(&mut buf) {
                        return Ok(Err(line));
                    }
                }
                continue;
            }
            if self.skipping {
                match memchr::memchr(b'\n', &buf[old..]) {
                    None => {
                        buf.truncate(old);
                        continue;
                    }
                    Some(i) => {
                        // Rare path: one shift per over-long line.
                        buf.drain(..old + i + 1);
                        let mut head = Vec::new();
                        if let Err(line) = self.placeholder(&mut head) {
                            return Ok(Err(line));
                        }
                        buf.splice(0..0, head);
                        complete = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
                    }
                }
            } else if let Some(i) = memchr::memrchr(b'\n', &buf[old..]) {
                complete = old + i + 1;
            }
            if complete > 0 {
                if let Some(fd) = self.input.live_fd {
                    if !input::readable_now(fd) {
                        return Ok(Ok(self.cut(buf, complete)));
                    }
                }
            }
        }
    }

    /// Ends the skipped over-long line with the policy's placeholder.
    /// `Err` carries the line number when the policy is to fail.
    fn placeholder(&mut self, buf: &mut Vec<u8>) -> Result<(), u64> {
        self.skipping = false;
        self.oversized += 1;
        match self.on_unparsed {
            OnUnparsed::Scrub => buf.push(b'\n'),
            OnUnparsed::Drop => {}
            OnUnparsed::Fail => return Err(self.lines + 1),
        }
        Ok(())
    }

    fn cut(&mut self, mut buf: Vec<u8>, complete: usize) -> Chunk {
        self.carry.extend_from_slice(&buf[complete..]);
        buf.truncate(complete);
        self.count(&buf);
        Chunk::Block(buf)
    }

    fn count(&mut self, buf: &[u8]) {
        if self.on_unparsed == OnUnparsed::Fail {
            self.lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        }
    }
}

/// One unit of work for a worker.
struct Job {
    input: usize,
    data: Vec<u8>,
    out: Vec<u8>,
    reply: Sender<Done>,
}

/// A worker's answer for one block.
struct Done {
    input: usize,
    data: Vec<u8>,
    out: Vec<u8>,
    stats: Stats,
    result: Result<(), Unparsed>,
}

/// Tracks per-input line numbers and turns worker results into errors.
struct Ledger<'a> {
    config: &'a Config,
    stats: Stats,
    current: usize,
    lines_before: u64,
}

impl Ledger<'_> {
    fn account(
        &mut self,
        input: usize,
        stats: Stats,
        result: Result<(), Unparsed>,
    ) -> Result<(), Error> {
        if input != self.current {
            self.current = input;
            self.lines_before = 0;
        }
        self.stats += stats;
        let before = self.lines_before;
        self.lines_before += stats.lines_read;
        result.map_err(|u| {
            let line = before + u.index + 1;
            if u.oversized {
                oversized(self.config, input, line)
            } else {
                Error::Unparsed {
                    name: self.config.inputs[input].name(),
                    line,
                    format: self.config.rules.template.name().to_owned(),
                }
            }
        })
    }
}

fn read_error(source: &Source) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Read {
        name: source.name(),
        source: e,
    }
}

fn write_error(config: &Config) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Write {
        name: config.output.name(),
        source: e,
    }
}

fn oversized(config: &Config, input: usize, line: u64) -> Error {
    Error::Oversized {
        name: config.inputs[input].name(),
        line,
        limit: config.max_line_bytes,
    }
}

/// Runs the whole pipeline and returns the summed statistics.
///
/// Output is byte-identical for every thread count and block size.
pub fn run(config: &Config) -> Result<Stats, Error> {
    let mut sink = Sink::open(&config.output).map_err(write_error(config))?;
    if config.threads <= 1 {
        run_inline(config, &mut sink)
    } else {
        run_parallel(config, sink)
    }
}

fn run_inline(config: &Config, sink: &mut Sink) -> Result<Stats, Error> {
    let mut anonymizer = Anonymizer::new(&config.rules, config.truncate);
    let mut ledger = Ledger {
        config,
        stats: Stats::default(),
        current: 0,
        lines_before: 0,
    };
    let mut buf = Vec::with_capacity(config.block_size);
    let mut out = Vec::with_capacity(config.block_size + config.block_size / 4);
    let last = config.inputs.len() - 1;
    for (i, source) in config.inputs.iter().enumerate() {
        let input = input::open(source).map_err(read_error(source))?;
        let mut chunker = Chunker::new(input, config, i != last);
        loop {
            let block = match chunker
                .next(std::mem::take(&mut buf))
                .map_err(read_error(source))?
            {
                Ok(Chunk::Block(b)) => b,
                Ok(Chunk::End) => break,
                Err(line) => return Err(oversized(config, i, line)),
            };
            out.clear();
            let mut stats = Stats::default();
            let result = anonymizer.process_block(&block, &mut out, &mut stats);
            sink.write_block(&out).map_err(write_error(config))?;
            ledger.account(i, stats, result)?;
            buf = block;
        }
        ledger.stats.oversized += chunker.oversized;
    }
    Ok(ledger.stats)
}

fn run_parallel(config: &Config, mut sink: Sink) -> Result<Stats, Error> {
    let threads = config.threads;
    let (work_tx, work_rx) = bounded::<Job>(threads);
    let (order_tx, order_rx) = bounded::<Receiver<Done>>(2 * threads);
    let (recycle_tx, recycle_rx) = bounded::<(Vec<u8>, Vec<u8>)>(2 * threads + 4);

    let mut workers = Vec::with_capacity(threads);
    for _ in 0..threads {
        let rx = work_rx.clone();
        let rules = Arc::clone(&config.rules);
        let truncate = config.truncate;
        workers.push(thread::spawn(move || {
            let mut anonymizer = Anonymizer::new(&rules, truncate);
            for mut job in rx {
                #[cfg(debug_assertions)]
                test_hooks::maybe_panic(&job.data);
                job.out.clear();
                let mut stats = Stats::default();
                let result = anonymizer.process_block(&job.data, &mut job.out, &mut stats);
                // The writer may be gone (error or closed pipe): nothing to do.
                let _ = job.reply.send(Done {
                    input: job.input,
                    data: job.data,
                    out: job.out,
                    stats,
                    result,
                });
            }
        }));
    }
    drop(work_rx);

    // The reader is not joined on a write error: it may be blocked reading a
    // quiet pipe, and the process exits without it.
    let reader_config = config.clone();
    let reader = thread::spawn(move || -> Result<u64, Error> {
        let config = &reader_config;
        let last = config.inputs.len() - 1;
        let mut oversized_total = 0;
        for (i, source) in config.inputs.iter().enumerate() {
            let input = input::open(source).map_err(read_error(source))?;
            let mut chunker = Chunker::new(input, config, i != last);
            loop {
                let (data, out) = recycle_rx.try_recv().unwrap_or_else(|_| {
                    (
                        Vec::with_capacity(config.block_size),
                        Vec::with_capacity(config.block_size + config.block_size / 4),
                    )
                });
                let data = match chunker.next(data).map_err(read_error(source))? {
                    Ok(Chunk::Block(b)) => b,
                    Ok(Chunk::End) => break,
                    Err(line) => return Err(oversized(config, i, line)),
                };
                let (reply, slot) = bounded(1);
                // Queue the reply slot before the job, so the writer only
                // ever waits for a job that is already queued.
                if order_tx.send(slot).is_err() {
                    return Ok(oversized_total);
                }
                if work_tx
                    .send(Job {
                        input: i,
                        data,
                        out,
                        reply,
                    })
                    .is_err()
                {
                    return Ok(oversized_total);
                }
            }
            oversized_total += chunker.oversized;
        }
        Ok(oversized_total)
    });

    let mut ledger = Ledger {
        config,
        stats: Stats::default(),
        current: 0,
        lines_before: 0,
    };
    for slot in order_rx.iter() {
        let done = slot.recv().map_err(|_| Error::WorkerPanic)?;
        sink.write_block(&done.out).map_err(write_error(config))?;
        ledger.account(done.input, done.stats, done.result)?;
        let _ = recycle_tx.try_send((done.data, done.out));
    }
    let oversized_total = reader.join().map_err(|_| Error::WorkerPanic)??;
    ledger.stats.oversized += oversized_total;
    drop(recycle_tx);
    for w in workers {
        w.join().map_err(|_| Error::WorkerPanic)?;
    }
    Ok(ledger.stats)
}

/// Fault injection for the integration tests, compiled into debug builds
/// only: a release binary has no way to be made to panic on purpose.
#[cfg(debug_assertions)]
mod test_hooks {
    /// Panics when `ANONLOG_TEST_PANIC` is set and the block holds the
    /// marker line, so tests can check that a dying worker ends the run with
    /// an error instead of a hang.
    pub fn maybe_panic(block: &[u8]) {
        if std::env::var_os("ANONLOG_TEST_PANIC").is_some()
            && memchr::memmem::find(block, b"ANONLOG-TEST-PANIC").is_some()
        {
            panic!("injected worker panic");
        }
    }
}
