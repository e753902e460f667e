//! A callback that panics: the loop stays consistent. Notifications taken with
//! it but not yet dispatched are put back, the panicking completion stays
//! armed and its own notification pending (it was not handled in full),
//! counts stay right, and the next run carries on.
#![cfg(not(rearm_loom))]

use rearm_core::park::SpinPark;
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SlotState};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Notifies `panicking` and every slot of `before` and `after`, runs the loop
/// once with `panicking`'s callback panicking, and checks that exactly the
/// `before` slots ran; then that the next run delivers every other one once,
/// and calls the panicking one again, its notification delivered this time.
fn panic_loses_nothing<const CAP: usize>(panicking: usize, before: &[usize], after: &[usize]) {
    let lp: Loop<SpinPark, CAP> = Loop::new(SpinPark::new());
    let calls: [Cell<u32>; CAP] = std::array::from_fn(|_| Cell::new(0));
    let panics = Cell::new(true);
    let mut explode = || {
        calls[panicking].set(calls[panicking].get() + 1);
        if panics.get() {
            panic!("injected callback failure");
        }
        Action::Rearm
    };
    let others: Vec<usize> = before.iter().chain(after).copied().collect();
    let mut counters: Vec<_> = others
        .iter()
        .map(|&slot| {
            let calls = &calls;
            (slot, move || {
                calls[slot].set(calls[slot].get() + 1);
                Action::Rearm
            })
        })
        .collect();
    let mut runner = CallbackRunner::new(&lp).unwrap();
    runner.arm(panicking, &mut explode).unwrap();
    for (slot, cb) in counters.iter_mut() {
        runner.arm(*slot, cb).unwrap();
    }
    let all: Vec<usize> = [panicking].into_iter().chain(others).collect();
    for &slot in &all {
        lp.handle(slot).unwrap().notify();
    }
    let unwound = catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::NoWait)));
    assert!(unwound.is_err());
    for &slot in &all {
        let ran = u32::from(slot == panicking || before.contains(&slot));
        assert_eq!(calls[slot].get(), ran, "slot {slot} before the next run");
    }
    assert_eq!(runner.active(), all.len());
    assert_eq!(runner.state(panicking), Ok(SlotState::Active));

    // Before the next run: the panicked call was not delivered, and its
    // notification is pending again.
    let l = lp.ledger(panicking).unwrap();
    assert!(
        l.is_conserved() && l.pending == 1 && l.delivered == 0,
        "slot {panicking}: {l}"
    );

    // The next run delivers everything that was taken but not dispatched,
    // and the panicking slot's notification, which its call did not finish.
    panics.set(false);
    lp.stop();
    assert_eq!(runner.run(RunMode::NoWait), Exit::Stopped);
    assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
    for &slot in &all {
        let calls_expected = if slot == panicking { 2 } else { 1 };
        assert_eq!(
            calls[slot].get(),
            calls_expected,
            "slot {slot} after the next run"
        );
        let l = lp.ledger(slot).unwrap();
        assert!(
            l.is_conserved() && l.pending == 0 && l.delivered == 1,
            "slot {slot}: {l}"
        );
    }
}

/// Regression: `take` swapped a whole group word out of the ready set before
/// handing its bits on one by one, so the bits after a panicking callback's
/// were lost with the unwinding stack.
#[test]
fn callback_panic_loses_no_taken_notification() {
    // Slots 0 to 21 live in the park word: 0 runs before the panicking 1, 2
    // after it; 63, 64 and 129 are in bitmap words not yet taken.
    panic_loses_nothing::<130>(1, &[0], &[2, 63, 64, 129]);
}

/// The panicking callback is a bitmap slot's: the rest of its word (41, 63) is
/// put back, as are the words of its summary class not yet looked at (64, 129)
/// and a class not yet reached (599, above slot 512).
#[test]
fn callback_panic_in_a_bitmap_word_loses_no_taken_notification() {
    panic_loses_nothing::<600>(40, &[0, 21, 22], &[41, 63, 64, 129, 599]);
}

