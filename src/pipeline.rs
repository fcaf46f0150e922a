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

use std::io::{self, IsTerminal, Read, Write};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::anonymize::keyed::{Keyed, LineRewrite};
use crate::anonymize::{Anonymizer, OnUnparsed, Unparsed};
use crate::config::Config;
use crate::error::{Error, Hint, Mismatch};
use crate::format::detect::{self, Sample};
use crate::format::{Fields, Parser};
use crate::input::{self, Input, Source};
use crate::output::Sink;
use crate::stats::{Share, Stats};

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
    /// A read error held back until the lines read before it are handed
    /// out: a truncated gzip archive still yields its readable lines.
    failed: Option<io::Error>,
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
            failed: None,
        }
    }

    /// Fills `buf` with the next block: complete lines only, except for an
    /// unterminated last line at end of input. A block is handed on when it
    /// is full, or, for live inputs, as soon as the producer has nothing more
    /// ready, so a quiet pipe never holds a line back.
    fn next(&mut self, mut buf: Vec<u8>) -> io::Result<Result<Chunk, u64>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
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
                    Err(e) if old == 0 => return Err(e),
                    Err(e) => {
                        self.failed = Some(e);
                        break 0;
                    }
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

/// One input of a stream: where its bytes come from and its name in
/// diagnostics.
pub enum StreamInput {
    /// A source named on the command line, opened when its turn comes.
    Source(Source),
    /// A byte stream opened (and checked, and locked) by the caller.
    Reader {
        /// Display name.
        name: String,
        /// The bytes, from their start.
        reader: Box<dyn Read + Send>,
    },
}

impl StreamInput {
    fn name(&self) -> String {
        match self {
            StreamInput::Source(s) => s.name(),
            StreamInput::Reader { name, .. } => name.clone(),
        }
    }

    fn open(self) -> io::Result<Input> {
        match self {
            StreamInput::Source(s) => input::open(&s),
            StreamInput::Reader { reader, .. } => input::open_reader(reader),
        }
    }
}

/// What one stream produced.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// With `-f auto`: the format chosen for each input, as (input, format).
    pub detected: Vec<(String, String)>,
    /// Counters, summed over all blocks.
    pub stats: Stats,
    /// JSON keys without a rule, merged over all blocks.
    pub unknown_names: crate::stats::UnknownNames,
    /// Some output block differs from its input block. False means the
    /// input was already anonymized: rewriting it in place would change
    /// nothing.
    pub changed: bool,
    /// Inputs on which more lines than `--max-unparsed` allows did not
    /// parse. Every line was still written; the run's status is 1.
    pub mismatched: Vec<Mismatch>,
}

/// What the reader decided about a block's input, travelling with the
/// block to the ledger.
#[derive(Clone, Copy, Debug, Default)]
struct BlockInfo {
    /// With `-f auto`: the candidate chosen for the input, `None` while
    /// (or when) none fits.
    parser: Option<usize>,
    /// The predefined format that parses most of the input's first lines.
    hint: Option<Hint>,
    /// A live input (pipe, socket): a mismatch is said as soon as the first
    /// lines show it, since the input may never end.
    live: bool,
}

/// Chooses an input's format from its first lines (with `-f auto`) and
/// finds the hint for a mismatch report (always), sampling up to
/// [`detect::SAMPLE_LINES`] lines over as many blocks as that takes.
struct Detector<'a> {
    /// The candidates of `-f auto`, or the predefined formats for hints.
    candidates: &'a [Parser],
    auto: bool,
    max_unparsed: Share,
    sample: Sample,
    fields: Fields,
    /// The choice, once made; it holds for the rest of the input.
    decided: Option<Option<usize>>,
}

impl<'a> Detector<'a> {
    fn new(config: &'a Config, builtins: &'a [Parser]) -> Self {
        let auto = !config.rules.candidates.is_empty();
        let candidates = if auto {
            &config.rules.candidates[..]
        } else {
            builtins
        };
        Detector {
            candidates,
            auto,
            max_unparsed: config.rules.max_unparsed,
            sample: Sample::new(candidates.len()),
            fields: Fields::new(),
            decided: None,
        }
    }

