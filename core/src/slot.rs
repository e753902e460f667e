//! One module owns what a loop keeps per slot: its state (dead or active),
//! whether it keeps notifications while dead, and the counters of its ledger.
//! Notifiers and the runner change them only through the methods here.
//!
//! # Kept notifications
//!
//! A slot that something must never stop hearing (a mailbox: its senders
//! skip the notify while the loop is told, so one notification lost is every
//! later value stranded) *keeps* its notifications: [`Notifiers::notify`]
//! with `keep` marks it so, once and for good. From then on a notification
//! that finds it dead, or that the runner takes after it was disarmed, is not
//! dropped: it sets the slot's `kept` flag, and arming the slot turns the flag
//! back into a ready bit, so the next run calls the slot's handler. A slot
//! that does not keep notifications drops them, as libuv and libxev do.
//!
//! Arming races a notifier that finds the slot dead: the runner writes
//! `ACTIVE` then reads `kept`, the notifier writes `kept` then reads the
//! state, each with a `SeqCst` fence between its write and its read. The two
//! fences are ordered one way or the other, and the side whose fence comes
//! second reads the other's write: at least one of them finds the other's,
//! and the one that swaps `kept` back to false marks the slot ready: never
//! neither, never both. (Fences rather than `SeqCst` accesses: the same
//! argument, and the one loom checks.)

use crate::async_handle::Notified;
use crate::completion::SlotState;
use crate::ledger::Ledger;
use crate::park::Park;
use crate::ready::{BITS, Mark, ReadySet, SpillGroups};
use crate::sync::{
    AtomicBool, AtomicCount, AtomicU8, AtomicUsize, Ordering, bump_owned, bump_shared,
    const_fn_unless_loom, fence, read,
};

/// [`NotifySide::state`] bit: the slot is armed; written only by the runner.
const ACTIVE: u8 = 1;
/// [`NotifySide::state`] bit: the slot keeps notifications while dead; set
/// by a keeping notify, never cleared.
const KEEPS: u8 = 2;

/// What notifiers read and write for one slot: its state and their counters.
/// One cache line each, so notifiers of different slots do not slow each other.
#[repr(align(64))]
struct NotifySide {
    /// `ACTIVE` and `KEEPS` bits; both sides change it with read-modify-writes
    /// only, so neither overwrites the other's bit.
    state: AtomicU8,
    /// A notification is kept for the slot's next arm (slots that keep only).
    kept: AtomicBool,
    notified: AtomicCount,
    /// Notifications that merged with one already pending or kept.
    coalesced: AtomicCount,
    /// Notifications that found the slot dead (slots that do not keep only).
    dropped: AtomicCount,
    /// In a loop of more than `BITS * BITS` slots, the ready set's group
    /// word numbered like this slot, when the ready set does not hold it
    /// (see [`SpillGroups`]); unused otherwise. It fills room the line
    /// has spare, so no loop grows for it.
    spill_group: AtomicUsize,
}

/// What only the runner writes for one slot, kept apart from [`NotifySide`] so
/// the runner's writes do not pull the notifiers' line away from them.
struct OwnerSide {
    /// Callbacks that returned.
    delivered: AtomicCount,
    /// Pending bits the runner took after the slot was disarmed and dropped
    /// (slots that do not keep notifications).
    reaped: AtomicCount,
}

impl NotifySide {
    const_fn_unless_loom! {
        fn new() -> Self {
            NotifySide {
                state: AtomicU8::new(0),
                kept: AtomicBool::new(false),
                notified: AtomicCount::new(0),
                coalesced: AtomicCount::new(0),
                dropped: AtomicCount::new(0),
                spill_group: AtomicUsize::new(0),
            }
        }
    }
}

impl OwnerSide {
    const_fn_unless_loom! {
        fn new() -> Self {
            OwnerSide {
                delivered: AtomicCount::new(0),
                reaped: AtomicCount::new(0),
            }
        }
    }
}

