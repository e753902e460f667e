//! The `mailbox_ops` harness: sends, receives, drains, loop turns, arming,
//! disarming and runner restarts on a real mailbox bound to a real loop,
//! checked after every step against a reference: a bounded
//! first-in-first-out queue, the slot's pending and kept notifications and
//! the mailbox's "told" mark. Each input runs twice: on a [`Mailbox`] and on
//! a [`OneSenderMailbox`] of the same capacity; deferred sends and flushes,
//! which only the one-sender mailbox has, are skipped on the other. With the
//! `std` feature, two more steps panic (a handler before its drain, a drain
//! outside the handler) and are caught; the fuzz targets, which abort on a
//! panic, never decode them.

use super::loop_ops::NeverPark;
use core::cell::RefCell;
use heapless::Deque;
use rearm_core::mailbox::{
    Mailbox, MailboxCounts, Notifier, OneReceiver, OneSender, OneSenderMailbox, TryRecvError,
    TrySendError,
};
use rearm_core::{Action, HandlerRunner, Loop, Notified, RunMode};

/// The mailbox's capacity in the harness: small, so inputs fill it.
pub const MAILBOX_CAP: usize = 4;

/// One step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxOp {
    /// `send(value)`.
    Send(u8),
    /// `try_recv()`.
    TryRecv,
    /// `drain` from outside the callback.
    Drain,
    /// One non-waiting run of the loop, whose handler drains.
    Turn,
    /// Arms the slot (an error if it is armed).
    Arm,
    /// Disarms the slot (an error if it is dead).
    Disarm,
    /// `send_deferred(value)`.
    SendDeferred(u8),
    /// `flush()`.
    Flush,
    /// Drops the runner (which disarms the slot) and makes a new one.
    Restart,
    /// One non-waiting run of the loop whose handler panics before it
    /// drains; the panic is caught (`std` only: skipped without it).
    TurnPanicking,
    /// `drain` from outside the callback, with a closure that panics on the
    /// first value; the panic is caught (`std` only: skipped without it).
    DrainPanicking,
    /// `close()` (skipped on the one-sender mailbox, which closes when an
    /// end is dropped).
    Close,
    /// `try_iter()` run to its end, from outside the callback.
    TryIter,
    /// `send_or_ask_room(value)`.
    SendAskingRoom(u8),
    /// `drain_and_tell_room` from outside the callback, telling a notifier
    /// that counts.
    DrainTellingRoom,
}

impl MailboxOp {
    /// The step a byte stands for: half of all bytes send (the value is the
    /// byte's top bits), so inputs reach a full mailbox.
    pub fn from_byte(byte: u8) -> Self {
        match byte & 7 {
            0..=3 => MailboxOp::Send(byte >> 3),
            4 => MailboxOp::TryRecv,
            5 => MailboxOp::Drain,
            6 => MailboxOp::Turn,
            _ => match byte >> 3 {
                0..=5 => MailboxOp::Arm,
                6..=11 => MailboxOp::Disarm,
                12..=16 => MailboxOp::SendDeferred(byte >> 3),
                17..=20 => MailboxOp::Flush,
                21..=23 => MailboxOp::Restart,
                24 | 25 => MailboxOp::TryIter,
                26 => MailboxOp::Close,
                27..=29 => MailboxOp::SendAskingRoom(byte >> 3),
                _ => MailboxOp::DrainTellingRoom,
            },
        }
    }
}

/// What the mailbox should hold and have counted.
#[derive(Debug, Default)]
struct Reference {
    queue: Deque<u8, MAILBOX_CAP>,
    armed: bool,
    /// The slot's ready bit.
    pending: bool,
    /// A notification kept for the slot's next arm: one that found it dead,
    /// or that a turn took with the slot dead.
    kept: bool,
    /// The mailbox's "told" mark: set by a send that notifies, cleared when
    /// a receive finds the mailbox empty or a drain panics.
    told: bool,
    /// Values were deferred since the loop was last told of the mailbox's
    /// values: a flush, a send or a full mailbox announces them.
    unannounced: bool,
    /// The mailbox was closed: sends are refused.
    closed: bool,
    /// A sender asked for room since the last drain that tells.
    asks_room: bool,
    /// Times a drain told the askers.
    room_told: u64,
    /// Sends that notified: the slot's ledger counts these.
    notifies: u64,
    sent: u64,
    received: u64,
    refused: u64,
}

