//! What parking costs this loop: its thread's CPU time per park (the spin
//! cap), and how long parked waits slept (what a yield is weighed against).

use super::running_mean;

/// The park cost assumed until the first sample, and for parkers without a
/// thread CPU clock: about what a futex sleep and wake costs the sleeping
/// thread on Linux.
pub(crate) const DEFAULT_PARK_COST_NS: u64 = 5_000;

/// The spin cap is never below this: a wait shorter than a sleeping
/// thread's wake-up is answered sooner by spinning than by parking, and a
/// loop notified every few microseconds should answer within one.
pub(crate) const SHORTEST_SPIN_NS: u64 = 8_000;

/// The learnt cost is kept within these: a sample outside them is a clock
/// glitch or a thread stopped mid-park, not what parking costs.
const MIN_PARK_COST_NS: u64 = 500;
const MAX_PARK_COST_NS: u64 = 100_000;

/// A park that slept less than this many times the park cost was a near
/// miss: the notification came so soon after it that spinning a little
/// longer would have caught it.
pub(crate) const NEAR_MISS: u64 = 3;

/// Parks timed with the thread CPU clock: the first few (to learn quickly),
/// then one in this many (each costs two clock reads, often syscalls).
const SAMPLE_EVERY: u32 = 8;
const FIRST_SAMPLES: u32 = 8;

/// Running means of what parks cost and how long they slept.
#[derive(Clone, Debug)]
pub(crate) struct ParkCost {
    /// The thread's CPU time per park, in ns; 0 before the first sample.
    cpu_mean_ns: u64,
    /// Parks so far, to sample one in [`SAMPLE_EVERY`].
    parks: u32,
    /// How long parked waits slept, in ns (wall clock).
    sleep_mean_ns: u64,
    /// Whether the last park was a near miss, until the next wait has used
    /// its longer spin.
    near_miss: bool,
}

impl ParkCost {
    pub(crate) const fn new() -> Self {
        ParkCost {
            cpu_mean_ns: 0,
            parks: 0,
            sleep_mean_ns: 0,
            near_miss: false,
        }
    }

    /// Whether to read the thread CPU clock around the park about to be made.
    pub(crate) fn sample_next(&mut self) -> bool {
        self.parks = self.parks.wrapping_add(1);
        self.parks <= FIRST_SAMPLES || self.parks.is_multiple_of(SAMPLE_EVERY)
    }

    /// A sampled park cost the thread `ns` of CPU.
    pub(crate) fn cpu_sample(&mut self, ns: u64) {
        let ns = ns.clamp(MIN_PARK_COST_NS, MAX_PARK_COST_NS);
        self.cpu_mean_ns = if self.cpu_mean_ns == 0 {
            ns
        } else {
            running_mean(self.cpu_mean_ns, ns)
        };
    }

    /// A parked wait slept `ns` (until its notifier's wake ended it).
    pub(crate) fn slept(&mut self, ns: u64) {
        self.sleep_mean_ns = running_mean(self.sleep_mean_ns, ns);
        self.near_miss = ns < NEAR_MISS.saturating_mul(self.cost_ns());
    }

    /// How long the next wait may spin, in ns: the park cost (at least
    /// [`SHORTEST_SPIN_NS`]), or for the one wait after a near miss
    /// [`NEAR_MISS`] times the park cost. A loop whose notifier
    /// answers it (a ping-pong) and was itself asleep answers only after its
    /// own wake; a loop that parks rather than wait for that puts its
    /// notifier to sleep too, and both go on parking, each answer costing two
    /// wakes. One longer spin after a near miss breaks that chain; where
    /// notifications are simply far apart, the spin budget has fallen to
    /// nothing and no wait spins at all.
    pub(crate) fn spin_limit_ns(&mut self) -> u64 {
        let cap = self.cost_ns().max(SHORTEST_SPIN_NS);
        if core::mem::take(&mut self.near_miss) {
            cap.max(NEAR_MISS.saturating_mul(self.cost_ns()))
        } else {
            cap
        }
    }

    /// What a park costs this loop's thread, in ns of CPU.
    pub(crate) fn cost_ns(&self) -> u64 {
        if self.cpu_mean_ns == 0 {
            DEFAULT_PARK_COST_NS
        } else {
            self.cpu_mean_ns
        }
    }

    /// How long parked waits lately slept, in ns.
    pub(crate) fn sleep_mean_ns(&self) -> u64 {
        self.sleep_mean_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_is_assumed_until_learnt_then_follows_the_samples() {
        let mut p = ParkCost::new();
        assert_eq!(p.cost_ns(), DEFAULT_PARK_COST_NS);
        p.cpu_sample(12_000);
        assert_eq!(p.cost_ns(), 12_000);
        for _ in 0..200 {
            p.cpu_sample(3_000);
        }
        assert!((3_000..3_100).contains(&p.cost_ns()), "{}", p.cost_ns());
    }

    #[test]
    fn samples_outside_the_plausible_range_are_clamped() {
        let mut p = ParkCost::new();
        p.cpu_sample(0);
        assert_eq!(p.cost_ns(), MIN_PARK_COST_NS);
        let mut p = ParkCost::new();
        p.cpu_sample(u64::MAX);
        assert_eq!(p.cost_ns(), MAX_PARK_COST_NS);
    }

    #[test]
    fn a_near_miss_extends_the_next_spin_only() {
        let mut p = ParkCost::new();
        p.cpu_sample(5_000);
        assert_eq!(p.spin_limit_ns(), SHORTEST_SPIN_NS);
        p.slept(14_999);
        assert_eq!(p.spin_limit_ns(), 15_000);
        // For one wait only.
        assert_eq!(p.spin_limit_ns(), SHORTEST_SPIN_NS);
        p.slept(15_000);
        assert_eq!(p.spin_limit_ns(), SHORTEST_SPIN_NS);
        // A park dearer than the shortest cap is the cap.
        let mut p = ParkCost::new();
        p.cpu_sample(20_000);
        p.slept(1_000_000);
        assert_eq!(p.spin_limit_ns(), 20_000);
    }

    #[test]
    fn the_first_parks_then_one_in_eight_are_sampled() {
        let mut p = ParkCost::new();
        let sampled: [bool; 32] = core::array::from_fn(|_| p.sample_next());
        let expected: [bool; 32] = core::array::from_fn(|i| i < 8 || (i + 1) % 8 == 0);
        assert_eq!(sampled, expected);
    }
}
