//! Loom models of the mailbox: a send whose notify coalesces with one the loop
//! is about to take, or that skips its notify because the loop was told, must
//! still be received by the drain that notification leads to; a keeping
//! notify racing an arm, and a send racing a disarm, must still run the
//! callback once the slot is armed. The queue inside is the core's own, on
//! loom's atomics and locks, so loom explores its interleavings too.
//! A value left behind leaves the loop asleep with a value unread: a deadlock
//! loom reports.
//!
//! Run with `.ci/loom`.
#![cfg(rearm_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::thread;
use rearm_core::mailbox::{Mailbox, OneSenderMailbox};
use rearm_core::{
    Action, CallbackRunner, Exit, Fault, HandlerRunner, Loop, MailboxFault, Notified,
    OwnedSlotHandle, RunMode, SpinPolicy,
};
use rearm_tests::loom_park::LoomPark;
use rearm_tests::negative_control::expect_deadlock;

type Shared = Mailbox<u32, OwnedSlotHandle<LoomPark, 1>, 2>;

/// Arms slot 0 of `lp` with a callback that drains with `drain` until
/// `total` values have come, calls `start_senders` (armed before any send: a
/// notification of a dead slot would be dropped), runs the loop until done
/// and returns the sum of the values received.
fn drain_until(
    lp: &Loop<LoomPark, 1>,
    total: u32,
    mut drain: impl FnMut(&mut dyn FnMut(u32)),
    start_senders: impl FnOnce(),
) -> u32 {
    let (mut received, mut sum) = (0, 0);
    let mut on_mail = || {
        drain(&mut |value| {
            received += 1;
            sum += value;
        });
        if received == total {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = CallbackRunner::new(lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    runner.arm(0, &mut on_mail).unwrap();
    start_senders();
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    drop(runner);
    sum
}

/// Sends `value`, retrying while the mailbox hands it back.
fn send_retrying(
    mut send: impl FnMut(u32) -> Result<Notified, rearm_core::mailbox::TrySendError<u32>>,
    mut value: u32,
) {
    while let Err(back) = send(value) {
        value = back.into_inner();
        thread::yield_now();
    }
}

/// `senders` threads send `per_sender` values each (the values 1, 2, ...,
/// retrying while the mailbox is full); the loop drains in its callback until
/// it has them all. Every value arrives exactly once and the counts balance.
fn senders_and_a_draining_loop(senders: u32, per_sender: u32, fault: MailboxFault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let mailbox: Arc<Shared> = Arc::new(Mailbox::with_fault(
        OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap(),
        fault,
    ));
    let total = senders * per_sender;
    let mut threads = Vec::new();
    let sum = drain_until(
        &lp,
        total,
        |each| {
            mailbox.drain(each);
        },
        || {
            for s in 0..senders {
                let mailbox = mailbox.clone();
                threads.push(thread::spawn(move || {
                    for i in 0..per_sender {
                        send_retrying(|v| mailbox.send(v), s * per_sender + i + 1);
                    }
                }));
            }
        },
    );
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sum, (1..=total).sum::<u32>());
    let counts = mailbox.counts();
    assert_eq!((counts.sent, counts.received), (total.into(), total.into()));
    assert_eq!(counts.queued(), 0);
}

/// One sender, two values: the second send may skip its notify (the loop
/// was told by the first) or coalesce with the first's while the loop is
/// between taking it and draining, or race the drain's clearing of "told".
#[test]
fn coalesced_send_is_received_by_the_drain_it_merged_into() {
    loom::model(|| senders_and_a_draining_loop(1, 2, MailboxFault::None));
}

/// Two senders, one value each, racing each other and the loop's drain.
#[test]
fn two_senders_racing_the_drain_lose_nothing() {
    loom::model(|| senders_and_a_draining_loop(2, 1, MailboxFault::None));
}

/// One sender, three values through a mailbox of two: a send refused while
/// full comes back, is sent again, and arrives once.
#[test]
fn refused_send_retried_arrives_once() {
    loom::model(|| senders_and_a_draining_loop(1, 3, MailboxFault::None));
}

/// Negative control: a send that notifies before it enqueues. The loop can
/// take that notification and drain before the value is there, and no later
/// notify comes: loom must report the deadlock.
#[test]
fn negative_control_notify_before_enqueue_is_caught() {
    expect_deadlock("broken_notify_before_enqueue");
}

#[test]
#[ignore = "a deliberately broken send: negative_control_notify_before_enqueue_is_caught runs it and expects failure"]
fn broken_notify_before_enqueue() {
    loom::model(|| senders_and_a_draining_loop(1, 2, MailboxFault::NotifyBeforeEnqueue));
}

/// Negative control: a sender that looks at "told" without the fence after
/// its enqueue. It can read "told" as still set while the receiver, having
/// cleared it, finds the queue empty: the value is left behind with nobody
/// told, and loom must report the deadlock.
#[test]
fn negative_control_look_without_fence_is_caught() {
    expect_deadlock("broken_look_without_fence");
}

#[test]
#[ignore = "a deliberately broken send: negative_control_look_without_fence_is_caught runs it and expects failure"]
fn broken_look_without_fence() {
    loom::model(|| senders_and_a_draining_loop(1, 2, MailboxFault::NoFenceBeforeLook));
}

/// The one-sender mailbox: one sender thread sends `count` values (1, 2, ...,
/// retrying while full) through a mailbox of one cell; the loop drains until
/// it has them all. Loom threads need `'static` ends, so each execution
/// leaks its mailbox (a few hundred bytes).
fn one_sender_and_a_draining_loop(count: u32, deferred: bool, fault: MailboxFault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let mailbox: &'static mut OneSenderMailbox<u32, 1> =
        Box::leak(Box::new(OneSenderMailbox::with_fault(fault)));
    let (mut sender, mut receiver) =
        mailbox.split(OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap());
    let mut sending = None;
    let sum = drain_until(
        &lp,
        count,
        |each| {
            receiver.drain(each);
        },
        || {
            sending = Some(thread::spawn(move || {
                for value in 1..=count {
                    if deferred {
                        send_retrying(
                            |v| sender.send_deferred(v).map(|()| Notified::Coalesced),
                            value,
                        );
                    } else {
                        send_retrying(|v| sender.send(v), value);
                    }
                }
                if deferred {
                    sender.flush();
                }
            }));
        },
    );
    sending.expect("started").join().unwrap();
    // Quiescent: the sender joined, the loop done.
    let counts = receiver.counts();
    assert_eq!(sum, (1..=count).sum::<u32>());
    assert_eq!(counts.sent, count.into());
    assert_eq!(counts.received, count.into());
}

/// One sender, two values through a ring of one cell: the second send is
/// refused until the loop takes the first, may skip its notify while the
/// loop is told, or race the drain's clearing of "told".
#[test]
fn one_sender_coalesced_send_is_received_by_the_drain_it_merged_into() {
    loom::model(|| one_sender_and_a_draining_loop(2, false, MailboxFault::None));
}

/// One sender, two deferred values through a ring of one cell and a flush:
/// the second is refused until the loop takes the first, and its refusal
/// flushes the first; the final flush may race the drain's clearing of
/// "told", or find the loop told and skip its notify.
#[test]
fn deferred_values_are_received_after_the_flush_that_announces_them() {
    loom::model(|| one_sender_and_a_draining_loop(2, true, MailboxFault::None));
}

/// Negative control: the same with a flush that looks at "told" without the
/// fence after the enqueues; loom must report the value left behind.
#[test]
fn negative_control_flush_without_fence_is_caught() {
    expect_deadlock("broken_flush_without_fence");
}

#[test]
#[ignore = "a deliberately broken flush: negative_control_flush_without_fence_is_caught runs it and expects failure"]
fn broken_flush_without_fence() {
    loom::model(|| one_sender_and_a_draining_loop(2, true, MailboxFault::NoFenceBeforeLook));
}

/// Negative control: the one-sender mailbox with a send that looks at
/// "told" without the fence after its enqueue; loom must report the value
/// left behind.
#[test]
fn negative_control_one_sender_look_without_fence_is_caught() {
    expect_deadlock("broken_one_sender_look_without_fence");
}

#[test]
#[ignore = "a deliberately broken send: negative_control_one_sender_look_without_fence_is_caught runs it and expects failure"]
fn broken_one_sender_look_without_fence() {
    loom::model(|| one_sender_and_a_draining_loop(2, false, MailboxFault::NoFenceBeforeLook));
}

/// A keeping notify (what a mailbox sends with) racing the runner's arm of
/// the dead slot: the notification is kept and the arm turns it back into a
/// pending one, or the notifier sees the arm and marks the slot itself;
/// either way the callback runs, and sees what the notifier wrote before
/// notifying (written Relaxed, so only the kept flag's Release and Acquire,
/// or the mark's, can carry it). Lost, the runner waits for ever: a deadlock
/// loom reports.
fn kept_notification_racing_the_arm(fault: Fault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::with_fault(LoomPark::new(), fault));
    let handle = OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap();
    let written = Arc::new(AtomicU32::new(0));
    let notifier = {
        let written = written.clone();
        thread::spawn(move || {
            written.store(42, Ordering::Relaxed);
            handle.notify_kept()
        })
    };
    let mut ran = false;
    let mut once = || {
        assert_eq!(written.load(Ordering::Relaxed), 42);
        ran = true;
        Action::Disarm
    };
    let mut runner = CallbackRunner::new(&lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    runner.arm(0, &mut once).unwrap();
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    drop(runner);
    assert!(ran);
    let notified = notifier.join().unwrap();
    assert!(matches!(notified, Notified::Queued | Notified::Kept));
    let ledger = lp.ledger(0).unwrap();
    assert_eq!((ledger.delivered, ledger.pending), (1, 0), "{ledger}");
    assert!(ledger.is_conserved(), "{ledger}");
}

#[test]
fn kept_notification_racing_the_arm_runs_the_callback() {
    loom::model(|| kept_notification_racing_the_arm(Fault::None));
}

/// Negative control: an arm without the fence between marking the slot
/// active and looking for a kept notification. The notifier can read the
/// slot as dead and keep its notification after the runner looked: loom
/// must report the runner waiting for ever.
#[test]
fn negative_control_arm_without_fence_is_caught() {
    expect_deadlock("broken_arm_without_fence");
}

#[test]
#[ignore = "a deliberately broken arm: negative_control_arm_without_fence_is_caught runs it and expects failure"]
fn broken_arm_without_fence() {
    loom::model(|| kept_notification_racing_the_arm(Fault::ArmWithoutFence));
}

/// Two keeping notifies of the dead slot racing the arm, each after writing
/// its own flag (Relaxed): the second may merge into the first one's kept
/// notification, which the first notifier or the runner turns into a ready
/// bit; the loop runs until one callback has seen both flags, so whichever
/// side turns it back must carry the merged notifier's write. Lost, the loop
/// waits for ever: a deadlock.
#[test]
fn notify_merged_into_a_kept_notification_is_seen_by_the_callback() {
    loom::model(|| {
        let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
        let flags = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let notifiers: Vec<_> = (0..2)
            .map(|i| {
                let handle = OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap();
                let flags = flags.clone();
                thread::spawn(move || {
                    flags[i].store(1, Ordering::Relaxed);
                    handle.notify_kept();
                })
            })
            .collect();
        let mut until_both = || {
            let seen = flags.iter().all(|f| f.load(Ordering::Relaxed) == 1);
            if seen { Action::Disarm } else { Action::Rearm }
        };
        let mut runner = CallbackRunner::new(&lp)
            .unwrap()
            .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
        runner.arm(0, &mut until_both).unwrap();
        assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
        drop(runner);
        for notifier in notifiers {
            notifier.join().unwrap();
        }
    });
}

/// Negative control: a keeping notifier without the fence between keeping
/// its notification and looking at the slot's state again: the same race
/// from the other side, which loom must report as well.
#[test]
fn negative_control_keep_without_fence_is_caught() {
    expect_deadlock("broken_keep_without_fence");
}

#[test]
#[ignore = "a deliberately broken notify: negative_control_keep_without_fence_is_caught runs it and expects failure"]
fn broken_keep_without_fence() {
    loom::model(|| kept_notification_racing_the_arm(Fault::KeepWithoutFence));
}

/// One value sent while the loop's thread arms the slot, runs, disarms it
/// from outside, runs again and arms it again: wherever the send lands (slot
/// dead, pending when the disarm comes, taken after it), the value is
/// drained after the last arm, with no hand-drain.
fn value_sent_across_a_disarm(fault: Fault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::with_fault(LoomPark::new(), fault));
    let mailbox: Arc<Shared> = Arc::new(Mailbox::new(
        OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap(),
    ));
    let sender = {
        let mailbox = mailbox.clone();
        thread::spawn(move || mailbox.send(7).is_ok())
    };
    let received = std::cell::Cell::new(0);
    let mut on_mail = |_slot: usize| {
        mailbox.drain(|value| {
            assert_eq!(value, 7);
            received.set(received.get() + 1);
        });
        Action::Rearm
    };
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    runner.arm(0).unwrap();
    runner.run(RunMode::NoWait, &mut on_mail);
    runner.disarm(0).unwrap();
    runner.run(RunMode::NoWait, &mut on_mail);
    runner.arm(0).unwrap();
    while received.get() == 0 {
        runner.run(RunMode::Once, &mut on_mail);
    }
    drop(runner);
    assert!(sender.join().unwrap());
    assert_eq!(mailbox.counts().received, 1);
}

#[test]
fn value_sent_across_a_disarm_is_drained_after_the_next_arm() {
    loom::model(|| value_sent_across_a_disarm(Fault::None));
}

/// Negative control: a runner that drops the notifications it takes after
/// a disarm, as every slot did before slots kept them. A send whose
/// notification is dropped so leaves the mailbox told with nobody told: loom
/// must report the runner waiting for ever after the last arm.
#[test]
fn negative_control_dropped_reaped_notification_is_caught() {
    expect_deadlock("broken_dropped_reaped_notification");
}

#[test]
#[ignore = "a deliberately broken runner: negative_control_dropped_reaped_notification_is_caught runs it and expects failure"]
fn broken_dropped_reaped_notification() {
    loom::model(|| value_sent_across_a_disarm(Fault::DropReaped));
}

/// A sender sends one value and closes the mailbox while the loop's
/// callback takes values with `try_recv` until the mailbox says empty (then
/// it rearms) or closed (then it disarms). The callback must take the value
/// before it sees the close, and must see the close: a close the loop is not
/// told of leaves it waiting for ever, a deadlock loom reports.
fn send_then_close(fault: MailboxFault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let mailbox: Arc<Shared> = Arc::new(Mailbox::with_fault(
        OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap(),
        fault,
    ));
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    runner.arm(0).unwrap();
    let sender = {
        let mailbox = mailbox.clone();
        thread::spawn(move || {
            assert!(mailbox.send(7).is_ok());
            assert!(mailbox.close());
        })
    };
    let mut received = Vec::new();
    let mut on_mail = |_slot: usize| loop {
        match mailbox.try_recv() {
            Ok(value) => received.push(value),
            Err(rearm_core::mailbox::TryRecvError::Empty) => return Action::Rearm,
            Err(rearm_core::mailbox::TryRecvError::Closed) => return Action::Disarm,
        }
    };
    assert_eq!(runner.run(RunMode::UntilDone, &mut on_mail), Exit::Done);
    drop(runner);
    sender.join().unwrap();
    assert_eq!(received, [7], "the value sent before the close");
}

#[test]
fn value_sent_before_the_close_is_received_before_the_close_is_seen() {
    loom::model(|| send_then_close(MailboxFault::None));
}

/// Negative control: a close that does not tell the loop; loom must report
/// the callback that rearmed on an empty, still open mailbox waiting for
/// ever.
#[test]
fn negative_control_close_untold_is_caught() {
    expect_deadlock("broken_close_untold");
}

#[test]
#[ignore = "a deliberately broken close: negative_control_close_untold_is_caught runs it and expects failure"]
fn broken_close_untold() {
    loom::model(|| send_then_close(MailboxFault::CloseUntold));
}

/// A sender sends two values through a mailbox of two and a third with
/// `send_blocking`, which sleeps while the mailbox is full; the loop drains
/// until it has all three. The drain that empties the mailbox must wake the
/// sender (or the sender's second look must find the room): a sender left
/// asleep leaves the loop waiting for its value, a deadlock loom reports.
fn sender_waiting_for_room(fault: MailboxFault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let mailbox: Arc<Shared> = Arc::new(Mailbox::with_fault(
        OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap(),
        fault,
    ));
    let sum = drain_until(
        &lp,
        3,
        |each| {
            mailbox.drain(each);
        },
        || {
            assert!(mailbox.send(1).is_ok());
            assert!(mailbox.send(2).is_ok());
            let mailbox = mailbox.clone();
            // Detached: the loop's end proves the third value came.
            drop(thread::spawn(move || {
                assert!(mailbox.send_blocking(3).is_ok());
            }));
        },
    );
    assert_eq!(sum, 6);
}

#[test]
fn sender_waiting_for_room_is_woken_by_the_drain() {
    loom::model(|| sender_waiting_for_room(MailboxFault::None));
}

/// Negative control: a drain that does not wake the senders waiting for
/// room; loom must report the sleeping sender and the loop waiting for its
/// value.
#[test]
fn negative_control_room_unannounced_is_caught() {
    expect_deadlock("broken_room_unannounced");
}

#[test]
#[ignore = "a deliberately broken drain: negative_control_room_unannounced_is_caught runs it and expects failure"]
fn broken_room_unannounced() {
    loom::model(|| sender_waiting_for_room(MailboxFault::NoRoomWake));
}

/// The same without sleeping: a sender on a loop of its own sends the third
/// value with `send_or_ask_room` from its callback, rearming while the
/// mailbox is full; the receiver drains with `drain_and_tell_room`, telling
/// the sender's slot. The drain that empties the mailbox must tell the
/// sender (or the sender's second try must find the room): a sender never
/// told leaves both loops asleep, a deadlock loom reports.
fn sender_asking_for_room(fault: MailboxFault) {
    let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let senders_loop = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let mailbox: Arc<Shared> = Arc::new(Mailbox::with_fault(
        OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap(),
        fault,
    ));
    let room = OwnedSlotHandle::new(std::sync::Arc::clone(&senders_loop), 0).unwrap();
    let sum = drain_until(
        &lp,
        3,
        |each| {
            mailbox.drain_and_tell_room(each, &room);
        },
        || {
            assert!(mailbox.send(1).is_ok());
            assert!(mailbox.send(2).is_ok());
            let mailbox = mailbox.clone();
            // Detached: the loop's end proves the third value came.
            drop(thread::spawn(move || {
                let mut on_room = || match mailbox.send_or_ask_room(3) {
                    Ok(_) => Action::Disarm,
                    Err(_) => Action::Rearm,
                };
                let mut runner = CallbackRunner::new(&senders_loop)
                    .unwrap()
                    .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
                runner.arm(0, &mut on_room).unwrap();
                senders_loop.handle(0).unwrap().notify();
                assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
            }));
        },
    );
    assert_eq!(sum, 6);
}

#[test]
fn sender_asking_for_room_is_told_by_the_drain() {
    loom::model(|| sender_asking_for_room(MailboxFault::None));
}

/// Negative control: a drain that does not tell the askers; loom must report
/// both loops asleep.
#[test]
fn negative_control_room_untold_is_caught() {
    expect_deadlock("broken_room_untold");
}

#[test]
#[ignore = "a deliberately broken drain: negative_control_room_untold_is_caught runs it and expects failure"]
fn broken_room_untold() {
    loom::model(|| sender_asking_for_room(MailboxFault::NoRoomWake));
}

/// A one-sender mailbox's ends handed from one thread to another through
/// the mailbox alone: a thread splits it, sends a value and drops its ends;
/// this thread, once it knows they were split (a Relaxed flag, which orders
/// nothing), claims new ends with `try_split`, retrying until the old ones
/// are gone, with no join to order it, and must find the value where the old
/// ends left the ring. New ends handed out while the old ones live, or made
/// from positions the old ones had not left, would miss it. (The drops'
/// Release and the claim's Acquire that hand the positions over are not
/// what loom checks here: its SeqCst fences, in the sends and receives on
/// both sides, already order them; see docs/mutants.md.)
#[test]
fn ends_split_again_on_another_thread_start_where_the_last_ones_left() {
    loom::model(|| {
        let lp = std::sync::Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
        let mailbox = std::sync::Arc::new(OneSenderMailbox::<u32, 1>::new());
        let split = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let first = {
            let (lp, mailbox, split) = (lp.clone(), mailbox.clone(), split.clone());
            thread::spawn(move || {
                let to_loop = OwnedSlotHandle::new(lp, 0).unwrap();
                let (mut sender, receiver) = mailbox.try_split(to_loop).unwrap();
                split.store(true, Ordering::Relaxed);
                assert!(sender.send(7).is_ok());
                drop((sender, receiver));
            })
        };
        while !split.load(Ordering::Relaxed) {
            thread::yield_now();
        }
        let (sender, mut receiver) = loop {
            let to_loop = OwnedSlotHandle::new(std::sync::Arc::clone(&lp), 0).unwrap();
            match mailbox.try_split(to_loop) {
                Some(ends) => break ends,
                None => thread::yield_now(),
            }
        };
        assert_eq!(receiver.try_recv(), Ok(7));
        drop((sender, receiver));
        first.join().unwrap();
    });
}
