//! The core's spin parker: what it does with its relax strategy.
#![cfg(not(rearm_loom))]

use rearm_core::park::{Park, ParkWord, SpinPark};
use rearm_core::relax::Relax;
use std::sync::atomic::{AtomicU32, Ordering};

static STRATEGY_CALLS: AtomicU32 = AtomicU32::new(0);

struct Counting;

impl Relax for Counting {
    fn relax() {
        STRATEGY_CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Regression: `SpinPark::relax` called the relax strategy, so with
/// `rearm_core::relax::Yield` every spin step of the loop gave its CPU away; with
/// CPU-bound notifiers about (`async_pummel_4` on the spin backend) each wait
/// then cost a whole scheduler time slice, about 400 callbacks a second.
/// Spin steps must use the spin-loop hint; only yields and parking use `R`.
#[test]
fn spin_park_spin_steps_do_not_yield() {
    let parker: SpinPark<Counting> = SpinPark::new();
    for _ in 0..100 {
        parker.relax();
    }
    assert_eq!(STRATEGY_CALLS.load(Ordering::Relaxed), 0);
    parker.yield_now();
    assert_eq!(STRATEGY_CALLS.load(Ordering::Relaxed), 1);
    // Parking on a word that never changes would spin forever; one that has
    // already changed returns without passing time.
    parker.park(&ParkWord::new(1), 0);
    assert_eq!(STRATEGY_CALLS.load(Ordering::Relaxed), 1);
}

static PARK_STEPS: AtomicU32 = AtomicU32::new(0);

/// Counts the steps of a park, apart from `Counting` (tests run in parallel).
struct CountingParkSteps;

impl Relax for CountingParkSteps {
    fn relax() {
        PARK_STEPS.fetch_add(1, Ordering::Relaxed);
        std::hint::spin_loop();
    }
}

/// `park` on a word that still holds the expected value passes time with the
/// strategy until another thread changes the word, and returns only then.
#[test]
fn spin_park_waits_with_its_strategy_until_the_word_changes() {
    let parker: SpinPark<CountingParkSteps> = SpinPark::new();
    let word = ParkWord::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            word.store(1, Ordering::Relaxed);
        });
        parker.park(&word, 0);
        assert_eq!(word.load(Ordering::Relaxed), 1, "park returned early");
    });
    assert!(PARK_STEPS.load(Ordering::Relaxed) > 0);
}
