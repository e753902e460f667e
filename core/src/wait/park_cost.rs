//! What parking costs this loop: its thread's CPU time per park (the spin
//! cap), and how long parked waits slept (what a yield is weighed against).

use super::running_mean;

/// The park cost assumed until the first sample, and for parkers without a
/// thread CPU clock: about what a futex sleep and wake costs the sleeping
/// thread on Linux.
pub(crate) const DEFAULT_PARK_COST_NS: u64 = 5_000;

/// The learnt cost is kept within these: a sample outside them is a clock
/// glitch or a thread stopped mid-park, not what parking costs.
const MIN_PARK_COST_NS: u64 = 500;
const MAX_PARK_COST_NS: u64 = 100_000;

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
}

impl ParkCost {
    pub(crate) const fn new() -> Self {
        ParkCost {
            cpu_mean_ns: 0,
            parks: 0,
            sleep_mean_ns: 0,
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
    fn the_first_parks_then_one_in_eight_are_sampled() {
        let mut p = ParkCost::new();
        let sampled: [bool; 32] = core::array::from_fn(|_| p.sample_next());
        let expected: [bool; 32] = core::array::from_fn(|i| i < 8 || (i + 1) % 8 == 0);
        assert_eq!(sampled, expected);
    }
}