impl Reference {
    /// What telling the loop does (a send with room, a flush): nothing while
    /// it is told, else a keeping notify: pending while the slot is armed,
    /// kept for its next arm while it is dead.
    fn tell(&mut self) -> Notified {
        self.unannounced = false;
        if self.told {
            return Notified::Coalesced;
        }
        self.notifies += 1;
        self.told = true;
        let (flag, fresh) = if self.armed {
            (&mut self.pending, Notified::Queued)
        } else {
            (&mut self.kept, Notified::Kept)
        };
        if core::mem::replace(flag, true) {
            Notified::Coalesced
        } else {
            fresh
        }
    }

    /// Arms the slot: a kept notification becomes pending.
    fn arm(&mut self) {
        self.armed = true;
        if core::mem::take(&mut self.kept) {
            self.pending = true;
        }
    }

    /// A turn's take of the ready bit: whether the handler runs. Taken with
    /// the slot dead, the notification is kept for the next arm.
    fn take(&mut self) -> bool {
        if !core::mem::take(&mut self.pending) {
            return false;
        }
        if !self.armed {
            self.kept = true;
        }
        self.armed
    }

    /// A send or deferred send that found the mailbox full: deferred values
    /// in it are announced.
    fn refuse(&mut self) {
        self.refused += 1;
        if self.unannounced {
            self.tell();
        }
    }

    /// What a send of `value` returns, applied to the reference.
    fn send(&mut self, value: u8) -> Result<Notified, TrySendError<u8>> {
        if self.closed {
            self.refuse();
            return Err(TrySendError::Closed(value));
        }
        if self.queue.push_back(value).is_err() {
            self.refuse();
            return Err(TrySendError::Full(value));
        }
        self.sent += 1;
        Ok(self.tell())
    }

    /// What `send_or_ask_room(value)` returns, applied to the reference:
    /// deferred values are announced first; a full mailbox records the ask.
    fn send_asking_room(&mut self, value: u8) -> Result<Notified, TrySendError<u8>> {
        if self.unannounced {
            self.tell();
        }
        if !self.closed && self.queue.is_full() {
            self.asks_room = true;
        }
        self.send(value)
    }

    /// What a receive that finds nothing returns: the mark is cleared.
    fn nothing(&mut self) -> TryRecvError {
        self.told = false;
        if self.closed {
            TryRecvError::Closed
        } else {
            TryRecvError::Empty
        }
    }

    /// Takes the oldest value, which the real mailbox must have handed out.
    fn receive(&mut self, real: u8) {
        assert_eq!(self.queue.pop_front(), Some(real), "received out of order");
        self.received += 1;
    }
}

/// Decodes `data` into steps and runs them through [`mailbox_ops`].
pub fn mailbox_bytes(data: &[u8]) {
    let mut ops = [MailboxOp::TryRecv; 512];
    let steps = data.len().min(ops.len());
    for (op, &byte) in ops.iter_mut().zip(data) {
        *op = MailboxOp::from_byte(byte);
    }
    mailbox_ops(&ops[..steps]);
}

/// The askers' notifier in the harness: counts the tells.
#[derive(Default)]
struct RoomCount(core::cell::Cell<u64>);

impl Notifier for RoomCount {
    fn notify(&self) -> Notified {
        unreachable!("a drain tells the askers with notify_kept")
    }
    fn notify_kept(&self) -> Notified {
        self.0.set(self.0.get() + 1);
        Notified::Queued
    }
    fn slot(&self) -> usize {
        0
    }
}

