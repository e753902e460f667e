//! The async ping-pong's peers: one direction of a channel between two
//! current-thread tokio runtimes, through tokio's `Notify`, tokio's bounded
//! `mpsc` and `async-channel`'s bounded channel. The bench runs them beside
//! rearm's mailbox through [`OneWay`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The queues' capacity: one value is in flight at a time, so any size
/// would do; the mailbox mode's smaller size.
pub(crate) const CAPACITY: usize = 64;

/// One direction of an async ping-pong's contender: rearm's (in the bench)
/// or a peer's (here).
pub(crate) trait OneWay {
    /// The sending end.
    type Tx: Send + Sync;
    /// The receiving end.
    type Rx: Send;
    /// A new channel, both ends.
    fn open() -> (Self::Tx, Self::Rx);
    /// Sends `value`; false once the other end is gone.
    async fn send(tx: &Self::Tx, value: u64) -> bool;
    /// The next value; `None` once the other end is gone.
    async fn recv(rx: &mut Self::Rx) -> Option<u64>;
}

/// A value in an atomic and tokio's `Notify`.
pub(crate) struct NotifyWay;

impl OneWay for NotifyWay {
    type Tx = Arc<(AtomicU64, tokio::sync::Notify)>;
    type Rx = Arc<(AtomicU64, tokio::sync::Notify)>;
    fn open() -> (Self::Tx, Self::Rx) {
        let way = Arc::new((AtomicU64::new(0), tokio::sync::Notify::new()));
        (Arc::clone(&way), way)
    }
    async fn send(tx: &Self::Tx, value: u64) -> bool {
        // Release: the receiver's Acquire load after its wake sees the value.
        tx.0.store(value, Ordering::Release);
        tx.1.notify_one();
        true
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.1.notified().await;
        Some(rx.0.load(Ordering::Acquire))
    }
}

/// tokio's bounded `mpsc` channel.
pub(crate) struct MpscWay;

impl OneWay for MpscWay {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    fn open() -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(CAPACITY)
    }
    async fn send(tx: &Self::Tx, value: u64) -> bool {
        tx.send(value).await.is_ok()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
}

/// `async-channel`'s bounded channel.
pub(crate) struct AsyncChannelWay;

impl OneWay for AsyncChannelWay {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn open() -> (Self::Tx, Self::Rx) {
        async_channel::bounded(CAPACITY)
    }
    async fn send(tx: &Self::Tx, value: u64) -> bool {
        tx.send(value).await.is_ok()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}
