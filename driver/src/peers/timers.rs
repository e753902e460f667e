//! The timer benchmark's peers: what a program would use for periodic timers
//! without rearm. Each keeps its lateness the same way as rearm's run
//! ([`Lateness`]), on the same clock (`CLOCK_MONOTONIC`).

use crate::harness::lateness::{Lateness, TimerPoint, run_length};
use crate::sys;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One thread, a binary heap of (due, timer), and a condition variable's
/// timed wait until the first is due: the timer thread std gives you. With
/// `tight_slack`, the thread's timer slack is 1 ns, as rearm's Linux
/// parkers set it.
pub fn std_condvar(
    timers: usize,
    period: Duration,
    tight_slack: bool,
) -> Result<TimerPoint, String> {
    if tight_slack {
        rustix::thread::set_current_timer_slack(core::num::NonZeroU64::new(1))
            .map_err(|e| format!("timer slack: {e}"))?;
    }
    let start = sys::monotonic_ns() + 1_000_000;
    let end = start + run_length(timers, period).as_nanos() as u64;
    let mut lateness = Lateness::new(timers, period, start)?;
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = (0..timers)
        .map(|timer| Reverse((lateness.first_due(timer), timer)))
        .collect();
    // Nobody notifies it: the timed wait is the timer.
    let (lock, changed) = (Mutex::new(()), Condvar::new());
    let mut guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let cpu_before = sys::thread_cpu_ns();
    loop {
        let now = sys::monotonic_ns();
        if now >= end {
            break;
        }
        let Some(&Reverse((due, timer))) = heap.peek() else {
            break;
        };
        if due > now {
            let left = Duration::from_nanos(due.min(end) - now);
            guard = changed
                .wait_timeout(guard, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            continue;
        }
        heap.pop();
        let next = lateness.fired(timer, now);
        heap.push(Reverse((next, timer)));
    }
    let cpu = Duration::from_nanos(sys::thread_cpu_ns() - cpu_before);
    drop(guard);
    Ok(lateness.point(period, cpu, None))
}

/// tokio: one task per timer, each an `interval_at` (missed ticks skipped)
/// on a current-thread runtime, so that the runtime's one thread does all the
/// work and its CPU time is the loop thread's.
pub fn tokio_interval(timers: usize, period: Duration) -> Result<TimerPoint, String> {
    use std::cell::RefCell;
    use std::rc::Rc;
    use tokio::time::{MissedTickBehavior, interval_at};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let start_ns = sys::monotonic_ns() + 1_000_000;
    let length = run_length(timers, period);
    let lateness = Rc::new(RefCell::new(Lateness::new(timers, period, start_ns)?));
    // tokio's deadlines are Instants; the same points, on the same clock
    // (Instant is CLOCK_MONOTONIC on Linux).
    let origin_ns = sys::monotonic_ns();
    let origin = Instant::now();
    let at = |ns: u64| origin + Duration::from_nanos(ns.saturating_sub(origin_ns));
    let end = at(start_ns) + length;
    let local = tokio::task::LocalSet::new();
    for timer in 0..timers {
        let lateness = Rc::clone(&lateness);
        let first = at(lateness.borrow().first_due(timer));
        local.spawn_local(async move {
            let mut ticks = interval_at(first.into(), period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                // tokio says when each tick was due; its ticks keep their
                // own schedule when late (skipping), so that is the due time.
                let due = ticks.tick().await.into_std();
                let now = sys::monotonic_ns();
                if Instant::now() >= end {
                    break;
                }
                let due_ns = origin_ns + due.saturating_duration_since(origin).as_nanos() as u64;
                lateness.borrow_mut().record(due_ns, now);
            }
        });
    }
    let cpu_before = sys::thread_cpu_ns();
    runtime.block_on(local);
    let cpu = Duration::from_nanos(sys::thread_cpu_ns() - cpu_before);
    let point = lateness.borrow().point(period, cpu, None);
    Ok(point)
}
