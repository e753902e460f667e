//! When to yield between spinning and parking: while yields are cheap, and
//! not after one lost a time slice to another process.

use super::running_mean;

/// A yield that takes longer than this went to a thread that ran a time slice
/// (Linux gives at least 0.75 ms), not to a notifier that answered: a yield to
/// one on the same CPU takes a few microseconds, or up to about 100 µs when it
/// happens to be spinning a full probe.
pub(crate) const SLOW_YIELD_NS: u64 = 500_000;

/// A mean yield cost above this makes waits park rather than yield: about
/// what a sleep and a wake cost in latency on a virtual machine.
pub(crate) const YIELD_WORTH_NS: u64 = 50_000;

/// One yield in this many is timed: the clock costs two reads, and a thread
/// that keeps taking slow yields is found within a few waits anyway.
const TIMED_YIELD_EVERY: u32 = 8;

/// Timed yields after a slow one around which the process's busy time is read.
const BRACKETED_YIELDS: u32 = 256;

/// Bounds of the yieldless stretch after a slow yield, in waits.
const FIRST_YIELD_BACKOFF: u32 = 16;
const LAST_YIELD_BACKOFF: u32 = 4096;

/// Whether the next waits yield, learnt from timed yields.
#[derive(Clone, Debug)]
pub(crate) struct YieldGate {
    /// Yields per wait, from the policy.
    yields: u32,
    /// Waits left that park without yielding, after a slow yield.
    yieldless_waits: u32,
    /// How many waits the next slow yield makes yieldless.
    backoff: u32,
    /// Yields so far, to time one in [`TIMED_YIELD_EVERY`].
    made: u32,
    /// Running mean of timed yields, in ns, leaving out slow ones that went to
    /// the process's own threads.
    mean_ns: u64,
    /// Timed yields left to read the process's busy time around.
    bracketed_left: u32,
}

impl YieldGate {
    pub(crate) fn new(yields: u32) -> Self {
        YieldGate {
            yields,
            yieldless_waits: 0,
            backoff: FIRST_YIELD_BACKOFF,
            made: 0,
            mean_ns: 0,
            bracketed_left: 0,
        }
    }

    /// Yields the wait that just spun out may make.
    pub(crate) fn yields(&mut self) -> u32 {
        if self.yieldless_waits > 0 {
            self.yieldless_waits -= 1;
            return 0;
        }
        self.yields
    }

    /// Whether to time the yield about to be made.
    pub(crate) fn time_next(&mut self) -> bool {
        self.made = self.made.wrapping_add(1);
        self.made % TIMED_YIELD_EVERY == 1
    }

    /// Whether to read the process's busy time around the timed yield about
    /// to be made: only for a while after a slow yield, as it may cost a
    /// syscall.
    pub(crate) fn bracket_next(&self) -> bool {
        self.bracketed_left > 0
    }

