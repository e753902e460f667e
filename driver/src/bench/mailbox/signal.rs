//! rearm's mailbox without a loop: its receiver blocks in `recv` on a
//! [`Signal`] of the backend's parker, and its senders wait for room with
//! `send_blocking`. It is driven by the channels' own code ([`Bounded`]),
//! so it is measured exactly as crossbeam's `recv` is.

use super::{MailPoint, OnCapacity};
use crate::peers::bounded::{Bounded, Tried};
use crate::sys::Backend;
use rearm_core::mailbox::{Mailbox, Signal, TrySendError};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// A [`Mailbox`] of `N` on a [`Signal`] of backend `B`, as a bounded channel.
pub struct SignalMailbox<B, const N: usize>(PhantomData<B>);

/// One end of a [`SignalMailbox`]: dropping it closes the mailbox, as a
/// channel's last sender or its receiver going does.
pub struct End<B: Backend, const N: usize>(Arc<Mailbox<u64, Signal<B>, N>>);

impl<B: Backend, const N: usize> Drop for End<B, N> {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl<B: Backend, const N: usize> Bounded for SignalMailbox<B, N> {
    type Tx = End<B, N>;
    type Rx = End<B, N>;

    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String> {
        if capacity != N {
            return Err(format!(
                "no mailbox of {capacity} is built here (this one holds {N})"
            ));
        }
        let parker = B::open().map_err(|e| format!("{} parker: {e}", B::KIND))?;
        let mailbox = Arc::new(Mailbox::new(Signal::new(parker)));
        Ok((End(Arc::clone(&mailbox)), End(mailbox)))
    }

    fn try_send(tx: &Self::Tx, message: u64) -> Tried {
        match tx.0.send(message) {
            Ok(_) => Tried::Sent,
            Err(TrySendError::Full(_)) => Tried::Full,
            Err(TrySendError::Closed(_)) => Tried::Closed,
        }
    }

    fn send(tx: &Self::Tx, message: u64) -> bool {
        tx.0.send_blocking(message).is_ok()
    }

    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.0.recv().ok()
    }
}

/// A run through a [`SignalMailbox`] on the backend dispatched to: a stream
/// from `senders` threads, or request/reply.
pub(super) struct OnSignal {
    pub(super) capacity: usize,
    /// `None`: request/reply.
    pub(super) senders: Option<usize>,
    pub(super) messages: u64,
    pub(super) timeout: Duration,
}

impl OnCapacity for OnSignal {
    fn capacity(&self) -> usize {
        self.capacity
    }

    fn run_sized<B: Backend, const N: usize>(self) -> Result<MailPoint, String> {
        type Signalled<B, const N: usize> = SignalMailbox<B, N>;
        let (capacity, messages, timeout) = (self.capacity, self.messages, self.timeout);
        match self.senders {
            Some(senders) => {
                super::channel::<Signalled<B, N>>(capacity, senders, messages, timeout)
            }
            None => super::reply::channels::<Signalled<B, N>>(capacity, messages, timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::FutexPark;

    /// It behaves as the channels do (their test, run on it).
    #[test]
    fn behaves_as_a_bounded_channel() {
        crate::peers::bounded::tests::behaves::<SignalMailbox<FutexPark, 2>>();
    }

    #[test]
    fn a_size_not_built_is_refused() {
        assert!(SignalMailbox::<FutexPark, 64>::open(1024).is_err());
    }
}
