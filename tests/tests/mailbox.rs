//! The mailbox: random steps against the reference queue (the same harness
//! the `mailbox_ops` fuzz target runs), and real threads sending into a real
//! loop, every value received once and in each sender's order.
#![cfg(not(rearm_loom))]

use proptest::prelude::*;
use rearm_core::mailbox::{Mailbox, Notifier, OneSenderMailbox, TryRecvError, TrySendError};
use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, HandlerRunner, Loop, Notified, OwnedSlotHandle, RunMode};
use rearm_tests::fuzzing::{MailboxOp, mailbox_ops};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn op() -> impl Strategy<Value = MailboxOp> {
    prop_oneof![
        4 => any::<u8>().prop_map(MailboxOp::Send),
        1 => Just(MailboxOp::TryRecv),
        1 => Just(MailboxOp::Drain),
        2 => Just(MailboxOp::Turn),
        1 => Just(MailboxOp::Arm),
        1 => Just(MailboxOp::Disarm),
        2 => any::<u8>().prop_map(MailboxOp::SendDeferred),
        1 => Just(MailboxOp::Flush),
        1 => Just(MailboxOp::Restart),
        1 => Just(MailboxOp::TurnPanicking),
        1 => Just(MailboxOp::DrainPanicking),
        1 => any::<u8>().prop_map(MailboxOp::SendAskingRoom),
        1 => Just(MailboxOp::DrainTellingRoom),
        1 => Just(MailboxOp::TryIter),
        1 => Just(MailboxOp::Close),
    ]
}

/// Keeps the injected panics of the harness's panicking steps off stderr;
/// every other panic is reported as usual.
fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let injected = info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|m| m.starts_with("injected failure"));
            if !injected {
                report(info);
            }
        }));
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Values, their order, each send's outcome (refused, pending, coalesced,
    /// kept), whether a loop turn runs the handler, the counts and the
    /// slot's ledger all match the reference after every step, through
    /// disarms, rearms, runner restarts and panicking handlers and drains.
    #[test]
    fn mailbox_matches_the_reference_queue(ops in prop::collection::vec(op(), 0..200)) {
        quiet_injected_panics();
        mailbox_ops(&ops);
    }
}

#[test]
fn full_mailbox_hands_the_value_back_and_counts_it() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    let mailbox: Mailbox<String, _, 2> = Mailbox::new(lp.handle(0).unwrap());
    mailbox.send("a".into()).unwrap();
    mailbox.send("b".into()).unwrap();
    assert_eq!(
        mailbox.send("c".into()),
        Err(TrySendError::Full("c".to_string()))
    );
    let counts = mailbox.counts();
    assert_eq!((counts.sent, counts.refused, counts.queued()), (2, 1, 2));
}

#[test]
fn mailbox_reports_its_capacity_and_notifies_its_own_slot() {
    let lp: Loop<ThreadPark, 4> = Loop::new(ThreadPark::new());
    let handle = lp.handle(2).unwrap();
    let mailbox: Mailbox<u8, _, 8> = Mailbox::new(&handle);
    assert_eq!(mailbox.capacity(), 8);
    // Through the trait, by value and by reference, borrowed or owned: the
    // same slot.
    assert_eq!(Notifier::slot(&handle), 2);
    assert_eq!(Notifier::slot(mailbox.notifier()), 2);
    let shared = Arc::new(Loop::<ThreadPark, 4>::new(ThreadPark::new()));
    let owned = OwnedSlotHandle::new(Arc::clone(&shared), 2).unwrap();
    assert_eq!(Notifier::slot(&owned), 2);
    assert_eq!(Notifier::notify(&owned), Notified::Dropped);
    assert_eq!(shared.ledger(2).unwrap().dropped, 1);
    // A send to the dead slot 2 is kept there, and only there.
    assert_eq!(mailbox.send(1), Ok(Notified::Kept));
    assert_eq!(lp.ledger(2).unwrap().pending, 1);
    assert_eq!(lp.ledger_total().notified, 1);
}

