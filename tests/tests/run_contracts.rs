//! Promises of the API that no other test pins down, each found missing by
//! mutation testing (`.ci/mutants`): what `RunMode::Once` waits for, what a
//! stop wakes, what an unbalanced ledger says, a fresh runner's spin budget,
//! how each wait is counted, and the `Park` trait's defaults.
#![cfg(not(rearm_loom))]

use rearm_core::park::{Park, ParkWord, SpinPark, ThreadPark};
use rearm_core::{
    Action, CallbackRunner, DIRECT_SLOTS, Exit, HandlerRunner, Ledger, Loop, OwnedSlotHandle,
    RunMode, SpinBound, SpinPolicy, WaitCounts,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `Once` with nothing pending waits for a notification, runs its callback,
/// and only then returns `Ran`.
#[test]
fn run_once_waits_until_a_callback_has_run() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let mut calls = 0;
    let mut on_notify = |_slot: usize| {
        calls += 1;
        Action::Rearm
    };
    let returned = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            lp.handle(0).unwrap().notify();
            // A run that keeps waiting after its callback is stopped, and
            // fails below instead of hanging.
            let deadline = Instant::now() + Duration::from_secs(5);
            while !returned.load(Ordering::Relaxed) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            lp.stop();
        });
        let exit = runner.run(RunMode::Once, &mut on_notify);
        returned.store(true, Ordering::Relaxed);
        assert_eq!(exit, Exit::Ran);
    });
    assert_eq!(calls, 1);
}

/// A stop while the loop is awake sets the word and wakes nobody: an unpark
/// is owed only to a loop that announced it sleeps.
#[test]
fn stop_of_an_awake_loop_wakes_nobody() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    lp.stop();
    assert_eq!(lp.parker().wakes(), 0);
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let mut never = |_slot: usize| -> Action { panic!("nothing was notified") };
    assert_eq!(runner.run(RunMode::UntilDone, &mut never), Exit::Stopped);
    assert_eq!(lp.parker().wakes(), 0);
}

#[test]
fn unbalanced_ledger_fails_its_check_with_the_ledger() {
    let lost = Ledger {
        notified: 3,
        delivered: 1,
        ..Ledger::default()
    };
    let err = lost.check().unwrap_err();
    assert!(err.to_string().contains("notified 3"), "{err}");
    assert!(Ledger::default().check().is_ok());
}

/// The default policy starts with a spin budget to spend (a quarter of its
/// ceiling); park-at-once never spins.
#[test]
fn fresh_runner_reports_the_policys_starting_budget() {
    let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    let runner = HandlerRunner::new(&lp).unwrap();
    assert_eq!(runner.spin_budget(), SpinPolicy::default().max_spins / 4);
    drop(runner);
    let runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    assert_eq!(runner.spin_budget(), 0);
    drop(runner);
    let runner = CallbackRunner::new(&lp).unwrap();
    assert_eq!(runner.spin_budget(), SpinPolicy::default().max_spins / 4);
}

/// A policy is built from a preset, not a struct literal (it is
/// non-exhaustive): each `with_` method changes its own field and no other.
#[test]
fn each_spin_policy_builder_changes_its_own_field() {
    let base = SpinPolicy::LOW_LATENCY;
    let spins = base.with_max_spins(7);
    assert_eq!(
        (spins.max_spins, spins.yields, spins.bound),
        (7, base.yields, base.bound)
    );
    let yields = base.with_yields(9);
    assert_eq!(
        (yields.max_spins, yields.yields, yields.bound),
        (base.max_spins, 9, base.bound)
    );
    let bound = base.with_bound(SpinBound::ParkCost);
    assert_ne!(base.bound, SpinBound::ParkCost);
    assert_eq!(bound, SpinPolicy::default());
}

/// A parker that implements only what it must: the clocks default to none.
struct Minimal;

impl Park for Minimal {
    fn park(&self, _word: &ParkWord, _expected: u32) {}
    fn unpark(&self, _word: &ParkWord) {}
}

#[test]
fn park_clocks_default_to_none() {
    assert_eq!(Minimal.now_ns(), None);
    assert_eq!(Minimal.busy_ns(), None);
    assert_eq!(Minimal.thread_cpu_ns(), None);
}

/// Every wait ends one way: spun, yielded or parked, and the stats add up.
#[test]
fn wait_stats_count_every_wait_once() {
    for policy in [
        SpinPolicy::LOW_LATENCY,
        SpinPolicy::default(),
        SpinPolicy::PARK_AT_ONCE,
    ] {
        let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
        let mut runner = HandlerRunner::new(&lp).unwrap().with_spin_policy(policy);
        runner.arm(0).unwrap();
        let mut on_notify = |_slot: usize| Action::Rearm;
        for gap_us in [0, 20, 2000] {
            std::thread::scope(|s| {
                s.spawn(|| {
                    std::thread::sleep(Duration::from_micros(gap_us));
                    lp.handle(0).unwrap().notify();
                });
                assert_eq!(runner.run(RunMode::Once, &mut on_notify), Exit::Ran);
            });
        }
        let stats = runner.wait_counts();
        assert!(stats.waits >= 1, "{policy:?}: {stats:?}");
        assert_eq!(
            stats.waits,
            stats.spun + stats.yielded + stats.parked,
            "{policy:?}: {stats:?}"
        );
        // Two loops' statistics add field by field.
        let twice = stats + stats;
        assert_eq!(
            (twice.waits, twice.spun, twice.yielded, twice.parked),
            (
                2 * stats.waits,
                2 * stats.spun,
                2 * stats.yielded,
                2 * stats.parked
            ),
            "{policy:?}"
        );
    }
}

