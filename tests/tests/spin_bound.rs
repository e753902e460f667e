//! The default wait spins for at most about what parking costs this loop's
//! thread: before any park it assumes a futex's cost, then it follows what
//! its parks cost, as the parker's thread CPU clock says. The low-latency
//! preset spins its whole budget; a parker without a clock is not capped.
//! Driven on one thread by a parker with a fake clock: each spin step takes
//! a microsecond, each park costs the thread a set CPU time and notifies the
//! loop, so every wait spins out and parks.
#![cfg(not(rearm_loom))]

use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode, SpinBound, SpinPolicy};
use std::cell::{Cell, RefCell};

const STEP_NS: u64 = 1_000;

struct FakeMachine<'a> {
    lp: Cell<Option<&'a Loop<FakeMachine<'a>, 1>>>,
    now: Cell<u64>,
    cpu: Cell<u64>,
    /// Spin steps since the last park.
    steps: Cell<u32>,
    /// Spin steps of each wait, in order.
    spins: RefCell<Vec<u32>>,
    /// What one park costs the thread, or `None`: no thread CPU clock.
    park_cpu_ns: Option<u64>,
    /// How long one park sleeps.
    sleep_ns: u64,
    clock: bool,
}

impl Park for FakeMachine<'_> {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        self.spins.borrow_mut().push(self.steps.replace(0));
        self.cpu.set(self.cpu.get() + self.park_cpu_ns.unwrap_or(0));
        self.now.set(self.now.get() + self.sleep_ns);
        if let Some(lp) = self.lp.get() {
            lp.handle(0).expect("slot 0 exists").notify();
        }
    }

    fn unpark(&self, _word: &ParkWord) {}

    fn relax(&self) {
        self.steps.set(self.steps.get() + 1);
        self.now.set(self.now.get() + STEP_NS);
        self.cpu.set(self.cpu.get() + STEP_NS);
    }

    fn now_ns(&self) -> Option<u64> {
        self.clock.then(|| self.now.get())
    }

    fn thread_cpu_ns(&self) -> Option<u64> {
        self.park_cpu_ns.map(|_| self.cpu.get())
    }
}

/// Spin steps of each of `waits` waits, with `policy` (no yields), each park
/// sleeping a millisecond.
fn spins(policy: SpinPolicy, park_cpu_ns: Option<u64>, clock: bool, waits: u32) -> Vec<u32> {
    spins_sleeping(policy, park_cpu_ns, 1_000_000, clock, waits)
}

fn spins_sleeping(
    policy: SpinPolicy,
    park_cpu_ns: Option<u64>,
    sleep_ns: u64,
    clock: bool,
    waits: u32,
) -> Vec<u32> {
    let lp = Loop::new(FakeMachine {
        lp: Cell::new(None),
        now: Cell::new(0),
        cpu: Cell::new(0),
        steps: Cell::new(0),
        spins: RefCell::new(Vec::new()),
        park_cpu_ns,
        sleep_ns,
        clock,
    });
    lp.parker().lp.set(Some(&lp));
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_spin_policy(policy.with_yields(0));
    runner.arm(0).unwrap();
    let mut calls = 0;
    let mut until_the_last = |_slot: usize| {
        calls += 1;
        if calls == waits {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    assert_eq!(
        runner.run(RunMode::UntilDone, &mut until_the_last),
        Exit::Done
    );
    let stats = runner.wait_counts();
    assert_eq!(stats.parked, u64::from(waits), "{stats:?}");
    drop(runner);
    lp.parker().spins.take()
}

#[test]
fn the_default_spins_about_the_assumed_park_cost_then_the_learnt_one() {
    // The clock is first read at step 15 (15 µs), which sets the deadline 8 µs
    // later (the assumed 5 µs, raised to the shortest cap); the next read, at
    // step 31, finds it passed. Then each park costs 40 µs of CPU: deadline
    // 15 + 40 µs, found passed at step 63.
    let seen = spins(SpinPolicy::default(), Some(40_000), true, 4);
    assert_eq!(seen, [31, 63, 63, 63]);
}

#[test]
fn cheaper_parks_cap_the_spin_lower() {
    // 10 µs parks: deadline at 25 µs, passed at step 31.
    let seen = spins(SpinPolicy::default(), Some(10_000), true, 3);
    assert_eq!(seen, [31, 31, 31]);
}

#[test]
fn after_a_near_miss_the_next_wait_spins_three_park_costs() {
    // Parks cost 10 µs and sleep 20 µs, less than three park costs: the
    // notification came soon after each. The wait after such a park spins
    // 30 µs: deadline at 45 µs, passed at step 47.
    let seen = spins_sleeping(SpinPolicy::default(), Some(10_000), 20_000, true, 3);
    assert_eq!(seen, [31, 47, 47]);
    // Sleeps of three park costs or more are no near miss.
    let seen = spins_sleeping(SpinPolicy::default(), Some(10_000), 30_000, true, 3);
    assert_eq!(seen, [31, 31, 31]);
}

#[test]
fn a_parker_without_a_thread_cpu_clock_keeps_the_assumed_cost() {
    let seen = spins(SpinPolicy::default(), None, true, 3);
    assert_eq!(seen, [31, 31, 31]);
}

#[test]
fn low_latency_spins_its_whole_budget() {
    // The adaptive budget starts at a quarter of max_spins and halves with
    // every wait that spins out, whatever parking costs.
    let seen = spins(SpinPolicy::LOW_LATENCY, Some(10_000), true, 4);
    assert_eq!(seen, [1024, 512, 256, 128]);
    assert_eq!(SpinPolicy::LOW_LATENCY.bound, SpinBound::Unbounded);
}

#[test]
fn without_a_clock_only_the_budget_caps_the_spin() {
    let seen = spins(SpinPolicy::default(), Some(10_000), false, 3);
    assert_eq!(seen, [1024, 512, 256]);
}
