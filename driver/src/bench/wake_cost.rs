//! The O(1) wake claim, measured: one loop holding H armed asyncs, one random
//! async notified at a time and its callback run, on one thread so that no
//! cross-core latency hides the cost of finding the ready async. libuv scans
//! every async handle of a loop on each wakeup; rearm takes ready bits.
//!
//! One thread, whose runs never wait (`RunMode::NoWait`): nothing can stall
//! or lose a wake, so it needs neither the other modes' helper threads nor
//! their watchdog.

use crate::harness::on_large_stack;
use crate::sys::{Backend, xorshift64};
use rearm_core::{Action, CallbackRunner, Loop, MAX_CAPACITY, RunMode, SpinPolicy};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Locked instructions in one notify and its callback, for a slot in the park
/// word (below [`rearm_core::DIRECT_SLOTS`]): the notifier's count and
/// `fetch_or`, the loop's `swap`.
pub const RMWS_DIRECT: u32 = 3;

/// Locked instructions in one notify and its callback for any other slot,
/// when nothing else is pending (as here): the count, the group bit, the
/// summary bit; the loop's two `swap`s.
pub const RMWS_GROUP: u32 = 5;

/// The cost of one notify + callback with `asyncs` armed asyncs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WakeCost {
    /// Armed asyncs in the loop.
    pub asyncs: usize,
    /// Notify + callback rounds timed.
    pub rounds: u64,
    /// Time for all of them.
    pub elapsed: Duration,
}

impl WakeCost {
    /// Nanoseconds per notify + callback.
    pub fn ns_per_callback(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e9 / self.rounds as f64
    }
}

/// Times `rounds` notify-and-run rounds on a loop with `asyncs` armed asyncs
/// (1 to [`MAX_CAPACITY`]), each round notifying a pseudo-random one. Returns
/// `None` for an `asyncs` out of range or a callback count that does not match.
pub fn run<B: Backend>(asyncs: usize, rounds: u64) -> std::io::Result<Option<WakeCost>> {
    if asyncs == 0 || asyncs > MAX_CAPACITY || rounds == 0 {
        return Ok(None);
    }
    // On the smallest of these loops that holds them, as an embedder would
    // size one: up to 4096 asyncs, a loop whose group words are all the
    // ready set's own (on 64-bit targets), as in earlier results.
    on_large_stack(|| match asyncs {
        0..=4096 => run_on::<B, 4096>(asyncs, rounds),
        4097..=8192 => run_on::<B, 8192>(asyncs, rounds),
        8193..=16384 => run_on::<B, 16384>(asyncs, rounds),
        _ => run_on::<B, MAX_CAPACITY>(asyncs, rounds),
    })
}

/// [`run`] on a loop of `CAP` slots.
fn run_on<B: Backend, const CAP: usize>(
    asyncs: usize,
    rounds: u64,
) -> std::io::Result<Option<WakeCost>> {
    let lp: Box<Loop<B, CAP>> = Box::new(Loop::new(B::open()?));
    let mut calls = vec![0u64; asyncs];
    let mut callbacks: Vec<_> = calls
        .iter_mut()
        .map(|count| {
            move || {
                *count += 1;
                Action::Rearm
            }
        })
        .collect();
    let Ok(runner) = CallbackRunner::new(&*lp) else {
        return Ok(None);
    };
    let mut runner = runner.with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    for (slot, cb) in callbacks.iter_mut().enumerate() {
        if runner.arm(slot, cb).is_err() {
            return Ok(None);
        }
    }
    let handles: Vec<_> = (0..asyncs).filter_map(|s| lp.handle(s).ok()).collect();
    // Pseudo-random, deterministic, and spread over every group word of the
    // ready bitmap.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let start = Instant::now();
    for _ in 0..rounds {
        state = xorshift64(state);
        handles[(state % asyncs as u64) as usize].notify();
        runner.run(RunMode::NoWait);
    }
    let elapsed = start.elapsed();
    drop(runner);
    drop(callbacks);
    let total: u64 = calls.iter().sum();
    Ok((total == rounds).then_some(WakeCost {
        asyncs,
        rounds,
        elapsed,
    }))
}

/// Nanoseconds per uncontended read-modify-write (`fetch_add` on a word no
/// other thread touches), timed over `rounds`: the floor under a wake, since
/// a notify and its callback take [`RMWS_DIRECT`] or [`RMWS_GROUP`] of them,
/// each a full barrier on x86. Returns 0 for no rounds.
pub fn locked_rmw_ns(rounds: u64) -> f64 {
    if rounds == 0 {
        return 0.0;
    }
    let word = AtomicU64::new(0);
    let start = Instant::now();
    for _ in 0..rounds {
        // black_box: the compiler may not merge or drop the increments.
        // Relaxed: the word publishes nothing, and x86 locks the instruction
        // whatever the ordering (the core's Release RMWs cost the same).
        black_box(&word).fetch_add(1, Ordering::Relaxed);
    }
    let elapsed = start.elapsed();
    // Relaxed: one thread; the load only keeps the count observable.
    black_box(word.load(Ordering::Relaxed));
    elapsed.as_secs_f64() * 1e9 / rounds as f64
}