    /// The info for the next block of the input, sampling it if the choice
    /// is still open.
    fn next(&mut self, block: &[u8], live: bool) -> BlockInfo {
        let parser = match self.decided {
            Some(d) => d,
            None => {
                self.sample.add(block, self.candidates, &mut self.fields);
                let fit = if self.auto {
                    self.sample.fit(self.max_unparsed)
                } else {
                    None
                };
                if fit.is_some() || self.sample.is_full() || !self.auto {
                    self.decided = Some(fit);
                }
                fit
            }
        };
        let hint = self.sample.best().map(|(i, parsed)| Hint {
            format: detect::BUILTIN_NAMES[i],
            parsed,
            of: self.sample.lines(),
        });
        BlockInfo { parser, hint, live }
    }
}

/// Buffers that travel with a block and come back to the reader for reuse.
#[derive(Default)]
struct Slot {
    data: Vec<u8>,
    out: Vec<u8>,
    gz: Vec<u8>,
}

/// One unit of work for a worker.
struct Job {
    input: usize,
    info: BlockInfo,
    slot: Slot,
    reply: Sender<Done>,
}

/// A worker's answer for one block.
struct Done {
    input: usize,
    info: BlockInfo,
    slot: Slot,
    report: BlockReport,
}

/// What anonymizing one block did.
struct BlockReport {
    stats: Stats,
    unknown_names: crate::stats::UnknownNames,
    result: Result<(), Unparsed>,
    changed: bool,
}

/// Anonymizes `slot.data` into `slot.out` and, when compressing, into a
/// gzip member in `slot.gz`; returns the bytes to write via [`Slot::output`].
fn work<R: LineRewrite>(
    anonymizer: &mut Anonymizer<'_, R>,
    slot: &mut Slot,
    gzip: Option<Compression>,
) -> BlockReport {
    slot.out.clear();
    let mut stats = Stats::default();
    let result = anonymizer.process_block(&slot.data, &mut slot.out, &mut stats);
    let changed = slot.out != slot.data;
    slot.gz.clear();
    if let Some(level) = gzip {
        if !slot.out.is_empty() {
            gzip_member(&slot.out, level, &mut slot.gz);
        }
    }
    BlockReport {
        stats,
        unknown_names: anonymizer.take_unknown_names(),
        result,
        changed,
    }
}

impl Slot {
    fn output(&self, gzip: bool) -> &[u8] {
        if gzip { &self.gz } else { &self.out }
    }
}

/// Compresses `data` as one complete gzip member (pigz-style: members
/// concatenate into a valid multi-member file that `gzip -t` and `zcat`
/// accept). The header carries no name and mtime 0, so equal input gives
/// equal bytes.
fn gzip_member(data: &[u8], level: Compression, dst: &mut Vec<u8>) {
    let mut enc = GzEncoder::new(std::mem::take(dst), level);
    enc.write_all(data).expect("writing to a Vec cannot fail");
    *dst = enc.finish().expect("writing to a Vec cannot fail");
}

/// Tracks per-input line numbers and parse shares, and turns worker
/// results into errors.
struct Ledger<'a> {
    config: &'a Config,
    names: &'a [String],
    outcome: Outcome,
    /// A block of some input has been accounted.
    started: bool,
    current: usize,
    lines_before: u64,
    /// Counters of the current input alone.
    input: Stats,
    /// What the reader last said about the current input.
    info: BlockInfo,
    /// The current input's mismatch was already said on stderr.
    warned: bool,
}

impl<'a> Ledger<'a> {
    fn new(config: &'a Config, names: &'a [String]) -> Self {
        Ledger {
            config,
            names,
            outcome: Outcome::default(),
            started: false,
            current: 0,
            lines_before: 0,
            input: Stats::default(),
            info: BlockInfo::default(),
            warned: false,
        }
    }

