//! `ThreadPark` on real threads: a `static` loop served by several notifier
//! threads sleeps between their notifications and loses none; successive
//! runners on different threads are each woken. (The loom models in
//! `loom_thread_park.rs` check the same protocol under every interleaving.)

#![cfg(not(rearm_loom))]

use rearm_core::park::{Park, ThreadPark};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SpinPolicy};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const SENDERS: usize = 3;
static SERVED: Loop<ThreadPark, SENDERS> = Loop::new(ThreadPark::new());

#[test]
fn static_thread_park_loop_sleeps_between_three_senders_and_loses_nothing() {
    const EACH: u32 = 40;
    let loop_thread = std::thread::spawn(|| {
        let calls = AtomicU32::new(0);
        let count = || {
            calls.fetch_add(1, Ordering::Relaxed);
            Action::Rearm
        };
        let (mut a, mut b, mut c) = (count, count, count);
        let mut runner = CallbackRunner::new(&SERVED).unwrap();
        for callback in [&mut a as _, &mut b as _, &mut c as _] {
            runner.add(callback).unwrap();
        }
        let exit = runner.run(RunMode::UntilDone);
        runner.run(RunMode::NoWait); // whatever landed with the stop
        (exit, runner.wait_counts().parked)
    });
    std::thread::scope(|s| {
        for slot in 0..SENDERS {
            s.spawn(move || {
                for _ in 0..EACH {
                    std::thread::sleep(Duration::from_micros(500));
                    SERVED.handle(slot).unwrap().notify();
                }
            });
        }
    });
    SERVED.stop();
    let (exit, parked) = loop_thread.join().unwrap();
    assert_eq!(exit, Exit::Stopped);
    for slot in 0..SENDERS {
        let ledger = SERVED.ledger(slot).unwrap();
        assert_eq!(ledger.notified, u64::from(EACH));
        assert!(ledger.is_conserved() && ledger.pending == 0, "{ledger}");
        assert!(ledger.delivered >= 1, "{ledger}");
    }
    // Notifications half a millisecond apart outlast any spin budget: the
    // loop must have slept, and every sleep was ended by a wake or a stop.
    assert!(parked > 0 && SERVED.parker().sleeps() > 0);
    assert!(SERVED.parker().wakes() > 0);
}

#[test]
fn thread_park_wakes_successive_runners_on_different_threads() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    // A fresh parker has slept and been woken no times.
    assert_eq!((lp.parker().sleeps(), lp.parker().wakes()), (0, 0));
    for round in 1..=3u64 {
        std::thread::scope(|s| {
            let runner_thread = s.spawn(|| {
                let mut once = || Action::Disarm;
                let mut r = CallbackRunner::new(&lp)
                    .unwrap()
                    .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
                r.arm(0, &mut once).unwrap();
                r.run(RunMode::UntilDone)
            });
            // Notify only once the new runner armed the slot (earlier, the
            // notification would find it dead and be dropped), and late
            // enough that it has most likely gone to sleep.
            while lp.state(0) != Ok(rearm_core::SlotState::Active) {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(2));
            lp.handle(0).unwrap().notify();
            assert_eq!(runner_thread.join().unwrap(), Exit::Done);
        });
        assert_eq!(lp.ledger(0).unwrap().delivered, round);
    }
    assert!(lp.parker().sleeps() >= 1);
}

/// Regression: `ThreadPark::unpark` woke one sleeper of its condition
/// variable, so with one parker shared by two loops a notification of the
/// second could wake the first loop's thread, which slept again, and leave
/// the second asleep for good. Both threads sleep here (the first one first,
/// so a first-come wake would pick it) before the second loop is notified.
#[test]
fn thread_park_shared_by_two_loops_wakes_the_loop_notified() {
    static SHARED: ThreadPark = ThreadPark::new();
    let first: Loop<&ThreadPark, 1> = Loop::new(&SHARED);
    let second: Loop<&ThreadPark, 1> = Loop::new(&SHARED);
    let run_until_done = |lp: &Loop<&ThreadPark, 1>| {
        let mut once = || Action::Disarm;
        let mut runner = CallbackRunner::new(lp)
            .unwrap()
            .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
        runner.arm(0, &mut once).unwrap();
        runner.run(RunMode::UntilDone)
    };
    let asleep = |sleepers: u64| {
        while SHARED.sleeps() < sleepers {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    std::thread::scope(|s| {
        let first_thread = s.spawn(|| run_until_done(&first));
        asleep(1);
        let second_thread = s.spawn(|| run_until_done(&second));
        asleep(2);
        second.handle(0).unwrap().notify();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !second_thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let woke = second_thread.is_finished();
        // Whatever happened, end both runs (a stop wakes whoever sleeps).
        for _ in 0..100 {
            if second_thread.is_finished() {
                break;
            }
            second.stop();
            std::thread::sleep(Duration::from_millis(10));
        }
        first.handle(0).unwrap().notify();
        assert!(woke, "the notified loop's thread slept on");
        assert_eq!(second_thread.join().unwrap(), Exit::Done);
        assert_eq!(first_thread.join().unwrap(), Exit::Done);
    });
}

/// `now_ns` is a clock that runs: the wait's spin cap and yield timing read it.
#[test]
fn thread_park_clock_advances() {
    let parker = ThreadPark::new();
    let before = parker.now_ns().expect("ThreadPark has a clock");
    std::thread::sleep(Duration::from_millis(2));
    let after = parker.now_ns().expect("ThreadPark has a clock");
    assert!(after >= before + 2_000_000, "{before} then {after}");
}

/// `yields` counts the parker's yields, as `sleeps` and `wakes` count its
/// sleeps and wakes.
#[test]
fn thread_park_counts_its_yields() {
    let parker = ThreadPark::new();
    assert_eq!(parker.yields(), 0);
    parker.yield_now();
    parker.yield_now();
    assert_eq!(parker.yields(), 2);
}
