//! Regressions: ways a mailbox went deaf for good. Its "told" mark promises
//! that a run will look at the queue again; each test here broke that promise
//! once (a notification dropped after the mark was set, a drain that panicked
//! with the mark set), after which every send skipped its notify and values
//! piled up unread. Each now checks that a value accepted by `send` is
//! delivered by a later run once the slot is armed, with no hand-drain, and
//! that a send after it notifies again.
#![cfg(not(rearm_loom))]

use rearm_core::mailbox::{Mailbox, OneReceiver, OneSender, OneSenderMailbox};
use rearm_core::park::{SpinPark, ThreadPark};
use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, Notified, RunMode};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

type OneSlot = Loop<SpinPark, 1>;

/// Either kind of mailbox, seen from one thread: enough to send and drain.
trait Ends {
    fn send(&mut self, value: u32) -> Result<Notified, u32>;
    fn drain(&mut self, each: &mut dyn FnMut(u32)) -> usize;
}

impl<A: rearm_core::mailbox::Notifier> Ends for &Mailbox<u32, A, 4> {
    fn send(&mut self, value: u32) -> Result<Notified, u32> {
        Mailbox::send(self, value).map_err(|refused| refused.into_inner())
    }
    fn drain(&mut self, each: &mut dyn FnMut(u32)) -> usize {
        Mailbox::drain(self, each)
    }
}

impl<A: rearm_core::mailbox::Notifier> Ends
    for (OneSender<'_, u32, A, 4>, OneReceiver<'_, u32, 4>)
{
    fn send(&mut self, value: u32) -> Result<Notified, u32> {
        self.0.send(value).map_err(|refused| refused.into_inner())
    }
    fn drain(&mut self, each: &mut dyn FnMut(u32)) -> usize {
        self.1.drain(each)
    }
}

/// Runs `check` on a `Mailbox` and on a `OneSenderMailbox`, each bound to
/// slot 0 of a fresh one-slot loop.
fn on_both_mailboxes(check: impl Fn(&OneSlot, &mut dyn Ends)) {
    let lp = OneSlot::new(SpinPark::new());
    let mailbox: Mailbox<u32, _, 4> = Mailbox::new(lp.handle(0).unwrap());
    check(&lp, &mut &mailbox);

    let lp = OneSlot::new(SpinPark::new());
    let mut one: OneSenderMailbox<u32, 4> = OneSenderMailbox::new();
    let mut ends = one.split(lp.handle(0).unwrap());
    check(&lp, &mut ends);
}

/// A handler that drains the mailbox into `got` and rearms.
fn draining<'a>(
    mailbox: &'a RefCell<&mut dyn Ends>,
    got: &'a RefCell<Vec<u32>>,
) -> impl FnMut(usize) -> Action + 'a {
    move |_slot| {
        mailbox
            .borrow_mut()
            .drain(&mut |v| got.borrow_mut().push(v));
        Action::Rearm
    }
}

/// One non-waiting run with a draining handler: what it received.
fn turn(runner: &mut HandlerRunner<'_, SpinPark, 1>, mailbox: &mut dyn Ends) -> Vec<u32> {
    let (mailbox, got) = (RefCell::new(mailbox), RefCell::new(Vec::new()));
    runner.run(RunMode::NoWait, &mut draining(&mailbox, &got));
    got.into_inner()
}

/// After the value `stranded` was accepted and the slot armed again: the next
/// run delivers it without a hand-drain, and the send after that notifies
/// (the mark was not left set) and is delivered too.
fn stranded_value_is_delivered(runner: &mut HandlerRunner<'_, SpinPark, 1>, ends: &mut dyn Ends) {
    assert_eq!(
        turn(runner, ends),
        [1],
        "the accepted value, by the next run"
    );
    assert_eq!(ends.send(2), Ok(Notified::Queued), "the mark was cleared");
    assert_eq!(turn(runner, ends), [2]);
}

#[test]
fn disarm_from_outside_with_a_notification_pending_does_not_leave_the_mailbox_deaf() {
    on_both_mailboxes(|lp, ends| {
        let mut runner = HandlerRunner::new(lp).unwrap();
        runner.arm(0).unwrap();
        assert_eq!(ends.send(1), Ok(Notified::Queued));
        runner.disarm(0).unwrap();
        // The loop takes the pending notification with the slot dead.
        assert_eq!(turn(&mut runner, ends), []);
        runner.arm(0).unwrap();
        stranded_value_is_delivered(&mut runner, ends);
    });
}

