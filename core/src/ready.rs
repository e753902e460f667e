//! The ready set and the park word: how a notification reaches a loop in O(1),
//! and how the loop sleeps without missing one.
//!
//! # Protocol
//!
//! The first [`DIRECT_SLOTS`] slots live in the park word itself; the rest in a
//! bitmap of group words beneath it, summarized in the park word. Two kinds of
//! word, each an atomic:
//!
//! - `wake`, the [`ParkWord`]: `PARKED` while the loop sleeps, `STOP` when a
//!   stop was asked for, bit `FLAG_BITS + s` for each direct slot `s` with a
//!   notification pending, and summary bit `c` (the top `SUMMARY_BITS`) when a
//!   group of class `c` (`GROUPS_PER_CLASS` consecutive group words) may be
//!   non-zero;
//! - group word `g`, bit `b`: slot `g * BITS + b` (at or above `DIRECT_SLOTS`)
//!   has a notification pending.
//!
//! Group `g` belongs to class `(g / GROUPS_PER_CLASS) % SUMMARY_BITS`. The
//! first `BITS` group words (slots below `BITS * BITS`, 4096 on 64-bit
//! targets) are the ready set's own, in order, so each class is one run of
//! `GROUPS_PER_CLASS` words in one cache line. A loop with more slots keeps
//! group `g >= BITS` in the spare room of slot `g`'s notifier line (see
//! [`SpillGroups`]), and its classes wrap around: class `c` also holds groups
//! `BITS + c * GROUPS_PER_CLASS` onwards, `BITS` apart. Where a word lives
//! changes nothing below: every group word is read and written the same way.
//!
//! A direct slot is notified with one `fetch_or` on `wake`: a small loop (the
//! common case: a handful of asyncs) costs one read-modify-write per side per
//! notification, and one cache line. Above the direct slots, a notifier sets its
//! slot's bit with `fetch_or`, and only the notifier that turns the group word
//! from zero to non-zero goes on to set its class's summary bit in `wake`.
//! Notifying costs at most two `fetch_or`s, taking at most one `swap` of `wake`
//! and one per non-empty group, whatever the number of slots. Every notifier
//! whose `fetch_or` on `wake` returns exactly `PARKED` unparks the loop.
//!
//! The loop takes everything with `swap`s: `wake` (clearing the direct bits, the
//! summary bits and `STOP`), then each group of each class it names that a plain
//! load shows non-zero. It hands on the direct slots first, then the groups.
//!
//! Why nothing is lost: say a notifier's `fetch_or` on a group returns non-zero.
//! Then the word went from zero to non-zero since the loop last swapped it, by an
//! earlier notifier N, and the loop has not swapped it since. N goes on to set
//! the summary bit (its `Release` there makes its group write visible to whoever
//! acquires it), so the loop will be told, and the swap through which it then
//! takes this word comes after our write in the word's modification order: it
//! takes our bit too. The summary bit is decided at `wake`, where one RMW per
//! side decides, as for a direct slot. The plain load that skips empty groups
//! of a named class hides nothing: every write to `wake` is an RMW, so the
//! loop's `Acquire` swap synchronizes with every notifier whose RMW on `wake`
//! came before it, and that notifier's group write happens-before the load. A
//! notifier whose RMW came after may find its group read as empty; its summary
//! bit is then still set, for the next take.
//!
//! Parking: the loop parks by `compare_exchange(EMPTY, PARKED)` on `wake` and then
//! sleeps while the word is `PARKED`. A notifier's `fetch_or` on `wake` either
//! comes first (the CAS fails, the loop does not sleep) or second (it returns
//! `PARKED` and the notifier calls `unpark`). Both sides use a read-modify-write on
//! the same word, so the decision needs no `SeqCst` and no fence: the "store, then
//! load the other variable" pattern that loses wakeups does not occur here. A stop
//! request travels the same way with the `STOP` bit.
//!
//! Exactly one notifier unparks per park: the one whose RMW returns exactly
//! `PARKED` (every later one finds a bit set beside it). A stop request also
//! unparks whenever `PARKED` is set (see `request_stop`).
//!
//! Why summary bits in `wake` rather than a summary word of their own: one
//! read-modify-write fewer on each side for every slot above the direct ones
//! (measured with `driver --mode wake` on a 2-vCPU EPYC: 34 to 26 ns per notify
//! and callback with 4096 asyncs). The price is fewer direct slots and a look at
//! up to `GROUPS_PER_CLASS` group words per class named, plain loads that stay
//! in the loop's cache while nobody writes them. A loop above `BITS * BITS`
//! slots looks at `GROUPS_PER_CLASS` more for every further `BITS * BITS`
//! slots (64 words in all at [`MAX_CAPACITY`] on 64-bit targets), rather than
//! paying a third read-modify-write on every notification of its higher slots.