/// One `Once` run whose notification comes `gap` after the run starts, under
/// `policy`; how its waits ended.
fn stats_of_one_late_notify(policy: SpinPolicy, gap: Duration) -> WaitCounts {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    let mut runner = HandlerRunner::new(&lp).unwrap().with_spin_policy(policy);
    runner.arm(0).unwrap();
    let mut on_notify = |_slot: usize| Action::Rearm;
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(gap);
            lp.handle(0).unwrap().notify();
        });
        assert_eq!(runner.run(RunMode::Once, &mut on_notify), Exit::Ran);
    });
    runner.wait_counts()
}

/// A wait whose policy spins for far longer than the notification takes to
/// come ends spun, and is counted so.
#[test]
fn a_wait_that_outspins_the_gap_is_counted_as_spun() {
    let spin_for_ever = SpinPolicy::LOW_LATENCY
        .with_max_spins(u32::MAX)
        .with_yields(0)
        .with_bound(SpinBound::Unbounded);
    let stats = stats_of_one_late_notify(spin_for_ever, Duration::from_millis(5));
    assert!(stats.waits >= 1, "{stats:?}");
    assert_eq!(
        (stats.spun, stats.yielded, stats.parked),
        (stats.waits, 0, 0)
    );
}

/// A loop that must not spin sleeps through the gap: every wait parks.
#[test]
fn a_wait_that_may_not_spin_parks() {
    let stats = stats_of_one_late_notify(SpinPolicy::PARK_AT_ONCE, Duration::from_millis(5));
    assert!(stats.waits >= 1, "{stats:?}");
    assert_eq!(
        (stats.spun, stats.yielded, stats.parked),
        (0, 0, stats.waits)
    );
}

/// `prepare_block` says "block" only when nothing is pending, through either
/// runner; a notification or a stop since the last run says "run first".
#[test]
fn prepare_block_says_block_only_when_nothing_is_pending() {
    let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    assert!(runner.prepare_block(), "nothing pending");
    let mut on_notify = |_slot: usize| Action::Rearm;
    assert_eq!(runner.run(RunMode::NoWait, &mut on_notify), Exit::Ran);
    lp.handle(0).unwrap().notify();
    assert!(!runner.prepare_block(), "a notification is pending");
    drop(runner);

    let mut rearm = || Action::Rearm;
    let mut runner = CallbackRunner::new(&lp).unwrap();
    runner.arm(0, &mut rearm).unwrap();
    assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
    assert!(runner.prepare_block(), "nothing pending");
    assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
    lp.stop();
    assert!(!runner.prepare_block(), "a stop is pending");
}

/// A loop asleep on a real parker wakes for a notification of a bitmap slot
/// (one past the park word's slots), as it does for a park-word slot. A
/// missed unpark would leave it asleep: the notifier then stops the loop
/// after a while, and the run returns `Stopped` instead of `Ran`.
#[test]
fn a_parked_loop_wakes_for_a_bitmap_slot() {
    const SLOT: usize = DIRECT_SLOTS;
    let lp: Loop<ThreadPark, { SLOT + 1 }> = Loop::new(ThreadPark::new());
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    runner.arm(SLOT).unwrap();
    let ran = std::sync::atomic::AtomicBool::new(false);
    let mut on_notify = |slot: usize| {
        assert_eq!(slot, SLOT);
        ran.store(true, std::sync::atomic::Ordering::Relaxed);
        Action::Rearm
    };
    let exit = std::thread::scope(|s| {
        s.spawn(|| {
            // Until the loop sleeps, so that only an unpark can wake it.
            while lp.parker().sleeps() == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            lp.handle(SLOT).unwrap().notify();
            let start = std::time::Instant::now();
            while !ran.load(std::sync::atomic::Ordering::Relaxed) {
                if start.elapsed() > Duration::from_secs(10) {
                    lp.stop();
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        runner.run(RunMode::Once, &mut on_notify)
    });
    assert_eq!(exit, Exit::Ran, "the parked loop was not woken");
    assert!(lp.parker().wakes() >= 1);
}

/// A loop reports its number of slots; an owned handle, the slot it notifies.
#[test]
fn a_loop_reports_its_capacity_and_an_owned_handle_its_slot() {
    let lp: Arc<Loop<ThreadPark, 40>> = Arc::new(Loop::new(ThreadPark::new()));
    assert_eq!(lp.capacity(), 40);
    let owned = OwnedSlotHandle::new(Arc::clone(&lp), 33).unwrap();
    assert_eq!(owned.slot(), 33);
}