#[test]
fn send_during_a_callback_that_drains_and_disarms_does_not_leave_the_mailbox_deaf() {
    // The documented pause: the callback drains and returns Disarm while
    // another sender is between its enqueue and its notify; played here by
    // the callback itself sending after its drain.
    on_both_mailboxes(|lp, ends| {
        let mut runner = HandlerRunner::new(lp).unwrap();
        runner.arm(0).unwrap();
        assert_eq!(ends.send(0), Ok(Notified::Queued));
        let ends = RefCell::new(ends);
        let mut drain_send_disarm = |_slot: usize| {
            let mut ends = ends.borrow_mut();
            ends.drain(&mut |v| assert_eq!(v, 0));
            assert_eq!(ends.send(1), Ok(Notified::Queued));
            Action::Disarm
        };
        assert_eq!(
            runner.run(RunMode::NoWait, &mut drain_send_disarm),
            Exit::Done
        );
        let ends = ends.into_inner();
        assert_eq!(turn(&mut runner, ends), [], "the slot is dead");
        runner.arm(0).unwrap();
        stranded_value_is_delivered(&mut runner, ends);
    });
}

#[test]
fn runner_restarted_that_runs_before_arming_does_not_leave_the_mailbox_deaf() {
    on_both_mailboxes(|lp, ends| {
        let mut runner = HandlerRunner::new(lp).unwrap();
        runner.arm(0).unwrap();
        assert_eq!(ends.send(1), Ok(Notified::Queued));
        drop(runner);
        let mut runner = HandlerRunner::new(lp).unwrap();
        assert_eq!(turn(&mut runner, ends), [], "no slot armed yet");
        runner.arm(0).unwrap();
        stranded_value_is_delivered(&mut runner, ends);
    });
}

#[test]
fn send_to_a_dead_slot_is_delivered_once_the_slot_is_armed() {
    on_both_mailboxes(|lp, ends| {
        let mut runner = HandlerRunner::new(lp).unwrap();
        assert_eq!(ends.send(1), Ok(Notified::Kept));
        assert_eq!(turn(&mut runner, ends), []);
        runner.arm(0).unwrap();
        stranded_value_is_delivered(&mut runner, ends);
    });
}

/// A handler that panics the first time it is called, from inside the drain
/// when `in_drain`, before draining otherwise.
struct PanicsOnce<'a, 'e> {
    ends: &'a RefCell<&'e mut dyn Ends>,
    got: Vec<u32>,
    panicked: bool,
    in_drain: bool,
}

impl Handler for PanicsOnce<'_, '_> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        let first = !std::mem::replace(&mut self.panicked, true);
        if first && !self.in_drain {
            panic!("injected failure before the drain");
        }
        let got = &mut self.got;
        self.ends.borrow_mut().drain(&mut |v| {
            if first {
                panic!("injected failure in the drain");
            }
            got.push(v);
        });
        Action::Rearm
    }
}

fn panicking_callback_does_not_leave_the_mailbox_deaf(in_drain: bool) {
    on_both_mailboxes(|lp, ends| {
        let mut runner = HandlerRunner::new(lp).unwrap();
        runner.arm(0).unwrap();
        assert_eq!(ends.send(1), Ok(Notified::Queued));
        assert_eq!(ends.send(2), Ok(Notified::Coalesced));
        let ends = RefCell::new(ends);
        let mut handler = PanicsOnce {
            ends: &ends,
            got: Vec::new(),
            panicked: false,
            in_drain,
        };
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            runner.run(RunMode::NoWait, &mut handler)
        }));
        assert!(unwound.is_err(), "the handler panicked");
        // The value the drain held when it panicked is gone with the panic;
        // the next run delivers the rest, with no send and no hand-drain.
        runner.run(RunMode::NoWait, &mut handler);
        let expected: &[u32] = if in_drain { &[2] } else { &[1, 2] };
        assert_eq!(handler.got, expected);
        assert_eq!(
            ends.borrow_mut().send(3),
            Ok(Notified::Queued),
            "the mark was cleared"
        );
        runner.run(RunMode::NoWait, &mut handler);
        assert_eq!(handler.got.last(), Some(&3));
        lp.ledger(0).unwrap().check().unwrap();
    });
}

