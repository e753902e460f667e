//! Senders that cannot sleep ask for room (`send_or_ask_room`) and are told
//! by the receiver's `drain_and_tell_room`: a sender on a loop of its own
//! waits for a notification, never spinning on a full mailbox. Each test
//! counts what it relies on: the tells, the values, their order.
#![cfg(not(rearm_loom))]

use rearm_core::mailbox::{Mailbox, Notifier, OneSenderMailbox, TrySendError};
use rearm_core::park::ThreadPark;
use rearm_core::{Action, CallbackRunner, Exit, Loop, Notified, RunMode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A notifier that only counts: what the receiver told, and how.
#[derive(Default)]
struct Counting {
    plain: AtomicUsize,
    kept: AtomicUsize,
}

impl Counting {
    fn tells(&self) -> (usize, usize) {
        (
            self.plain.load(Ordering::Relaxed),
            self.kept.load(Ordering::Relaxed),
        )
    }
}

impl Notifier for Counting {
    fn notify(&self) -> Notified {
        self.plain.fetch_add(1, Ordering::Relaxed);
        Notified::Queued
    }
    fn notify_kept(&self) -> Notified {
        self.kept.fetch_add(1, Ordering::Relaxed);
        Notified::Queued
    }
    fn slot(&self) -> usize {
        0
    }
}

/// A mailbox of two, full, bound to a counting notifier: the loop's side is
/// not what these tests look at.
fn full_mailbox() -> Mailbox<u32, Counting, 2> {
    let mailbox = Mailbox::new(Counting::default());
    mailbox.send(1).unwrap();
    mailbox.send(2).unwrap();
    mailbox
}

#[test]
fn an_asker_on_a_full_mailbox_gets_its_value_back_and_is_told_once_by_the_next_telling_drain() {
    let mailbox = full_mailbox();
    let room = Counting::default();
    assert_eq!(mailbox.send_or_ask_room(3), Err(TrySendError::Full(3)));
    assert_eq!(mailbox.counts().refused, 1);

    assert_eq!(mailbox.drain_and_tell_room(|_| {}, &room), 2);
    // Kept, not plain: an asker whose slot is disarmed must hear it later.
    assert_eq!(room.tells(), (0, 1));
    // One ask, one tell: the next drain tells nobody.
    mailbox.send(4).unwrap();
    assert_eq!(mailbox.drain_and_tell_room(|_| {}, &room), 1);
    assert_eq!(room.tells(), (0, 1));
}

#[test]
fn a_plain_drain_leaves_the_ask_for_the_next_telling_drain() {
    let mailbox = full_mailbox();
    let room = Counting::default();
    assert!(mailbox.send_or_ask_room(3).is_err());
    assert_eq!(mailbox.drain(|_| {}), 2);
    assert_eq!(
        mailbox.try_recv(),
        Err(rearm_core::mailbox::TryRecvError::Empty)
    );
    assert_eq!(room.tells(), (0, 0));
    assert_eq!(mailbox.drain_and_tell_room(|_| {}, &room), 0);
    assert_eq!(room.tells(), (0, 1));
}

#[test]
fn an_asker_with_room_sends_and_nobody_is_told() {
    let mailbox = Mailbox::<u32, Counting, 2>::new(Counting::default());
    let room = Counting::default();
    assert_eq!(mailbox.send_or_ask_room(1), Ok(Notified::Queued));
    assert_eq!(mailbox.drain_and_tell_room(|_| {}, &room), 1);
    assert_eq!(room.tells(), (0, 0));
}

#[test]
fn an_asker_on_a_closed_mailbox_gets_its_value_back_as_closed() {
    let mailbox = full_mailbox();
    mailbox.close();
    assert_eq!(mailbox.send_or_ask_room(3), Err(TrySendError::Closed(3)));
}

#[test]
fn a_one_sender_asker_flushes_its_deferred_values_first_and_is_told() {
    let mut one: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    let (mut sender, mut receiver) = one.split(Counting::default());
    sender.send_deferred(1).unwrap();
    sender.send_deferred(2).unwrap();
    assert_eq!(sender.notifier().tells(), (0, 0));
    assert_eq!(sender.send_or_ask_room(3), Err(TrySendError::Full(3)));
    // The loop was told of the two that fill the mailbox.
    assert_eq!(sender.notifier().tells(), (0, 1));

    let room = Counting::default();
    let mut got = Vec::new();
    assert_eq!(receiver.drain_and_tell_room(|v| got.push(v), &room), 2);
    assert_eq!(room.tells(), (0, 1));
    assert!(sender.send_or_ask_room(3).is_ok());
    receiver.drain(|v| got.push(v));
    assert_eq!(got, [1, 2, 3]);
}

const VALUES: u64 = 100_000;

/// A receiving loop and a sending loop on two threads, through a mailbox of
/// four: the sender's callback sends with `send` until refused, then rearms
/// and waits to be told. Returns the values received, in order, and how
/// many times the sender's callback ran.
fn two_loops(
    send: impl FnMut(u64) -> Result<Notified, TrySendError<u64>> + Send,
    mut drain: impl FnMut(&mut dyn FnMut(u64), &dyn Fn() -> Notified) + Send,
    receivers_loop: &Loop<ThreadPark, 1>,
    senders_loop: &Loop<ThreadPark, 1>,
) -> (Vec<u64>, u64) {
    let mut send = send;
    let mut got = Vec::with_capacity(VALUES as usize);
    let mut sender_runs = 0;
    std::thread::scope(|scope| {
        let mut receiver = CallbackRunner::new(receivers_loop).unwrap();
        let mut on_mail = || {
            let room = senders_loop.handle(0).unwrap();
            drain(&mut |value| got.push(value), &|| room.notify_kept());
            if got.len() as u64 == VALUES {
                Action::Disarm
            } else {
                Action::Rearm
            }
        };
        receiver.arm(0, &mut on_mail).unwrap();
        scope.spawn(|| {
            let mut next = 0;
            let mut on_room = || {
                sender_runs += 1;
                while next < VALUES {
                    match send(next) {
                        Ok(_) => next += 1,
                        Err(TrySendError::Full(_)) => return Action::Rearm,
                        Err(TrySendError::Closed(_)) => panic!("closed"),
                    }
                }
                Action::Disarm
            };
            let mut runner = CallbackRunner::new(senders_loop).unwrap();
            runner.arm(0, &mut on_room).unwrap();
            senders_loop.handle(0).unwrap().notify();
            assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
        });
        assert_eq!(receiver.run(RunMode::UntilDone), Exit::Done);
    });
    (got, sender_runs)
}

/// A notifier that calls a closure: how `two_loops` hands the sender's slot
/// to the drain without naming its type.
struct Tell<'a>(&'a dyn Fn() -> Notified);