/// The panicking callback is a slot of a loop above 4096 slots, in a group
/// word its slots' lines keep: the rest of its word (4100), the class's next
/// spilled run (8192, class 0 again) and a class not yet reached (4608,
/// class 1) are put back. On a large stack: the loop is about 650 KB.
#[test]
fn callback_panic_in_a_spilled_group_word_loses_no_taken_notification() {
    driver::harness::on_large_stack(|| {
        panic_loses_nothing::<8200>(4099, &[0, 22, 4096], &[4100, 8192, 4608]);
    });
}

/// A stop taken together with a panicking callback is not lost.
#[test]
fn callback_panic_keeps_a_pending_stop() {
    let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    let panicked = Cell::new(false);
    let mut explode_once = || {
        if !panicked.replace(true) {
            panic!("injected callback failure");
        }
        Action::Rearm
    };
    let mut runner = CallbackRunner::new(&lp).unwrap();
    runner.arm(0, &mut explode_once).unwrap();
    lp.handle(0).unwrap().notify();
    lp.stop();
    assert!(catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::NoWait))).is_err());
    assert_eq!(runner.run(RunMode::NoWait), Exit::Stopped);
    drop(runner);
    let l = lp.ledger(0).unwrap();
    assert_eq!((l.notified, l.delivered, l.pending), (1, 1, 0), "{l}");
}

/// Regression: the loop counted a callback as delivered before calling it,
/// and took its notification for good, so a callback that panicked before it
/// drained a mailbox left the mailbox's "told" mark set with nothing pending:
/// every later send skipped its notify. A callback that panics now leaves its
/// notification pending, and a caller that disarms the slot after catching
/// the panic has it dropped like any other.
#[test]
fn callback_panic_leaves_its_notification_pending_until_handled_or_disarmed() {
    let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    let mut explode = || -> Action { panic!("injected callback failure") };
    let mut runner = CallbackRunner::new(&lp).unwrap();
    runner.arm(0, &mut explode).unwrap();
    lp.handle(0).unwrap().notify();
    for _ in 0..3 {
        assert!(catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::NoWait))).is_err());
        let l = lp.ledger(0).unwrap();
        assert_eq!((l.notified, l.delivered, l.pending), (1, 0, 1), "{l}");
    }
    runner.disarm(0).unwrap();
    assert_eq!(runner.run(RunMode::NoWait), Exit::Done);
    let l = lp.ledger(0).unwrap();
    assert_eq!((l.notified, l.dropped, l.pending), (1, 1, 0), "{l}");
}

/// Regression: a notification that landed after the take, for a slot whose
/// taken bit the unwinding take then put back, merged with it uncounted: the
/// ledger was one short (`notified` 2 = `delivered` 1 + nothing). Found by
/// `driver --mode mailbox --inject-faults`, whose callbacks panic while
/// senders notify. Here the callback itself notifies its own slot (in the
/// park word) and one of the bitmap not yet handed on, then panics: both
/// put-backs merge, and each merge is counted as coalesced.
#[test]
fn callback_panic_counts_a_put_back_notification_that_merges_with_a_new_one() {
    let lp: Loop<SpinPark, 130> = Loop::new(SpinPark::new());
    let panics = Cell::new(true);
    let mut explode = || {
        if panics.get() {
            lp.handle(0).unwrap().notify();
            lp.handle(129).unwrap().notify();
            panic!("injected callback failure");
        }
        Action::Rearm
    };
    let mut count = || Action::Rearm;
    let mut runner = CallbackRunner::new(&lp).unwrap();
    runner.arm(0, &mut explode).unwrap();
    runner.arm(129, &mut count).unwrap();
    lp.handle(0).unwrap().notify();
    lp.handle(129).unwrap().notify();
    assert!(catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::NoWait))).is_err());
    for slot in [0, 129] {
        let l = lp.ledger(slot).unwrap();
        assert_eq!((l.notified, l.coalesced, l.pending), (2, 1, 1), "{l}");
    }
    panics.set(false);
    assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
    drop(runner);
    for slot in [0, 129] {
        let l = lp.ledger(slot).unwrap();
        assert_eq!((l.notified, l.delivered, l.coalesced), (2, 1, 1), "{l}");
        assert!(l.is_conserved() && l.pending == 0, "{l}");
    }
}