use crate::park::Park;
use crate::sync::{AtomicUsize, Ordering, ParkWord};

/// Bits in one bitmap word.
pub(crate) const BITS: usize = usize::BITS as usize;

/// Low bits of `wake` that are flags.
const FLAG_BITS: u32 = 2;

/// High bits of `wake` that summarize the bitmap: bit `c` covers the
/// [`GROUPS_PER_CLASS`] group words of class `c`.
const SUMMARY_BITS: u32 = 8;

/// Group words one summary bit covers.
pub(crate) const GROUPS_PER_CLASS: usize = BITS / SUMMARY_BITS as usize;

/// Slots whose pending bit lives in the loop's park word: slots `0` up to
/// `DIRECT_SLOTS` (22 on every target).
///
/// A notification of one of them costs one read-modify-write on each side
/// (the notifier's `fetch_or`, the loop's `swap`); one of any other slot costs
/// up to two on each side (its group word, and a summary bit in the park word
/// when the group was empty). Each slot also counts its notifications, one
/// more on the notifier's side. So a lone notify and its callback take three
/// locked instructions for these slots and five for the rest, however many
/// slots the loop has. Give the busiest sources the lowest slots.
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{DIRECT_SLOTS, Loop};
///
/// let lp: Loop<SpinPark, 64> = Loop::new(SpinPark::new());
/// // The hottest async: a slot whose notification touches one word.
/// let hot = lp.handle(0)?;
/// assert!(hot.slot() < DIRECT_SLOTS);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub const DIRECT_SLOTS: usize = (u32::BITS - FLAG_BITS - SUMMARY_BITS) as usize;

/// Where the summary bits start in `wake`.
const SUMMARY_SHIFT: u32 = FLAG_BITS + DIRECT_SLOTS as u32;

/// `wake` bits that are direct slots.
const DIRECT_MASK: u32 = ((1 << DIRECT_SLOTS) - 1) << FLAG_BITS;

const _: () = assert!(BITS.is_multiple_of(SUMMARY_BITS as usize) && DIRECT_SLOTS > 0);

/// Group words the ready set holds itself: loops of up to `BITS * BITS` slots
/// (4096 on 64-bit targets) need no others.
const OWN_GROUPS: usize = BITS;

/// The most slots one loop can have: 32,768 on every target.
///
/// Why this bound: a timer's heap indexes slots with 16 bits, and each
/// summary bit of the ready set that a loop this large finds set costs its
/// runner a look at up to 64 group words on 64-bit targets, 128 on 32-bit
/// ones. What a notification costs (see [`DIRECT_SLOTS`]) does not grow
/// with the loop.
///
/// ```
/// use rearm_core::MAX_CAPACITY;
/// use rearm_core::park::SpinPark;
/// use rearm_core::Loop;
///
/// assert_eq!(MAX_CAPACITY, 32_768);
/// // Ten thousand slots (ten thousand timers, say): about 800 KB, so boxed.
/// let lp: Box<Loop<SpinPark, 10_000>> = Box::new(Loop::new(SpinPark::new()));
/// assert!(lp.handle(9_999).is_ok());
/// ```
pub const MAX_CAPACITY: usize = 1 << 15;

const _: () = assert!(MAX_CAPACITY.div_ceil(BITS) <= MAX_CAPACITY);

/// Where a loop keeps the group words past the ready set's own: loops above
/// `BITS * BITS` slots keep group `g` beside slot `g`'s counters, in room
/// their cache line has spare (a loop of `CAP` slots has `CAP / BITS` group
/// words, always fewer than its slots).
pub(crate) trait SpillGroups {
    /// Group words the loop has: one per `BITS` slots, rounded up.
    const GROUPS: usize;

