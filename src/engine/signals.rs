//! Signal policy, in one place.
//!
//! * Streams (stdin or files): SIGTERM does not cut the run short. Apache
//!   sends its piped logger SIGTERM on every graceful restart while old
//!   children still write to the pipe, so anonlog reads on to end of input
//!   and exits 0 with every line written. A second SIGTERM exits at once.
//! * Listener: SIGTERM and SIGINT end the run after draining what has
//!   arrived.
//! * SIGHUP and SIGUSR1 reopen file outputs (logrotate `postrotate`).

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};

use crate::engine::output::BlockWriter;

/// Exit status of a second SIGTERM: the conventional 128 + 15.
const TERM_STATUS: i32 = 143;

/// Makes SIGTERM a request to drain: the returned flag turns true on the
/// first SIGTERM; a second one exits the process at once.
pub fn drain_on_term() -> io::Result<Arc<AtomicBool>> {
    let term = Arc::new(AtomicBool::new(false));
    // Order matters: the shutdown check runs before the flag is set, so it
    // fires only from the second signal on.
    signal_hook::flag::register_conditional_shutdown(SIGTERM, TERM_STATUS, Arc::clone(&term))?;
    signal_hook::flag::register(SIGTERM, Arc::clone(&term))?;
    Ok(term)
}

/// Makes SIGTERM and SIGINT set the returned flag instead of killing.
pub fn stop_on_term_or_int() -> io::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(SIGTERM, Arc::clone(&stop))?;
    signal_hook::flag::register(SIGINT, Arc::clone(&stop))?;
    Ok(stop)
}

/// Reopens `sinks` on SIGHUP and SIGUSR1, from a thread of its own, so a
/// reopen happens at once even while the input is quiet, always between
/// two blocks. A failed reopen keeps the old file and says so.
pub fn reopen_on_hup(sinks: Vec<(String, BlockWriter)>) -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGUSR1])?;
    thread::spawn(move || {
        for _ in signals.forever() {
            for (name, sink) in &sinks {
                if let Err(e) = sink.reopen() {
                    eprintln!(
                        "anonlog: warning: cannot reopen {name}, still writing to the old file: {e}"
                    );
                }
            }
        }
    });
    Ok(())
}
