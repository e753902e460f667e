//! Notifiers for receivers that are not loops: a thread or a task that waits
//! for a mailbox's values by itself.

mod async_signal;

pub use async_signal::AsyncSignal;

use crate::async_handle::Notified;
use crate::mailbox::Notifier;
use crate::park::Park;
use crate::sync::{Ordering, ParkWord, const_fn_unless_loom};
use core::task::Poll;

/// The word's states: nobody waits and nothing was told; told since the
/// waiter last looked; the waiter announced that it sleeps (or awaits).
const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = 2;

/// Spin steps a waiter takes, looking for a notification, before it
/// yields, and yields before it sleeps: a reply that comes within a few
/// microseconds (the other thread is running) costs no sleep and no wake,
/// and a reply from a thread that shares the CPU gets the CPU. One each
/// under loom: the paths are modelled, and more looks would only multiply
/// the interleavings without adding a new one.
#[cfg(not(rearm_loom))]
const SPIN_STEPS: u32 = 128;
#[cfg(not(rearm_loom))]
const YIELDS: u32 = 4;
#[cfg(rearm_loom)]
const SPIN_STEPS: u32 = 1;
#[cfg(rearm_loom)]
const YIELDS: u32 = 1;

/// A [`Notifier`] that wakes one thread waiting on it, through a parker:
/// what a [`Mailbox`](crate::mailbox::Mailbox) whose receiver is a plain thread, not
/// a loop, notifies. The receiver's [`recv`](crate::mailbox::Mailbox::recv) and
/// [`recv_timeout`](crate::mailbox::Mailbox::recv_timeout) wait on it; any parker
/// serves: [`ThreadPark`](crate::park::ThreadPark) where there are threads, the driver's
/// futex parker, [`SpinPark`](crate::park::SpinPark) on bare metal.
///
/// It is the futex thread parker's protocol on a [`ParkWord`]: a
/// notification sets the word and unparks only a waiter that announced its
/// sleep; a waiter consumes the notification, looks (the mailbox's
/// `try_recv`), spins a little, and announces its sleep with a
/// compare-and-swap that fails if a notification came meanwhile. Nothing is
/// lost, and a notifier whose receiver is awake costs one atomic swap.
///
/// One thread waits on it at a time; here the sender plays another:
///
/// ```
/// use rearm_core::mailbox::{Mailbox, Signal};
/// use rearm_core::park::SpinPark;
///
/// let mailbox: Mailbox<u32, Signal<SpinPark>, 8> = Mailbox::new(Signal::new(SpinPark::new()));
/// for value in 1..=3 {
///     mailbox.send(value).unwrap(); // another thread's, usually
/// }
/// mailbox.close();
/// let mut sum = 0;
/// while let Ok(value) = mailbox.recv() { // waits while empty, until the close
///     sum += value;
/// }
/// assert_eq!(sum, 6);
/// ```
pub struct Signal<P: Park> {
    word: ParkWord,
    parker: P,
}

impl<P: Park> Signal<P> {
    const_fn_unless_loom! {
        /// A signal that wakes its waiter through `parker`, nothing told yet.
        pub fn new(parker: P) -> Self {
            Signal {
                word: ParkWord::new(EMPTY),
                parker,
            }
        }
    }

    /// Tells the waiter: wakes it if it sleeps, or makes its next wait look
    /// again at once. Returns [`Notified::Coalesced`] when it had been told
    /// already and has not looked since, [`Notified::Queued`] otherwise.
    pub fn notify(&self) -> Notified {
        // Release: what the notifier wrote before (a value it enqueued) is
        // seen by the waiter's Acquire swap that consumes this. Acquire: a
        // waiter that announced its sleep registered its waker first (with
        // a task's parker), and `unpark` must find it.
        match self.word.swap(NOTIFIED, Ordering::AcqRel) {
            PARKED => {
                self.parker.unpark(&self.word);
                Notified::Queued
            }
            NOTIFIED => Notified::Coalesced,
            _ => Notified::Queued,
        }
    }

    /// The parker it wakes its waiter through.
    pub fn parker(&self) -> &P {
        &self.parker
    }