/// A mailbox's sending and receiving ends, whichever kind of mailbox.
trait Ends {
    fn send(&mut self, value: u8) -> Result<Notified, TrySendError<u8>>;
    /// `None` for a mailbox without deferred sends.
    fn send_deferred(&mut self, value: u8) -> Option<Result<(), TrySendError<u8>>>;
    /// `None` for a mailbox without deferred sends.
    fn flush(&mut self) -> Option<Option<Notified>>;
    fn try_recv(&mut self) -> Result<u8, TryRecvError>;
    fn drain(&mut self, each: &mut dyn FnMut(u8));
    fn drain_and_tell_room(&mut self, each: &mut dyn FnMut(u8), room: &RoomCount);
    fn send_or_ask_room(&mut self, value: u8) -> Result<Notified, TrySendError<u8>>;
    fn try_iter(&mut self, each: &mut dyn FnMut(u8));
    /// `None` for a mailbox closed only by dropping an end (which the
    /// harness keeps).
    fn close(&mut self) -> Option<bool>;
    fn is_closed(&self) -> bool;
    fn len(&self) -> usize;
    fn counts(&self) -> MailboxCounts;
}

impl<A: Notifier> Ends for &Mailbox<u8, A, MAILBOX_CAP> {
    fn send(&mut self, value: u8) -> Result<Notified, TrySendError<u8>> {
        Mailbox::send(self, value)
    }
    fn send_deferred(&mut self, _value: u8) -> Option<Result<(), TrySendError<u8>>> {
        None
    }
    fn flush(&mut self) -> Option<Option<Notified>> {
        None
    }
    fn try_recv(&mut self) -> Result<u8, TryRecvError> {
        Mailbox::try_recv(self)
    }
    fn drain(&mut self, each: &mut dyn FnMut(u8)) {
        Mailbox::drain(self, each);
    }
    fn drain_and_tell_room(&mut self, each: &mut dyn FnMut(u8), room: &RoomCount) {
        Mailbox::drain_and_tell_room(self, each, room);
    }
    fn send_or_ask_room(&mut self, value: u8) -> Result<Notified, TrySendError<u8>> {
        Mailbox::send_or_ask_room(self, value)
    }
    fn try_iter(&mut self, each: &mut dyn FnMut(u8)) {
        Mailbox::try_iter(self).for_each(each);
    }
    fn close(&mut self) -> Option<bool> {
        Some(Mailbox::close(self))
    }
    fn is_closed(&self) -> bool {
        Mailbox::is_closed(self)
    }
    fn len(&self) -> usize {
        Mailbox::len(self)
    }
    fn counts(&self) -> MailboxCounts {
        Mailbox::counts(self)
    }
}

impl<A: Notifier> Ends
    for (
        OneSender<'_, u8, A, MAILBOX_CAP>,
        OneReceiver<'_, u8, MAILBOX_CAP>,
    )
{
    fn send(&mut self, value: u8) -> Result<Notified, TrySendError<u8>> {
        self.0.send(value)
    }
    fn send_deferred(&mut self, value: u8) -> Option<Result<(), TrySendError<u8>>> {
        Some(self.0.send_deferred(value))
    }
    fn flush(&mut self) -> Option<Option<Notified>> {
        Some(self.0.flush())
    }
    fn try_recv(&mut self) -> Result<u8, TryRecvError> {
        self.1.try_recv()
    }
    fn drain(&mut self, each: &mut dyn FnMut(u8)) {
        self.1.drain(each);
    }
    fn drain_and_tell_room(&mut self, each: &mut dyn FnMut(u8), room: &RoomCount) {
        self.1.drain_and_tell_room(each, room);
    }
    fn send_or_ask_room(&mut self, value: u8) -> Result<Notified, TrySendError<u8>> {
        self.0.send_or_ask_room(value)
    }
    fn try_iter(&mut self, each: &mut dyn FnMut(u8)) {
        self.1.try_iter().for_each(each);
    }
    fn close(&mut self) -> Option<bool> {
        None
    }
    fn is_closed(&self) -> bool {
        self.1.is_closed()
    }
    fn len(&self) -> usize {
        self.1.len()
    }
    fn counts(&self) -> MailboxCounts {
        self.1.counts()
    }
}

