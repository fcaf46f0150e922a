//! The parallel path: a pool of workers over a bounded queue, and for every
//! block a one-shot reply slot queued before its job (gzp's design), so the
//! writer receives results strictly in input order.

use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, bounded};

use super::compress::BlockEncoder;
use super::ledger::Ledger;
use super::stream::{Done, Job, Plan, Slot, StreamInput, read_blocks, work, write_error};
use crate::anonymize::Anonymizer;
use crate::anonymize::audit::Audit;
use crate::anonymize::pseudonym::{Keeping, Keyed, LineRewrite};
use crate::engine::output::BlockWriter;
use crate::error::Error;

pub(super) fn stream_parallel(
    plan: Plan<'_>,
    inputs: Vec<StreamInput>,
    sink: &mut BlockWriter,
    sink_name: &str,
    ledger: &mut Ledger<'_>,
) -> Result<bool, Error> {
    let threads = plan.engine.threads;
    let (work_tx, work_rx) = bounded::<Job>(threads);
    let (order_tx, order_rx) = bounded::<Receiver<Done>>(2 * threads);
    let (recycle_tx, recycle_rx) = bounded::<Slot>(2 * threads + 4);

    let mut workers = Vec::with_capacity(threads);
    for _ in 0..threads {
        let rx = work_rx.clone();
        let rules = Arc::clone(plan.rules);
        let (truncate, keyed) = (plan.rewrite.truncate, plan.rewrite.keyed.clone());
        let keep = plan.rewrite.keep.clone();
        let anonip = plan.rewrite.anonip;
        let audit = plan.audit;
        let (compress, levels) = (plan.engine.compress, plan.engine.levels);
        workers.push(thread::spawn(move || {
            let encoder = compress.map(|codec| BlockEncoder::new(codec, levels));
            match (audit, anonip, keyed, keep) {
                (Some(policy), _, _, None) => {
                    let audit = Audit::new(truncate, policy);
                    worker(Anonymizer::new(&rules, audit), rx, encoder)
                }
                (Some(policy), _, _, Some(n)) => {
                    let audit = Keeping::new(Audit::new(truncate, policy), n);
                    worker(Anonymizer::new(&rules, audit), rx, encoder)
                }
                (None, Some(a), _, _) => worker(Anonymizer::new(&rules, a), rx, encoder),
                (None, None, None, None) => worker(Anonymizer::new(&rules, truncate), rx, encoder),
                (None, None, Some(k), None) => worker(
                    Anonymizer::new(&rules, Keyed::new(k, truncate)),
                    rx,
                    encoder,
                ),
                (None, None, None, Some(n)) => worker(
                    Anonymizer::new(&rules, Keeping::new(truncate, n)),
                    rx,
                    encoder,
                ),
                (None, None, Some(k), Some(n)) => {
                    let r = Keeping::new(Keyed::new(k, truncate), n);
                    worker(Anonymizer::new(&rules, r), rx, encoder)
                }
            }
        }));
    }
    drop(work_rx);

    // The reader is not joined on a write error: it may be blocked reading a
    // quiet pipe, and the process exits without it.
    let (reader_rules, reader_engine) = (Arc::clone(plan.rules), plan.engine);
    let reader = thread::spawn(move || -> Result<_, Error> {
        read_blocks(
            &reader_rules,
            &reader_engine,
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

    let compressed = plan.engine.compress.is_some();
    let mut wrote = false;
    for result in order_rx.iter() {
        let done = result.recv().map_err(|_| Error::WorkerPanic)?;
        let bytes = done.slot.output(compressed);
        sink.write_block(bytes).map_err(write_error(sink_name))?;
        wrote |= !bytes.is_empty();
        ledger.account(done.input, done.info, done.report)?;
        let _ = recycle_tx.try_send(done.slot);
    }
    let oversized = reader.join().map_err(|_| Error::WorkerPanic)??;
    ledger.oversized(&oversized);
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
    mut encoder: Option<BlockEncoder>,
) {
    for mut job in rx {
        #[cfg(debug_assertions)]
        super::stream::test_hooks::maybe_panic(job.slot.data.bytes());
        anonymizer.select(job.info.parser);
        let report = work(&mut anonymizer, &mut job.slot, encoder.as_mut());
        // The writer may be gone (error or closed pipe): nothing to do.
        let _ = job.reply.send(Done {
            input: job.input,
            info: job.info,
            slot: job.slot,
            report,
        });
    }
}
