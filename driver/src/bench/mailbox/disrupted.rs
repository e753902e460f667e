//! The mailbox's receiving side under `--inject-faults`: besides the fault
//! injector's spurious and delayed wakes (on the parker), the receiver keeps
//! breaking what a mailbox relies on. It drops its runner and makes a new
//! one every few dozen callbacks, sometimes running the new one before it
//! arms the slot and sometimes disarming the slot from outside before the
//! drop; some callbacks panic before they drain, and some drains panic part
//! way (after the value is counted, so the run can still check that every
//! message arrived once and in order). The panics are caught and the loop
//! used again. None of it may strand a message: the mailbox is never deaf.

use super::{Receiving, Tally};
use crate::sys::Backend;
use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode, SpinPolicy};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

/// Callbacks one runner handles before it is dropped and made again.
const RESTART_EVERY: u64 = 61;
/// Every this many callbacks, one panics before it drains.
const HANDLER_PANICS_EVERY: u64 = 13;
/// Every this many messages, the drain panics just after taking one.
const DRAIN_PANICS_EVERY: u64 = 4_099;

/// An injected failure, raised without the panic hook (no message on
/// stderr) and told apart from a real one when caught.
struct Injected;

/// Receives into `tally` from `receiving` on `lp`'s slot 0 until every
/// message came ([`Exit::Done`]) or the watchdog stopped the loop
/// ([`Exit::Stopped`]), disrupting itself as the module says.
pub(super) fn receive<B: Backend>(
    lp: &Loop<B, 1>,
    policy: SpinPolicy,
    receiving: &mut impl Receiving,
    tally: &mut Tally,
    progress: &AtomicU64,
) -> Exit {
    let mut callbacks = 0u64;
    for restart in 0u64.. {
        // The previous runner was dropped: the loop takes a new one.
        let Ok(runner) = HandlerRunner::new(lp) else {
            return Exit::Stopped;
        };
        let mut runner = runner.with_spin_policy(policy);
        if restart % 3 == 1 {
            // Takes what landed while the slot was dead: a mailbox's
            // notifications are kept for the arm below, not dropped.
            runner.run(RunMode::NoWait, &mut |_slot: usize| Action::Rearm);
        }
        if runner.arm(0).is_err() {
            return Exit::Stopped;
        }
        let mut more = !tally.done();
        let mut handled = 0;
        while more && handled < RESTART_EVERY {
            let mut on_mail = |_slot: usize| {
                callbacks += 1;
                handled += 1;
                if callbacks.is_multiple_of(HANDLER_PANICS_EVERY) {
                    resume_unwind(Box::new(Injected));
                }
                receiving.drain(|message| {
                    more = tally.take(message);
                    if tally.received.is_multiple_of(DRAIN_PANICS_EVERY) {
                        resume_unwind(Box::new(Injected));
                    }
                });
                // Relaxed: the watchdog only compares counts.
                progress.store(tally.received, Ordering::Relaxed);
                if more { Action::Rearm } else { Action::Disarm }
            };
            match catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::Once, &mut on_mail))) {
                Ok(Exit::Stopped) => return Exit::Stopped,
                Ok(_) => {}
                Err(payload) if payload.is::<Injected>() => {
                    // Relaxed: as above; a drain that panicked skipped it.
                    progress.store(tally.received, Ordering::Relaxed);
                }
                Err(payload) => resume_unwind(payload),
            }
        }
        if !more {
            return Exit::Done;
        }
        if restart % 2 == 0 {
            // Disarmed with a notification perhaps pending: kept for the
            // next runner's arm.
            let _ = runner.disarm(0);
        }
    }
    Exit::Stopped
}
