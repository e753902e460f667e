//! Fault injection: a parker wrapper that, at pseudo-random points, returns
//! spuriously instead of sleeping, delays before sleeping or waking, and yields
//! in spin steps. A correct protocol re-checks the word and loses nothing;
//! `driver --inject-faults` and the tests run the benchmarks under it.

use super::{Backend, BackendKind, Syscalls};
use rearm_core::park::{Park, ParkWord};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Seeds for new parkers, so that no two share a sequence.
static SEEDS: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);

/// How long an injected delay lasts: about a futex wake's cost, so delays
/// shift timing without dominating it.
const DELAY: Duration = Duration::from_micros(20);

/// The step of xorshift64: cheap, deterministic pseudo-random numbers (never
/// zero from a non-zero state). The fault injector's dice, and the wake
/// benchmark's choice of slot.
pub fn xorshift64(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// `P`, with faults injected into every hook.
#[derive(Debug)]
pub struct FaultyPark<P> {
    inner: P,
    rng: AtomicU64,
    faults: AtomicU64,
}

impl<P> FaultyPark<P> {
    /// Wraps `inner`.
    pub fn new(inner: P) -> Self {
        FaultyPark {
            inner,
            rng: AtomicU64::new(SEEDS.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) | 1),
            faults: AtomicU64::new(0),
        }
    }

    /// Faults injected so far.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// The next pseudo-random number. Several threads may race here and draw
    /// the same number: harmless, it only decides faults.
    fn roll(&self) -> u64 {
        let x = xorshift64(self.rng.load(Ordering::Relaxed));
        self.rng.store(x, Ordering::Relaxed);
        x
    }

    fn fault(&self) {
        self.faults.fetch_add(1, Ordering::Relaxed);
    }
}

impl<P: Park> Park for FaultyPark<P> {
    fn park(&self, word: &ParkWord, expected: u32) {
        match self.roll() % 8 {
            // Return without sleeping: the caller must re-check the word.
            0 => self.fault(),
            1 => {
                self.fault();
                std::thread::sleep(DELAY);
                self.inner.park(word, expected);
            }
            2 => {
                self.fault();
                std::thread::yield_now();
                self.inner.park(word, expected);
            }
            _ => self.inner.park(word, expected),
        }
    }

    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        match self.roll() % 8 {
            // Return without sleeping, and without the timeout.
            0 => {
                self.fault();
                false
            }
            1 => {
                self.fault();
                std::thread::sleep(DELAY);
                self.inner.park_until(word, expected, deadline_ns)
            }
            _ => self.inner.park_until(word, expected, deadline_ns),
        }
    }

    fn unpark(&self, word: &ParkWord) {
        match self.roll() % 8 {
            0 => {
                self.fault();
                std::thread::sleep(DELAY);
            }
            1 => {
                self.fault();
                std::thread::yield_now();
            }
            _ => {}
        }
        self.inner.unpark(word);
    }

    fn relax(&self) {
        if self.roll().is_multiple_of(64) {
            self.fault();
            std::thread::yield_now();
        } else {
            self.inner.relax();
        }
    }

    fn yield_now(&self) {
        if self.roll().is_multiple_of(8) {
            self.fault();
            std::thread::sleep(DELAY);
        }
        self.inner.yield_now();
    }

    fn now_ns(&self) -> Option<u64> {
        self.inner.now_ns()
    }

    fn busy_ns(&self) -> Option<u64> {
        self.inner.busy_ns()
    }

    fn thread_cpu_ns(&self) -> Option<u64> {
        self.inner.thread_cpu_ns()
    }
}

impl<P: Backend> Backend for FaultyPark<P> {
    const KIND: BackendKind = P::KIND;

    fn open() -> io::Result<Self> {
        Ok(FaultyPark::new(P::open()?))
    }

    fn syscalls(&self) -> Syscalls {
        self.inner.syscalls()
    }