    /// Group word `group`, for `OWN_GROUPS <= group < GROUPS`.
    fn spill_group(&self, group: usize) -> &AtomicUsize;
}

/// `wake`: nothing to take, the loop is awake.
pub(crate) const EMPTY: u32 = 0;
/// `wake`: the loop announced it sleeps; whoever changes the word must unpark.
pub(crate) const PARKED: u32 = 1;
/// `wake`: a stop was requested.
pub(crate) const STOP: u32 = 2;

/// The `wake` bit that summarizes `group`.
const fn summary_bit(group: usize) -> u32 {
    1 << (SUMMARY_SHIFT + (group / GROUPS_PER_CLASS % SUMMARY_BITS as usize) as u32)
}

/// The ready bitmap and the park word of one loop.
///
/// A notification of a direct slot touches `wake` alone, so a small loop's
/// notifications move one cache line between the cores.
#[repr(C, align(64))]
pub(crate) struct ReadySet {
    wake: ParkWord,
    groups: [AtomicUsize; BITS],
    /// A deliberate protocol bug, for the model checker's negative control.
    #[cfg(rearm_loom)]
    pub(crate) fault: Fault,
}

/// A deliberate protocol bug that the loom models must catch (negative control).
/// Exists only under `cfg(rearm_loom)`.
#[cfg(rearm_loom)]
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fault {
    /// The correct protocol.
    #[default]
    None,
    /// Announce parking with a plain store instead of a compare-exchange,
    /// overwriting a notification that landed just before: a lost wakeup.
    StoreParked,
    /// Arm a slot without the fence between marking it active and looking
    /// for a kept notification: a keeping notifier that found the slot dead
    /// can keep its notification after the runner looked, with neither side
    /// seeing the other's write, and the notification waits for an arm that
    /// already happened.
    ArmWithoutFence,
    /// Keep a notification that found the slot dead without the fence
    /// between keeping it and looking at the slot's state again: the same
    /// race as `ArmWithoutFence`, from the notifier's side.
    KeepWithoutFence,
    /// Drop a notification the runner takes after the slot was disarmed,
    /// even for a slot that keeps notifications: what every slot did before
    /// slots kept them. A mailbox whose notification is dropped so stays
    /// "told" with nobody told.
    DropReaped,
    /// Withdraw a timed-out park with a plain store of "empty" instead of a
    /// compare-exchange: a notification that landed after the parker gave up
    /// is wiped out, and its slot never runs.
    TimeoutStoresEmpty,
}

/// What marking a slot found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// The slot's bit was clear: this notification is now pending.
    Set,
    /// The slot's bit was already set: this notification coalesced with it.
    AlreadySet,
}

/// What a `take` has swapped out of the ready set but not yet handed on in
/// full (a slot whose call is running is still here): put back when dropped
/// early, which only happens while a callback unwinds.
struct Untaken<'a, S: SpillGroups> {
    ready: &'a ReadySet,
    spill: &'a S,
    /// Told of each slot whose put-back bit found a newer notification set:
    /// the two merged, and the ledger counts the put-back one as coalesced.
    merged: &'a dyn Fn(usize),
    /// `STOP`, if the take found it, until it is reported.
    stop: u32,
    /// Direct slots taken but not yet handed on in full, as `wake` bits.
    direct: u32,
    /// Summary bits of the classes not yet handed on in full (the one being
    /// handed on included), as `wake` bits.
    summary: u32,
    /// The group being handed on, and its bits not yet handed on in full.
    group: usize,
    bits: usize,
}

