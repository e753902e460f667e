//! The spin budget: how many spin steps the next wait may take, raised while
//! spinning pays and halved while it does not.

/// Probe interval bounds, in waits.
const FIRST_PROBE_INTERVAL: u32 = 16;
const LAST_PROBE_INTERVAL: u32 = 4096;

/// Additive increase, multiplicative decrease, with probes while small.
#[derive(Clone, Debug)]
pub(crate) struct SpinBudget {
    max_spins: u32,
    budget: u32,
    probe_interval: u32,
    waits_since_probe: u32,
    probing: bool,
}

impl SpinBudget {
    pub(crate) fn new(max_spins: u32) -> Self {
        SpinBudget {
            max_spins,
            budget: max_spins / 4,
            probe_interval: FIRST_PROBE_INTERVAL,
            waits_since_probe: 0,
            probing: false,
        }
    }

    /// Spin steps the next wait may take.
    pub(crate) fn next(&mut self) -> u32 {
        self.probing = false;
        if self.budget < self.max_spins / 8 {
            self.waits_since_probe += 1;
            if self.waits_since_probe >= self.probe_interval {
                self.waits_since_probe = 0;
                self.probing = true;
                return self.max_spins;
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
        self.budget = grown.max(steps.saturating_mul(2)).min(self.max_spins);
    }

    /// The wait spun out (its budget, or the time cap) and had to yield or park.
    pub(crate) fn spun_out(&mut self) {
        if self.probing {
            self.probe_interval = (self.probe_interval * 2).min(LAST_PROBE_INTERVAL);
        }
        self.budget /= 2;
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
        let mut b = SpinBudget::new(4096);
        let start = b.next();
        b.spun_out();
        assert_eq!(b.budget(), start / 2);
        b.next();
        b.spun(start);
        assert_eq!(b.budget(), 2 * start);
    }

    #[test]
    fn a_tiny_budget_grows_by_at_least_one_step() {
        let mut b = SpinBudget::new(4096);
        while b.budget() > 2 {
            b.spun_out();
        }
        assert_eq!(b.budget(), 2);
        b.next();
        // An eighth of 2 is nothing; the added step makes it grow anyway.
        b.spun(1);
        assert_eq!(b.budget(), 3);
    }

    #[test]
    fn a_budget_of_an_eighth_is_not_small_and_never_probes() {
        let max_spins = 4096;
        let mut b = SpinBudget::new(max_spins);
        b.spun_out(); // 1024 halves to 512: exactly an eighth
        assert_eq!(b.budget(), max_spins / 8);
        for _ in 0..4 * FIRST_PROBE_INTERVAL {
            assert_eq!(b.next(), max_spins / 8);
        }
    }

    #[test]
    fn small_budget_probes_with_full_spin_and_backs_off() {
        let max_spins = 4096;
        let mut b = SpinBudget::new(max_spins);
        // Every wait fails: note when probes (full-budget waits) happen.
        let mut probes = [0u32; 12];
        let mut found = 0;
        for wait in 0..40_000 {
            if b.next() == max_spins && found < probes.len() {
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
        while b.next() != max_spins {
            b.spun_out();
        }
        b.spun(100);
        assert_eq!(b.budget(), 200);
        assert_eq!(b.probe_interval, FIRST_PROBE_INTERVAL);
    }

    #[test]
    fn park_at_once_never_spins() {
        let mut b = SpinBudget::new(0);
        for _ in 0..100 {
            assert_eq!(b.next(), 0);
            b.spun_out();
        }
    }
}