    fn account(&mut self, input: usize, info: BlockInfo, report: BlockReport) -> Result<(), Error> {
        let new_input = !self.started || input != self.current;
        if new_input {
            self.finish_input();
            self.started = true;
            self.current = input;
            self.lines_before = 0;
        }
        let rules = &self.config.rules;
        if !rules.candidates.is_empty() && (new_input || self.info.parser != info.parser) {
            // A live input may be decided only after its first blocks.
            let chosen = info.parser.map_or("none", |i| rules.candidates[i].name());
            if !new_input {
                self.outcome.detected.pop();
            }
            self.outcome
                .detected
                .push((self.names[input].clone(), chosen.to_owned()));
        }
        self.info = info;
        self.outcome.stats += report.stats;
        self.input += report.stats;
        self.outcome.unknown_names.merge(report.unknown_names);
        self.outcome.changed |= report.changed;
        let before = self.lines_before;
        self.lines_before += report.stats.lines_read;
        if info.live && !self.warned && self.input.judged() >= detect::SAMPLE_LINES as u64 {
            if let Some(m) = self.mismatch() {
                // A stream may never end: say it now, once, and go on.
                let msg = format!("anonlog: warning: {m}\n");
                let _ = io::stderr().lock().write_all(msg.as_bytes());
                self.warned = true;
            }
        }
        report.result.map_err(|u| {
            let line = before + u.index + 1;
            if u.oversized {
                oversized(self.config, &self.names[input], line)
            } else {
                Error::Unparsed {
                    name: self.names[input].clone(),
                    line,
                    format: self.format_name().to_owned(),
                }
            }
        })
    }

    /// The name of the format the current input is read with.
    fn format_name(&self) -> &str {
        let rules = &self.config.rules;
        match (rules.candidates.is_empty(), self.info.parser) {
            (true, _) => rules.parser.name(),
            (false, Some(i)) => rules.candidates[i].name(),
            (false, None) => "auto",
        }
    }

    /// The current input's mismatch, if more of its lines than allowed did
    /// not parse.
    fn mismatch(&self) -> Option<Mismatch> {
        let max = self.config.rules.max_unparsed;
        let (unparsed, lines) = (self.input.unparsed(), self.input.judged());
        max.exceeded_by(unparsed, lines).then(|| Mismatch {
            name: self.names[self.current].clone(),
            format: self.format_name().to_owned(),
            unparsed,
            lines,
            max,
            hint: self.info.hint,
            reported: self.warned,
        })
    }

    /// Records the current input's mismatch, if any, and resets the
    /// per-input state.
    fn finish_input(&mut self) {
        if self.started {
            if let Some(m) = self.mismatch() {
                self.outcome.mismatched.push(m);
            }
        }
        self.input = Stats::default();
        self.info = BlockInfo::default();
        self.warned = false;
    }

    /// The outcome, with the last input's mismatch recorded.
    fn finish(mut self) -> Outcome {
        self.finish_input();
        self.outcome
    }
}

fn read_error(name: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Read {
        name: name.to_owned(),
        source: e,
    }
}

fn write_error(name: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Write {
        name: name.to_owned(),
        source: e,
    }
}

fn oversized(config: &Config, name: &str, line: u64) -> Error {
    Error::Oversized {
        name: name.to_owned(),
        line,
        limit: config.max_line_bytes,
    }
}

/// Runs the configured job: the inputs, in order, to the output.
///
/// Output is byte-identical for every thread count and block size.
pub fn run(config: &Config) -> Result<Outcome, Error> {
    let name = config.output.name();
    if config.gzip.is_some()
        && config.output == crate::output::Target::Stdout
        && io::stdout().is_terminal()
    {
        // As gzip does: compressed bytes on a terminal help nobody.
        return Err(write_error(&name)(io::Error::other(
            "refusing to write gzip data to a terminal",
        )));
    }
    let mut sink = Sink::open(&config.output).map_err(write_error(&name))?;
    // SIGTERM drains to end of input (Apache piped logs); SIGHUP reopens.
    crate::signals::drain_on_term().map_err(write_error(&name))?;
    // Installed for stdout too (where it is a no-op), so a stray SIGHUP
    // never kills a filter mid-stream.
    crate::signals::reopen_on_hup(vec![(name.clone(), sink.clone())])
        .map_err(write_error(&name))?;
    let inputs = config
        .inputs
        .iter()
        .cloned()
        .map(StreamInput::Source)
        .collect();
    stream(config, inputs, &mut sink, &name, config.threads)
}

