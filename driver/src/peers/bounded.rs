//! The bounded channels `--mode mailbox` measures rearm's mailboxes against:
//! one shape ([`Bounded`]) with an implementation per crate, so the benchmark
//! drives every channel with the same code. Each receives with a blocking
//! `recv`, as users write it.

/// What became of a `try_send`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tried {
    /// Sent.
    Sent,
    /// Full: the message was not sent.
    Full,
    /// The receiver is gone.
    Closed,
}

/// A bounded channel of `u64` messages from a crate.
pub trait Bounded {
    /// The sending end, shared by the sender threads (or moved into one).
    type Tx: Send + Sync + 'static;
    /// The receiving end (handed to a client thread in request/reply).
    type Rx: Send + 'static;
    /// A channel holding `capacity` messages, or why there is none (a size
    /// not built, a parker that would not open).
    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String>;
    /// Sends without waiting.
    fn try_send(tx: &Self::Tx, message: u64) -> Tried;
    /// Sends, waiting for room; `false` once the receiver is gone.
    fn send(tx: &Self::Tx, message: u64) -> bool;
    /// Receives, waiting for a message; `None` once every sender is gone.
    fn recv(rx: &Self::Rx) -> Option<u64>;
}

/// `crossbeam_channel::bounded`.
pub struct Crossbeam;

impl Bounded for Crossbeam {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String> {
        Ok(crossbeam_channel::bounded(capacity))
    }
    fn try_send(tx: &Self::Tx, message: u64) -> Tried {
        match tx.try_send(message) {
            Ok(()) => Tried::Sent,
            Err(crossbeam_channel::TrySendError::Full(_)) => Tried::Full,
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => Tried::Closed,
        }
    }
    fn send(tx: &Self::Tx, message: u64) -> bool {
        tx.send(message).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

/// `std::sync::mpsc::sync_channel`.
pub struct StdSync;

impl Bounded for StdSync {
    type Tx = std::sync::mpsc::SyncSender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;
    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String> {
        Ok(std::sync::mpsc::sync_channel(capacity))
    }
    fn try_send(tx: &Self::Tx, message: u64) -> Tried {
        match tx.try_send(message) {
            Ok(()) => Tried::Sent,
            Err(std::sync::mpsc::TrySendError::Full(_)) => Tried::Full,
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => Tried::Closed,
        }
    }
    fn send(tx: &Self::Tx, message: u64) -> bool {
        tx.send(message).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

/// `flume::bounded`.
pub struct Flume;

impl Bounded for Flume {
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String> {
        Ok(flume::bounded(capacity))
    }
    fn try_send(tx: &Self::Tx, message: u64) -> Tried {
        match tx.try_send(message) {
            Ok(()) => Tried::Sent,
            Err(flume::TrySendError::Full(_)) => Tried::Full,
            Err(flume::TrySendError::Disconnected(_)) => Tried::Closed,
        }
    }
    fn send(tx: &Self::Tx, message: u64) -> bool {
        tx.send(message).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

/// `kanal::bounded`.
pub struct Kanal;

impl Bounded for Kanal {
    type Tx = kanal::Sender<u64>;
    type Rx = kanal::Receiver<u64>;
    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String> {
        Ok(kanal::bounded(capacity))
    }
    fn try_send(tx: &Self::Tx, message: u64) -> Tried {
        // `Ok(false)`: full, and the (copied) message was not sent.
        match tx.try_send(message) {
            Ok(true) => Tried::Sent,
            Ok(false) => Tried::Full,
            Err(_) => Tried::Closed,
        }
    }
    fn send(tx: &Self::Tx, message: u64) -> bool {
        tx.send(message).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

/// `thingbuf::mpsc::blocking::channel`.
pub struct Thingbuf;

impl Bounded for Thingbuf {
    type Tx = thingbuf::mpsc::blocking::Sender<u64>;
    type Rx = thingbuf::mpsc::blocking::Receiver<u64>;
    fn open(capacity: usize) -> Result<(Self::Tx, Self::Rx), String> {
        Ok(thingbuf::mpsc::blocking::channel(capacity))
    }
    fn try_send(tx: &Self::Tx, message: u64) -> Tried {
        match tx.try_send(message) {
            Ok(()) => Tried::Sent,
            Err(thingbuf::mpsc::errors::TrySendError::Full(_)) => Tried::Full,
            Err(_) => Tried::Closed,
        }
    }
    fn send(tx: &Self::Tx, message: u64) -> bool {
        tx.send(message).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Each channel holds its capacity, says full past it, hands messages
    /// back in order, and says closed once the other end is gone.
    pub(crate) fn behaves<C: Bounded>() {
        let (tx, rx) = C::open(2).unwrap();
        assert_eq!(C::try_send(&tx, 1), Tried::Sent);
        assert!(C::send(&tx, 2));
        assert_eq!(C::try_send(&tx, 3), Tried::Full);
        assert_eq!((C::recv(&rx), C::recv(&rx)), (Some(1), Some(2)));
        drop(rx);
        assert_eq!(C::try_send(&tx, 4), Tried::Closed);
        let (tx, rx) = C::open(2).unwrap();
        assert!(C::send(&tx, 5));
        drop(tx);
        assert_eq!((C::recv(&rx), C::recv(&rx)), (Some(5), None));
    }

    #[test]
    fn every_channel_holds_its_capacity_and_reports_full_and_closed() {
        behaves::<Crossbeam>();
        behaves::<StdSync>();
        behaves::<Flume>();
        behaves::<Kanal>();
        behaves::<Thingbuf>();
    }
}