impl<S: SpillGroups> Drop for Untaken<'_, S> {
    fn drop(&mut self) {
        if self.bits != 0 {
            // Relaxed: whoever takes these bits next must see what their
            // notifiers published, and this thread has seen it (its Acquire
            // swaps took the bits). The next take is on this thread, after
            // this in program order, or on another runner's, which claimed
            // the loop after this runner's drop (Release there, Acquire in
            // the claim). Either way it happens after this put-back, with
            // what this thread saw.
            let word = self.ready.group(self.spill, self.group);
            let newer = word.fetch_or(self.bits, Ordering::Relaxed);
            let mut merged = newer & self.bits;
            while merged != 0 {
                (self.merged)(self.group * BITS + merged.trailing_zeros() as usize);
                merged &= merged - 1;
            }
        }
        // `summary` still names the class being handed on: its summary bit finds
        // the bits just put back, and the groups not yet swapped, which kept
        // theirs. A class whose groups are empty by now costs the next take a
        // look, nothing more.
        let wake = self.direct | self.stop | self.summary;
        if wake != 0 {
            // The loop's own thread is unwinding, so it is not parked: no unpark.
            // Relaxed, as for the group above.
            let newer = self.ready.wake.fetch_or(wake, Ordering::Relaxed);
            let mut merged = newer & self.direct;
            while merged != 0 {
                (self.merged)((merged.trailing_zeros() - FLAG_BITS) as usize);
                merged &= merged - 1;
            }
        }
    }
}

/// What the loop found when it took the ready set.
pub(crate) struct Taken {
    /// A stop was requested since the last take.
    pub(crate) stop: bool,
}

impl ReadySet {
    #[cfg(not(rearm_loom))]
    pub(crate) const fn new() -> Self {
        ReadySet {
            wake: ParkWord::new(EMPTY),
            groups: [const { AtomicUsize::new(0) }; BITS],
        }
    }

    #[cfg(rearm_loom)]
    pub(crate) fn new() -> Self {
        ReadySet {
            wake: ParkWord::new(EMPTY),
            groups: core::array::from_fn(|_| AtomicUsize::new(0)),
            fault: Fault::None,
        }
    }

    /// Group word `group`: the ready set's own, or one `spill` keeps. Only
    /// a loop with more than `OWN_GROUPS` groups tests which (a constant
    /// for each loop type).
    #[inline]
    fn group<'a, S: SpillGroups>(&'a self, spill: &'a S, group: usize) -> &'a AtomicUsize {
        if S::GROUPS <= OWN_GROUPS || group < OWN_GROUPS {
            &self.groups[group]
        } else {
            spill.spill_group(group)
        }
    }

    /// Marks `slot` ready and wakes the loop if it is parked. Any thread.
    ///
    /// `slot` must be below the loop's capacity (the caller checked it), so
    /// its group is below `S::GROUPS`.
    pub(crate) fn mark<S: SpillGroups>(&self, slot: usize, spill: &S, parker: &impl Park) -> Mark {
        if slot < DIRECT_SLOTS {
            let bit = 1u32 << (FLAG_BITS + slot as u32);
            // Release: the callback that this notification leads to must see what
            // the notifier wrote before notifying; the loop's Acquire swap of
            // `wake` reads this RMW or a later one in its release sequence.
            let prev = self.wake.fetch_or(bit, Ordering::Release);
            if prev & bit != 0 {
                return Mark::AlreadySet;
            }
            if prev == PARKED {
                parker.unpark(&self.wake);
            }
            return Mark::Set;
        }
        let (group, bit) = (slot / BITS, 1usize << (slot % BITS));
        // Release: as above; the loop's Acquire swap of this word reads our write
        // or a later RMW in its release sequence, so it synchronizes with us even
        // when another notifier's bit carries the news.
        let prev = self.group(spill, group).fetch_or(bit, Ordering::Release);
        if prev & bit != 0 {
            return Mark::AlreadySet;
        }
        if prev != 0 {
            // The notifier that made this word non-zero is (or was) telling the
            // loop about the group; the loop's next swap of it takes our bit too.
            return Mark::Set;
        }
        // Release: a loop that sees this summary bit (Acquire, in `take`) must find
        // our group bit when it looks at the group: our group write happens-before
        // that look. Acquire is not needed: the notifier learns nothing else.
        if self.wake.fetch_or(summary_bit(group), Ordering::Release) == PARKED {
            parker.unpark(&self.wake);
        }
        Mark::Set
    }