/// Anonymizes `inputs`, in order, into `sink` with `threads` workers.
///
/// Guarantees: output bytes do not depend on `threads` or the block size;
/// with gzip output the result is a valid (multi-member) gzip stream, also
/// when there are no lines at all; on error, everything before the failing
/// block has been written.
pub fn stream(
    config: &Config,
    inputs: Vec<StreamInput>,
    sink: &mut Sink,
    sink_name: &str,
    threads: usize,
) -> Result<Outcome, Error> {
    let names: Vec<String> = inputs.iter().map(StreamInput::name).collect();
    let mut ledger = Ledger::new(config, &names);
    let wrote = if threads <= 1 {
        stream_inline(config, inputs, sink, sink_name, &mut ledger)?
    } else {
        stream_parallel(config, inputs, sink, sink_name, threads, &mut ledger)?
    };
    if let (Some(level), false) = (config.gzip, wrote) {
        // An empty gzip file is not valid gzip; an empty member is.
        let mut gz = Vec::new();
        gzip_member(b"", level, &mut gz);
        sink.write_block(&gz).map_err(write_error(sink_name))?;
    }
    Ok(ledger.finish())
}

fn stream_inline(
    config: &Config,
    inputs: Vec<StreamInput>,
    sink: &mut Sink,
    sink_name: &str,
    ledger: &mut Ledger<'_>,
) -> Result<bool, Error> {
    // One instance per rewriter type: truncation keeps its own code path.
    match &config.keyed {
        None => {
            let anonymizer = Anonymizer::new(&config.rules, config.truncate);
            inline_with(anonymizer, config, inputs, sink, sink_name, ledger)
        }
        Some(k) => {
            let anonymizer =
                Anonymizer::new(&config.rules, Keyed::new(Arc::clone(k), config.truncate));
            inline_with(anonymizer, config, inputs, sink, sink_name, ledger)
        }
    }
}

fn inline_with<R: LineRewrite>(
    mut anonymizer: Anonymizer<'_, R>,
    config: &Config,
    inputs: Vec<StreamInput>,
    sink: &mut Sink,
    sink_name: &str,
    ledger: &mut Ledger<'_>,
) -> Result<bool, Error> {
    // One slot goes round: taken by the reader, given back after writing.
    let spare = std::cell::RefCell::new(Slot::default());
    let mut wrote = false;
    let oversized = read_blocks(
        config,
        inputs,
        || spare.take(),
        |i, info, mut slot| {
            anonymizer.select(info.parser);
            let report = work(&mut anonymizer, &mut slot, config.gzip);
            let bytes = slot.output(config.gzip.is_some());
            sink.write_block(bytes).map_err(write_error(sink_name))?;
            wrote |= !bytes.is_empty();
            ledger.account(i, info, report)?;
            spare.replace(slot);
            Ok(true)
        },
    )?;
    ledger.outcome.stats.oversized += oversized;
    Ok(wrote)
}

/// Cuts every input, in order, into blocks and hands each to `emit` with
/// its input index and what the [`Detector`] says of it (`-f auto` chooses
/// from an input's first lines). `fresh` supplies buffers; `emit` returns
/// `false` to stop early. Returns the number of over-long lines the chunker
/// replaced.
fn read_blocks(
    config: &Config,
    inputs: Vec<StreamInput>,
    mut fresh: impl FnMut() -> Slot,
    mut emit: impl FnMut(usize, BlockInfo, Slot) -> Result<bool, Error>,
) -> Result<u64, Error> {
    let last = inputs.len().saturating_sub(1);
    let mut oversized_total = 0;
    // The predefined formats, for the advice when `-f` does not fit.
    let builtins = if config.rules.candidates.is_empty() {
        detect::builtin_candidates()
    } else {
        Vec::new()
    };
    for (i, source) in inputs.into_iter().enumerate() {
        let name = source.name();
        let input = source.open().map_err(read_error(&name))?;
        let live = input.live_fd.is_some();
        let mut chunker = Chunker::new(input, config, i != last);
        let mut detector = Detector::new(config, &builtins);
        loop {
            let mut slot = fresh();
            slot.data = match chunker
                .next(std::mem::take(&mut slot.data))
                .map_err(read_error(&name))?
            {
                Ok(Chunk::Block(b)) => b,
                Ok(Chunk::End) => break,
                Err(line) => return Err(oversized(config, &name, line)),
            };
            let info = detector.next(&slot.data, live);
            if !emit(i, info, slot)? {
                return Ok(oversized_total);
            }
        }
        oversized_total += chunker.oversized;
    }
    Ok(oversized_total)
}

