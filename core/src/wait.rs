//! How long a loop spins before it sleeps, and how that adapts.

/// Bounds for a loop's spin-then-yield-then-park wait.
///
/// Waking a thread that sleeps costs tens of microseconds on a typical VM (a
/// futex wake plus a scheduler round trip), while a cache-line round trip
/// between two running cores costs well under a microsecond. So a loop whose
/// peer is running should spin a little before sleeping, and a loop whose peer
/// cannot run (one CPU, oversubscribed threads) should not spin at all: every spin step there delays the very thread it waits
/// for. No fixed count serves both, so the budget adapts:
///
/// - a wait that ends while spinning after `i` steps raises the budget by an
///   eighth, and to at least `2 * i`, so the next similar wait also ends by
///   spinning;
/// - a wait that spins out its budget halves it: sleeping (or yielding) was
///   needed, so the spinning was wasted. (Additive increase, multiplicative
///   decrease: an occasional slow reply costs one halving, which a few good
///   waits undo, instead of ratcheting the budget down to the typical reply.)
/// - while the budget is small, every so often one wait spins the full
///   `max_spins` as a probe, so a peer that became reachable again is found; the
///   probe interval doubles after each failed probe (up to 4096 waits), which caps
///   what probing costs on one CPU.
///
/// Between spinning and parking the loop offers the CPU `yields` times
/// ([`Park::yield_now`](crate::Park::yield_now)): with the peer on the same CPU
/// that is the cheapest way to let it run and answer, cheaper than a sleep and
/// a wake. But a yield hands the CPU to
/// whichever thread the scheduler picks: with other busy processes beside the
/// loop it sometimes costs a whole time slice, and a yielding thread, unlike a
/// woken one, gets no preference when the peer answers. Where the parker has a
/// clock ([`Park::now_ns`](crate::Park::now_ns)), one yield in eight is timed:
///
/// - one that took longer than `SLOW_YIELD_NS` (a time slice) ends the
///   yielding: this wait parks, and so do the next waits, 16 at first,
///   doubling with each such yield up to 4096, halving with each fast one;
/// - a running mean of what timed yields cost does the same while it exceeds
///   both `YIELD_WORTH_NS` (about a sleep and a wake) and the running mean of
///   how long parked waits slept: beside busy processes most yields are
///   short and a few lose a whole time slice, which no test of one yield
///   sees but the mean does; a woken thread may wait for a time slice too,
///   and then parking is no cheaper than yielding;
/// - a slow yield during which the process kept its CPUs busy
///   ([`Park::busy_ns`](crate::Park::busy_ns), read around timed yields once
///   a slow one was seen) went to the loop's own threads, which needed the
///   CPU (more threads than CPUs: parking there would slow them), and counts
///   for neither.
///
/// What each of these choices was measured to gain or cost is in the
/// repository's `docs/results.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpinPolicy {
    /// Upper bound on spin steps ([`Park::relax`](crate::Park::relax) calls) per wait.
    pub max_spins: u32,
    /// Yields between spinning and parking.
    pub yields: u32,
}

impl SpinPolicy {
    /// Never spin, never yield: park as soon as nothing is ready. For model
    /// checking, and for loops that must not use a CPU they do not need.
    pub const PARK_AT_ONCE: SpinPolicy = SpinPolicy {
        max_spins: 0,
        yields: 0,
    };
}

impl Default for SpinPolicy {
    /// `max_spins` = 4096 spin-loop hints (some tens of microseconds on current
    /// x86: about the cost of the wake it saves), `yields` = 2.
    fn default() -> Self {
        SpinPolicy {
            max_spins: 4096,
            yields: 2,
        }
    }
}

/// Probe interval bounds, in waits; also the bounds of the slow-yield backoff.
const FIRST_PROBE_INTERVAL: u32 = 16;
const LAST_PROBE_INTERVAL: u32 = 4096;

/// A yield that takes longer than this went to a thread that ran a time slice
/// (Linux gives at least 0.75 ms), not to a peer that answered: a yield to a
/// peer on the same CPU takes a few microseconds, or up to about 100 µs when
/// the peer happens to be spinning a full probe. A futex sleep and wake costs
/// ~40 µs on the VM the benchmarks run on.
pub(crate) const SLOW_YIELD_NS: u64 = 500_000;

