//! The `receive_ops` harness: sends, closes and receives on mailboxes whose
//! receiver waits by itself, checked after every step against a reference
//! queue. Each input runs twice: on a mailbox awaited through an
//! [`AsyncSignal`] (polls that find nothing must leave the task's waker
//! registered, and the next accepted send or the close must take and wake
//! it), and on one received by a blocking `recv` on a [`Signal`] of a
//! virtual clock (a wait with a deadline advances the clock to it; an
//! untimed wait that would sleep panics, so a receive that ought to return
//! at once and waits instead is caught).

use super::timer_ops::VirtualClockPark;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use heapless::Deque;
use rearm_core::mailbox::{
    AsyncSignal, Mailbox, RecvError, RecvTimeoutError, Signal, TryRecvError, TrySendError,
};

/// The mailboxes' capacity in the harness: small, so inputs fill it.
pub const RECEIVE_CAP: usize = 4;

/// One step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiveOp {
    /// `send(value)`.
    Send(u8),
    /// A poll (`poll_recv`), or a `recv_deadline` a little ahead.
    Poll,
    /// `close()`.
    Close,
    /// An awaited `recv()` polled once and dropped, or a blocking `recv()`
    /// (taken only when the reference says it returns at once).
    Recv,
    /// `try_recv()`.
    TryRecv,
}

impl ReceiveOp {
    /// The step a byte stands for: half of all bytes send.
    pub fn from_byte(byte: u8) -> Self {
        match byte & 7 {
            0..=3 => ReceiveOp::Send(byte >> 3),
            4 => ReceiveOp::Poll,
            5 => ReceiveOp::Close,
            6 => ReceiveOp::Recv,
            _ => ReceiveOp::TryRecv,
        }
    }
}

/// What the mailbox should hold and say.
#[derive(Default)]
struct Reference {
    queue: Deque<u8, RECEIVE_CAP>,
    closed: bool,
    /// A poll found nothing and registered its waker; no notification has
    /// come since.
    registered: bool,
}

impl Reference {
    /// What a send of `value` returns; applies it.
    fn send(&mut self, value: u8) -> Result<(), TrySendError<u8>> {
        if self.closed {
            return Err(TrySendError::Closed(value));
        }
        self.queue.push_back(value).map_err(TrySendError::Full)?;
        // The poll that registered found the mailbox empty, which cleared
        // the "told" mark: this send notifies, and wakes the task.
        self.registered = false;
        Ok(())
    }

    /// What a close returns; applies it.
    fn close(&mut self) -> bool {
        if self.closed {
            return false;
        }
        self.closed = true;
        self.registered = false;
        true
    }

    /// What a receive that does not wait returns; applies it.
    fn try_recv(&mut self) -> Result<u8, TryRecvError> {
        match self.queue.pop_front() {
            Some(value) => Ok(value),
            None if self.closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

/// Runs `ops` on both mailboxes, checking each step.
pub fn receive_ops(ops: &[ReceiveOp]) {
    awaited(ops);
    blocking(ops);
}

/// Decodes bytes into steps (at most 512) and runs them.
pub fn receive_bytes(data: &[u8]) {
    let mut ops = [ReceiveOp::TryRecv; 512];
    let steps = data.len().min(ops.len());
    for (op, &byte) in ops.iter_mut().zip(data) {
        *op = ReceiveOp::from_byte(byte);
    }
    receive_ops(&ops[..steps]);
}

fn awaited(ops: &[ReceiveOp]) {
    let mailbox: Mailbox<u8, AsyncSignal, RECEIVE_CAP> = Mailbox::new(AsyncSignal::new());
    let mut reference = Reference::default();
    let mut cx = Context::from_waker(Waker::noop());
    for &op in ops {
        match op {
            ReceiveOp::Send(value) => {
                let sent = mailbox.send(value).map(|_| ());
                assert_eq!(sent, reference.send(value), "{op:?}");
            }
            ReceiveOp::Close => assert_eq!(mailbox.close(), reference.close(), "{op:?}"),
            ReceiveOp::TryRecv => assert_eq!(mailbox.try_recv(), reference.try_recv(), "{op:?}"),
            ReceiveOp::Poll | ReceiveOp::Recv => {
                let polled = if op == ReceiveOp::Poll {
                    mailbox.poll_recv(&mut cx)
                } else {
                    pin!(mailbox.recv()).as_mut().poll(&mut cx)
                };
                let expected = match reference.try_recv() {
                    Ok(value) => Poll::Ready(Ok(value)),
                    Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError)),
                    Err(TryRecvError::Empty) => {
                        reference.registered = true;
                        Poll::Pending
                    }
                };
                assert_eq!(polled, expected, "{op:?}");
            }
        }
        assert_eq!(
            mailbox.notifier().is_waiting(),
            reference.registered,
            "after {op:?}: a registered waker was not woken, or a wake was invented"
        );
        assert_eq!(mailbox.len(), reference.queue.len(), "after {op:?}");
    }
}

fn blocking(ops: &[ReceiveOp]) {
    let mailbox: Mailbox<u8, Signal<VirtualClockPark>, RECEIVE_CAP> =
        Mailbox::new(Signal::new(VirtualClockPark::at(0)));
    let mut reference = Reference::default();
    for &op in ops {
        match op {
            ReceiveOp::Send(value) => {
                let sent = mailbox.send(value).map(|_| ());
                assert_eq!(sent, reference.send(value), "{op:?}");
            }
            ReceiveOp::Close => assert_eq!(mailbox.close(), reference.close(), "{op:?}"),
            ReceiveOp::TryRecv => assert_eq!(mailbox.try_recv(), reference.try_recv(), "{op:?}"),
            ReceiveOp::Poll => {
                let clock = mailbox.notifier().parker();
                let deadline = clock.now() + 1_000;
                let expected = match reference.try_recv() {
                    Ok(value) => Ok(value),
                    Err(TryRecvError::Closed) => Err(RecvTimeoutError::Closed),
                    Err(TryRecvError::Empty) => Err(RecvTimeoutError::Timeout),
                };
                assert_eq!(mailbox.recv_deadline(deadline), expected, "{op:?}");
                // A wait that gave up did so at its deadline, not before.
                if expected == Err(RecvTimeoutError::Timeout) {
                    assert!(clock.now() >= deadline, "gave up early");
                }
            }
            ReceiveOp::Recv => {
                // An untimed receive on an empty, open mailbox would wait
                // for a sender this single thread cannot be.
                if reference.queue.is_empty() && !reference.closed {
                    continue;
                }
                let expected = reference.try_recv().map_err(|_| RecvError);
                assert_eq!(mailbox.recv(), expected, "{op:?}");
            }
        }
        assert_eq!(mailbox.len(), reference.queue.len(), "after {op:?}");
    }
}
