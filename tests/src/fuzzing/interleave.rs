//! The `notify_interleave` harness: a deterministic scheduler, driven by the
//! bytes, that interleaves other threads' notifications with every step of the
//! loop's wait (each spin step, each yield, each park, each callback) and
//! makes the parker return spuriously when the bytes say so. Everything runs
//! on one thread, so any failure replays exactly. (Interleavings inside one
//! notify are the loom models' job.)
//!
//! Checked: a callback never runs without a notification to account for it;
//! the loop never sleeps while a notification of an active slot is pending (a
//! lost wakeup); a run that ends `Done` ran every callback it was owed; every
//! ledger balances at the end.

use core::cell::Cell;
use core::sync::atomic::Ordering;
use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, CallbackRunner, Exit, Loop, Notified, RunMode, SlotState, SpinPolicy};

/// Slots the schedule notifies, and their places in the loop: one in the park
/// word itself, two in different words of the bitmap beneath it (under one
/// summary bit).
const SLOTS: usize = 3;
const SLOT_IDS: [usize; SLOTS] = [0, 40, 129];

type FuzzLoop<'d> = Loop<FuzzPark<'d>, 130>;

/// The scheduler: the bytes, and what "other threads" did so far.
struct Schedule<'d> {
    bytes: Cell<&'d [u8]>,
    /// Notifications per slot that returned `Pending`: each may be owed a callback.
    owed: [Cell<u64>; SLOTS],
    /// Callbacks run per slot.
    calls: [Cell<u64>; SLOTS],
    /// Set when the bytes ran out and the loop was told to stop.
    stopped: Cell<bool>,
}

impl<'d> Schedule<'d> {
    fn next_byte(&self) -> Option<u8> {
        let (&first, rest) = self.bytes.get().split_first()?;
        self.bytes.set(rest);
        Some(first)
    }

    /// One interleaving point: the next byte says how many notifications other
    /// threads make now (its low two bits) and of which slots.
    fn interleave(&self, lp: &FuzzLoop<'d>) -> Option<u8> {
        let byte = self.next_byte()?;
        for i in 0..(byte & 0b11) {
            let slot = usize::from((byte >> (2 + 2 * i)) & 0b11) % SLOTS;
            if lp.handle(SLOT_IDS[slot]).map(|h| h.notify()) == Ok(Notified::Queued) {
                self.owed[slot].set(self.owed[slot].get() + 1);
            }
        }
        Some(byte)
    }
}

/// A parker whose every hook is an interleaving point. It refers to the loop
/// that owns it, so it is set up in two steps (and is not `Sync`: this harness
/// is single-threaded by construction).
struct FuzzPark<'d> {
    schedule: &'d Schedule<'d>,
    lp: Cell<Option<&'d FuzzLoop<'d>>>,
}

impl Park for FuzzPark<'_> {
    fn park(&self, word: &ParkWord, expected: u32) {
        let Some(lp) = self.lp.get() else { return };
        while word.load(Ordering::Relaxed) == expected {
            match self.schedule.interleave(lp) {
                // Bit 7: the parker returns spuriously.
                Some(byte) if byte & 0x80 != 0 => return,
                Some(_) => {}
                None => {
                    // Nobody will ever notify again: sleeping for good is only
                    // right if nothing is pending for an active slot.
                    for slot in SLOT_IDS {
                        let ledger = lp.ledger(slot).unwrap_or_default();
                        assert!(
                            !(lp.state(slot) == Ok(SlotState::Active) && ledger.pending > 0),
                            "lost wakeup: slot {slot} is pending while the loop sleeps: {ledger}"
                        );
                    }
                    // End the run as a program would: stop it.
                    self.schedule.stopped.set(true);
                    lp.stop();
                }
            }
        }
    }

    fn unpark(&self, _word: &ParkWord) {}

    fn relax(&self) {
        if let Some(lp) = self.lp.get() {
            self.schedule.interleave(lp);
        }
    }

    fn yield_now(&self) {
        self.relax();
    }
}

/// The `notify_interleave` fuzz target. The first byte sets how many callbacks
/// each of three slots runs before it disarms (1 to 4), the second the spin
/// policy; the rest drive the scheduler.
pub fn notify_interleave(data: &[u8]) {
    let [targets, policy, rest @ ..] = data else {
        return;
    };
    let targets: [u64; SLOTS] =
        core::array::from_fn(|s| 1 + u64::from((targets >> (2 * s)) & 0b11));
    let schedule = Schedule {
        bytes: Cell::new(rest),
        owed: Default::default(),
        calls: Default::default(),
        stopped: Cell::new(false),
    };
    let lp: FuzzLoop<'_> = Loop::new(FuzzPark {
        schedule: &schedule,
        lp: Cell::new(None),
    });
    lp.parker().lp.set(Some(&lp));

    let mut callbacks: [_; SLOTS] = core::array::from_fn(|slot| {
        let (schedule, lp) = (&schedule, &lp);
        move || {
            let calls = schedule.calls[slot].get() + 1;
            assert!(
                calls <= schedule.owed[slot].get(),
                "slot {}: callback {calls} without a notification to account for it",
                SLOT_IDS[slot]
            );
            schedule.calls[slot].set(calls);
            // Other threads keep notifying while a callback runs.
            schedule.interleave(lp);
            if calls >= targets[slot] {
                Action::Disarm
            } else {
                Action::Rearm
            }
        }
    });
    let spin = SpinPolicy::default()
        .with_max_spins(u32::from(policy & 0b111))
        .with_yields(u32::from((policy >> 3) & 0b11));
    let Ok(runner) = CallbackRunner::new(&lp) else {
        panic!("a fresh loop must take a runner");
    };
    let mut runner = runner.with_spin_policy(spin);
    for (&slot, callback) in SLOT_IDS.iter().zip(&mut callbacks) {
        if let Err(e) = runner.arm(slot, callback) {
            panic!("arming slot {slot}: {e}");
        }
    }

    let exit = runner.run(RunMode::UntilDone);
    match exit {
        Exit::Done => {
            for (slot, (calls, target)) in SLOT_IDS.iter().zip(schedule.calls.iter().zip(targets)) {
                assert_eq!(calls.get(), target, "slot {slot}");
            }
        }
        Exit::Stopped => assert!(schedule.stopped.get(), "stopped, but nobody asked"),
        _ => panic!("UntilDone without a deadline returned {exit:?}"),
    }
    // Quiescent now (no other thread exists): take what is left, then every
    // notification must be accounted for.
    runner.run(RunMode::NoWait);
    for (i, slot) in SLOT_IDS.into_iter().enumerate() {
        let ledger = lp.ledger(slot).unwrap_or_default();
        assert!(ledger.is_conserved(), "slot {slot}: {ledger}");
        assert_eq!(
            ledger.delivered,
            schedule.calls[i].get(),
            "slot {slot}: {ledger}"
        );
        assert_eq!(ledger.pending, 0, "slot {slot}: {ledger}");
    }
}
