//! Mailboxes whose receiver awaits, as `futures_core::Stream`s (feature
//! `futures-core`).

use super::Mailbox;
use crate::signal::AsyncSignal;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::Stream;

/// The values of a mailbox whose receiver awaits, oldest first, until it is
/// closed and empty (feature `futures-core`): [`Mailbox::poll_recv`] as a
/// stream. A reference is the stream, so the mailbox can stay where it is
/// (a `static`, an `Arc`) while one task reads it.
///
/// ```
/// use futures_core::Stream;
/// use rearm_core::mailbox::{AsyncSignal, Mailbox};
/// use core::pin::Pin;
/// use core::task::{Context, Poll, Waker};
///
/// let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
/// mailbox.send(1).unwrap();
/// mailbox.close();
/// let mut stream = &mailbox;
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(Some(1)));
/// assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
impl<T, const N: usize> Stream for &Mailbox<T, AsyncSignal, N> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_recv(cx).map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

/// The owned receiving end's values; see the stream of `&Mailbox`.
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(all(feature = "futures-core", feature = "std"))))]
impl<T, const N: usize> Stream for super::OwnedReceiver<T, AsyncSignal, N> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.mailbox().poll_recv(cx).map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.mailbox().len(), None)
    }
}
