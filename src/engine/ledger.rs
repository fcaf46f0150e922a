//! What the reader decides about each input (its format, the advice for a
//! mismatch) and what the writer keeps of it (line numbers, parse shares,
//! mismatches).

use std::io::{self, Write};

use super::check::InputAudit;
use super::stream::{BlockReport, InputTally, Outcome, oversized};
use crate::anonymize::Rules;
use crate::anonymize::audit::{Class, Lines};
use crate::config::EngineOpts;
use crate::error::{Error, Hint, Mismatch};
use crate::format::detect::{self, Sample};
use crate::format::{Fields, Parser};
use crate::stats::{Share, Stats};

/// What the reader decided about a block's input, travelling with the
/// block to the ledger.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct BlockInfo {
    /// With `-f auto`: the candidate chosen for the input, `None` while
    /// (or when) none fits.
    pub(super) parser: Option<usize>,
    /// The predefined format that parses most of the input's first lines.
    hint: Option<Hint>,
    /// A live input (pipe, socket): a mismatch is said as soon as the first
    /// lines show it, since the input may never end.
    live: bool,
}

/// Chooses an input's format from its first lines (with `-f auto`) and
/// finds the hint for a mismatch report (always), sampling up to
/// [`detect::SAMPLE_LINES`] lines over as many blocks as that takes.
pub(super) struct Detector<'a> {
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
    pub(super) fn new(rules: &'a Rules, builtins: &'a [Parser]) -> Self {
        let auto = !rules.candidates.is_empty();
        let candidates = if auto {
            &rules.candidates[..]
        } else {
            builtins
        };
        Detector {
            candidates,
            auto,
            max_unparsed: rules.max_unparsed,
            sample: Sample::new(candidates.len()),
            fields: Fields::new(),
            decided: None,
        }
    }

    /// The info for the next block of the input, sampling it if the choice
    /// is still open.
    pub(super) fn next(&mut self, block: &[u8], live: bool) -> BlockInfo {
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

/// Tracks per-input line numbers and parse shares, and turns worker
/// results into errors.
pub(super) struct Ledger<'a> {
    rules: &'a Rules,
    engine: EngineOpts,
    names: &'a [String],
    pub(super) outcome: Outcome,
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
    /// Findings are collected in [`Outcome::audits`].
    auditing: bool,
    /// Over-long lines per input, counted by the reader (see
    /// [`Ledger::oversized`]).
    oversized: Vec<u64>,
}

impl<'a> Ledger<'a> {
    /// A ledger for the inputs `names`; with `auditing`, one
    /// [`InputAudit`] is kept for each of them.
    pub(super) fn new(
        rules: &'a Rules,
        engine: EngineOpts,
        names: &'a [String],
        auditing: bool,
    ) -> Self {
        let audits = if auditing {
            let format = rules.format_name();
            let audit = |name: &String| InputAudit {
                name: name.clone(),
                format: format.to_owned(),
                ..InputAudit::default()
            };
            names.iter().map(audit).collect()
        } else {
            Vec::new()
        };
        Ledger {
            rules,
            engine,
            names,
            outcome: Outcome {
                audits,
                inputs: vec![InputTally::default(); names.len()],
                ..Outcome::default()
            },
            started: false,
            current: 0,
            lines_before: 0,
            input: Stats::default(),
            info: BlockInfo::default(),
            warned: false,
            auditing,
            oversized: Vec::new(),
        }
    }

    pub(super) fn account(
        &mut self,
        input: usize,
        info: BlockInfo,
        report: BlockReport,
    ) -> Result<(), Error> {
        let new_input = !self.started || input != self.current;
        if new_input {
            self.finish_input();
            self.started = true;
            self.current = input;
            self.lines_before = 0;
        }
        let rules = self.rules;
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
        if let (true, Some(found)) = (self.auditing, &report.findings) {
            // Block indexes are 0-based, line numbers 1-based.
            let lines = &mut self.outcome.audits[input].findings;
            lines.append(found, before + 1);
        }
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
                oversized(&self.engine, &self.names[input], line)
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
        let rules = self.rules;
        match (rules.candidates.is_empty(), self.info.parser) {
            (true, _) => rules.parser.name(),
            (false, Some(i)) => rules.candidates[i].name(),
            (false, None) => "auto",
        }
    }

    /// The current input's mismatch, if more of its lines than allowed did
    /// not parse.
    fn mismatch(&self) -> Option<Mismatch> {
        let max = self.rules.max_unparsed;
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

    /// Counts the over-long lines the chunker replaced, by input: in the
    /// totals now and in each input's counters at [`Ledger::finish`] (and,
    /// when auditing, keeps their line numbers).
    pub(super) fn oversized(&mut self, by_input: &[Lines]) {
        self.oversized = by_input.iter().map(Lines::count).collect();
        self.outcome.stats.oversized += self.oversized.iter().sum::<u64>();
        if self.auditing {
            for (audit, lines) in self.outcome.audits.iter_mut().zip(by_input) {
                audit.findings.merge(Class::Oversized, lines);
            }
        }
    }

    /// Records the current input's mismatch, if any, and resets the
    /// per-input state.
    fn finish_input(&mut self) {
        if self.started {
            if let Some(m) = self.mismatch() {
                self.outcome.mismatched.push(m);
            }
            self.outcome.inputs[self.current] = InputTally {
                stats: self.input,
                format: Some(self.format_name().to_owned()),
            };
            if self.auditing {
                let format = match self.format_name() {
                    "auto" => "none".to_owned(),
                    f => f.to_owned(),
                };
                let audit = &mut self.outcome.audits[self.current];
                audit.format = format;
                audit.lines = self.lines_before;
            }
        }
        self.input = Stats::default();
        self.info = BlockInfo::default();
        self.warned = false;
    }

    /// The outcome, with the last input's mismatch recorded.
    pub(super) fn finish(mut self) -> Outcome {
        self.finish_input();
        for (tally, n) in self.outcome.inputs.iter_mut().zip(&self.oversized) {
            tally.stats.oversized += n;
        }
        self.outcome
    }
}
