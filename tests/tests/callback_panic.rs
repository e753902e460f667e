//! A callback that panics: the loop stays consistent. Notifications taken with
//! it but not yet dispatched are put back, the panicking completion stays
//! armed, counts stay right, and the next run carries on.
#![cfg(not(loom))]

use rearm_core::{Action, Exit, Loop, RunMode, Runner, SpinPark, State};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Regression: `take` swapped a whole group word out of the ready set before
/// handing its bits on one by one, so the bits after a panicking callback's
/// were lost with the unwinding stack.
#[test]
fn callback_panic_loses_no_taken_notification() {
    let lp: Loop<SpinPark, 130> = Loop::new(SpinPark::new());
    let calls: [Cell<u32>; 130] = std::array::from_fn(|_| Cell::new(0));
    let panics = Cell::new(true);
    let mut explode = || {
        calls[1].set(calls[1].get() + 1);
        if panics.get() {
            panic!("injected callback failure");
        }
        Action::Rearm
    };
    let mut counters: Vec<_> = [0usize, 2, 63, 64, 129]
        .into_iter()
        .map(|slot| {
            let calls = &calls;
            (slot, move || {
                calls[slot].set(calls[slot].get() + 1);
                Action::Rearm
            })
        })
        .collect();
    let mut runner = Runner::new(&lp).unwrap();
    runner.arm(1, &mut explode).unwrap();
    for (slot, cb) in counters.iter_mut() {
        runner.arm(*slot, cb).unwrap();
    }
    // Slot 0 runs before slot 1; 2 and 63 after it in the same group word; 64
    // and 129 in groups not yet swapped when slot 1 panics.
    for slot in [0, 1, 2, 63, 64, 129] {
        lp.handle(slot).unwrap().notify();
    }
    let unwound = catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::NoWait)));
    assert!(unwound.is_err());
    assert_eq!(
        [0, 1, 2, 63, 64, 129].map(|s| calls[s].get()),
        [1, 1, 0, 0, 0, 0]
    );
    assert_eq!(runner.active(), 6);
    assert_eq!(runner.state(1), Ok(State::Active));

    // The next run delivers everything that was taken but not dispatched.
    panics.set(false);
    lp.stop();
    assert_eq!(runner.run(RunMode::NoWait), Exit::Stopped);
    assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
    assert_eq!(
        [0, 1, 2, 63, 64, 129].map(|s| calls[s].get()),
        [1, 1, 1, 1, 1, 1]
    );
    for slot in [0, 1, 2, 63, 64, 129] {
        let l = lp.ledger(slot).unwrap();
        assert!(
            l.is_conserved() && l.pending == 0 && l.delivered == 1,
            "slot {slot}: {l}"
        );
    }
}

/// A stop taken together with a panicking callback is not lost.
#[test]
fn callback_panic_keeps_a_pending_stop() {
    let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    let mut explode = || -> Action { panic!("injected callback failure") };
    let mut runner = Runner::new(&lp).unwrap();
    runner.arm(0, &mut explode).unwrap();
    lp.handle(0).unwrap().notify();
    lp.stop();
    assert!(catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::NoWait))).is_err());
    assert_eq!(runner.run(RunMode::NoWait), Exit::Stopped);
}