/// `new()` for `$wrapper`, an array of one `$side` per slot, each made by
/// `$side::new()`: a `const fn` over a const array in normal builds, and
/// under `cfg(rearm_loom)` (whose atomics cannot be made in a const context)
/// a plain `fn` that fills the array at run time.
macro_rules! new_per_slot {
    ($(#[$attr:meta])* $wrapper:ident($side:ident)) => {
        #[cfg(not(rearm_loom))]
        $(#[$attr])*
        pub(crate) const fn new() -> Self {
            $wrapper([const { $side::new() }; CAP])
        }

        #[cfg(rearm_loom)]
        $(#[$attr])*
        pub(crate) fn new() -> Self {
            $wrapper(core::array::from_fn(|_| $side::new()))
        }
    };
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
    new_per_slot! {
        /// Every slot dead, every counter at zero.
        Notifiers(NotifySide)
    }

    /// Notifies `slot` (any thread): counts the call; if the slot is active,
    /// marks it ready, waking the loop if it sleeps; if it is dead, keeps the
    /// notification for its next arm when the slot keeps notifications, and
    /// drops it otherwise. With `keep`, the slot keeps notifications from now
    /// on.
    #[inline]
    pub(crate) fn notify(
        &self,
        slot: usize,
        ready: &ReadySet,
        parker: &impl Park,
        keep: bool,
    ) -> Notified {
        let side = &self.0[slot];
        bump_shared(&side.notified);
        // Relaxed: the state is a filter, not a lock. If the runner disarms the
        // slot after we read ACTIVE, the bit we set is found by the runner with
        // the slot dead and reaped there; if we read a stale dead state while
        // the slot is being armed, the two calls were concurrent and the
        // notification counts as earlier (a slot that keeps notifications
        // settles that race in `notify_dead`). Coherence still guarantees that
        // a notify ordered after the arm (by any synchronization) reads ACTIVE.
        let mut state = side.state.load(Ordering::Relaxed);
        if keep && state & KEEPS == 0 {
            // Relaxed: the runner reads KEEPS when it takes this slot's bit,
            // after its Acquire on the ready set synchronized with our mark
            // (Release, after this); `notify_dead` needs only our own write.
            state = side.state.fetch_or(KEEPS, Ordering::Relaxed) | KEEPS;
        }
        if state & ACTIVE == 0 {
            return notify_dead(self, slot, state, ready, parker);
        }
        mark(self, slot, ready, parker)
    }

    /// Arms `slot` (runner only); a notification kept for it becomes pending.
    pub(crate) fn set_active(&self, slot: usize, ready: &ReadySet, parker: &impl Park) {
        let side = &self.0[slot];
        // A read-modify-write, so that a notifier's KEEPS bit is never
        // overwritten. Relaxed: the fence after it orders it before the look
        // at `kept` (see the module's note on the race with `notify_dead`).
        side.state.fetch_or(ACTIVE, Ordering::Relaxed);
        arm_race_fence(ready, Side::Runner);
        // Relaxed look, then Acquire in the swap: the callback that the kept
        // notification runs must see what its notifier wrote before
        // notifying, which its swap of `kept` released.
        if side.kept.load(Ordering::Relaxed) && side.kept.swap(false, Ordering::Acquire) {
            mark(self, slot, ready, parker);
        }
    }

    /// Marks `slot` dead (runner only). A notifier that still read ACTIVE sets
    /// the bit, which the runner then reaps.
    pub(crate) fn set_dead(&self, slot: usize) {
        // Relaxed: notifiers use the state as a filter only (see `notify`);
        // nothing they read is published by it. A read-modify-write: see
        // `set_active`.
        self.0[slot].state.fetch_and(!ACTIVE, Ordering::Relaxed);
    }

    /// A ready bit of `slot` that the runner took after disarming it: kept
    /// for the next arm if the slot keeps notifications, else dropped and
    /// counted (runner only).
    pub(crate) fn reap(&self, slot: usize, owners: &Owners<CAP>, ready: &ReadySet) {
        let side = &self.0[slot];
        // Relaxed: KEEPS was set before the mark whose bit the runner just
        // took with Acquire (see `notify`).
        #[cfg(rearm_loom)]
        let drops = ready.fault == crate::ready::Fault::DropReaped;
        #[cfg(not(rearm_loom))]
        let drops = {
            let _ = ready;
            false
        };
        if drops || side.state.load(Ordering::Relaxed) & KEEPS == 0 {
            bump_owned(&owners.0[slot].reaped);
            return;
        }
        // Relaxed: what the notification's notifier published, this thread
        // acquired when it took the bit; whoever turns the flag back into a
        // ready bit is this thread (arming) or a notifier whose mark this
        // thread acquires later. The swap only has to tell whether one was
        // kept already.
        if side.kept.swap(true, Ordering::Relaxed) {
            bump_shared(&side.coalesced);
        }
    }

    /// Counts a notification of `slot` that merged with a newer one when an
    /// unwinding take put its bit back (runner only; see `ReadySet::take`).
    pub(crate) fn count_merged(&self, slot: usize) {
        bump_shared(&self.0[slot].coalesced);
    }

    /// The state of `slot`, as notifiers see it.
    pub(crate) fn state(&self, slot: usize) -> SlotState {
        // Relaxed: a snapshot; see `notify` for why notifiers need no more.
        if self.0[slot].state.load(Ordering::Relaxed) & ACTIVE != 0 {
            SlotState::Active
        } else {
            SlotState::Dead
        }
    }
}

/// Which side of the arm race puts a fence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The runner arming the slot.
    Runner,
    /// A notifier that found the slot dead.
    Notifier,
}

/// The `SeqCst` fence each side of the arm race puts between its write and
/// its look (see the module's note). Under `cfg(rearm_loom)` a negative
/// control leaves one side's out.
fn arm_race_fence(ready: &ReadySet, side: Side) {
    #[cfg(rearm_loom)]
    {
        use crate::ready::Fault;
        let left_out = match side {
            Side::Runner => Fault::ArmWithoutFence,
            Side::Notifier => Fault::KeepWithoutFence,
        };
        if ready.fault == left_out {
            return;
        }
    }
    #[cfg(not(rearm_loom))]
    let _ = (ready, side);
    fence(Ordering::SeqCst);
}

/// Marks `slot` ready; a notification already pending absorbs this one.
fn mark<const CAP: usize>(
    notifiers: &Notifiers<CAP>,
    slot: usize,
    ready: &ReadySet,
    parker: &impl Park,
) -> Notified {
    match ready.mark(slot, notifiers, parker) {
        Mark::Set => Notified::Queued,
        Mark::AlreadySet => {
            bump_shared(&notifiers.0[slot].coalesced);
            Notified::Coalesced
        }
    }
}

/// A notification that found `slot` dead, its state `state`: dropped, or
/// kept for the next arm if the slot keeps notifications.
#[cold]
fn notify_dead<const CAP: usize>(
    notifiers: &Notifiers<CAP>,
    slot: usize,
    state: u8,
    ready: &ReadySet,
    parker: &impl Park,
) -> Notified {
    let side = &notifiers.0[slot];
    if state & KEEPS == 0 {
        bump_shared(&side.dropped);
        return Notified::Dropped;
    }
    // Release: the callback this notification runs must see what the caller
    // wrote before notifying; whoever turns the flag back into a ready bit
    // acquires it.
    if side.kept.swap(true, Ordering::Release) {
        bump_shared(&side.coalesced);
        return Notified::Coalesced;
    }
    // The runner may have armed the slot meanwhile and looked at `kept`
    // before our swap: the fence orders our swap before our look at the
    // state (see the module's note on the race with `set_active`), and
    // whoever swaps `kept` back marks the slot. Acquire: a notifier that
    // found the flag set after our swap merged into our notification, and
    // its Release swap is in the flag's release sequence: the mark below
    // (Release) carries what it wrote to the callback. Release is not
    // needed here: nobody acquires this clear; the mark publishes.
    arm_race_fence(ready, Side::Notifier);
    if side.state.load(Ordering::Relaxed) & ACTIVE != 0 && side.kept.swap(false, Ordering::Acquire)
    {
        return mark(notifiers, slot, ready, parker);
    }
    Notified::Kept
}

impl<const CAP: usize> SpillGroups for Notifiers<CAP> {
    const GROUPS: usize = CAP.div_ceil(BITS);

    fn spill_group(&self, group: usize) -> &AtomicUsize {
        &self.0[group].spill_group
    }
}

impl<const CAP: usize> Owners<CAP> {
    new_per_slot! {
        /// Every counter at zero.
        Owners(OwnerSide)
    }

    /// Counts a callback run for `slot` (runner only).
    pub(crate) fn count_delivered(&self, slot: usize) {
        bump_owned(&self.0[slot].delivered);
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
    // Relaxed: ledgers are read at quiescent points (see `Ledger`).
    let kept = notify.kept.load(Ordering::Relaxed);
    Ledger {
        notified: read(&notify.notified),
        delivered: read(&owner.delivered),
        coalesced: read(&notify.coalesced),
        dropped: read(&notify.dropped).wrapping_add(read(&owner.reaped)),
        pending: u64::from(pending) + u64::from(kept),
    }
}