/// One yield in this many is timed: the clock costs two reads, and a thread
/// that keeps taking slow yields is found within a few waits anyway.
const TIMED_YIELD_EVERY: u32 = 8;

/// A mean yield cost above this makes waits park rather than yield: a futex
/// sleep and wake costs ~40 µs on the 2-vCPU VM, and a yield that costs more
/// on average than that is not worth making.
pub(crate) const YIELD_WORTH_NS: u64 = 50_000;

/// A timed yield or a parked wait counts in its mean as at most this long: a
/// stopped process makes one of them last as long as the stop, and one such
/// sample must not outweigh hundreds of others.
const LONGEST_SAMPLE_NS: u64 = 4_000_000;

/// `mean` moved a sixteenth of the way to `sample` (capped at
/// [`LONGEST_SAMPLE_NS`]): a cost seen once in thirty samples shows in it,
/// and stays for tens of samples.
fn running_mean(mean: u64, sample: u64) -> u64 {
    mean - (mean >> 4) + (sample.min(LONGEST_SAMPLE_NS) >> 4)
}

/// Timed yields after a slow one around which [`Park::busy_ns`] is read.
///
/// [`Park::busy_ns`]: crate::Park::busy_ns
const BRACKETED_YIELDS: u32 = 256;

/// The adaptive state behind a [`SpinPolicy`]: one per runner.
#[derive(Clone, Debug)]
pub(crate) struct SpinBudget {
    policy: SpinPolicy,
    budget: u32,
    probe_interval: u32,
    waits_since_probe: u32,
    probing: bool,
    /// Waits left that park without yielding, after a slow yield.
    yieldless_waits: u32,
    /// How many waits the next slow yield makes yieldless.
    yield_backoff: u32,
    /// Yields so far, to time one in [`TIMED_YIELD_EVERY`].
    yields_made: u32,
    /// Running mean of timed yields, in ns, leaving out slow ones that went to
    /// the process's own threads.
    yield_mean_ns: u64,
    /// Timed yields left to read the parker's `busy_ns` around.
    bracketed_left: u32,
    /// Running mean of how long parked waits slept, in ns.
    park_mean_ns: u64,
}

impl SpinBudget {
    pub(crate) fn new(policy: SpinPolicy) -> Self {
        SpinBudget {
            policy,
            budget: policy.max_spins / 4,
            probe_interval: FIRST_PROBE_INTERVAL,
            waits_since_probe: 0,
            probing: false,
            yieldless_waits: 0,
            yield_backoff: FIRST_PROBE_INTERVAL,
            yields_made: 0,
            yield_mean_ns: 0,
            bracketed_left: 0,
            park_mean_ns: 0,
        }
    }

    /// Spin steps the next wait may take.
    pub(crate) fn next(&mut self) -> u32 {
        self.probing = false;
        if self.budget < self.policy.max_spins / 8 {
            self.waits_since_probe += 1;
            if self.waits_since_probe >= self.probe_interval {
                self.waits_since_probe = 0;
                self.probing = true;
                return self.policy.max_spins;
            }
        }
        self.budget
    }

    /// The wait ended while spinning, after `steps` steps.
    pub(crate) fn spun(&mut self, steps: u32) {
        // Work that was already there (no step taken) says nothing about
        // whether spinning pays.
        if steps == 0 {
            return;
        }
        if self.probing {
            self.probe_interval = FIRST_PROBE_INTERVAL;
        }
        // Additive increase (an eighth), multiplicative decrease (in
        // `spun_out`): one unlucky wait halves the budget, a few good ones
        // restore it, so rare long replies cannot ratchet it down to the
        // typical reply time, where every slightly slower reply would fail.
        let grown = self.budget.saturating_add(self.budget / 8 + 1);
        self.budget = grown
            .max(steps.saturating_mul(2))
            .min(self.policy.max_spins);
    }

    /// The wait spun out its budget and had to yield or park.
    pub(crate) fn spun_out(&mut self) {
        if self.probing {
            self.probe_interval = (self.probe_interval * 2).min(LAST_PROBE_INTERVAL);
        }
        self.budget /= 2;
    }