    /// Waits until `attempt` returns `Ready`, and returns what it holds:
    /// `attempt` runs once, then again after each notification (and after
    /// the parker's spurious returns). A condition that some notifier makes
    /// true and then tells this signal about is never slept through.
    ///
    /// This is [`Mailbox::recv`](crate::mailbox::Mailbox::recv) with any receive:
    ///
    /// ```
    /// use rearm_core::mailbox::{OneSenderMailbox, Signal, TryRecvError};
    /// use rearm_core::park::SpinPark;
    /// use core::task::Poll;
    ///
    /// let mut mailbox: OneSenderMailbox<u32, 4> = OneSenderMailbox::new();
    /// let signal = Signal::new(SpinPark::<rearm_core::relax::Spin>::new());
    /// let (mut tx, mut rx) = mailbox.split(&signal);
    /// tx.send(5).unwrap();
    /// let got = signal.wait_for(|| match rx.try_recv() {
    ///     Ok(value) => Poll::Ready(Some(value)),
    ///     Err(TryRecvError::Closed) => Poll::Ready(None),
    ///     Err(TryRecvError::Empty) => Poll::Pending,
    /// });
    /// assert_eq!(got, Some(5));
    /// ```
    pub fn wait_for<R>(&self, mut attempt: impl FnMut() -> Poll<R>) -> R {
        loop {
            if let Poll::Ready(done) = self.look(&mut attempt) {
                return done;
            }
            if self.spin() {
                continue;
            }
            if self.announce() {
                self.parker.park(&self.word, PARKED);
            }
        }
    }

    /// [`wait_for`](Signal::wait_for) until the parker's clock
    /// ([`Park::now_ns`]) reaches `deadline_ns`: `None` if `attempt` was
    /// still pending then (it runs once more after the deadline passed).
    /// A parker without a clock cannot tell the time: `attempt` runs once,
    /// and `None` if it is pending.
    pub fn wait_for_until<R>(
        &self,
        deadline_ns: u64,
        mut attempt: impl FnMut() -> Poll<R>,
    ) -> Option<R> {
        loop {
            if let Poll::Ready(done) = self.look(&mut attempt) {
                return Some(done);
            }
            if self.parker.now_ns().is_none_or(|now| now >= deadline_ns) {
                return None;
            }
            if self.spin() {
                continue;
            }
            if self.announce() {
                self.parker.park_until(&self.word, PARKED, deadline_ns);
            }
        }
    }

    /// Consumes any notification, then runs `attempt`: a notification that
    /// comes after this look is left for the next.
    fn look<R>(&self, attempt: &mut impl FnMut() -> Poll<R>) -> Poll<R> {
        // A word already EMPTY holds nothing to consume, and a receiver that
        // keeps finding values (its senders skip their notify meanwhile)
        // finds it so every time: a load then spares it a locked write per
        // look. Relaxed: a notification the load misses, come just before or
        // after it, is still in the word when `announce` compare-and-swaps
        // it, which then fails and sends the waiter to look again.
        if self.word.load(Ordering::Relaxed) != EMPTY {
            // Acquire, paired with `notify`'s Release: `attempt` sees what
            // every notifier whose notification this consumes wrote before.
            self.word.swap(EMPTY, Ordering::Acquire);
        }
        attempt()
    }

    /// Spins `steps` steps of the parker's [`relax`](Park::relax), looking
    /// for a notification; whether one came.
    fn spin_for(&self, steps: u32) -> bool {
        for _ in 0..steps {
            if self.is_told() {
                return true;
            }
            self.parker.relax();
        }
        self.is_told()
    }

    /// Whether a notification came since the last look.
    fn is_told(&self) -> bool {
        // Relaxed: only decides to look again; `look` acquires.
        self.word.load(Ordering::Relaxed) == NOTIFIED
    }

    /// Spins, then yields, a little, looking for a notification; whether
    /// one came.
    fn spin(&self) -> bool {
        if self.spin_for(SPIN_STEPS) {
            return true;
        }
        for _ in 0..YIELDS {
            self.parker.yield_now();
            if self.is_told() {
                return true;
            }
        }
        false
    }

    /// Announces that the waiter sleeps; `false` if a notification came
    /// since the last look (look again instead).
    fn announce(&self) -> bool {
        // The compare-and-swap against `notify`'s swap on the same word
        // decides, with no fence, whether the notifier sees the announcement
        // (and unparks) or the waiter sees the notification (and looks
        // again). Release: a task's waker registered before it is seen by
        // the notifier that reads PARKED (its swap's Acquire).
        self.word
            .compare_exchange(EMPTY, PARKED, Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }
}

impl<P: Park + Default> Default for Signal<P> {
    fn default() -> Self {
        Self::new(P::default())
    }
}

impl<P: Park> core::fmt::Debug for Signal<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match self.word.load(Ordering::Relaxed) {
            EMPTY => "idle",
            NOTIFIED => "notified",
            _ => "waiting",
        };
        f.debug_struct("Signal")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

/// A signal notifies no slot: [`slot`](Notifier::slot) is 0, and a kept
/// notification is an ordinary one (a signal keeps every notification until
/// its waiter looks).
impl<P: Park> Notifier for Signal<P> {
    fn notify(&self) -> Notified {
        Signal::notify(self)
    }

    fn notify_kept(&self) -> Notified {
        Signal::notify(self)
    }

    fn slot(&self) -> usize {
        0
    }
}