    /// Asks the loop to stop and wakes it. Any thread.
    ///
    /// Unlike a notification, a stop unparks whenever the loop announced that it
    /// sleeps, even if someone else already changed the word: if that earlier
    /// wake was lost (a faulty parker), the stop still gets through. A second
    /// unpark is at worst a spurious wake, which the loop re-checks; stops are
    /// rare, so the extra syscall costs nothing that matters.
    pub(crate) fn request_stop(&self, parker: &impl Park) {
        // Release: orders the caller's writes before the loop's return from run.
        if self.wake.fetch_or(STOP, Ordering::Release) & PARKED != 0 {
            parker.unpark(&self.wake);
        }
    }

    /// Takes every pending bit, calling `each` with its slot. Loop thread only.
    ///
    /// If `each` panics, what was taken but not yet handed on is put back (and
    /// the loop told to look again), the bit of the slot whose call panicked
    /// included: that notification was not handled in full, so a caller that
    /// catches the panic loses no notification. A put-back bit that finds a
    /// newer notification of its slot set merges with it, and `merged` is
    /// told the slot.
    pub(crate) fn take<S: SpillGroups>(
        &self,
        spill: &S,
        mut each: impl FnMut(usize),
        merged: &dyn Fn(usize),
    ) -> Taken {
        // Acquire on every swap pairs with the notifiers' Release RMWs: see `mark`.
        let wake = self.wake.swap(EMPTY, Ordering::Acquire);
        let mut rest = Untaken {
            ready: self,
            spill,
            merged,
            stop: wake & STOP,
            direct: wake & DIRECT_MASK,
            summary: wake >> SUMMARY_SHIFT << SUMMARY_SHIFT,
            group: 0,
            bits: 0,
        };
        // Each bit leaves `rest` only once its call returned.
        while rest.direct != 0 {
            let slot = (rest.direct.trailing_zeros() - FLAG_BITS) as usize;
            each(slot);
            rest.direct &= rest.direct - 1;
        }
        while rest.summary != 0 {
            let class = (rest.summary.trailing_zeros() - SUMMARY_SHIFT) as usize;
            let mut first = class * GROUPS_PER_CLASS;
            // The class's own groups, then (in a loop above `BITS * BITS`
            // slots) its run in each further `BITS` groups.
            let mut end = first + GROUPS_PER_CLASS;
            loop {
                for group in first..end {
                    self.take_group(group, &mut rest, &mut each);
                }
                first += OWN_GROUPS;
                if first >= S::GROUPS {
                    break;
                }
                end = S::GROUPS.min(first + GROUPS_PER_CLASS);
            }
            rest.summary &= rest.summary - 1;
        }
        Taken {
            stop: core::mem::take(&mut rest.stop) != 0,
        }
    }

    /// Takes group word `group` for [`take`](Self::take), if it looks
    /// non-zero, and hands on its slots.
    #[inline]
    fn take_group<S: SpillGroups>(
        &self,
        group: usize,
        rest: &mut Untaken<'_, S>,
        each: &mut impl FnMut(usize),
    ) {
        let word = self.group(rest.spill, group);
        // Relaxed: only a filter. A group whose notifier we synchronized
        // with through the summary bit reads non-zero here (coherence);
        // one that reads zero but is being notified gets its summary bit
        // set again after our swap of `wake`, for the next take.
        if word.load(Ordering::Relaxed) == 0 {
            return;
        }
        rest.group = group;
        rest.bits = word.swap(0, Ordering::Acquire);
        while rest.bits != 0 {
            let slot = group * BITS + rest.bits.trailing_zeros() as usize;
            each(slot);
            rest.bits &= rest.bits - 1;
        }
    }

    /// Whether anything was signalled since the last [`take`](Self::take): the
    /// cheap look a spinning loop takes. Loop thread only.
    pub(crate) fn is_signalled(&self) -> bool {
        // Relaxed: this only decides whether to stop waiting; the `take` that
        // follows acquires what it needs.
        self.wake.load(Ordering::Relaxed) != EMPTY
    }

