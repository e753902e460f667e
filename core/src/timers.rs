//! The runner's timers: at most one per slot, kept in an indexed binary heap
//! ordered by when each is due, in arrays sized by the loop's capacity.
//!
//! Why a heap and not a timing wheel: arming and cancelling cost O(log n)
//! and finding the next one due O(1), at any spread of deadlines and with
//! nanosecond resolution; a wheel costs O(1) but rounds deadlines to its tick
//! and must either be sized for the longest delay or cascade. The wait needs
//! "the next deadline" on every park, which a heap has at its root. With one
//! timer per slot, a slot index is the timer's identity, and `pos` finds it
//! in the heap for a cancel without a search. The due times sit beside the
//! heap's slots, by heap position, so that a sift compares two neighbours in
//! one cache line rather than chasing each child's slot to its due time; a
//! firing moves its timer down to the bottom and back up (as std's
//! `BinaryHeap::pop` does), since a periodic timer's next due time belongs
//! near the bottom. Nothing is allocated: the four arrays are fixed by
//! `CAP`, and a full set cannot happen (every slot may hold a timer, no
//! more).

/// Marks a slot with no timer in `pos`. Slot indices stay below
/// [`MAX_CAPACITY`](crate::MAX_CAPACITY), which is below it.
const NONE: u16 = u16::MAX;

const _: () = assert!(crate::MAX_CAPACITY <= NONE as usize);

/// Timers a slack window's walk visits before it takes the window as dense
/// (see [`TimerSet::wake_at`]): it bounds the walk that every timed wait
/// makes.
const SLACK_SCAN: usize = 64;

/// What a runner's timers did since it was made: every timer set is
/// accounted for, like every notification in a [`Ledger`](crate::Ledger).
///
/// `set == expired + cancelled + active` always holds (see
/// [`check`](TimerCounts::check)): a timer set is still active, or it fired
/// for the last time (a one-shot timer that fired, or any timer whose
/// callback disarmed its slot), or it was cancelled (by
/// [`HandlerRunner::cancel_timer`](crate::HandlerRunner::cancel_timer), by setting a
/// new timer on its slot, or by the slot's disarm).
///
/// ```
/// use rearm_core::TimerCounts;
///
/// let counts = TimerCounts::default();
/// assert!(counts.check());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TimerCounts {
    /// Timers set.
    pub set: u64,
    /// Firings: each ran a callback (a periodic timer fires many times).
    pub fired: u64,
    /// Periods a periodic timer skipped because the loop came too late for
    /// them (it fires once, and keeps its phase).
    pub skipped: u64,
    /// Timers that fired for the last time.
    pub expired: u64,
    /// Timers cancelled before they expired.
    pub cancelled: u64,
    /// Timers set and not yet expired or cancelled.
    pub active: u64,
}

impl TimerCounts {
    /// Whether every timer set is accounted for:
    /// `set == expired + cancelled + active`.
    ///
    /// ```
    /// use rearm_core::TimerCounts;
    ///
    /// assert!(TimerCounts::default().check());
    /// ```
    #[must_use]
    pub fn check(&self) -> bool {
        self.expired
            .checked_add(self.cancelled)
            .and_then(|sum| sum.checked_add(self.active))
            == Some(self.set)
    }
}

/// At most one timer per slot, ordered by when each is due.
pub(crate) struct TimerSet<const CAP: usize> {
    /// Slots with a timer, as a binary min-heap on `keys`.
    heap: [u16; CAP],
    /// When the timer at each heap position is due, on the parker's clock.
    keys: [u64; CAP],
    len: usize,
    /// Where each slot sits in `heap`, or [`NONE`].
    pos: [u16; CAP],
    /// Each slot's period; 0 for a timer that fires once.
    period: [u64; CAP],
    counts: TimerCounts,
}

impl<const CAP: usize> TimerSet<CAP> {
    pub(crate) const fn new() -> Self {
        TimerSet {
            heap: [0; CAP],
            keys: [0; CAP],
            len: 0,
            pos: [NONE; CAP],
            period: [0; CAP],
            counts: TimerCounts {
                set: 0,
                fired: 0,
                skipped: 0,
                expired: 0,
                cancelled: 0,
                active: 0,
            },
        }
    }

