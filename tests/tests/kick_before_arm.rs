//! Regression: the `Loop` documentation's ping-pong once armed main's
//! completion after spawning the worker, so the worker's kick could find the
//! slot dead. Such a notification is dropped by design (it is counted, never
//! queued for a later arm), and both sides then waited for ever. The `Loop`
//! example now shows the rule (arm before anyone notifies); this pins it down.

use rearm_core::park::SpinPark;
use rearm_core::{Action, CallbackRunner, Exit, Loop, Notified, RunMode};
use std::cell::Cell;

/// Main's pong callback: counts its calls, and disarms after the first.
fn count_and_disarm(calls: &Cell<u32>) -> impl FnMut() -> Action + '_ {
    || {
        calls.set(calls.get() + 1);
        Action::Disarm
    }
}

#[test]
fn kick_before_arm_is_dropped_and_not_delivered_later() {
    let main_loop: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    let kick = main_loop.handle(0).unwrap();
    // The worker kicks before main armed: dropped, and counted as such.
    assert_eq!(kick.notify(), Notified::Dropped);

    let calls = Cell::new(0);
    let mut on_pong = count_and_disarm(&calls);
    let mut runner = CallbackRunner::new(&main_loop).unwrap();
    runner.arm(0, &mut on_pong).unwrap();
    // Nothing is pending for the freshly armed slot: a run that may not wait
    // returns without a callback (UntilDone would wait for ever here).
    assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
    drop(runner);
    assert_eq!(calls.get(), 0);
    let ledger = main_loop.ledger(0).unwrap();
    assert_eq!(
        (ledger.notified, ledger.dropped, ledger.pending),
        (1, 1, 0),
        "{ledger}"
    );
    assert!(ledger.is_conserved(), "{ledger}");
}

#[test]
fn kick_after_arm_is_delivered() {
    let main_loop: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    let kick = main_loop.handle(0).unwrap();
    let calls = Cell::new(0);
    let mut on_pong = count_and_disarm(&calls);
    let mut runner = CallbackRunner::new(&main_loop).unwrap();
    runner.arm(0, &mut on_pong).unwrap();
    assert_eq!(kick.notify(), Notified::Queued);
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    drop(runner);
    assert_eq!(calls.get(), 1);
}
