//! The ping ledger: what happened to every notification.

use core::fmt;
use core::ops::Add;

/// Where the notifications of one async (or of a whole loop) went.
///
/// `notified` is counted where `notify` is called, `delivered` where the callback
/// runs, so their agreement is evidence, not bookkeeping. At a quiescent point (no
/// notify in flight and the loop not running: after the notifying threads were
/// joined, say) every notification is accounted for exactly once:
///
/// `notified == delivered + coalesced + dropped + pending`
///
/// Between quiescent points the counters are read independently and may
/// disagree for a moment. On targets without 64-bit atomics the counters are 32
/// bits wide and wrap; the equation then holds modulo 2³².
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, CallbackRunner, Loop, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let handle = lp.handle(0)?;
/// handle.notify(); // slot 0 is not armed yet: dropped
/// let mut once = || Action::Disarm;
/// let mut runner = CallbackRunner::new(&lp)?;
/// runner.arm(0, &mut once)?;
/// handle.notify(); // queued
/// handle.notify(); // coalesced with it
/// runner.run(RunMode::UntilDone);
/// let ledger = handle.ledger();
/// assert_eq!(
///     (ledger.notified, ledger.delivered, ledger.coalesced, ledger.dropped, ledger.pending),
///     (3, 1, 1, 1, 0)
/// );
/// assert!(ledger.check().is_ok());
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ledger {
    /// Calls to `notify`.
    pub notified: u64,
    /// Callbacks run in full (one that panicked leaves its notification
    /// pending).
    pub delivered: u64,
    /// Notifications that found one already pending (or kept) and merged with it.
    pub coalesced: u64,
    /// Notifications aimed at a dead completion: at notify time, or found pending
    /// when the loop took them after the completion was disarmed. A slot that
    /// keeps notifications ([`SlotHandle::notify_kept`](crate::SlotHandle::notify_kept))
    /// drops none: it keeps them, as pending.
    pub dropped: u64,
    /// Notifications not yet delivered: set and not yet taken by the loop, or
    /// kept for the slot's next arm (0, 1 or, for a moment after a disarm, 2
    /// per async).
    pub pending: u64,
}

impl Ledger {
    /// Whether every notification is accounted for exactly once.
    ///
    /// ```
    /// use rearm_core::Ledger;
    ///
    /// let ok = Ledger { notified: 5, delivered: 3, coalesced: 1, dropped: 1, pending: 0 };
    /// assert!(ok.is_conserved());
    /// let lost = Ledger { notified: 5, delivered: 3, ..ok };
    /// assert!(!Ledger { coalesced: 0, ..lost }.is_conserved());
    /// ```
    #[must_use]
    pub fn is_conserved(&self) -> bool {
        self.notified
            == self
                .delivered
                .wrapping_add(self.coalesced)
                .wrapping_add(self.dropped)
                .wrapping_add(self.pending)
    }

    /// [`is_conserved`](Self::is_conserved), as a `Result` that carries the ledger.
    ///
    /// # Errors
    ///
    /// [`Unbalanced`], carrying this ledger, when it is not conserved.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Ledger;
    ///
    /// let balanced = Ledger { notified: 2, delivered: 1, coalesced: 1, ..Ledger::default() };
    /// assert!(balanced.check().is_ok());
    /// let lost_one = Ledger { notified: 2, delivered: 1, ..Ledger::default() };
    /// assert_eq!(lost_one.check().unwrap_err().0, lost_one);
    /// ```
    pub fn check(&self) -> Result<(), Unbalanced> {
        if self.is_conserved() {
            Ok(())
        } else {
            Err(Unbalanced(*self))
        }
    }
}

impl Add for Ledger {
    type Output = Ledger;

    fn add(self, other: Ledger) -> Ledger {
        Ledger {
            notified: self.notified.wrapping_add(other.notified),
            delivered: self.delivered.wrapping_add(other.delivered),
            coalesced: self.coalesced.wrapping_add(other.coalesced),
            dropped: self.dropped.wrapping_add(other.dropped),
            pending: self.pending.wrapping_add(other.pending),
        }
    }
}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "notified {} = delivered {} + coalesced {} + dropped {} + pending {}",
            self.notified, self.delivered, self.coalesced, self.dropped, self.pending
        )
    }
}

/// A ledger whose notifications do not add up: some were lost or counted twice.
///
/// # Examples
///
/// ```
/// use rearm_core::{Ledger, Unbalanced};
///
/// let lost_one = Ledger { notified: 1, ..Ledger::default() };
/// let Err(Unbalanced(ledger)) = lost_one.check() else { unreachable!() };
/// assert_eq!(ledger.notified, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unbalanced(pub Ledger);

impl fmt::Display for Unbalanced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ledger does not balance: {}", self.0)
    }
}

impl core::error::Error for Unbalanced {}