#[test]
fn send_to_a_dead_slot_is_drained_by_the_first_run_after_the_arm() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    let mailbox: Mailbox<u32, _, 4> = Mailbox::new(lp.handle(0).unwrap());
    assert_eq!(mailbox.send(7), Ok(Notified::Kept));
    assert_eq!(mailbox.send(8), Ok(Notified::Coalesced), "the loop is told");
    let mut got = Vec::new();
    let mut runner = HandlerRunner::new(&lp).unwrap();
    // The kept notification becomes pending as the slot is armed.
    runner.arm(0).unwrap();
    let mut on_mail = |_slot: usize| {
        mailbox.drain(|v| got.push(v));
        Action::Disarm
    };
    assert_eq!(runner.run(RunMode::NoWait, &mut on_mail), Exit::Done);
    assert_eq!(got, [7, 8]);
    let ledger = lp.ledger(0).unwrap();
    assert_eq!((ledger.notified, ledger.delivered), (1, 1), "{ledger}");
}

/// Sets its flag when dropped, unwinding included.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Sends `value`, yielding and retrying while the mailbox hands it back;
/// returns how many times it was refused, or `None` if the loop stopped
/// (`done`) first: the test then fails on its counts.
fn send_retrying(
    mut send: impl FnMut(u64) -> Result<Notified, TrySendError<u64>>,
    mut value: u64,
    done: &AtomicBool,
) -> Option<u64> {
    let mut refused = 0;
    while let Err(back) = send(value) {
        value = back.into_inner();
        refused += 1;
        if done.load(Ordering::Relaxed) {
            return None;
        }
        std::thread::yield_now();
    }
    Some(refused)
}