/// Runs `ops` on a mailbox bound to slot 0 of a one-slot loop, comparing it
/// with the reference after every step, then on a one-sender mailbox the
/// same way. Panics at the first difference.
pub fn mailbox_ops(ops: &[MailboxOp]) {
    let lp: Loop<NeverPark, 1> = Loop::new(NeverPark);
    let mailbox: Mailbox<u8, _, MAILBOX_CAP> = Mailbox::new(lp.handle(0).expect("slot 0"));
    check_against_reference(&lp, &mut &mailbox, ops);

    let lp: Loop<NeverPark, 1> = Loop::new(NeverPark);
    let mut one: OneSenderMailbox<u8, MAILBOX_CAP> = OneSenderMailbox::new();
    let mut ends = one.split(lp.handle(0).expect("slot 0"));
    check_against_reference(&lp, &mut ends, ops);
}

/// A step that panics, caught, checked against the reference.
fn panicking_step(
    op: MailboxOp,
    runner: &mut HandlerRunner<'_, NeverPark, 1>,
    mailbox: &RefCell<&mut dyn Ends>,
    reference: &RefCell<Reference>,
) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let will_panic = {
        let r = reference.borrow();
        match op {
            MailboxOp::TurnPanicking => r.pending && r.armed,
            _ => !r.queue.is_empty(),
        }
    };
    let unwound = catch_unwind(AssertUnwindSafe(|| match op {
        MailboxOp::TurnPanicking => {
            runner.run(RunMode::NoWait, &mut |_slot: usize| -> Action {
                panic!("injected failure before the drain")
            });
        }
        _ => {
            mailbox
                .borrow_mut()
                .drain(&mut |_value| panic!("injected failure in the drain"));
        }
    }));
    assert_eq!(unwound.is_err(), will_panic, "whether {op:?} panicked");
    let mut r = reference.borrow_mut();
    match op {
        // The panicked call leaves its notification pending (a turn that
        // did not call the handler is an ordinary turn).
        MailboxOp::TurnPanicking if !will_panic => {
            r.take();
        }
        MailboxOp::TurnPanicking => {}
        // The value the closure held is gone with the panic, counted as
        // received; an empty mailbox's drain returns normally. Either way
        // the mark is clear.
        _ => {
            if let Some(lost) = r.queue.front().copied() {
                r.receive(lost);
            }
            r.told = false;
        }
    }
}

