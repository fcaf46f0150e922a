//! One stream: input -> chunker -> workers -> ordered writer -> output.
//!
//! The chunker cuts inputs into blocks of whole lines (ripgrep's line-buffer
//! idea: only complete lines leave it, the partial tail is carried). With one
//! thread, blocks are anonymized and written inline. With more, blocks go to
//! a pool of workers over a bounded queue, and for every block the reader
//! first queues a one-shot reply slot on a second bounded queue (gzp's
//! design), so the writer receives results strictly in input order. Both
//! queues are bounded and buffers are recycled, so memory is
//! O(threads x block size) whatever the input size.

use std::io::{self, IsTerminal, Read};
use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::anonymize::audit::{AuditPolicy, Findings, Lines};
use crate::anonymize::pseudonym::LineRewrite;
use crate::anonymize::{Anonymizer, OnUnparsed, Rules, Unparsed};
use crate::config::{Destination, EngineOpts, Rewrite, Source};
use crate::engine::input::{self, Input};
use crate::engine::output::BlockWriter;
use crate::error::{Error, Mismatch};
use crate::format::detect;
use crate::stats::Stats;

use super::chunk::{Block, Chunk, Chunker};
use super::compress::BlockEncoder;
use super::inline::stream_inline;
use super::ledger::{BlockInfo, Detector, Ledger};
use super::parallel::stream_parallel;

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
    /// With [`Plan::audit`]: what the audit found, one entry per input in
    /// order (empty inputs too); empty otherwise.
    pub audits: Vec<super::check::InputAudit>,
    /// Each input's own counters and format, in input order: one entry
    /// per input of the stream (none for the listener).
    pub inputs: Vec<InputTally>,
}

/// What one input of a stream held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputTally {
    /// Its counters alone.
    pub stats: Stats,
    /// The format its lines were read with: the one given, the one `-f
    /// auto` chose, or `auto` when none fitted; `None` for an input
    /// without a single line.
    pub format: Option<String>,
}

/// Buffers that travel with a block and come back to the reader for reuse.
#[derive(Default)]
pub(super) struct Slot {
    pub(super) data: Block,
    pub(super) out: Vec<u8>,
    pub(super) packed: Vec<u8>,
}

/// One unit of work for a worker.
pub(super) struct Job {
    pub(super) input: usize,
    pub(super) info: BlockInfo,
    pub(super) slot: Slot,
    pub(super) reply: Sender<Done>,
}

/// A worker's answer for one block.
pub(super) struct Done {
    pub(super) input: usize,
    pub(super) info: BlockInfo,
    pub(super) slot: Slot,
    pub(super) report: BlockReport,
}

/// What anonymizing one block did.
pub(super) struct BlockReport {
    pub(super) stats: Stats,
    pub(super) unknown_names: crate::stats::UnknownNames,
    pub(super) result: Result<(), Unparsed>,
    pub(super) changed: bool,
    /// An audit's findings, by 0-based line index in the block.
    pub(super) findings: Option<Box<Findings>>,
}

/// Anonymizes `slot.data` into `slot.out` and, when compressing, into one
/// member of the output's codec in `slot.packed`; the bytes to write are
/// [`Slot::output`].
pub(super) fn work<R: LineRewrite>(
    anonymizer: &mut Anonymizer<'_, R>,
    slot: &mut Slot,
    encoder: Option<&mut BlockEncoder>,
) -> BlockReport {
    slot.out.clear();
    let mut stats = Stats::default();
    let result = anonymizer.process_block(slot.data.bytes(), &mut slot.out, &mut stats);
    let changed = slot.out != slot.data.bytes();
    slot.packed.clear();
    if let Some(encoder) = encoder {
        if !slot.out.is_empty() {
            encoder.encode(&slot.out, &mut slot.packed);
        }
    }
    BlockReport {
        stats,
        unknown_names: anonymizer.take_unknown_names(),
        result,
        changed,
        findings: anonymizer.take_findings(),
    }
}

impl Slot {
    pub(super) fn output(&self, compressed: bool) -> &[u8] {
        if compressed { &self.packed } else { &self.out }
    }
}

pub(super) fn read_error(name: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Read {
        name: name.to_owned(),
        source: e,
    }
}

pub(super) fn write_error(name: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::Write {
        name: name.to_owned(),
        source: e,
    }
}

pub(super) fn oversized(engine: &EngineOpts, name: &str, line: u64) -> Error {
    Error::Oversized {
        name: name.to_owned(),
        line,
        limit: engine.max_line_bytes,
    }
}

/// What a stream needs of the configuration: the rules and rewriter the
/// workers share, and the engine options for this stream (which a caller
/// may adjust, as an in-place rewrite does for each file's compression).
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    /// The anonymization policy.
    pub rules: &'a Arc<Rules>,
    /// How addresses are rewritten.
    pub rewrite: &'a Rewrite,
    /// Threads, block size, line limit, compression.
    pub engine: EngineOpts,
    /// Audit instead of anonymizing (`anonlog check`): addresses are
    /// truncated by [`Rewrite::truncate`] (no key is used), what a run would
    /// change is collected in [`Outcome::audits`], and the output is the
    /// run's, for the caller to discard.
    pub audit: Option<AuditPolicy>,
}

