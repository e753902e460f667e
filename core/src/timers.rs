//! The runner's timers: at most one per slot, kept in an indexed binary heap
//! ordered by when each is due, in arrays sized by the loop's capacity.
//!
//! Why a heap and not a timing wheel: arming and cancelling cost O(log n)
//! and finding the next one due O(1), at any spread of deadlines and with
//! nanosecond resolution; a wheel costs O(1) but rounds deadlines to its tick
//! and must either be sized for the longest delay or cascade. The wait needs
//! "the next deadline" on every park, which a heap has at its root. With one
//! timer per slot, a slot index is the timer's identity, and `pos` finds it
//! in the heap for a cancel without a search. Nothing is allocated: the four
//! arrays are fixed by `CAP`, and a full set cannot happen (every slot may
//! hold a timer, no more).

/// Marks a slot with no timer in `pos`. Slot indices stay below
/// [`MAX_CAPACITY`](crate::MAX_CAPACITY) (4096), far below it.
const NONE: u16 = u16::MAX;

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
    /// Slots with a timer, as a binary min-heap on `due`.
    heap: [u16; CAP],
    len: usize,
    /// Where each slot sits in `heap`, or [`NONE`].
    pos: [u16; CAP],
    /// When each slot's timer is due, on the parker's clock.
    due: [u64; CAP],
    /// Each slot's period; 0 for a timer that fires once.
    period: [u64; CAP],
    counts: TimerCounts,
}

impl<const CAP: usize> TimerSet<CAP> {
    pub(crate) const fn new() -> Self {
        TimerSet {
            heap: [0; CAP],
            len: 0,
            pos: [NONE; CAP],
            due: [0; CAP],
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
        (self.len > 0).then(|| self.due[usize::from(self.heap[0])])
    }

    /// When `slot`'s timer is due, if it has one.
    pub(crate) fn due(&self, slot: usize) -> Option<u64> {
        (self.pos[slot] != NONE).then(|| self.due[slot])
    }

    /// Sets `slot`'s timer (replacing, and counting as cancelled, any it had).
    pub(crate) fn set(&mut self, slot: usize, due: u64, period: u64) {
        self.cancel(slot);
        self.counts.set += 1;
        self.counts.active += 1;
        self.due[slot] = due;
        self.period[slot] = period;
        let at = self.len;
        self.len += 1;
        self.place(at, slot);
        self.sift_up(at);
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
        let slot = usize::from(*self.heap[..self.len].first()?);
        (self.due[slot] <= now).then_some(slot)
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
        let due = self.due[slot];
        // Periods wholly passed since it was due, beyond the one it fired for.
        let late = now.saturating_sub(due) / period;
        self.counts.skipped += late;
        self.due[slot] = due.saturating_add(period.saturating_mul(late + 1));
        let at = usize::from(self.pos[slot]);
        self.sift_down(at);
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
            let last = usize::from(self.heap[self.len]);
            self.place(at, last);
            // The moved timer may belong above or below its new place.
            self.sift_up(at);
            self.sift_down(usize::from(self.pos[last]));
        }
        true
    }

    fn place(&mut self, at: usize, slot: usize) {
        // Both fit: `at` < CAP and `slot` < CAP <= MAX_CAPACITY < NONE.
        self.heap[at] = slot as u16;
        self.pos[slot] = at as u16;
    }

    fn key(&self, at: usize) -> u64 {
        self.due[usize::from(self.heap[at])]
    }

    fn sift_up(&mut self, mut at: usize) {
        let slot = usize::from(self.heap[at]);
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.key(parent) <= self.due[slot] {
                break;
            }
            let above = usize::from(self.heap[parent]);
            self.place(at, above);
            at = parent;
        }
        self.place(at, slot);
    }

    fn sift_down(&mut self, mut at: usize) {
        let slot = usize::from(self.heap[at]);
        loop {
            let left = 2 * at + 1;
            if left >= self.len {
                break;
            }
            let right = left + 1;
            let child = if right < self.len && self.key(right) < self.key(left) {
                right
            } else {
                left
            };
            if self.due[slot] <= self.key(child) {
                break;
            }
            let below = usize::from(self.heap[child]);
            self.place(at, below);
            at = child;
        }
        self.place(at, slot);
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