fn check_against_reference(lp: &Loop<NeverPark, 1>, ends: &mut dyn Ends, ops: &[MailboxOp]) {
    let mailbox = RefCell::new(ends);
    let mut runner = HandlerRunner::new(lp).expect("the only runner");
    let reference = RefCell::new(Reference::default());
    let room = RoomCount::default();
    let mailbox = &mailbox;
    for &op in ops {
        match op {
            MailboxOp::Send(value) => {
                let mut r = reference.borrow_mut();
                let outcome = mailbox.borrow_mut().send(value);
                assert_eq!(outcome, r.send(value), "a send");
            }
            MailboxOp::SendDeferred(value) => {
                let Some(outcome) = mailbox.borrow_mut().send_deferred(value) else {
                    continue;
                };
                let mut r = reference.borrow_mut();
                let expected = if r.closed {
                    r.refuse();
                    Err(TrySendError::Closed(value))
                } else if r.queue.push_back(value).is_err() {
                    r.refuse();
                    Err(TrySendError::Full(value))
                } else {
                    r.sent += 1;
                    r.unannounced = true;
                    Ok(())
                };
                assert_eq!(outcome, expected, "a deferred send");
            }
            MailboxOp::Close => {
                let Some(closed) = mailbox.borrow_mut().close() else {
                    continue;
                };
                let mut r = reference.borrow_mut();
                assert_eq!(closed, !r.closed, "whether close closed it");
                if !r.closed {
                    r.closed = true;
                    r.tell();
                }
            }
            MailboxOp::TryIter => {
                let mut r = reference.borrow_mut();
                mailbox.borrow_mut().try_iter(&mut |value| r.receive(value));
                assert!(r.queue.is_empty(), "try_iter left values behind");
                r.nothing();
            }
            MailboxOp::Flush => {
                let Some(outcome) = mailbox.borrow_mut().flush() else {
                    continue;
                };
                let mut r = reference.borrow_mut();
                let expected = r.unannounced.then(|| r.tell());
                assert_eq!(outcome, expected, "a flush");
            }
            MailboxOp::TryRecv => {
                let real = mailbox.borrow_mut().try_recv();
                let mut r = reference.borrow_mut();
                match real {
                    Ok(value) => r.receive(value),
                    Err(error) => {
                        assert!(r.queue.is_empty(), "try_recv missed a value");
                        assert_eq!(error, r.nothing(), "what try_recv found");
                    }
                }
            }
            MailboxOp::SendAskingRoom(value) => {
                let mut r = reference.borrow_mut();
                let outcome = mailbox.borrow_mut().send_or_ask_room(value);
                assert_eq!(outcome, r.send_asking_room(value), "a send asking room");
            }
            MailboxOp::DrainTellingRoom => {
                let mut r = reference.borrow_mut();
                mailbox
                    .borrow_mut()
                    .drain_and_tell_room(&mut |value| r.receive(value), &room);
                assert!(r.queue.is_empty(), "a drain left values behind");
                r.told = false;
                if core::mem::take(&mut r.asks_room) {
                    r.room_told += 1;
                }
                assert_eq!(
                    room.0.get(),
                    r.room_told,
                    "whether the drain told the askers"
                );
            }
            MailboxOp::Drain => {
                let mut r = reference.borrow_mut();
                mailbox.borrow_mut().drain(&mut |value| r.receive(value));
                assert!(r.queue.is_empty(), "a drain left values behind");
                r.told = false;
            }
            MailboxOp::Turn => {
                let mut ran = false;
                let mut on_mail = |_slot: usize| {
                    ran = true;
                    let mut r = reference.borrow_mut();
                    mailbox.borrow_mut().drain(&mut |value| r.receive(value));
                    Action::Rearm
                };
                runner.run(RunMode::NoWait, &mut on_mail);
                let mut r = reference.borrow_mut();
                assert_eq!(ran, r.take(), "whether the handler ran");
                if ran {
                    assert!(r.queue.is_empty(), "the handler's drain left values");
                    r.told = false;
                }
            }
            MailboxOp::TurnPanicking | MailboxOp::DrainPanicking => {
                panicking_step(op, &mut runner, mailbox, &reference);
            }
            MailboxOp::Restart => {
                drop(runner);
                runner = HandlerRunner::new(lp).expect("the only runner");
                reference.borrow_mut().armed = false;
            }
            MailboxOp::Arm => {
                let mut r = reference.borrow_mut();
                assert_eq!(runner.arm(0).is_ok(), !r.armed, "arming");
                r.arm();
            }
            MailboxOp::Disarm => {
                let mut r = reference.borrow_mut();
                assert_eq!(runner.disarm(0).is_ok(), r.armed, "disarming");
                r.armed = false;
            }
        }
        let r = reference.borrow();
        let counts = mailbox.borrow().counts();
        assert_eq!(
            (counts.sent, counts.received, counts.refused),
            (r.sent, r.received, r.refused),
            "counts"
        );
        assert_eq!(counts.queued(), r.queue.len() as u64, "queued");
        let real = mailbox.borrow();
        assert_eq!(real.len(), r.queue.len(), "len");
        assert_eq!(real.is_closed(), r.closed, "is_closed");
        let ledger = lp.ledger(0).expect("slot 0");
        assert_eq!(ledger.notified, r.notifies, "which sends notified");
        assert_eq!(
            ledger.pending,
            u64::from(r.pending) + u64::from(r.kept),
            "pending and kept notifications"
        );
        assert!(ledger.is_conserved(), "{ledger}");
    }
}