    /// Yields the wait that just spun out may make.
    pub(crate) fn yields(&mut self) -> u32 {
        if self.yieldless_waits > 0 {
            self.yieldless_waits -= 1;
            return 0;
        }
        self.policy.yields
    }

    /// Whether to time the yield about to be made.
    pub(crate) fn time_next_yield(&mut self) -> bool {
        self.yields_made = self.yields_made.wrapping_add(1);
        self.yields_made % TIMED_YIELD_EVERY == 1
    }

    /// Whether to read the parker's `busy_ns` around the timed yield about to
    /// be made: only for a while after a slow yield, as it may cost a syscall.
    pub(crate) fn bracket_next_yield(&self) -> bool {
        self.bracketed_left > 0
    }

    /// A timed yield took `ns` nanoseconds, during which the process's
    /// `busy_ns` advanced by `busy_ns` (if it was read). Returns whether the
    /// wait should park now rather than yield again.
    pub(crate) fn yield_took(&mut self, ns: u64, busy_ns: Option<u64>) -> bool {
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
        // starts the bracketing, and the backoff below handles it as before.
        if !slow || (counts_against && busy_ns.is_some()) {
            self.yield_mean_ns = running_mean(self.yield_mean_ns, ns);
        }
        // Yields too dear: dearer than a sleep and wake could be, and dearer
        // than parked waits have lately been.
        let too_dear = self.yield_mean_ns > YIELD_WORTH_NS.max(self.park_mean_ns);
        if !counts_against && !too_dear {
            // Trust comes back slowly: where busy threads share the CPU, yields
            // are fast when they happen to reach the peer and slow otherwise,
            // and one lucky yield must not bring the slow ones back.
            self.yield_backoff = (self.yield_backoff / 2).max(FIRST_PROBE_INTERVAL);
            return false;
        }
        self.yieldless_waits = self.yield_backoff;
        self.yield_backoff = (self.yield_backoff * 2).min(LAST_PROBE_INTERVAL);
        true
    }

    /// A parked wait slept `ns` nanoseconds (until its peer's wake ended it).
    pub(crate) fn parked_for(&mut self, ns: u64) {
        self.park_mean_ns = running_mean(self.park_mean_ns, ns);
    }