impl Notifier for Tell<'_> {
    fn notify(&self) -> Notified {
        (self.0)()
    }
    fn notify_kept(&self) -> Notified {
        (self.0)()
    }
    fn slot(&self) -> usize {
        0
    }
}

fn assert_all_in_order(got: &[u64], sender_runs: u64) {
    assert_eq!(got.len() as u64, VALUES);
    assert!(got.iter().copied().eq(0..VALUES), "out of order");
    // Each run after the first was a tell, and a tell needs a drain that
    // found the mailbox empty: at most one per value.
    assert!(sender_runs <= VALUES + 1, "{sender_runs} sender runs");
}

#[test]
fn a_sending_loop_that_asks_for_room_delivers_every_value_in_order() {
    let receivers_loop = Loop::<ThreadPark, 1>::new(ThreadPark::new());
    let senders_loop = Loop::<ThreadPark, 1>::new(ThreadPark::new());
    let mailbox: Mailbox<u64, _, 4> = Mailbox::new(receivers_loop.handle(0).unwrap());
    let (got, sender_runs) = two_loops(
        |value| mailbox.send_or_ask_room(value),
        |each, tell| {
            mailbox.drain_and_tell_room(each, &Tell(tell));
        },
        &receivers_loop,
        &senders_loop,
    );
    assert_all_in_order(&got, sender_runs);
}

#[test]
fn a_one_sender_loop_that_asks_for_room_delivers_every_value_in_order() {
    let receivers_loop = Loop::<ThreadPark, 1>::new(ThreadPark::new());
    let senders_loop = Loop::<ThreadPark, 1>::new(ThreadPark::new());
    let one = Arc::new(OneSenderMailbox::<u64, 4>::new());
    let (mut sender, mut receiver) = one.split_owned(receivers_loop.handle(0).unwrap()).unwrap();
    let (got, sender_runs) = two_loops(
        |value| sender.send_or_ask_room(value),
        |each, tell| {
            receiver.drain_and_tell_room(each, &Tell(tell));
        },
        &receivers_loop,
        &senders_loop,
    );
    assert_all_in_order(&got, sender_runs);
}

#[test]
fn owned_ends_ask_for_room_and_tell_it() {
    let (sender, receiver) = full_mailbox().into_owned();
    assert_eq!(sender.send_or_ask_room(3), Err(TrySendError::Full(3)));
    let room = Counting::default();
    let mut got = Vec::new();
    assert_eq!(receiver.drain_and_tell_room(|v| got.push(v), &room), 2);
    assert_eq!((got.as_slice(), room.tells()), (&[1, 2][..], (0, 1)));
    assert!(sender.send_or_ask_room(3).is_ok());
    assert_eq!(receiver.drain_and_tell_room(|v| got.push(v), &room), 1);
    assert_eq!(got, [1, 2, 3]);
}