    fn shared_syscalls() -> Syscalls {
        P::shared_syscalls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::FutexPark;

    /// Calls of each hook in the tests below: enough that each kind of fault,
    /// drawn with probability 1/8, lands within a few percent of its share.
    const CALLS: u64 = 4000;

    /// A parker whose word never holds what the parks expect: the inner
    /// futex wait returns at once, and counts itself.
    fn faulty_futex() -> (FaultyPark<FutexPark>, ParkWord) {
        (FaultyPark::new(FutexPark::new()), ParkWord::new(1))
    }

    /// `count` is within `low..=high`, said with the share it should be near.
    fn assert_near(what: &str, count: u64, low: u64, high: u64) {
        assert!(
            (low..=high).contains(&count),
            "{what}: {count} of {CALLS}, expected {low}..={high}"
        );
    }

    #[test]
    fn xorshift64_is_the_13_7_17_step() {
        // Marsaglia's xorshift64 with shifts 13, 7, 17, from 1.
        assert_eq!(xorshift64(1), 1_082_269_761);
        assert_eq!(xorshift64(1_082_269_761), 1_152_992_998_833_853_505);
        // Never zero from a non-zero state, and no short cycle.
        let mut x = 1;
        for _ in 0..100_000 {
            x = xorshift64(x);
            assert_ne!(x, 0);
            assert_ne!(x, 1);
        }
    }

    #[test]
    fn three_parks_in_eight_are_faulted_and_one_in_eight_never_sleeps() {
        let (park, word) = faulty_futex();
        for _ in 0..CALLS {
            park.park(&word, 0);
        }
        // Faults 0, 1 and 2 of 8: a spurious return, a delay, a yield.
        assert_near(
            "faults",
            park.faults(),
            CALLS * 3 / 8 - 200,
            CALLS * 3 / 8 + 200,
        );
        // Only fault 0 returns without reaching the inner parker.
        assert_near(
            "inner waits",
            park.inner.waits(),
            CALLS * 7 / 8 - 150,
            CALLS * 7 / 8 + 150,
        );
    }

    #[test]
    fn two_unparks_in_eight_are_delayed_and_every_one_wakes() {
        let (park, word) = faulty_futex();
        for _ in 0..CALLS {
            park.unpark(&word);
        }
        // Faults 0 and 1 of 8: a delay and a yield, each before the wake.
        assert_near("faults", park.faults(), CALLS / 4 - 150, CALLS / 4 + 150);
        assert_eq!(park.inner.wakes(), CALLS);
    }

    #[test]
    fn one_spin_step_in_sixty_four_yields_and_one_yield_in_eight_sleeps() {
        let (park, _) = faulty_futex();
        for _ in 0..CALLS {
            park.relax();
        }
        assert_near(
            "relax faults",
            park.faults(),
            CALLS / 64 - 40,
            CALLS / 64 + 60,
        );
        let after_relax = park.faults();
        for _ in 0..CALLS {
            park.yield_now();
        }
        assert_near(
            "yield faults",
            park.faults() - after_relax,
            CALLS / 8 - 150,
            CALLS / 8 + 150,
        );
        // Every yield reaches the inner parker, faulted or not.
        assert_eq!(park.inner.yields(), CALLS);
    }

    /// The fault injector passes every clock through: each reading lies
    /// between two of the inner parker's, taken before and after it.
    #[test]
    fn a_faulty_parker_reads_its_inner_parkers_clocks() {
        use crate::sys::EventfdPark;
        fn same_clocks<P: Park>(faulty: &FaultyPark<P>) {
            let clocks: [fn(&dyn Park) -> Option<u64>; 3] =
                [|p| p.now_ns(), |p| p.busy_ns(), |p| p.thread_cpu_ns()];
            for (i, clock) in clocks.into_iter().enumerate() {
                let readings = (clock(&faulty.inner), clock(faulty), clock(&faulty.inner));
                let (Some(before), Some(read), Some(after)) = readings else {
                    panic!("clock {i}: a reading is missing: {readings:?}");
                };
                assert!(
                    (before..=after).contains(&read),
                    "clock {i}: {read} is not between {before} and {after}"
                );
            }
        }
        same_clocks(&FaultyPark::new(FutexPark::new()));
        same_clocks(&FaultyPark::new(EventfdPark::new().unwrap()));
    }
}
