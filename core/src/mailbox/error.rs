//! Why a send handed its value back, and why a receive found nothing.

use core::fmt;

/// Why a mailbox send handed its value back: it is inside, to send again or
/// keep.
///
/// ```
/// use rearm_core::mailbox::{Mailbox, TrySendError};
/// use rearm_core::park::SpinPark;
/// use rearm_core::Loop;
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mailbox: Mailbox<&str, _, 2> = Mailbox::new(lp.handle(0)?);
/// mailbox.send("a").unwrap();
/// mailbox.send("b").unwrap();
/// let refused = mailbox.send("c").unwrap_err();
/// assert!(refused.is_full());
/// assert_eq!(refused.to_string(), "the mailbox is full");
/// assert_eq!(refused.into_inner(), "c"); // nothing is lost
///
/// mailbox.close();
/// assert_eq!(mailbox.send("d"), Err(TrySendError::Closed("d")));
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrySendError<T> {
    /// The mailbox holds as many values as it can: send again once the
    /// receiver has taken some.
    Full(T),
    /// The mailbox is closed (its receiver is gone, or sending was closed):
    /// no send will succeed again.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value the send handed back.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }

    /// Whether the mailbox was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the mailbox was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

/// Says which error it is without the value, so that any `T` prints.
impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "the mailbox is full",
            TrySendError::Closed(_) => "the mailbox is closed",
        })
    }
}

impl<T> core::error::Error for TrySendError<T> {}

/// Why a mailbox receive returned no value.
///
/// ```
/// use rearm_core::mailbox::{Mailbox, TryRecvError};
/// use rearm_core::park::SpinPark;
/// use rearm_core::Loop;
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(lp.handle(0)?);
/// assert_eq!(mailbox.try_recv(), Err(TryRecvError::Empty));
/// mailbox.send(1).unwrap();
/// mailbox.close(); // what was sent stays to be received
/// assert_eq!(mailbox.try_recv(), Ok(1));
/// assert_eq!(mailbox.try_recv(), Err(TryRecvError::Closed));
/// assert_eq!(TryRecvError::Closed.to_string(), "the mailbox is closed and empty");
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// No value was ready; more may come.
    Empty,
    /// The mailbox is closed and every value sent before the close was
    /// received: none will come.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "the mailbox is empty",
            TryRecvError::Closed => "the mailbox is closed and empty",
        })
    }
}

impl core::error::Error for TryRecvError {}

/// Why a waiting receive ([`Mailbox::recv`](crate::mailbox::Mailbox::recv), blocking
/// or awaited) returned no value: the mailbox is closed and every value sent
/// before the close was received.
///
/// ```
/// use rearm_core::mailbox::{Mailbox, RecvError, Signal};
/// use rearm_core::park::SpinPark;
///
/// let mailbox: Mailbox<u32, Signal<SpinPark>, 2> = Mailbox::new(Signal::new(SpinPark::new()));
/// mailbox.close();
/// assert_eq!(mailbox.recv(), Err(RecvError));
/// assert_eq!(RecvError.to_string(), "the mailbox is closed and empty");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the mailbox is closed and empty")
    }
}

impl core::error::Error for RecvError {}

/// Why a receive with a deadline
/// ([`Mailbox::recv_timeout`](crate::mailbox::Mailbox::recv_timeout),
/// [`Mailbox::recv_deadline`](crate::mailbox::Mailbox::recv_deadline)) returned no
/// value.
///
/// ```
/// use rearm_core::mailbox::{Mailbox, RecvTimeoutError, Signal};
/// use rearm_core::park::SpinPark;
/// use core::time::Duration;
///
/// // A spin parker without a clock cannot tell when a timeout ends.
/// let mailbox: Mailbox<u32, Signal<SpinPark>, 2> = Mailbox::new(Signal::new(SpinPark::new()));
/// let refused = mailbox.recv_timeout(Duration::from_millis(1));
/// assert_eq!(refused, Err(RecvTimeoutError::NoClock));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// No value came before the deadline; more may come.
    Timeout,
    /// The mailbox is closed and every value sent before the close was
    /// received: none will come.
    Closed,
    /// The signal's parker has no clock ([`Park::now_ns`](crate::park::Park::now_ns)
    /// is `None`), so it cannot tell when the deadline comes; nothing was
    /// received and nothing waited.
    NoClock,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "no value came before the deadline",
            RecvTimeoutError::Closed => "the mailbox is closed and empty",
            RecvTimeoutError::NoClock => "the parker has no clock to tell the deadline by",
        })
    }
}

impl core::error::Error for RecvTimeoutError {}
