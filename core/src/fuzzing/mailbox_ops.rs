//! The `mailbox_ops` harness: sends, receives, drains, loop turns and
//! arming on a real mailbox bound to a real loop, checked after every step
//! against a reference: a bounded first-in-first-out queue, the slot's
//! pending flag and the mailbox's "told" mark. Each input runs twice: on a
//! [`Mailbox`] and on a [`OneSenderMailbox`] of the same capacity; deferred
//! sends and flushes, which only the one-sender mailbox has, are skipped on
//! the other.

use super::loop_ops::NeverPark;
use crate::{
    Action, Loop, Mailbox, MailboxCounts, Notified, Notifier, OneReceiver, OneSender,
    OneSenderMailbox, RunMode, SlotRunner,
};
use core::cell::RefCell;
use heapless::Deque;

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
            _ => match (byte >> 3) & 3 {
                0 => MailboxOp::Arm,
                1 => MailboxOp::Disarm,
                2 => MailboxOp::SendDeferred(byte >> 5),
                _ => MailboxOp::Flush,
            },
        }
    }
}

/// What the mailbox should hold and have counted.
#[derive(Debug, Default)]
struct Reference {
    queue: Deque<u8, MAILBOX_CAP>,
    armed: bool,
    pending: bool,
    /// The mailbox's "told" mark: set by a send that notifies, cleared when
    /// a receive finds the mailbox empty (or the notify was dropped).
    told: bool,
    /// Values were deferred since the loop was last told of the mailbox's
    /// values: a flush, a send or a full mailbox announces them.
    unannounced: bool,
    /// Sends that notified: the slot's ledger counts these.
    notifies: u64,
    sent: u64,
    received: u64,
    refused: u64,
}

impl Reference {
    /// What telling the loop does (a send with room, a flush): nothing while
    /// it is told, else a notify, which the slot takes only while armed.
    fn tell(&mut self) -> Notified {
        self.unannounced = false;
        if self.told {
            return Notified::Coalesced;
        }
        self.notifies += 1;
        let was_pending = self.pending;
        self.pending |= self.armed;
        let notified = if !self.armed {
            Notified::Dropped
        } else if was_pending {
            Notified::Coalesced
        } else {
            Notified::Pending
        };
        self.told = notified != Notified::Dropped;
        notified
    }

    /// A send or deferred send that found the mailbox full: deferred values
    /// in it are announced.
    fn refuse(&mut self) {
        self.refused += 1;
        if self.unannounced {
            self.tell();
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

/// A mailbox's sending and receiving ends, whichever kind of mailbox.
trait Ends {
    fn send(&mut self, value: u8) -> Result<Notified, u8>;
    /// `None` for a mailbox without deferred sends.
    fn send_deferred(&mut self, value: u8) -> Option<Result<(), u8>>;
    /// `None` for a mailbox without deferred sends.
    fn flush(&mut self) -> Option<Option<Notified>>;
    fn try_recv(&mut self) -> Option<u8>;
    fn drain(&mut self, each: &mut dyn FnMut(u8));
    fn counts(&self) -> MailboxCounts;
}

impl<A: Notifier> Ends for &Mailbox<u8, A, MAILBOX_CAP> {
    fn send(&mut self, value: u8) -> Result<Notified, u8> {
        Mailbox::send(self, value)
    }
    fn send_deferred(&mut self, _value: u8) -> Option<Result<(), u8>> {
        None
    }
    fn flush(&mut self) -> Option<Option<Notified>> {
        None
    }
    fn try_recv(&mut self) -> Option<u8> {
        Mailbox::try_recv(self)
    }
    fn drain(&mut self, each: &mut dyn FnMut(u8)) {
        Mailbox::drain(self, each);
    }
    fn counts(&self) -> MailboxCounts {
        Mailbox::counts(self)
    }
}

/// The one-sender mailbox's ring keeps a cell free: one more for the same
/// capacity.
const ONE_SENDER_CELLS: usize = MAILBOX_CAP + 1;

impl<A: Notifier> Ends
    for (
        OneSender<'_, u8, A, ONE_SENDER_CELLS>,
        OneReceiver<'_, u8, ONE_SENDER_CELLS>,
    )
{
    fn send(&mut self, value: u8) -> Result<Notified, u8> {
        self.0.send(value)
    }
    fn send_deferred(&mut self, value: u8) -> Option<Result<(), u8>> {
        Some(self.0.send_deferred(value))
    }
    fn flush(&mut self) -> Option<Option<Notified>> {
        Some(self.0.flush())
    }
    fn try_recv(&mut self) -> Option<u8> {
        self.1.try_recv()
    }
    fn drain(&mut self, each: &mut dyn FnMut(u8)) {
        self.1.drain(each);
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
    let mut one: OneSenderMailbox<u8, ONE_SENDER_CELLS> = OneSenderMailbox::new();
    assert_eq!(one.capacity(), MAILBOX_CAP);
    let mut ends = one.split(lp.handle(0).expect("slot 0"));
    check_against_reference(&lp, &mut ends, ops);
}

fn check_against_reference(lp: &Loop<NeverPark, 1>, ends: &mut dyn Ends, ops: &[MailboxOp]) {
    let mailbox = RefCell::new(ends);
    let mut runner = SlotRunner::new(lp).expect("the only runner");
    let reference = RefCell::new(Reference::default());
    for &op in ops {
        match op {
            MailboxOp::Send(value) => {
                let mut r = reference.borrow_mut();
                let outcome = mailbox.borrow_mut().send(value);
                if r.queue.push_back(value).is_err() {
                    assert_eq!(outcome, Err(value), "a send to a full mailbox");
                    r.refuse();
                } else {
                    r.sent += 1;
                    let expected = r.tell();
                    assert_eq!(outcome, Ok(expected), "a send with room");
                }
            }
            MailboxOp::SendDeferred(value) => {
                let Some(outcome) = mailbox.borrow_mut().send_deferred(value) else {
                    continue;
                };
                let mut r = reference.borrow_mut();
                if r.queue.push_back(value).is_err() {
                    assert_eq!(outcome, Err(value), "a deferred send to a full mailbox");
                    r.refuse();
                } else {
                    assert_eq!(outcome, Ok(()), "a deferred send with room");
                    r.sent += 1;
                    r.unannounced = true;
                }
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
                    Some(value) => r.receive(value),
                    None => {
                        assert!(r.queue.is_empty(), "try_recv missed a value");
                        r.told = false;
                    }
                }
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
                assert_eq!(ran, r.pending && r.armed, "whether the handler ran");
                if ran {
                    assert!(r.queue.is_empty(), "the handler's drain left values");
                    r.told = false;
                }
                r.pending = false;
            }
            MailboxOp::Arm => {
                let mut r = reference.borrow_mut();
                assert_eq!(runner.arm(0).is_ok(), !r.armed, "arming");
                r.armed = true;
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
        let ledger = lp.ledger(0).expect("slot 0");
        assert_eq!(ledger.notified, r.notifies, "which sends notified");
        assert!(ledger.is_conserved(), "{ledger}");
    }
}
