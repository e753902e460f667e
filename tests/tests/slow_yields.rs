//! A loop whose yields take a time slice (busy threads beside it got the CPU)
//! parks instead of yielding; one whose yields reach its peer quickly keeps
//! yielding. Driven on one thread by a parker with a fake clock, whose yields
//! and parks stand in for the peer: each notifies the loop.
#![cfg(not(loom))]

use rearm_core::{Action, Exit, Loop, Park, ParkWord, RunMode, Runner, SpinPolicy, WaitStats};
use std::cell::Cell;

/// A yield that lets the peer answer after `yield_ns` of fake time; a park
/// that the peer's answer ends at once. `clock: false` has no clock at all.
struct PeerInTheYield<'a> {
    lp: Cell<Option<&'a Loop<PeerInTheYield<'a>, 1>>>,
    now: Cell<u64>,
    yield_ns: u64,
    clock: bool,
}

impl PeerInTheYield<'_> {
    fn answer(&self) {
        if let Some(lp) = self.lp.get() {
            lp.handle(0).expect("slot 0 exists").notify();
        }
    }
}

impl Park for PeerInTheYield<'_> {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        self.answer();
    }

    fn unpark(&self, _word: &ParkWord) {}

    fn yield_now(&self) {
        self.now.set(self.now.get() + self.yield_ns);
        self.answer();
    }

    fn now_ns(&self) -> Option<u64> {
        self.clock.then(|| self.now.get())
    }
}

/// Runs 200 callbacks, each after one wait with no spinning, and returns how
/// the waits ended.
fn waits_with(yield_ns: u64, clock: bool) -> WaitStats {
    let lp = Loop::new(PeerInTheYield {
        lp: Cell::new(None),
        now: Cell::new(0),
        yield_ns,
        clock,
    });
    lp.parker().lp.set(Some(&lp));
    let calls = Cell::new(0);
    let mut callback = || {
        calls.set(calls.get() + 1);
        if calls.get() == 200 {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = Runner::new(&lp).unwrap().with_spin_policy(SpinPolicy {
        max_spins: 0,
        yields: 2,
    });
    runner.arm(0, &mut callback).unwrap();
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    assert_eq!(calls.get(), 200);
    let stats = runner.wait_stats();
    assert_eq!(stats.waits, 200, "{stats:?}");
    assert_eq!(stats.spun + stats.yielded + stats.parked, stats.waits);
    stats
}

#[test]
fn fast_yields_keep_the_loop_yielding() {
    let stats = waits_with(2_000, true);
    assert_eq!((stats.yielded, stats.parked), (200, 0), "{stats:?}");
}

#[test]
fn slow_yields_make_the_loop_park_instead() {
    // 2 ms: a time slice given to another busy thread.
    let stats = waits_with(2_000_000, true);
    assert!(stats.parked >= 4 * stats.yielded, "{stats:?}");
}

#[test]
fn without_a_clock_the_loop_yields_as_its_policy_says() {
    let stats = waits_with(2_000_000, false);
    assert_eq!((stats.yielded, stats.parked), (200, 0), "{stats:?}");
}