#[test]
fn drain_that_panics_does_not_leave_the_mailbox_deaf() {
    panicking_callback_does_not_leave_the_mailbox_deaf(true);
}

#[test]
fn callback_that_panics_before_its_drain_does_not_leave_the_mailbox_deaf() {
    panicking_callback_does_not_leave_the_mailbox_deaf(false);
}

/// A drain outside any callback that panics leaves the mark clear: the next
/// send notifies, and the values left behind are delivered with it.
#[test]
fn drain_outside_a_callback_that_panics_leaves_the_mark_clear() {
    on_both_mailboxes(|lp, ends| {
        let mut runner = HandlerRunner::new(lp).unwrap();
        runner.arm(0).unwrap();
        assert_eq!(ends.send(1), Ok(Notified::Queued));
        assert_eq!(ends.send(2), Ok(Notified::Coalesced));
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            ends.drain(&mut |_| panic!("injected failure in the drain"))
        }));
        assert!(unwound.is_err());
        // The loop was told: the run drains the value left behind.
        assert_eq!(turn(&mut runner, ends), [2]);
        assert_eq!(ends.send(3), Ok(Notified::Queued));
        assert_eq!(turn(&mut runner, ends), [3]);
    });
}

/// A producer thread sends 100,000 values without pause while the loop's
/// thread drops its runner and makes a new one at least 1,000 times, each
/// restart after the producer sent more, each new runner sometimes running
/// before it arms the slot, draining a few times, and sometimes disarming
/// the slot from outside before it is dropped. Every value is received
/// exactly once, in order, with no hand-drain: a value stranded by a
/// restart would leave the last runner without a notification, and the test
/// fails on its count.
#[test]
fn producer_across_a_thousand_runner_restarts_loses_nothing() {
    const RESTARTS: u64 = 1_000;
    const VALUES: u64 = 100_000;
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    let mailbox: Mailbox<u64, _, 64> = Mailbox::new(lp.handle(0).unwrap());
    let sent = AtomicU64::new(0);
    let next = std::cell::Cell::new(0u64);
    let check = |value: u64| {
        assert_eq!(value, next.get(), "values out of order");
        next.set(value + 1);
    };
    let mut restarts = 0;
    let gave_up = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut value = 0;
            while value < VALUES && !gave_up.load(Ordering::Relaxed) {
                if mailbox.send(value).is_ok() {
                    value += 1;
                    sent.store(value, Ordering::Release);
                } else {
                    std::thread::yield_now();
                }
            }
        });
        let mut seen = 0;
        // A deaf mailbox fills and stops the producer: the deadline then
        // ends the restarts, and the count below fails the test.
        let deadline = Instant::now() + Duration::from_secs(60);
        while (restarts < RESTARTS || sent.load(Ordering::Acquire) < VALUES)
            && Instant::now() < deadline
        {
            // Restart only once the producer sent more since the last one
            // (or cannot: the mailbox is full).
            while sent.load(Ordering::Acquire) == seen
                && seen < VALUES
                && mailbox.counts().queued() < 64
            {
                std::thread::yield_now();
            }
            seen = sent.load(Ordering::Acquire);
            let mut runner = HandlerRunner::new(&lp).unwrap();
            if restarts % 3 == 1 {
                // Takes whatever landed after the last runner disarmed.
                runner.run(RunMode::NoWait, &mut |_slot: usize| Action::Rearm);
            }
            runner.arm(0).unwrap();
            let mut on_mail = |_slot: usize| {
                mailbox.drain(check);
                Action::Rearm
            };
            for _ in 0..(restarts % 4) {
                runner.run(RunMode::NoWait, &mut on_mail);
            }
            if restarts % 2 == 0 {
                runner.disarm(0).unwrap();
            }
            restarts += 1;
        }
        gave_up.store(true, Ordering::Relaxed);
    });
    // The producer is joined: one more runner receives whatever is left,
    // told by the notifications the restarts kept, with no hand-drain.
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let mut on_mail = |_slot: usize| {
        mailbox.drain(check);
        Action::Rearm
    };
    runner.run(RunMode::NoWait, &mut on_mail);
    assert_eq!(
        next.get(),
        VALUES,
        "values stranded: {:?}",
        mailbox.counts()
    );
    assert!(restarts >= RESTARTS);
    drop(runner);
    lp.ledger(0).unwrap().check().unwrap();
}