    /// A timed yield took `ns`, during which the process's busy time advanced
    /// by `busy_ns` (if it was read); parked waits lately slept
    /// `park_sleep_ns`. Returns whether the wait should park now rather than
    /// yield again.
    pub(crate) fn took(&mut self, ns: u64, busy_ns: Option<u64>, park_sleep_ns: u64) -> bool {
        let slow = ns > SLOW_YIELD_NS;
        self.bracketed_left = if slow {
            BRACKETED_YIELDS
        } else {
            self.bracketed_left.saturating_sub(1)
        };
        // Kept its CPUs at least three quarters busy: the yield went to the
        // process's own threads.
        let went_to_own_threads =
            busy_ns.is_some_and(|busy| busy.saturating_mul(4) >= ns.saturating_mul(3));
        let counts_against = slow && !went_to_own_threads;
        // A slow yield of unknown destination changes the mean not at all: it
        // starts the bracketing, and the backoff below handles it.
        if !slow || (counts_against && busy_ns.is_some()) {
            self.mean_ns = running_mean(self.mean_ns, ns);
        }
        // Yields too dear: dearer than a sleep and wake could be, and dearer
        // than parked waits have lately been.
        let too_dear = self.mean_ns > YIELD_WORTH_NS.max(park_sleep_ns);
        if !counts_against && !too_dear {
            // Trust comes back slowly: where busy threads share the CPU, yields
            // are fast when they happen to reach the notifier and slow
            // otherwise, and one lucky yield must not bring the slow ones back.
            self.backoff = (self.backoff / 2).max(FIRST_YIELD_BACKOFF);
            return false;
        }
        self.yieldless_waits = self.backoff;
        self.backoff = (self.backoff * 2).min(LAST_YIELD_BACKOFF);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::park_cost::ParkCost;
    use super::*;

    #[test]
    fn yields_exactly_as_dear_as_parked_waits_are_kept() {
        let mut g = YieldGate::new(2);
        // Yields of 60 µs: dearer than YIELD_WORTH_NS, nowhere near slow.
        for _ in 0..200 {
            g.took(60_000, None, u64::MAX);
        }
        let mean_after_next = super::super::running_mean(g.mean_ns, 60_000);
        assert!(mean_after_next > YIELD_WORTH_NS);
        // Parked waits have lately cost exactly what yields cost: parking
        // would not be cheaper, so the loop keeps yielding.
        assert!(!g.took(60_000, None, mean_after_next));
        // A nanosecond cheaper parks, and the loop stops yielding for a while.
        assert!(g.took(60_000, None, g.mean_ns - 1));
    }

    #[test]
    fn a_slow_yield_makes_waits_park_with_doubling_backoff() {
        let mut g = YieldGate::new(2);
        assert_eq!(g.yields(), 2);
        assert!(!g.took(SLOW_YIELD_NS, None, 0));
        assert_eq!(g.yields(), 2);
        // Every yield slow: yieldless stretches of 16, 32, 64, ... waits.
        let mut stretches = [0u32; 10];
        for stretch in stretches.iter_mut() {
            assert!(g.took(SLOW_YIELD_NS + 1, None, 0));
            while g.yields() == 0 {
                *stretch += 1;
            }
        }
        assert_eq!(
            stretches,
            [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 4096]
        );
        // Each fast yield halves the backoff, down to 16 waits.
        assert!(!g.took(1_000, None, 0));
        assert!(g.took(SLOW_YIELD_NS + 1, None, 0));
        assert_eq!((0..4096).filter(|_| g.yields() == 0).count(), 2048);
        for _ in 0..10 {
            assert!(!g.took(1_000, None, 0));
        }
        assert!(g.took(SLOW_YIELD_NS + 1, None, 0));
        assert_eq!((0..100).filter(|_| g.yields() == 0).count(), 16);
    }

    #[test]
    fn a_slow_yield_to_the_process_own_threads_counts_for_nothing() {
        let mut g = YieldGate::new(2);
        assert!(!g.bracket_next());
        // Unknown destination: handled as slow, and brackets start.
        assert!(g.took(3_000_000, None, 0));
        assert!(g.bracket_next());
        while g.yields() == 0 {}
        // The process kept its CPUs busy meanwhile: no backoff, no cost.
        for _ in 0..100 {
            assert!(!g.took(3_000_000, Some(2_900_000), 0));
            assert_eq!(g.yields(), 2);
        }
        assert_eq!(g.mean_ns, 0);
    }

    #[test]
    fn slow_yields_to_other_processes_raise_the_mean_until_fast_ones_bring_it_down() {
        let mut g = YieldGate::new(2);
        // The process got a tenth of its CPUs during a 3 ms yield.
        assert!(g.took(3_000_000, Some(300_000), 0));
        assert!(g.mean_ns > YIELD_WORTH_NS);
        // Fast yields still make waits park while the mean is high ...
        let mut fast = 0;
        while g.took(5_000, Some(5_000), 0) {
            fast += 1;
        }
        // ... for as many as it takes the mean, at 1/16 a sample, to fall from
        // 187.5 µs to 50 µs (22 samples).
        assert_eq!(fast, 21);
        assert!(g.mean_ns <= YIELD_WORTH_NS);
    }

    /// 30,000 waits that spin out, every yield timed as if the eighth: 29
    /// yields in 30 take 5 µs, the 30th a time slice of 3 ms given to another
    /// process (the process got a tenth of its CPUs meanwhile); a park sleeps
    /// `park_ns`. Returns how many waits yielded.
    fn yielding_waits(park_ns: u64) -> u32 {
        let (mut g, mut park) = (YieldGate::new(2), ParkCost::new());
        let (mut yielding, mut yields) = (0, 0u32);
        for _ in 0..30_000 {
            if g.yields() > 0 {
                yielding += 1;
                yields += 1;
                let ns = if yields % 30 == 0 { 3_000_000 } else { 5_000 };
                let busy = g.bracket_next().then_some(ns / 10);
                if !g.took(ns, busy, park.sleep_mean_ns()) {
                    continue;
                }
            }
            park.slept(park_ns);
        }
        yielding
    }

    #[test]
    fn one_slow_yield_in_thirty_makes_most_waits_park_when_parks_are_cheap() {
        // ~105 µs a yield on average against 50 µs a park: each yield alone
        // looks cheap or like one bad draw, the mean does not.
        let yielding = yielding_waits(50_000);
        assert!(yielding < 300, "{yielding} of 30000 waits yielded");
    }

    #[test]
    fn the_same_yields_are_mostly_kept_when_parks_cost_a_time_slice_too() {
        // Only the slow yields themselves (one in 30) make waits park, for a
        // backoff that the fast ones halve again.
        let yielding = yielding_waits(3_000_000);
        assert!(yielding > 15_000, "{yielding} of 30000 waits yielded");
    }

    #[test]
    fn brackets_end_after_enough_fast_yields() {
        let mut g = YieldGate::new(2);
        g.took(3_000_000, None, 0);
        for _ in 0..BRACKETED_YIELDS {
            assert!(g.bracket_next());
            g.took(1_000, Some(1_000), 0);
        }
        assert!(!g.bracket_next());
    }

    #[test]
    fn one_yield_in_eight_is_timed() {
        let mut g = YieldGate::new(2);
        let timed: [bool; 17] = core::array::from_fn(|_| g.time_next());
        let at: [usize; 3] = [0, 8, 16];
        for (i, t) in timed.iter().enumerate() {
            assert_eq!(*t, at.contains(&i), "yield {i}");
        }
    }
}
