//! Loom models of waiting without a loop thread: a task that registers its
//! waker and announces its wait, racing a notification, is always woken (an
//! awaited mailbox receive, and a loop polled inside a task), and a thread
//! blocked in a mailbox's `recv` always wakes for a send and for the close.
//! The negative controls register the waker after announcing the wait: a
//! notifier can then find the announcement and no waker, and loom must find
//! the task pending for ever (a deadlock in `loom::future::block_on`).
//!
//! Run with `.ci/loom`.
#![cfg(rearm_loom)]

use loom::sync::Arc;
use loom::thread;
use rearm_core::mailbox::{AsyncSignal, Mailbox, RecvError, Signal};
use rearm_core::park::{ThreadPark, WakerPark};
use rearm_core::{Action, Exit, HandlerRunner, Loop, OwnedSlotHandle, RunMode};
use rearm_tests::negative_control::expect_deadlock;

/// A sender thread sends one value and closes; the task awaits the value,
/// then the close.
fn awaited_receive(signal: AsyncSignal) {
    let mailbox: Arc<Mailbox<u32, AsyncSignal, 2>> = Arc::new(Mailbox::new(signal));
    let sender = {
        let mailbox = Arc::clone(&mailbox);
        thread::spawn(move || {
            mailbox.send(7).unwrap();
            mailbox.close();
        })
    };
    let received = loom::future::block_on(async {
        let first = mailbox.recv().await;
        let second = mailbox.recv().await;
        (first, second)
    });
    assert_eq!(received, (Ok(7), Err(RecvError)));
    sender.join().unwrap();
}

#[test]
fn a_send_racing_an_awaiting_receive_is_never_lost() {
    loom::model(|| awaited_receive(AsyncSignal::new()));
}

/// The same with a poll that spins before it returns `Pending`: a
/// notification seen while spinning makes it look again.
#[test]
fn a_send_racing_a_spinning_awaiting_receive_is_never_lost() {
    loom::model(|| awaited_receive(AsyncSignal::with_spin(1)));
}

#[test]
fn negative_control_await_registering_late_is_caught() {
    expect_deadlock("broken_await_registering_late");
}

#[test]
#[ignore = "a deliberately broken wait: negative_control_await_registering_late_is_caught runs it and expects failure"]
fn broken_await_registering_late() {
    loom::model(|| awaited_receive(AsyncSignal::with_parker(WakerPark::with_late_register())));
}

/// A thread notifies slot 0 of a loop that a task runs with `run_async`; the
/// handler disarms, so the run is done once the notification is handled.
fn polled_loop(parker: WakerPark) {
    let lp: std::sync::Arc<Loop<WakerPark, 1>> = std::sync::Arc::new(Loop::new(parker));
    let mut runner = HandlerRunner::new(&*lp).unwrap();
    runner.arm(0).unwrap();
    let handle = OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap();
    let notifier = thread::spawn(move || {
        handle.notify();
    });
    let mut once = |_slot: usize| Action::Disarm;
    let exit = loom::future::block_on(runner.run_async(RunMode::UntilDone, &mut once));
    assert_eq!(exit, Exit::Done);
    notifier.join().unwrap();
}

#[test]
fn a_notify_racing_a_polled_loop_is_never_lost() {
    loom::model(|| polled_loop(WakerPark::new()));
}

#[test]
fn negative_control_polled_loop_registering_late_is_caught() {
    expect_deadlock("broken_polled_loop_registering_late");
}

#[test]
#[ignore = "a deliberately broken wait: negative_control_polled_loop_registering_late_is_caught runs it and expects failure"]
fn broken_polled_loop_registering_late() {
    loom::model(|| polled_loop(WakerPark::with_late_register()));
}

/// A sender thread sends one value and closes; the receiver thread blocks
/// in `recv` on the std parker for the value, then for the close.
#[test]
fn a_send_racing_a_blocking_receive_is_never_lost() {
    loom::model(|| {
        let mailbox: Arc<Mailbox<u32, Signal<ThreadPark>, 2>> =
            Arc::new(Mailbox::new(Signal::new(ThreadPark::new())));
        let sender = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                mailbox.send(7).unwrap();
                mailbox.close();
            })
        };
        assert_eq!(mailbox.recv(), Ok(7));
        assert_eq!(mailbox.recv(), Err(RecvError));
        sender.join().unwrap();
    });
}