fn stream_parallel(
    config: &Config,
    inputs: Vec<StreamInput>,
    sink: &mut Sink,
    sink_name: &str,
    threads: usize,
    ledger: &mut Ledger<'_>,
) -> Result<bool, Error> {
    let (work_tx, work_rx) = bounded::<Job>(threads);
    let (order_tx, order_rx) = bounded::<Receiver<Done>>(2 * threads);
    let (recycle_tx, recycle_rx) = bounded::<Slot>(2 * threads + 4);

    let mut workers = Vec::with_capacity(threads);
    for _ in 0..threads {
        let rx = work_rx.clone();
        let rules = Arc::clone(&config.rules);
        let (truncate, keyed) = (config.truncate, config.keyed.clone());
        let gzip = config.gzip;
        workers.push(thread::spawn(move || match keyed {
            None => worker(Anonymizer::new(&rules, truncate), rx, gzip),
            Some(k) => worker(Anonymizer::new(&rules, Keyed::new(k, truncate)), rx, gzip),
        }));
    }
    drop(work_rx);

    // The reader is not joined on a write error: it may be blocked reading a
    // quiet pipe, and the process exits without it.
    let reader_config = config.clone();
    let reader = thread::spawn(move || -> Result<u64, Error> {
        read_blocks(
            &reader_config,
            inputs,
            || recycle_rx.try_recv().unwrap_or_default(),
            |input, info, slot| {
                let (reply, result) = bounded(1);
                // Queue the reply slot before the job, so the writer only
                // ever waits for a job that is already queued. A closed
                // queue means the writer stopped: stop reading.
                Ok(order_tx.send(result).is_ok()
                    && work_tx
                        .send(Job {
                            input,
                            info,
                            slot,
                            reply,
                        })
                        .is_ok())
            },
        )
    });

    let gzip = config.gzip.is_some();
    let mut wrote = false;
    for result in order_rx.iter() {
        let done = result.recv().map_err(|_| Error::WorkerPanic)?;
        let bytes = done.slot.output(gzip);
        sink.write_block(bytes).map_err(write_error(sink_name))?;
        wrote |= !bytes.is_empty();
        ledger.account(done.input, done.info, done.report)?;
        let _ = recycle_tx.try_send(done.slot);
    }
    let oversized_total = reader.join().map_err(|_| Error::WorkerPanic)??;
    ledger.outcome.stats.oversized += oversized_total;
    drop(recycle_tx);
    for w in workers {
        w.join().map_err(|_| Error::WorkerPanic)?;
    }
    Ok(wrote)
}

/// A worker thread: anonymizes the blocks it receives until the queue closes.
fn worker<R: LineRewrite>(
    mut anonymizer: Anonymizer<'_, R>,
    rx: Receiver<Job>,
    gzip: Option<Compression>,
) {
    for mut job in rx {
        #[cfg(debug_assertions)]
        test_hooks::maybe_panic(&job.slot.data);
        anonymizer.select(job.info.parser);
        let report = work(&mut anonymizer, &mut job.slot, gzip);
        // The writer may be gone (error or closed pipe): nothing to do.
        let _ = job.reply.send(Done {
            input: job.input,
            info: job.info,
            slot: job.slot,
            report,
        });
    }
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