/// The watchdog of the real-thread tests: stops `lp` if `done` is not set
/// within a minute (a value left behind leaves the loop asleep), so the test
/// fails instead of hanging.
fn stop_unless_done_within_a_minute(lp: &Loop<ThreadPark, 1>, done: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done.load(Ordering::Relaxed) {
        if Instant::now() > deadline {
            lp.stop();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const SENDERS: u64 = 4;
const PER_SENDER: u64 = 50_000;

/// Four threads send 50,000 values each into a mailbox of 64 on a loop that
/// sleeps between drains: every value arrives once, in its sender's order,
/// and the counts agree with what the senders were told. A value left behind
/// leaves the loop asleep: a watchdog then stops it and the test fails.
#[test]
fn senders_on_real_threads_lose_nothing_and_keep_their_order() {
    let lp = Arc::new(Loop::<ThreadPark, 1>::new(ThreadPark::new()));
    let mailbox: Mailbox<u64, _, 64> = Mailbox::new(lp.handle(0).unwrap());
    let mut next = [0u64; SENDERS as usize];
    let mut received = 0;
    let mut on_mail = |_slot: usize| {
        mailbox.drain(|value| {
            let (sender, seq) = ((value >> 32) as usize, value & 0xffff_ffff);
            assert_eq!(seq, next[sender], "sender {sender}'s values out of order");
            next[sender] += 1;
            received += 1;
        });
        if received == SENDERS * PER_SENDER {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let done = AtomicBool::new(false);
    let (refused, exit) = std::thread::scope(|s| {
        let senders: Vec<_> = (0..SENDERS)
            .map(|sender| {
                let (mailbox, done) = (&mailbox, &done);
                s.spawn(move || {
                    let mut refused = 0u64;
                    for seq in 0..PER_SENDER {
                        let sent = send_retrying(|v| mailbox.send(v), sender << 32 | seq, done);
                        let Some(refusals) = sent else { break };
                        refused += refusals;
                    }
                    refused
                })
            })
            .collect();
        let watchdog = s.spawn(|| stop_unless_done_within_a_minute(&lp, &done));
        // Set however the run ends: a handler that panics must fail the
        // test, not leave senders retrying a full mailbox for ever.
        let exit = {
            let _finished = SetOnDrop(&done);
            runner.run(RunMode::UntilDone, &mut on_mail)
        };
        let refused: u64 = senders.into_iter().map(|t| t.join().unwrap()).sum();
        watchdog.join().unwrap();
        (refused, exit)
    });
    assert_eq!(exit, Exit::Done, "stalled: {:?}", mailbox.counts());
    assert_eq!(next, [PER_SENDER; SENDERS as usize]);
    let counts = mailbox.counts();
    assert_eq!(counts.sent, SENDERS * PER_SENDER);
    assert_eq!(counts.received, SENDERS * PER_SENDER);
    assert_eq!(counts.refused, refused);
    assert_eq!(counts.queued(), 0);
    lp.ledger(0).unwrap().check().unwrap();
}

#[test]
fn one_sender_mailbox_reports_its_capacity_counts_and_slot() {
    let lp: Loop<ThreadPark, 4> = Loop::new(ThreadPark::new());
    let mut mailbox: OneSenderMailbox<u8, 2> = OneSenderMailbox::new();
    assert_eq!(mailbox.capacity(), 2);
    let (mut sender, mut receiver) = mailbox.split(lp.handle(3).unwrap());
    assert_eq!(sender.notifier().slot(), 3);
    // Slot 3 is dead: the first send's notify is kept there for its next
    // arm, and the loop is told.
    assert_eq!(sender.send(1), Ok(Notified::Kept));
    assert_eq!(sender.send(2), Ok(Notified::Coalesced));
    assert_eq!(sender.send(3), Err(TrySendError::Full(3)));
    // Both ends see the same counts.
    assert_eq!(sender.counts(), receiver.counts());
    assert_eq!(receiver.try_recv(), Ok(1));
    assert_eq!(receiver.drain(|v| assert_eq!(v, 2)), 1);
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    let counts = receiver.counts();
    assert_eq!((counts.sent, counts.received, counts.refused), (2, 2, 1));
    let ledger = lp.ledger(3).unwrap();
    assert_eq!((ledger.notified, ledger.pending), (1, 1), "{ledger}");
    // The ends borrow the mailbox until they are dropped (the sender's drop
    // announces any deferred values, and closes the mailbox).
    drop(sender);
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    drop(receiver);
    assert_eq!(mailbox.counts(), counts);
    assert!(mailbox.is_closed());
    // Split again: the same ring, the same counts, open again.
    let (mut sender, mut receiver) = mailbox.split(lp.handle(3).unwrap());
    assert!(!receiver.is_closed());
    assert_eq!(sender.send(4), Ok(Notified::Coalesced), "still kept");
    assert_eq!(receiver.try_recv(), Ok(4));
    assert_eq!(receiver.counts().received, 3);
    // The receiver gone, sends hand their value back as closed.
    drop(receiver);
    assert!(sender.is_closed());
    assert_eq!(sender.send(5), Err(TrySendError::Closed(5)));
}

/// Deferred values reach the loop when the sender flushes, sends, finds the
/// mailbox full or is dropped, and not before.
#[test]
fn deferred_values_are_announced_by_flush_send_full_mailbox_or_drop() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let notified = || lp.ledger(0).unwrap().notified;
    let mut mailbox: OneSenderMailbox<u8, 2> = OneSenderMailbox::new();
    let (mut sender, mut receiver) = mailbox.split(lp.handle(0).unwrap());
    let mut turn = |expect: &[u8]| {
        let mut got = Vec::new();
        runner.run(RunMode::NoWait, &mut |_slot: usize| {
            receiver.drain(|v| got.push(v));
            Action::Rearm
        });
        assert_eq!(got, expect);
    };

    // Flush.
    assert_eq!(sender.flush(), None, "nothing to announce yet");
    assert_eq!(sender.send_deferred(1), Ok(()));
    turn(&[]);
    assert_eq!(notified(), 0, "a deferred send does not notify");
    assert_eq!(sender.flush(), Some(Notified::Queued));
    assert_eq!(sender.flush(), None, "announced once");
    turn(&[1]);

    // A send announces the values deferred before it.
    assert_eq!(sender.send_deferred(2), Ok(()));
    assert_eq!(sender.send(3), Ok(Notified::Queued));
    assert_eq!(
        sender.flush(),
        None,
        "the send announced the deferred value"
    );
    turn(&[2, 3]);

    // A full mailbox announces the deferred values that fill it.
    assert_eq!(sender.send_deferred(4), Ok(()));
    assert_eq!(sender.send_deferred(5), Ok(()));
    assert_eq!(notified(), 2);
    assert_eq!(sender.send_deferred(6), Err(TrySendError::Full(6)));
    assert_eq!(notified(), 3, "refused: the deferred values were flushed");
    assert_eq!(sender.send(6), Err(TrySendError::Full(6)));
    assert_eq!(
        notified(),
        3,
        "already announced: refusing again tells nobody"
    );
    turn(&[4, 5]);

    // Dropping the sender announces the rest.
    assert_eq!(sender.send_deferred(7), Ok(()));
    drop(sender);
    assert_eq!(notified(), 4);
    turn(&[7]);
    drop(receiver);
    let counts = mailbox.counts();
    assert_eq!((counts.sent, counts.received, counts.refused), (6, 6, 2));
}

const ONE_SENDER_VALUES: u64 = 200_000;

/// How the real-thread test's sender hands values over.
#[derive(Clone, Copy)]
enum Sending {
    /// `send`, which tells the loop of each value.
    EachTold,
    /// `send_deferred`, with a `flush` every `n` values, and the last ones
    /// announced by dropping the sender.
    FlushedEvery(u64),
}

/// One thread sends 200,000 values through a one-sender mailbox of 64 into a
/// loop that sleeps between drains: every value arrives once and in order,
/// and the counts agree with the sender's. A value left behind leaves the
/// loop asleep: the watchdog stops it and the test fails.
#[test]
fn one_sender_on_a_real_thread_loses_nothing_and_keeps_its_order() {
    one_sender_on_a_real_thread(Sending::EachTold);
}

/// The same with deferred sends, flushed every 7 values (out of step with
/// the capacity, so full mailboxes flush too) and at the sender's drop.
#[test]
fn deferred_sends_on_a_real_thread_lose_nothing_and_keep_their_order() {
    one_sender_on_a_real_thread(Sending::FlushedEvery(7));
}

fn one_sender_on_a_real_thread(sending: Sending) {
    let lp = Loop::<ThreadPark, 1>::new(ThreadPark::new());
    let mut mailbox: OneSenderMailbox<u64, 64> = OneSenderMailbox::new();
    assert_eq!(mailbox.capacity(), 64);
    let (mut sender, mut receiver) = mailbox.split(lp.handle(0).unwrap());
    let mut next = 0;
    let mut on_mail = |_slot: usize| {
        receiver.drain(|value| {
            assert_eq!(value, next, "values out of order");
            next += 1;
        });
        if next == ONE_SENDER_VALUES {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let done = AtomicBool::new(false);
    let (refused, exit) = std::thread::scope(|s| {
        let done = &done;
        let sending = s.spawn(move || {
            let mut refused = 0u64;
            for value in 0..ONE_SENDER_VALUES {
                let sent = match sending {
                    Sending::EachTold => send_retrying(|v| sender.send(v), value, done),
                    Sending::FlushedEvery(n) => {
                        let sent = send_retrying(
                            |v| sender.send_deferred(v).map(|()| Notified::Coalesced),
                            value,
                            done,
                        );
                        if value % n == n - 1 {
                            sender.flush();
                        }
                        sent
                    }
                };
                let Some(refusals) = sent else {
                    break;
                };
                refused += refusals;
            }
            // Dropping the sender announces what the last flush did not.
            drop(sender);
            refused
        });
        let watchdog = s.spawn(|| stop_unless_done_within_a_minute(&lp, done));
        let exit = {
            let _finished = SetOnDrop(done);
            runner.run(RunMode::UntilDone, &mut on_mail)
        };
        let refused = sending.join().unwrap();
        watchdog.join().unwrap();
        (refused, exit)
    });
    drop((runner, receiver));
    let counts = mailbox.counts();
    assert_eq!(exit, Exit::Done, "stalled: {counts:?}");
    assert_eq!(next, ONE_SENDER_VALUES);
    assert_eq!(counts.sent, ONE_SENDER_VALUES);
    assert_eq!(counts.received, ONE_SENDER_VALUES);
    assert_eq!(counts.refused, refused);
    assert_eq!(counts.queued(), 0);
    lp.ledger(0).unwrap().check().unwrap();
}