    /// The current budget, for reports.
    pub(crate) fn budget(&self) -> u32 {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_halves_when_spinning_fails_and_grows_when_it_succeeds() {
        let mut b = SpinBudget::new(SpinPolicy::default());
        let start = b.next();
        b.spun_out();
        assert_eq!(b.budget(), start / 2);
        b.next();
        b.spun(start);
        assert_eq!(b.budget(), 2 * start);
    }

    #[test]
    fn small_budget_probes_with_full_spin_and_backs_off() {
        let policy = SpinPolicy::default();
        let mut b = SpinBudget::new(policy);
        // Every wait fails: note when probes (full-budget waits) happen.
        let mut probes = [0u32; 12];
        let mut found = 0;
        for wait in 0..40_000 {
            if b.next() == policy.max_spins && found < probes.len() {
                probes[found] = wait;
                found += 1;
            }
            b.spun_out();
        }
        assert_eq!(b.budget(), 0);
        assert_eq!(found, probes.len());
        // After the first, each gap doubles, until it reaches the last interval.
        let gaps: [u32; 11] = core::array::from_fn(|i| probes[i + 1] - probes[i]);
        for pair in gaps.windows(2) {
            assert_eq!(pair[1], (pair[0] * 2).min(LAST_PROBE_INTERVAL), "{gaps:?}");
        }
        assert_eq!(gaps[10], LAST_PROBE_INTERVAL);
        // A successful probe restores a useful budget and probing resumes often.
        while b.next() != policy.max_spins {
            b.spun_out();
        }
        b.spun(100);
        assert_eq!(b.budget(), 200);
        assert_eq!(b.probe_interval, FIRST_PROBE_INTERVAL);
    }

    #[test]
    fn a_slow_yield_makes_waits_park_with_doubling_backoff() {
        let mut b = SpinBudget::new(SpinPolicy::default());
        assert_eq!(b.yields(), 2);
        assert!(!b.yield_took(SLOW_YIELD_NS, None));
        assert_eq!(b.yields(), 2);
        // Every yield slow: yieldless stretches of 16, 32, 64, ... waits.
        let mut stretches = [0u32; 10];
        for stretch in stretches.iter_mut() {
            assert!(b.yield_took(SLOW_YIELD_NS + 1, None));
            while b.yields() == 0 {
                *stretch += 1;
            }
        }
        assert_eq!(
            stretches,
            [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 4096]
        );
        // Each fast yield halves the backoff, down to 16 waits.
        assert!(!b.yield_took(1_000, None));
        assert!(b.yield_took(SLOW_YIELD_NS + 1, None));
        assert_eq!((0..4096).filter(|_| b.yields() == 0).count(), 2048);
        for _ in 0..10 {
            assert!(!b.yield_took(1_000, None));
        }
        assert!(b.yield_took(SLOW_YIELD_NS + 1, None));
        assert_eq!((0..100).filter(|_| b.yields() == 0).count(), 16);
    }

    #[test]
    fn a_slow_yield_to_the_process_own_threads_counts_for_nothing() {
        let mut b = SpinBudget::new(SpinPolicy::default());
        assert!(!b.bracket_next_yield());
        // Unknown destination: handled as slow, and brackets start.
        assert!(b.yield_took(3_000_000, None));
        assert!(b.bracket_next_yield());
        while b.yields() == 0 {}
        // The process kept its CPUs busy meanwhile: no backoff, no cost.
        for _ in 0..100 {
            assert!(!b.yield_took(3_000_000, Some(2_900_000)));
            assert_eq!(b.yields(), 2);
        }
        assert_eq!(b.yield_mean_ns, 0);
    }

    #[test]
    fn slow_yields_to_other_processes_raise_the_mean_until_fast_ones_bring_it_down() {
        let mut b = SpinBudget::new(SpinPolicy::default());
        // The process got a tenth of its CPUs during a 3 ms yield.
        assert!(b.yield_took(3_000_000, Some(300_000)));
        assert!(b.yield_mean_ns > YIELD_WORTH_NS);
        // Fast yields still make waits park while the mean is high ...
        let mut fast = 0;
        while b.yield_took(5_000, Some(5_000)) {
            fast += 1;
        }
        // ... for as many as it takes the mean, at 1/16 a sample, to fall from
        // 187.5 µs to 50 µs (22 samples).
        assert_eq!(fast, 21);
        assert!(b.yield_mean_ns <= YIELD_WORTH_NS);
    }

    /// 30,000 waits that spin out, every yield timed as if the eighth: 29
    /// yields in 30 take 5 µs, the 30th a time slice of 3 ms given to another
    /// process (the process got a tenth of its CPUs meanwhile); a park sleeps
    /// `park_ns`. Returns how many waits yielded.
    fn yielding_waits(park_ns: u64) -> u32 {
        let mut b = SpinBudget::new(SpinPolicy::default());
        let (mut yielding, mut yields) = (0, 0u32);
        for _ in 0..30_000 {
            if b.yields() > 0 {
                yielding += 1;
                yields += 1;
                let ns = if yields % 30 == 0 { 3_000_000 } else { 5_000 };
                let busy = b.bracket_next_yield().then_some(ns / 10);
                if !b.yield_took(ns, busy) {
                    continue;
                }
            }
            b.parked_for(park_ns);
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
        let mut b = SpinBudget::new(SpinPolicy::default());
        b.yield_took(3_000_000, None);
        for _ in 0..BRACKETED_YIELDS {
            assert!(b.bracket_next_yield());
            b.yield_took(1_000, Some(1_000));
        }
        assert!(!b.bracket_next_yield());
    }

    #[test]
    fn one_yield_in_eight_is_timed() {
        let mut b = SpinBudget::new(SpinPolicy::default());
        let timed: [bool; 17] = core::array::from_fn(|_| b.time_next_yield());
        let at: [usize; 3] = [0, 8, 16];
        for (i, t) in timed.iter().enumerate() {
            assert_eq!(*t, at.contains(&i), "yield {i}");
        }
    }

    #[test]
    fn park_at_once_never_spins() {
        let mut b = SpinBudget::new(SpinPolicy::PARK_AT_ONCE);
        for _ in 0..100 {
            assert_eq!(b.next(), 0);
            b.spun_out();
        }
    }
}
