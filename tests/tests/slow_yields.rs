//! A loop whose yields cost more than parking (busy processes beside it got
//! the CPU) parks instead of yielding; one whose yields reach its peer quickly,
//! or go to its own process's threads, or cost no more than a park would,
//! keeps yielding. Driven on one thread by a parker with a fake clock, whose
//! yields and parks stand in for the peer: each advances the clock by its cost
//! and notifies the loop.
#![cfg(not(rearm_loom))]

use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SpinPolicy, WaitCounts};
use std::cell::Cell;

/// What the fake machine does with a yield and a park.
#[derive(Clone, Copy)]
struct Costs {
    /// A fast yield: the peer answers at once.
    fast_yield_ns: u64,
    /// Every `slow_every`-th yield takes `slow_yield_ns` instead.
    slow_every: u32,
    slow_yield_ns: u64,
    /// Share of a slow yield's time this process's CPUs stay busy, in
    /// percent (`None`: the parker cannot tell).
    busy_percent: Option<u64>,
    /// A park, until the peer's wake ends it.
    park_ns: u64,
    /// Whether the parker has a clock at all.
    clock: bool,
}

struct FakeMachine<'a> {
    lp: Cell<Option<&'a Loop<FakeMachine<'a>, 1>>>,
    now: Cell<u64>,
    busy: Cell<u64>,
    yields: Cell<u32>,
    /// How often the loop read the process's busy time.
    busy_reads: Cell<u32>,
    costs: Costs,
}

impl FakeMachine<'_> {
    fn pass(&self, ns: u64, busy_percent: u64) {
        self.now.set(self.now.get() + ns);
        self.busy.set(self.busy.get() + ns * busy_percent / 100);
        if let Some(lp) = self.lp.get() {
            lp.handle(0).expect("slot 0 exists").notify();
        }
    }
}

impl Park for FakeMachine<'_> {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        self.pass(self.costs.park_ns, 0);
    }

    fn unpark(&self, _word: &ParkWord) {}

    fn yield_now(&self) {
        let n = self.yields.get() + 1;
        self.yields.set(n);
        let c = self.costs;
        if n.is_multiple_of(c.slow_every) {
            self.pass(c.slow_yield_ns, c.busy_percent.unwrap_or(0));
        } else {
            self.pass(c.fast_yield_ns, 100);
        }
    }

    fn now_ns(&self) -> Option<u64> {
        self.costs.clock.then(|| self.now.get())
    }

    fn busy_ns(&self) -> Option<u64> {
        self.busy_reads.set(self.busy_reads.get() + 1);
        self.costs.busy_percent.map(|_| self.busy.get())
    }
}

/// Runs `waits` callbacks, each after one wait with no spinning, and returns
/// how the waits ended.
fn waits_with(costs: Costs, waits: u32) -> WaitCounts {
    waits_and_busy_reads(costs, waits).0
}

/// As `waits_with`, and how often the loop read the process's busy time.
fn waits_and_busy_reads(costs: Costs, waits: u32) -> (WaitCounts, u32) {
    let lp = Loop::new(FakeMachine {
        lp: Cell::new(None),
        now: Cell::new(0),
        busy: Cell::new(0),
        yields: Cell::new(0),
        busy_reads: Cell::new(0),
        costs,
    });
    lp.parker().lp.set(Some(&lp));
    let calls = Cell::new(0);
    let mut callback = || {
        calls.set(calls.get() + 1);
        if calls.get() == waits {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = CallbackRunner::new(&lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::default().with_max_spins(0).with_yields(2));
    runner.arm(0, &mut callback).unwrap();
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    assert_eq!(calls.get(), waits);
    let stats = runner.wait_counts();
    assert_eq!(stats.waits, u64::from(waits), "{stats:?}");
    assert_eq!(stats.spun + stats.yielded + stats.parked, stats.waits);
    (stats, lp.parker().busy_reads.get())
}

/// Every yield takes `yield_ns`; parks take no time; no busy clock.
fn uniform(yield_ns: u64, clock: bool) -> Costs {
    Costs {
        fast_yield_ns: yield_ns,
        slow_every: u32::MAX,
        slow_yield_ns: yield_ns,
        busy_percent: None,
        park_ns: 0,
        clock,
    }
}

/// One yield in 31 loses a 3 ms time slice, the others take 5 µs.
fn one_slow_in_31(busy_percent: u64, park_ns: u64) -> Costs {
    Costs {
        fast_yield_ns: 5_000,
        slow_every: 31,
        slow_yield_ns: 3_000_000,
        busy_percent: Some(busy_percent),
        park_ns,
        clock: true,
    }
}

#[test]
fn fast_yields_keep_the_loop_yielding() {
    let stats = waits_with(uniform(2_000, true), 200);
    assert_eq!((stats.yielded, stats.parked), (200, 0), "{stats:?}");
}

#[test]
fn slow_yields_make_the_loop_park_instead() {
    // 2 ms: a time slice given to another busy thread.
    let stats = waits_with(uniform(2_000_000, true), 200);
    assert!(stats.parked >= 4 * stats.yielded, "{stats:?}");
}

#[test]
fn without_a_clock_the_loop_yields_as_its_policy_says() {
    let stats = waits_with(uniform(2_000_000, false), 200);
    assert_eq!((stats.yielded, stats.parked), (200, 0), "{stats:?}");
}

/// Regression: only a single yield over 500 µs counted as slow, and every
/// fast one halved the backoff, so beside busy processes (3 % of yields losing
/// a time slice) the loop kept yielding: a median of ~11,000 pings/s where
/// std's park/unpark made 64,000 (two busy shells, the driver stopped 10 ms in
/// every 25).
#[test]
fn yields_that_lose_a_time_slice_once_in_31_make_the_loop_park() {
    // The process got a tenth of its CPUs during each slow yield; parks take
    // 50 µs.
    let stats = waits_with(one_slow_in_31(10, 50_000), 3_000);
    assert!(stats.parked >= 4 * stats.yielded, "{stats:?}");
}

#[test]
fn slow_yields_to_the_loop_own_threads_keep_it_yielding() {
    // The process kept its CPUs busy: the time went to its own threads.
    let stats = waits_with(one_slow_in_31(100, 50_000), 3_000);
    assert!(stats.yielded >= 9 * stats.parked, "{stats:?}");
}

#[test]
fn slow_yields_are_kept_when_parked_waits_are_as_slow() {
    // A woken thread waits for a time slice too: parking would not help.
    let stats = waits_with(one_slow_in_31(10, 3_000_000), 3_000);
    assert!(stats.yielded >= stats.parked, "{stats:?}");
}

/// The process's busy time may cost a syscall to read: the loop reads it
/// around a timed yield only for a while after a slow one.
#[test]
fn busy_time_is_read_only_after_a_slow_yield() {
    let fast = Costs {
        busy_percent: Some(100),
        ..uniform(2_000, true)
    };
    let (stats, reads) = waits_and_busy_reads(fast, 200);
    assert_eq!((stats.yielded, reads), (200, 0), "{stats:?}");
    let (_, reads) = waits_and_busy_reads(one_slow_in_31(100, 50_000), 3_000);
    assert!(
        reads > 0,
        "slow yields happened, and busy time was never read"
    );
}