    pub(crate) fn counts(&self) -> TimerCounts {
        self.counts
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// When the next timer is due, if any is set.
    pub(crate) fn next_due(&self) -> Option<u64> {
        (self.len > 0).then(|| self.keys[0])
    }

    /// When a wait for the timers should end: when the next one is due, or,
    /// with `slack`, the latest due time within `slack` of it, so that the
    /// timers due that close together fire in one wake and none fires more
    /// than `slack` late. A timer with no other within `slack` after it still
    /// fires on time.
    ///
    /// The timers due by a limit form a subtree at the heap's root, walked
    /// here without a stack; the walk stops after [`SLACK_SCAN`] of them,
    /// and then the window is dense: its end is where the most fire at once.
    pub(crate) fn wake_at(&self, slack: u64) -> Option<u64> {
        let first = self.next_due()?;
        if slack == 0 {
            return Some(first);
        }
        let limit = first.saturating_add(slack);
        let within = |at: usize| at < self.len && self.key(at) <= limit;
        let (mut at, mut latest) = (0, first);
        for _ in 0..SLACK_SCAN {
            latest = latest.max(self.key(at));
            // Pre-order: down to a child in the window, the left first;
            // otherwise up to the nearest left child whose right sibling is.
            let left = 2 * at + 1;
            if within(left) {
                at = left;
                continue;
            }
            if within(left + 1) {
                at = left + 1;
                continue;
            }
            loop {
                if at == 0 {
                    return Some(latest);
                }
                if at % 2 == 1 && within(at + 1) {
                    at += 1;
                    break;
                }
                at = (at - 1) / 2;
            }
        }
        Some(limit)
    }

    /// When `slot`'s timer is due, if it has one.
    pub(crate) fn due(&self, slot: usize) -> Option<u64> {
        let at = self.pos[slot];
        (at != NONE).then(|| self.keys[usize::from(at)])
    }

    /// Sets `slot`'s timer (replacing, and counting as cancelled, any it had).
    pub(crate) fn set(&mut self, slot: usize, due: u64, period: u64) {
        self.cancel(slot);
        self.counts.set += 1;
        self.counts.active += 1;
        self.period[slot] = period;
        let at = self.len;
        self.len += 1;
        self.sift_up(at, slot, due);
    }

    /// Cancels `slot`'s timer. Returns whether it had one.
    pub(crate) fn cancel(&mut self, slot: usize) -> bool {
        if !self.remove(slot) {
            return false;
        }
        self.counts.cancelled += 1;
        true
    }

    /// The slot whose timer is due first, if it is due at `now`.
    pub(crate) fn due_at(&self, now: u64) -> Option<usize> {
        (self.len > 0 && self.keys[0] <= now).then(|| usize::from(self.heap[0]))
    }

    /// `slot`'s timer fired at `now` and its callback returned, keeping the
    /// slot armed: a periodic timer is due again one period after it was due
    /// (later periods that `now` already passed are skipped, so the phase is
    /// kept); any other expires.
    pub(crate) fn fired(&mut self, slot: usize, now: u64) {
        self.counts.fired += 1;
        let period = self.period[slot];
        if period == 0 {
            self.remove(slot);
            self.counts.expired += 1;
            return;
        }
        let at = usize::from(self.pos[slot]);
        let due = self.keys[at];
        // Periods wholly passed since it was due, beyond the one it fired for
        // (the division only when there are some: it costs tens of cycles,
        // on every firing of a loop that keeps up).
        let behind = now.saturating_sub(due);
        let late = if behind < period { 0 } else { behind / period };
        self.counts.skipped += late;
        let next = due.saturating_add(period.saturating_mul(late + 1));
        // Later than before: it only moves down.
        let bottom = self.hole_to_bottom(at);
        self.sift_up(bottom, slot, next);
    }

    /// `slot`'s timer fired and its callback disarmed the slot: its last firing.
    pub(crate) fn fired_last(&mut self, slot: usize) {
        self.counts.fired += 1;
        if self.remove(slot) {
            self.counts.expired += 1;
        }
    }

    /// Takes `slot`'s timer out of the heap, uncounted.
    fn remove(&mut self, slot: usize) -> bool {
        let at = self.pos[slot];
        if at == NONE {
            return false;
        }
        let at = usize::from(at);
        self.pos[slot] = NONE;
        self.counts.active -= 1;
        self.len -= 1;
        if at < self.len {
            // The last timer fills the hole. It may belong above or below
            // it; sinking the hole to the bottom and sifting up from there
            // finds its place either way (it usually belongs low: it was
            // last).
            let (last, key) = (usize::from(self.heap[self.len]), self.keys[self.len]);
            let bottom = self.hole_to_bottom(at);
            self.sift_up(bottom, last, key);
        }
        true
    }

    /// Puts `slot`, due at `key`, at heap position `at`.
    fn place(&mut self, at: usize, slot: usize, key: u64) {
        // Both fit: `at` < CAP and `slot` < CAP <= MAX_CAPACITY < NONE.
        self.heap[at] = slot as u16;
        self.keys[at] = key;
        self.pos[slot] = at as u16;
    }

    fn key(&self, at: usize) -> u64 {
        self.keys[at]
    }

    /// Places `slot`, due at `key`, in the hole at `at` or above it, moving
    /// later parents down.
    fn sift_up(&mut self, mut at: usize, slot: usize, key: u64) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.keys[parent] <= key {
                break;
            }
            let above = usize::from(self.heap[parent]);
            self.place(at, above, self.keys[parent]);
            at = parent;
        }
        self.place(at, slot, key);
    }

    /// Moves the hole at `at` down to the bottom, the earlier child up at
    /// each level (one comparison a level, not two), and returns where the
    /// hole ends: the caller fills it with [`sift_up`](Self::sift_up).
    ///
    /// Which child is earlier is as likely one as the other, so the choice
    /// is arithmetic, not a branch: a branch would be mispredicted on about
    /// half the levels (std's `BinaryHeap` chooses the same way). Hence the
    /// loop runs while both children exist, and a last lone left child is
    /// taken after it.
    fn hole_to_bottom(&mut self, mut at: usize) -> usize {
        let len = self.len;
        let mut left = 2 * at + 1;
        while left + 1 < len {
            // The right child only when the left is due strictly later: on a
            // tie either may move up.
            let child = left + usize::from(self.keys[left] > self.keys[left + 1]);
            let below = usize::from(self.heap[child]);
            self.place(at, below, self.keys[child]);
            at = child;
            left = 2 * at + 1;
        }
        if left + 1 == len {
            let below = usize::from(self.heap[left]);
            self.place(at, below, self.keys[left]);
            at = left;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap's order: every parent is due no later than its children, and
    /// `pos` is `heap`'s inverse.
    fn assert_heap<const CAP: usize>(set: &TimerSet<CAP>) {
        for at in 0..set.len {
            let slot = usize::from(set.heap[at]);
            assert_eq!(usize::from(set.pos[slot]), at);
            if at > 0 {
                assert!(set.key((at - 1) / 2) <= set.key(at));
            }
        }
        let placed = set.pos.iter().filter(|&&p| p != NONE).count();
        assert_eq!(placed, set.len);
        assert!(set.counts.check());
    }

    #[test]
    fn timers_come_due_in_order_of_their_deadlines() {
        let mut set = TimerSet::<8>::new();
        for (slot, due) in [(0, 50), (1, 10), (2, 40), (3, 20), (4, 30)] {
            set.set(slot, due, 0);
            assert_heap(&set);
        }
        set.cancel(2);
        assert_heap(&set);
        let mut order = [0; 4];
        for seen in &mut order {
            let slot = set.due_at(u64::MAX).unwrap();
            *seen = slot;
            set.fired(slot, 100);
            assert_heap(&set);
        }
        assert_eq!(order, [1, 3, 4, 0]);
        assert!(set.is_empty());
        assert_eq!(set.counts().expired, 4);
        assert_eq!(set.counts().cancelled, 1);
    }

    /// The wake time `wake_at` must give, found by scanning every timer.
    fn latest_within<const CAP: usize>(set: &TimerSet<CAP>, slack: u64) -> Option<u64> {
        let first = set.next_due()?;
        (0..set.len)
            .map(|at| set.key(at))
            .filter(|&due| due <= first.saturating_add(slack))
            .max()
    }

    #[test]
    fn a_slack_window_wakes_for_its_latest_timer_and_a_lone_timer_on_time() {
        let mut set = TimerSet::<8>::new();
        assert_eq!(set.wake_at(50), None);
        set.set(0, 1_000, 0);
        assert_eq!(set.wake_at(0), Some(1_000));
        assert_eq!(set.wake_at(50), Some(1_000), "nothing to take along");
        set.set(1, 1_040, 0);
        set.set(2, 1_051, 0);
        set.set(3, 1_020, 0);
        assert_eq!(set.wake_at(0), Some(1_000));
        assert_eq!(set.wake_at(50), Some(1_040));
        assert_eq!(set.wake_at(51), Some(1_051));
        assert_eq!(set.wake_at(u64::MAX), Some(1_051), "no overflow");
    }

    #[test]
    fn a_slack_window_finds_its_latest_timer_wherever_the_heap_holds_it() {
        // Deadlines scattered by a multiplicative hash, so that the window's
        // timers sit in every shape of subtree.
        let mut set = TimerSet::<48>::new();
        for slot in 0..48 {
            set.set(slot, (slot as u64).wrapping_mul(0x9E37_79B9) % 1_000, 0);
            assert_heap(&set);
            for slack in [0, 1, 7, 30, 100, 400, 999, 5_000] {
                assert_eq!(
                    set.wake_at(slack),
                    latest_within(&set, slack),
                    "{slot} timers, slack {slack}"
                );
            }
        }
    }

    #[test]
    fn a_dense_slack_window_wakes_at_its_end() {
        let mut set = TimerSet::<{ 2 * SLACK_SCAN }>::new();
        for slot in 0..2 * SLACK_SCAN {
            set.set(slot, 1_000 + slot as u64, 0);
        }
        // More timers in the window than the walk visits: its end.
        assert_eq!(set.wake_at(500), Some(1_500));
        // One fewer than the walk's bound: the latest, exactly.
        assert_eq!(
            set.wake_at(SLACK_SCAN as u64 - 2),
            Some(1_000 + SLACK_SCAN as u64 - 2)
        );
    }

    #[test]
    fn a_late_periodic_timer_skips_the_periods_it_missed_and_keeps_its_phase() {
        let mut set = TimerSet::<1>::new();
        set.set(0, 100, 10);
        assert_eq!(set.due_at(99), None);
        set.fired(0, 135);
        assert_eq!(set.due(0), Some(140));
        assert_eq!(set.counts().skipped, 3);
    }
}
