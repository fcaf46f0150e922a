//! The one-thread path: each block is anonymized and written inline, by
//! the thread that reads it, with one buffer going round.

use std::sync::Arc;

use super::compress::BlockEncoder;
use super::ledger::Ledger;
use super::stream::{Plan, Slot, StreamInput, read_blocks, work, write_error};
use crate::anonymize::Anonymizer;
use crate::anonymize::audit::Audit;
use crate::anonymize::pseudonym::{Keeping, Keyed, LineRewrite};
use crate::engine::output::BlockWriter;
use crate::error::Error;

/// Anonymizes `inputs` into `sink` on this thread; returns whether any
/// byte was written.
pub(super) fn stream_inline(
    plan: Plan<'_>,
    inputs: Vec<StreamInput>,
    sink: &mut BlockWriter,
    sink_name: &str,
    ledger: &mut Ledger<'_>,
) -> Result<bool, Error> {
    // One instance per rewriter type: truncation keeps its own code path.
    let truncate = plan.rewrite.truncate;
    if let Some(policy) = plan.audit {
        let audit = Audit::new(truncate, policy);
        return match plan.rewrite.keep.clone() {
            None => inline_with(
                Anonymizer::new(plan.rules, audit),
                plan,
                inputs,
                sink,
                sink_name,
                ledger,
            ),
            Some(n) => {
                let anonymizer = Anonymizer::new(plan.rules, Keeping::new(audit, n));
                inline_with(anonymizer, plan, inputs, sink, sink_name, ledger)
            }
        };
    }
    if let Some(anonip) = plan.rewrite.anonip {
        let anonymizer = Anonymizer::new(plan.rules, anonip);
        return inline_with(anonymizer, plan, inputs, sink, sink_name, ledger);
    }
    match (&plan.rewrite.keyed, plan.rewrite.keep.clone()) {
        (None, None) => {
            let anonymizer = Anonymizer::new(plan.rules, truncate);
            inline_with(anonymizer, plan, inputs, sink, sink_name, ledger)
        }
        (Some(k), None) => {
            let anonymizer = Anonymizer::new(plan.rules, Keyed::new(Arc::clone(k), truncate));
            inline_with(anonymizer, plan, inputs, sink, sink_name, ledger)
        }
        (None, Some(n)) => {
            let anonymizer = Anonymizer::new(plan.rules, Keeping::new(truncate, n));
            inline_with(anonymizer, plan, inputs, sink, sink_name, ledger)
        }
        (Some(k), Some(n)) => {
            let keyed = Keyed::new(Arc::clone(k), truncate);
            let anonymizer = Anonymizer::new(plan.rules, Keeping::new(keyed, n));
            inline_with(anonymizer, plan, inputs, sink, sink_name, ledger)
        }
    }
}

fn inline_with<R: LineRewrite>(
    mut anonymizer: Anonymizer<'_, R>,
    plan: Plan<'_>,
    inputs: Vec<StreamInput>,
    sink: &mut BlockWriter,
    sink_name: &str,
    ledger: &mut Ledger<'_>,
) -> Result<bool, Error> {
    // One slot goes round: taken by the reader, given back after writing.
    let spare = std::cell::RefCell::new(Slot::default());
    let mut wrote = false;
    let compressed = plan.engine.compress.is_some();
    let mut encoder = plan
        .engine
        .compress
        .map(|codec| BlockEncoder::new(codec, plan.engine.levels));
    let oversized = read_blocks(
        plan.rules,
        &plan.engine,
        inputs,
        || spare.take(),
        |i, info, mut slot| {
            anonymizer.select(info.parser);
            let report = work(&mut anonymizer, &mut slot, encoder.as_mut());
            let bytes = slot.output(compressed);
            sink.write_block(bytes).map_err(write_error(sink_name))?;
            wrote |= !bytes.is_empty();
            ledger.account(i, info, report)?;
            spare.replace(slot);
            Ok(true)
        },
    )?;
    ledger.oversized(&oversized);
    Ok(wrote)
}