    /// Announces that the loop sleeps: from now until the next `take`, the first
    /// notification (or a stop) calls the parker's `unpark`. Returns false, and
    /// announces nothing, if anything was signalled since the last take (or the
    /// park is already announced). Loop thread only.
    pub(crate) fn announce_park(&self) -> bool {
        // Relaxed both ways: success publishes nothing (a notifier reads PARKED only
        // to decide to unpark); failure means something is waiting, and `take`
        // acquires it. The RMW, not the ordering, is what rules out a lost wakeup.
        self.wake
            .compare_exchange(EMPTY, PARKED, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// Announces that the loop sleeps and sleeps until signalled. Returns at once
    /// if anything was signalled since the last take. Loop thread only.
    pub(crate) fn park(&self, parker: &impl Park) {
        #[cfg(rearm_loom)]
        if self.faulty_park(parker) {
            return;
        }
        if !self.announce_park() {
            return;
        }
        // The parker may return spuriously (signals, a stale eventfd count, a
        // fault-injecting wrapper): only a changed word ends the sleep.
        while self.wake.load(Ordering::Relaxed) == PARKED {
            parker.park(&self.wake, PARKED);
        }
    }

    /// As [`park`](Self::park), but gives up when the parker's clock reaches
    /// `deadline_ns`. Returns whether it gave up so, with the announcement
    /// withdrawn. Loop thread only.
    pub(crate) fn park_until(&self, parker: &impl Park, deadline_ns: u64) -> bool {
        if !self.announce_park() {
            return false;
        }
        while self.wake.load(Ordering::Relaxed) == PARKED {
            if parker.park_until(&self.wake, PARKED, deadline_ns) {
                return self.withdraw_park();
            }
        }
        false
    }

    /// Takes back an announced park whose deadline passed. Returns `false`
    /// when a notification or a stop changed the word first: it stays for
    /// the next take.
    fn withdraw_park(&self) -> bool {
        #[cfg(rearm_loom)]
        if self.fault == Fault::TimeoutStoresEmpty {
            self.wake.store(EMPTY, Ordering::Relaxed);
            return true;
        }
        // A compare-exchange, not a store: a notifier's `fetch_or` that landed
        // after the parker gave up must survive, or its notification is lost.
        // Relaxed both ways, as in `announce_park`: failure means something
        // is pending, and the next `take` acquires it; a notifier that reads
        // the word after the success finds it EMPTY and leaves the loop alone.
        self.wake
            .compare_exchange(PARKED, EMPTY, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// The negative control's park, under `cfg(rearm_loom)` only: with
    /// [`Fault::StoreParked`] it announces the park with a plain store, which
    /// can overwrite a notification that just landed. Returns whether it
    /// parked that way.
    #[cfg(rearm_loom)]
    fn faulty_park(&self, parker: &impl Park) -> bool {
        if self.fault != Fault::StoreParked {
            return false;
        }
        self.wake.store(PARKED, Ordering::Relaxed);
        while self.wake.load(Ordering::Relaxed) == PARKED {
            parker.park(&self.wake, PARKED);
        }
        true
    }

    /// Whether `slot`'s bit is set: a notification is pending. For the ledger.
    pub(crate) fn is_pending<S: SpillGroups>(&self, slot: usize, spill: &S) -> bool {
        if slot < DIRECT_SLOTS {
            // Relaxed: as below.
            return self.wake.load(Ordering::Relaxed) & (1 << (FLAG_BITS + slot as u32)) != 0;
        }
        let (group, bit) = (slot / BITS, 1usize << (slot % BITS));
        // Relaxed: ledgers are read at quiescent points, ordered by whatever made
        // them quiescent (a join, a stop).
        self.group(spill, group).load(Ordering::Relaxed) & bit != 0
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use crate::park::SpinPark;

    /// The loom models, the callback-panic tests and the fuzz harnesses pick
    /// slots by where they live (park word, group word, summary class): they
    /// name these numbers, so a change of layout must revisit them.
    #[test]
    fn layout_is_what_the_tests_name() {
        assert_eq!(DIRECT_SLOTS, 22);
        assert_eq!(BITS * GROUPS_PER_CLASS, 512);
        assert_eq!(BITS * OWN_GROUPS, 4096);
        assert_eq!(MAX_CAPACITY, 32_768);
        assert_eq!(summary_bit(BITS - 1), 1 << 31);
        // The first group past the ready set's own wraps to class 0.
        assert_eq!(summary_bit(OWN_GROUPS), summary_bit(0));
        assert_eq!(
            summary_bit(OWN_GROUPS + GROUPS_PER_CLASS),
            summary_bit(GROUPS_PER_CLASS)
        );
    }

    /// The group words of a large loop past the ready set's own, counting
    /// every look at them.
    struct Spill<const GROUPS: usize> {
        words: [AtomicUsize; GROUPS],
        looks: core::cell::Cell<usize>,
    }

    impl<const GROUPS: usize> Spill<GROUPS> {
        fn new() -> Self {
            Spill {
                words: core::array::from_fn(|_| AtomicUsize::new(0)),
                looks: core::cell::Cell::new(0),
            }
        }

        fn word(&self, group: usize) -> usize {
            self.words[group].load(Ordering::Relaxed)
        }
    }

    impl<const GROUPS: usize> SpillGroups for Spill<GROUPS> {
        const GROUPS: usize = GROUPS;

        fn spill_group(&self, group: usize) -> &AtomicUsize {
            assert!(group >= OWN_GROUPS, "group {group} is the ready set's own");
            self.looks.set(self.looks.get() + 1);
            &self.words[group]
        }
    }

    /// A ready set, the spilled words of a loop of `GROUPS` group words, and
    /// a parker to mark with.
    fn parts<const GROUPS: usize>() -> (ReadySet, Spill<GROUPS>, SpinPark) {
        (ReadySet::new(), Spill::new(), SpinPark::new())
    }

    /// Every slot `take` hands on, in order (at most 8).
    fn take_all<S: SpillGroups>(ready: &ReadySet, spill: &S) -> ([usize; 8], usize) {
        let (mut slots, mut n) = ([usize::MAX; 8], 0);
        ready.take(
            spill,
            |slot| {
                slots[n] = slot;
                n += 1;
            },
            &|_| {},
        );
        (slots, n)
    }

    #[test]
    fn a_large_loop_keeps_its_first_groups_in_the_ready_set() {
        let (ready, spill, parker) = parts::<128>();
        assert_eq!(ready.mark(DIRECT_SLOTS, &spill, &parker), Mark::Set);
        assert_eq!(ready.mark(4095, &spill, &parker), Mark::Set);
        assert_eq!(ready.groups[0].load(Ordering::Relaxed), 1 << DIRECT_SLOTS);
        assert_eq!(ready.groups[63].load(Ordering::Relaxed), 1 << 63);
        assert_eq!(spill.looks.get(), 0);
        assert_eq!(ready.mark(4096, &spill, &parker), Mark::Set);
        assert_eq!(ready.mark(4096, &spill, &parker), Mark::AlreadySet);
        assert_eq!((spill.word(64), spill.word(65)), (1, 0));
        assert!(ready.is_pending(4096, &spill) && !ready.is_pending(4097, &spill));
    }

    /// Class 1 holds group 8 and, past the ready set's own, group 72: one
    /// take hands on both, in order, and looks at no other spilled group.
    #[test]
    fn a_take_wraps_a_class_into_the_spilled_groups_and_no_further() {
        let (ready, spill, parker) = parts::<128>();
        for slot in [72 * BITS + 5, 8 * BITS] {
            ready.mark(slot, &spill, &parker);
        }
        spill.looks.set(0);
        let (slots, n) = take_all(&ready, &spill);
        assert_eq!(slots[..n], [8 * BITS, 72 * BITS + 5]);
        assert_eq!(spill.looks.get(), GROUPS_PER_CLASS);
        assert_eq!(spill.word(72), 0);
        assert!(!ready.is_signalled());
    }

    /// A loop whose last run of groups is short (70 groups: 64 to 69 are
    /// spilled, all in class 0) looks only at the groups it has.
    #[test]
    fn a_take_stops_at_the_last_group_of_the_loop() {
        let (ready, spill, parker) = parts::<70>();
        ready.mark(69 * BITS + 63, &spill, &parker);
        spill.looks.set(0);
        let (slots, n) = take_all(&ready, &spill);
        assert_eq!(slots[..n], [69 * BITS + 63]);
        assert_eq!(spill.looks.get(), 6);
    }
}
