//! Arrival prediction: when notifications come at a steady period, the wait
//! sleeps with a deadline until a margin before the next one is due, then
//! spins the margin, so that it answers as a spinning wait does for little
//! more than the CPU of a park.
//!
//! The estimates are those of TCP's retransmission timer (RFC 6298): a
//! smoothed gap moved an eighth of the way to each new gap, and a smoothed
//! deviation a quarter of the way to each new absolute error. Arrivals count
//! as steady while the deviation is at most an eighth of the gap.
//!
//! What it costs: the margin it spins on each side of the expected arrival
//! is at most twice what a park costs the thread (learnt by
//! [`ParkCost`](super::park_cost)), so a predicted wait costs at most one
//! park plus four parks' worth of spinning. Half a park each side would keep
//! the default wait's bound (twice parking at once), but a timed sleep that
//! ends 5 to 15 µs late, as a futex's does on a virtual machine even with
//! no timer slack, then always wakes after the arrival, and the prediction
//! never catches one (measured: `docs/results.md`). A margin that would have
//! to be longer still (jitter, or a condition variable under the kernel's
//! default 50 µs timer slack) is cut: the arrival then comes during the
//! timed sleep, which is then just a park. Arrivals that are not steady get
//! the usual wait.

/// Gaps seen before any prediction: the estimates settle first.
const WARM_UP: u32 = 8;

/// The smallest margin spun before a predicted arrival, on top of the
/// timed park's usual lateness and the arrivals' deviation: a wake that
/// comes a little late still spins a little before the arrival.
const MIN_MARGIN_NS: u64 = 1_000;

/// A gap longer than this is not predicted: a park's deadline so far away
/// saves nothing worth a guess (and the estimates stay in range).
const LONGEST_GAP_NS: u64 = 1_000_000_000;

/// What a runner has learnt of its arrivals.
#[derive(Clone, Debug, Default)]
pub(crate) struct ArrivalClock {
    enabled: bool,
    /// When the last arrival was seen.
    last: Option<u64>,
    /// Smoothed gap between arrivals.
    gap: u64,
    /// Smoothed absolute error of the gap.
    deviation: u64,
    /// Gaps seen (saturating).
    gaps: u32,
    /// Smoothed lateness of a timed park's wake past its deadline.
    late: u64,
}

/// A predicted wait: park until `wake`, then spin until the arrival or
/// `give_up`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prediction {
    pub(crate) wake: u64,
    pub(crate) give_up: u64,
}

impl ArrivalClock {
    pub(crate) fn new(enabled: bool) -> Self {
        ArrivalClock {
            enabled,
            ..ArrivalClock::default()
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// A notification was seen at `now`.
    pub(crate) fn arrived(&mut self, now: u64) {
        if let Some(last) = self.last {
            let gap = now.saturating_sub(last).min(LONGEST_GAP_NS);
            if self.gaps == 0 {
                self.gap = gap;
                self.deviation = gap / 2;
            } else {
                let error = self.gap.abs_diff(gap);
                self.deviation = self.deviation - self.deviation / 4 + error / 4;
                self.gap = self.gap - self.gap / 8 + gap / 8;
            }
            self.gaps = self.gaps.saturating_add(1);
        }
        self.last = Some(now);
    }

    /// A timed park meant to end at a deadline ended `ns` after it.
    pub(crate) fn woke_late(&mut self, ns: u64) {
        let ns = ns.min(LONGEST_GAP_NS);
        self.late = self.late - self.late / 8 + ns / 8;
    }

    /// The margin spun before a predicted arrival.
    fn margin(&self) -> u64 {
        self.late
            .saturating_add(self.deviation.saturating_mul(4))
            .saturating_add(MIN_MARGIN_NS)
    }

    /// How to wait at `now` for the next arrival, if arrivals are steady and
    /// the margin costs no more than a park (`park_cost_ns`).
    pub(crate) fn predict(&self, now: u64, park_cost_ns: u64) -> Option<Prediction> {
        if !self.enabled || self.gaps < WARM_UP || self.deviation > self.gap / 8 {
            return None;
        }
        // At most two parks' cost each side of the arrival (see the top).
        let margin = self.margin().min(park_cost_ns * 2);
        let expected = self.last?.saturating_add(self.gap);
        let wake = expected.checked_sub(margin)?;
        // Already inside the margin, or past the arrival: the usual wait.
        if wake <= now {
            return None;
        }
        Some(Prediction {
            wake,
            give_up: expected.saturating_add(margin),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady(clock: &mut ArrivalClock, from: u64, gap: u64, count: u64) -> u64 {
        let mut at = from;
        for _ in 0..count {
            clock.arrived(at);
            at += gap;
        }
        at - gap
    }

    #[test]
    fn steady_arrivals_are_predicted_a_margin_early() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 50_000, 20);
        let margin = clock.margin();
        assert!((MIN_MARGIN_NS..2 * MIN_MARGIN_NS).contains(&margin));
        let p = clock.predict(last + 1_000, 5_000).unwrap();
        assert_eq!(p.wake, last + 50_000 - margin);
        assert_eq!(p.give_up, last + 50_000 + margin);
    }

    #[test]
    fn nothing_is_predicted_when_disabled_warming_up_or_irregular() {
        let mut off = ArrivalClock::new(false);
        let last = steady(&mut off, 0, 50_000, 20);
        assert_eq!(off.predict(last, 5_000), None);

        let mut early = ArrivalClock::new(true);
        let last = steady(&mut early, 0, 50_000, 5);
        assert_eq!(early.predict(last, 5_000), None);

        let mut irregular = ArrivalClock::new(true);
        let mut at = 0;
        for i in 0..40 {
            at += if i % 2 == 0 { 10_000 } else { 90_000 };
            irregular.arrived(at);
        }
        assert_eq!(irregular.predict(at, 5_000), None);
    }

    #[test]
    fn the_margin_is_at_most_two_parks_each_side() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 50_000, 20);
        for _ in 0..40 {
            clock.woke_late(60_000);
        }
        let p = clock.predict(last, 5_000).unwrap();
        assert_eq!(p.give_up - p.wake, 20_000);
    }
}