impl<'a> Plan<'a> {
    /// The plan of a configuration, as configured.
    pub fn of(config: &'a crate::config::Config) -> Plan<'a> {
        Plan {
            rules: &config.rules,
            rewrite: &config.rewrite,
            engine: config.engine,
            audit: None,
        }
    }
}

/// Runs a stream: the inputs, in order, to the output.
///
/// Output is byte-identical for every thread count and block size.
pub fn run(plan: Plan<'_>, inputs: &[Source], output: &Destination) -> Result<Outcome, Error> {
    let name = output.name();
    if let Some(codec) = plan.engine.compress {
        if *output == Destination::Stdout && io::stdout().is_terminal() {
            // As gzip and zstd do: compressed bytes on a terminal help nobody.
            return Err(write_error(&name)(io::Error::other(format!(
                "refusing to write {} data to a terminal",
                codec.name()
            ))));
        }
    }
    let mut sink = BlockWriter::open(output).map_err(write_error(&name))?;
    // SIGTERM drains to end of input (Apache piped logs); SIGHUP reopens.
    crate::engine::signals::drain_on_term().map_err(write_error(&name))?;
    // Installed for stdout too (where it is a no-op), so a stray SIGHUP
    // never kills a filter mid-stream.
    crate::engine::signals::reopen_on_hup(vec![(name.clone(), sink.clone())])
        .map_err(write_error(&name))?;
    let inputs = inputs.iter().cloned().map(StreamInput::Source).collect();
    stream(plan, inputs, &mut sink, &name)
}

/// Anonymizes `inputs`, in order, into `sink` with `plan.engine.threads`
/// workers.
///
/// Guarantees: output bytes do not depend on the thread count or the block size;
/// compressed output is one valid (multi-member, multi-frame) file of its
/// format, also when there are no lines at all; on error, everything before the failing
/// block has been written.
pub fn stream(
    plan: Plan<'_>,
    inputs: Vec<StreamInput>,
    sink: &mut BlockWriter,
    sink_name: &str,
) -> Result<Outcome, Error> {
    let names: Vec<String> = inputs.iter().map(StreamInput::name).collect();
    let mut ledger = Ledger::new(plan.rules, plan.engine, &names, plan.audit.is_some());
    let wrote = if plan.engine.threads <= 1 {
        stream_inline(plan, inputs, sink, sink_name, &mut ledger)?
    } else {
        stream_parallel(plan, inputs, sink, sink_name, &mut ledger)?
    };
    if let (Some(codec), false) = (plan.engine.compress, wrote) {
        // An empty file is not valid gzip (nor zstd, xz, bzip2); an empty
        // member is.
        let mut empty = Vec::new();
        BlockEncoder::new(codec, plan.engine.levels).encode(b"", &mut empty);
        sink.write_block(&empty).map_err(write_error(sink_name))?;
    }
    Ok(ledger.finish())
}

/// Cuts every input, in order, into blocks and hands each to `emit` with
/// its input index and what the [`Detector`] says of it (`-f auto` chooses
/// from an input's first lines). `fresh` supplies buffers; `emit` returns
/// `false` to stop early. Returns, per input, the over-long lines the
/// chunker replaced (line numbers of the input).
pub(super) fn read_blocks(
    rules: &Rules,
    engine: &EngineOpts,
    inputs: Vec<StreamInput>,
    mut fresh: impl FnMut() -> Slot,
    mut emit: impl FnMut(usize, BlockInfo, Slot) -> Result<bool, Error>,
) -> Result<Vec<Lines>, Error> {
    let last = inputs.len().saturating_sub(1);
    let mut long_lines = vec![Lines::default(); inputs.len()];
    // The predefined formats, for the advice when `-f` does not fit.
    let builtins = if rules.candidates.is_empty() {
        detect::builtin_candidates()
    } else {
        Vec::new()
    };
    for (i, source) in inputs.into_iter().enumerate() {
        let name = source.name();
        let input = source.open().map_err(read_error(&name))?;
        let live = input.live_fd.is_some();
        // The format (-f auto) and the hint for a mismatch are chosen from
        // an input's first lines: its first block is at least FIRST_BLOCK,
        // so they do not depend on --block-size.
        let first = engine.block_size.max(FIRST_BLOCK);
        let mut chunker = Chunker::new(input, first, engine.max_line_bytes, i != last);
        let mut detector = Detector::new(rules, &builtins);
        loop {
            let mut slot = fresh();
            let chunk = loop {
                match chunker.next(&mut slot.data).map_err(read_error(&name))? {
                    Chunk::Oversized { line } => {
                        // The chunker only reports; the policy is applied
                        // here: an empty line in its place, nothing, or stop.
                        long_lines[i].add(line);
                        match rules.on_unparsed {
                            OnUnparsed::Scrub => chunker.replace_oversized(b"\n"),
                            OnUnparsed::Drop => {}
                            OnUnparsed::Fail => return Err(oversized(engine, &name, line)),
                        }
                    }
                    other => break other,
                }
            };
            if chunk == Chunk::End {
                break;
            }
            // Back to the configured size after the first block.
            chunker.set_block_size(engine.block_size);
            let info = detector.next(slot.data.bytes(), live);
            if !emit(i, info, slot)? {
                return Ok(long_lines);
            }
        }
    }
    Ok(long_lines)
}

/// The smallest first block of an input, so that the format (`-f auto`)
/// and the hint for a mismatch are chosen from the same first lines
/// whatever smaller `--block-size` is given (for a live input: up to the first pause). 64
/// KiB is what every read was before small block sizes made small blocks,
/// so the choice is the one it always was.
const FIRST_BLOCK: usize = 64 << 10;

/// Fault injection for the integration tests, compiled into debug builds
/// only: a release binary has no way to be made to panic on purpose.
#[cfg(debug_assertions)]
pub(super) mod test_hooks {
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
