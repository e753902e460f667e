//! One module owns what a loop keeps per slot: its state (dead or active) and
//! the counters of its ledger. Notifiers and the runner change them only
//! through the methods here.

use crate::ready::{Mark, ReadySet};
use crate::sync::{AtomicCount, AtomicU8, Ordering, bump_owned, bump_shared, read};
use crate::{Ledger, Notified, Park, State};

/// Slot state values in [`NotifySide::state`].
const DEAD: u8 = 0;
const ACTIVE: u8 = 1;

/// What notifiers read and write for one slot: its state and their counters.
/// One cache line each, so notifiers of different slots do not slow each other.
#[repr(align(64))]
struct NotifySide {
    /// `DEAD` or `ACTIVE`; written only by the runner.
    state: AtomicU8,
    notified: AtomicCount,
    coalesced: AtomicCount,
    /// Notifications that found the slot dead.
    dropped: AtomicCount,
}

/// What only the runner writes for one slot, kept apart from [`NotifySide`] so
/// the runner's writes do not pull the notifiers' line away from them.
struct OwnerSide {
    /// Callbacks run.
    delivered: AtomicCount,
    /// Pending bits the runner took after the slot was disarmed.
    reaped: AtomicCount,
}

impl NotifySide {
    #[cfg(not(rearm_loom))]
    const fn new() -> Self {
        NotifySide {
            state: AtomicU8::new(DEAD),
            notified: AtomicCount::new(0),
            coalesced: AtomicCount::new(0),
            dropped: AtomicCount::new(0),
        }
    }

    #[cfg(rearm_loom)]
    fn new() -> Self {
        NotifySide {
            state: AtomicU8::new(DEAD),
            notified: AtomicCount::new(0),
            coalesced: AtomicCount::new(0),
            dropped: AtomicCount::new(0),
        }
    }
}

impl OwnerSide {
    #[cfg(not(rearm_loom))]
    const fn new() -> Self {
        OwnerSide {
            delivered: AtomicCount::new(0),
            reaped: AtomicCount::new(0),
        }
    }

    #[cfg(rearm_loom)]
    fn new() -> Self {
        OwnerSide {
            delivered: AtomicCount::new(0),
            reaped: AtomicCount::new(0),
        }
    }
}

/// Every slot's notifier side: state and the notifiers' counters. Indices are
/// checked by the callers (the loop's public methods, the runner), which own
/// the slot numbers.
pub(crate) struct Notifiers<const CAP: usize>([NotifySide; CAP]);

/// Every slot's runner side: the counters only the runner writes. Kept apart
/// from [`Notifiers`] (not in one struct with it) so that the loop packs it
/// beside its other fields instead of padding it to a cache line.
pub(crate) struct Owners<const CAP: usize>([OwnerSide; CAP]);

impl<const CAP: usize> Notifiers<CAP> {
    /// Every slot dead, every counter at zero.
    #[cfg(not(rearm_loom))]
    pub(crate) const fn new() -> Self {
        Notifiers([const { NotifySide::new() }; CAP])
    }

    /// Every slot dead, every counter at zero.
    #[cfg(rearm_loom)]
    pub(crate) fn new() -> Self {
        Notifiers(core::array::from_fn(|_| NotifySide::new()))
    }

    /// Notifies `slot` (any thread): counts the call, drops it if the slot is
    /// dead, else marks it ready, waking the loop if it sleeps.
    #[inline]
    pub(crate) fn notify(&self, slot: usize, ready: &ReadySet, parker: &impl Park) -> Notified {
        let side = &self.0[slot];
        bump_shared(&side.notified);
        // Relaxed: the state is a filter, not a lock. If the runner disarms the
        // slot after we read ACTIVE, the bit we set is found by the runner with
        // the slot dead and counted as dropped there; if we read a stale DEAD
        // while the slot is being armed, the two calls were concurrent and the
        // notification counts as earlier. Coherence still guarantees that a
        // notify ordered after the arm (by any synchronization) reads ACTIVE.
        if side.state.load(Ordering::Relaxed) == DEAD {
            bump_shared(&side.dropped);
            return Notified::Dropped;
        }
        match ready.mark(slot, parker) {
            Mark::Set => Notified::Pending,
            Mark::AlreadySet => {
                bump_shared(&side.coalesced);
                Notified::Coalesced
            }
        }
    }

    /// Marks `slot` active (runner only).
    pub(crate) fn set_active(&self, slot: usize) {
        // Relaxed: notifiers use the state as a filter only (see `notify`);
        // nothing they read is published by it.
        self.0[slot].state.store(ACTIVE, Ordering::Relaxed);
    }

    /// Marks `slot` dead (runner only). A notifier that still read ACTIVE sets
    /// the bit, which the runner then reaps as dropped.
    pub(crate) fn set_dead(&self, slot: usize) {
        // Relaxed: as in `set_active`.
        self.0[slot].state.store(DEAD, Ordering::Relaxed);
    }

    /// The state of `slot`, as notifiers see it.
    pub(crate) fn state(&self, slot: usize) -> State {
        // Relaxed: a snapshot; see `notify` for why notifiers need no more.
        match self.0[slot].state.load(Ordering::Relaxed) {
            ACTIVE => State::Active,
            _ => State::Dead,
        }
    }
}

impl<const CAP: usize> Owners<CAP> {
    /// Every counter at zero.
    #[cfg(not(rearm_loom))]
    pub(crate) const fn new() -> Self {
        Owners([const { OwnerSide::new() }; CAP])
    }

    /// Every counter at zero.
    #[cfg(rearm_loom)]
    pub(crate) fn new() -> Self {
        Owners(core::array::from_fn(|_| OwnerSide::new()))
    }

    /// Counts a callback run for `slot` (runner only).
    pub(crate) fn count_delivered(&self, slot: usize) {
        bump_owned(&self.0[slot].delivered);
    }

    /// Counts a pending bit of `slot` taken after it was disarmed (runner only).
    pub(crate) fn count_reaped(&self, slot: usize) {
        bump_owned(&self.0[slot].reaped);
    }
}

/// The ledger of `slot`, with `pending` as the ready set says.
pub(crate) fn ledger<const CAP: usize>(
    notifiers: &Notifiers<CAP>,
    owners: &Owners<CAP>,
    slot: usize,
    pending: bool,
) -> Ledger {
    let (notify, owner) = (&notifiers.0[slot], &owners.0[slot]);
    Ledger {
        notified: read(&notify.notified),
        delivered: read(&owner.delivered),
        coalesced: read(&notify.coalesced),
        dropped: read(&notify.dropped).wrapping_add(read(&owner.reaped)),
        pending: u64::from(pending),
    }
}
