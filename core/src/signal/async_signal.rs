//! A signal whose waiter is an async task.

use super::Signal;
use crate::async_handle::Notified;
use crate::mailbox::Notifier;
use crate::sync::const_fn_unless_loom;
use crate::task::WakerPark;
use core::task::{Context, Poll};

/// A [`Notifier`] that wakes one async task waiting on it: what a
/// [`Mailbox`](crate::mailbox::Mailbox) whose receiver awaits its values notifies
/// (`mailbox.recv().await`, [`poll_recv`](crate::mailbox::Mailbox::poll_recv)). It
/// is a [`Signal`] on a [`WakerPark`]: the task registers its waker, then
/// announces its wait, so a notification that finds the announcement finds
/// the waker. Works on any executor, bare-metal ones too, with no heap.
///
/// One task waits on it at a time: a second one's waker replaces the
/// first's.
///
/// ```
/// use rearm_core::mailbox::{AsyncSignal, Mailbox};
///
/// let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
/// mailbox.send(7).unwrap();
/// mailbox.close();
/// # let block_on = |f| futures_executor_stub(f);
/// # fn futures_executor_stub<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let received = block_on(async {
///     let mut sum = 0;
///     while let Ok(value) = mailbox.recv().await {
///         sum += value;
///     }
///     sum
/// });
/// assert_eq!(received, 7);
/// ```
pub struct AsyncSignal {
    signal: Signal<WakerPark>,
    /// Spin steps a poll takes, looking for a notification, before it
    /// returns `Pending`; 0 by default.
    spin_steps: u32,
}

impl AsyncSignal {
    const_fn_unless_loom! {
        /// A signal with no task waiting and nothing told, whose polls
        /// never spin.
        pub fn new() -> Self {
            Self::with_spin(0)
        }
    }

    const_fn_unless_loom! {
        /// A signal whose polls, when there is nothing yet, spin up to
        /// `steps` spin-loop hints looking for a notification before they
        /// return `Pending` (at most once per poll): a reply from a thread
        /// that is running arrives in well under a microsecond, and catching
        /// it saves the executor a park and a wake, which cost several.
        /// Spinning holds the executor's thread, so it is off by default;
        /// it suits a task that has its thread to itself (a ping-pong
        /// between two runtimes), not one among many.
        ///
        /// ```
        /// use rearm_core::mailbox::{AsyncSignal, Mailbox};
        ///
        /// let mailbox: Mailbox<u64, AsyncSignal, 64> = Mailbox::new(AsyncSignal::with_spin(128));
        /// assert_eq!(mailbox.notifier().spin_steps(), 128);
        /// ```
        pub fn with_spin(steps: u32) -> Self {
            AsyncSignal {
                signal: Signal::new(WakerPark::new()),
                spin_steps: steps,
            }
        }
    }

    /// How many spin steps a poll takes before it returns `Pending`
    /// ([`with_spin`](AsyncSignal::with_spin)).
    pub fn spin_steps(&self) -> u32 {
        self.spin_steps
    }

    /// A signal on a given parker: the loom models' negative control passes
    /// one that registers late. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    pub fn with_parker(parker: WakerPark) -> Self {
        AsyncSignal {
            signal: Signal::new(parker),
            spin_steps: 0,
        }
    }

    /// Whether a task's poll found nothing and waits, its waker registered,
    /// for the next notification (which takes the waker and wakes it).
    ///
    /// ```
    /// use rearm_core::mailbox::{AsyncSignal, Mailbox};
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let mailbox: Mailbox<u32, AsyncSignal, 2> = Mailbox::new(AsyncSignal::new());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(mailbox.poll_recv(&mut cx), Poll::Pending);
    /// assert!(mailbox.notifier().is_waiting());
    /// mailbox.send(1).unwrap(); // wakes the task
    /// assert!(!mailbox.notifier().is_waiting());
    /// ```
    pub fn is_waiting(&self) -> bool {
        self.signal.parker().is_registered()
    }

    /// Tells the waiting task: wakes it if it returned `Pending`, or makes
    /// its next poll look again at once; see [`Signal::notify`].
    pub fn notify(&self) -> Notified {
        self.signal.notify()
    }

    /// Polls `attempt` for the task of `cx`: runs it, and while it is
    /// pending registers the task's waker and announces the wait, so the
    /// next notification wakes the task; `Pending` then. A notification
    /// that came between the look and the announcement makes it look
    /// again. The poll never blocks and never spins.
    ///
    /// ```
    /// use rearm_core::mailbox::AsyncSignal;
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let signal = AsyncSignal::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut ready = false;
    /// assert_eq!(signal.poll_for(&mut cx, || if ready { Poll::Ready(1) } else { Poll::Pending }), Poll::Pending);
    /// ready = true;
    /// signal.notify(); // what the one making it ready does next
    /// assert_eq!(signal.poll_for(&mut cx, || if ready { Poll::Ready(1) } else { Poll::Pending }), Poll::Ready(1));
    /// ```
    pub fn poll_for<R>(
        &self,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut() -> Poll<R>,
    ) -> Poll<R> {
        let mut may_spin = self.spin_steps > 0;
        loop {
            if let Poll::Ready(done) = self.signal.look(&mut attempt) {
                return Poll::Ready(done);
            }
            if may_spin {
                may_spin = false;
                if self.signal.spin_for(self.spin_steps) {
                    continue;
                }
            }
            let parker = self.signal.parker();
            if parker.register_then(cx.waker(), || self.signal.announce()) {
                return Poll::Pending;
            }
        }
    }
}

impl Default for AsyncSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for AsyncSignal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("AsyncSignal").field(&self.signal).finish()
    }
}

/// As [`Signal`]'s: [`slot`](Notifier::slot) is 0, and every notification
/// is kept until the task looks.
impl Notifier for AsyncSignal {
    fn notify(&self) -> Notified {
        self.signal.notify()
    }

    fn notify_kept(&self) -> Notified {
        self.signal.notify()
    }

    fn slot(&self) -> usize {
        0
    }
}
