//! Writing a sleeping parker of your own: here on `std::thread::park`, with
//! the sleeping thread registered so that a notifier knows whom to wake.
//!
//! The contract (see `rearm_core::park::Park`): `park(word, expected)` must not sleep
//! through a change of the word made before or during the call; `unpark` is
//! called only after the word changed. Spurious returns are fine: the loop
//! looks at the word again.
use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::Thread;
use std::time::Duration;

/// Sleeps with `std::thread::park`; wakes the thread that last slept here.
#[derive(Default)]
struct RegisteredPark {
    /// The thread that sleeps (or last slept) here. Successive runners may
    /// drive the loop from different threads, so it is written at every park.
    sleeper: Mutex<Option<Thread>>,
}

impl Park for RegisteredPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        // Register first, then look at the word. A notifier changes the word,
        // then reads the registration under the same lock: either it finds us
        // (and its unpark makes `thread::park` return, even if it comes first)
        // or it read before we registered, and then we see its change below.
        *self.sleeper.lock().unwrap_or_else(PoisonError::into_inner) = Some(std::thread::current());
        if word.load(Ordering::Acquire) == expected {
            std::thread::park();
        }
    }

    fn unpark(&self, _word: &ParkWord) {
        if let Some(sleeper) = &*self.sleeper.lock().unwrap_or_else(PoisonError::into_inner) {
            sleeper.unpark();
        }
    }

    /// With a clock the adaptive wait learns what a park costs here.
    fn now_ns(&self) -> Option<u64> {
        static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        Some(
            EPOCH
                .get_or_init(std::time::Instant::now)
                .elapsed()
                .as_nanos() as u64,
        )
    }
}

fn main() {
    const JOBS: u32 = 5;
    let lp: Loop<RegisteredPark, 1> = Loop::new(RegisteredPark::default());
    let done = AtomicU32::new(0);
    std::thread::scope(|s| {
        let loop_thread = s.spawn(|| {
            let mut on_job = || {
                done.fetch_add(1, Ordering::Release);
                Action::Rearm
            };
            let mut runner = CallbackRunner::new(&lp).expect("the loop's only runner");
            runner.arm(0, &mut on_job).expect("slot 0 is free");
            let exit = runner.run(RunMode::UntilDone);
            (exit, runner.wait_counts())
        });
        let to_loop = lp.handle(0).expect("slot 0 exists");
        while lp.state(0) != Ok(rearm_core::SlotState::Active) {
            std::thread::yield_now(); // a notification before arming is dropped
        }
        for job in 1..=JOBS {
            std::thread::sleep(Duration::from_millis(2)); // long enough to sleep
            to_loop.notify();
            while done.load(Ordering::Acquire) < job {
                std::thread::yield_now();
            }
        }
        lp.stop();
        let (exit, waits) = loop_thread.join().expect("the loop thread");
        println!(
            "{JOBS} jobs, {} callbacks, run ended {exit:?}; waits: {} (spun {}, yielded {}, parked {})",
            done.load(Ordering::Acquire),
            waits.waits,
            waits.spun,
            waits.yielded,
            waits.parked
        );
        assert_eq!(exit, Exit::Stopped);
        assert!(waits.parked >= 1, "the loop never slept");
    });
    println!("ledger: {}", lp.ledger(0).expect("slot 0 exists"));
    assert!(lp.ledger(0).expect("slot 0 exists").is_conserved());
}
