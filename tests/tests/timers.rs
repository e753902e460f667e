//! Deadlines and timers: the timer set against its reference model on a
//! virtual clock (proptest), the refusals, and real threads on every parker:
//! no deadline or timer fires early, a late one is late by a bounded amount,
//! a notification ends a deadline run before its time.
#![cfg(not(rearm_loom))]

use driver::sys::{EventfdPark, FutexPark};
use proptest::prelude::*;
use rearm_core::park::{Park, SpinPark, ThreadPark};
use rearm_core::{Action, CallbackRunner, Error, Exit, Handler, HandlerRunner, Loop, RunMode};
use rearm_tests::fuzzing::{TIMER_SLOTS, TimerOp, VirtualClockPark, timer_ops};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn timer_op() -> impl Strategy<Value = TimerOp> {
    let slot = 0..TIMER_SLOTS;
    // Times in steps of 100 ns, so that deadlines tie often.
    let ns = (0u64..60).prop_map(|n| n * 100);
    prop_oneof![
        slot.clone().prop_map(TimerOp::Arm),
        slot.clone().prop_map(TimerOp::Disarm),
        (slot.clone(), ns.clone()).prop_map(|(s, n)| TimerOp::After(s, n)),
        (slot.clone(), ns.clone()).prop_map(|(s, n)| TimerOp::Every(s, n)),
        (slot.clone(), ns.clone(), ns.clone()).prop_map(|(s, f, n)| TimerOp::EveryFrom(s, f, n)),
        slot.clone().prop_map(TimerOp::Cancel),
        slot.clone().prop_map(TimerOp::Notify),
        slot.prop_map(TimerOp::DisarmOnTimer),
        ns.clone().prop_map(TimerOp::Advance),
        ns.prop_map(TimerOp::RunFor),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arm, cancel, periodic, advance, notify, disarm: every call, due time
    /// and count as the model says, after every operation.
    #[test]
    fn timers_match_the_reference_model(ops in prop::collection::vec(timer_op(), 0..120)) {
        timer_ops(0, ops);
    }

    /// The same with a timer slack: each wait ends at the latest timer due
    /// within the slack of the next, as the model's scan of every slot says.
    #[test]
    fn timers_with_slack_match_the_reference_model(
        slack in prop_oneof![Just(1u64), (1u64..40).prop_map(|n| n * 100), Just(u64::MAX)],
        ops in prop::collection::vec(timer_op(), 0..120),
    ) {
        timer_ops(slack, ops);
    }
}

#[test]
fn deadlines_and_timers_without_a_clock_are_refused() {
    let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let mut handler = |_slot: usize| Action::Rearm;
    assert_eq!(
        runner.run_until(RunMode::UntilDone, 1, &mut handler),
        Err(Error::NoClock)
    );
    assert_eq!(
        runner.run_for(RunMode::Once, Duration::from_millis(1), &mut handler),
        Err(Error::NoClock)
    );
    assert_eq!(runner.set_timer_at(0, 1), Err(Error::NoClock));
    assert_eq!(
        runner.set_timer_every(0, Duration::from_millis(1)),
        Err(Error::NoClock)
    );
    assert_eq!(runner.timer_counts().set, 0);
}

#[test]
fn timers_need_an_armed_slot_and_a_period() {
    let lp: Loop<ThreadPark, 2> = Loop::new(ThreadPark::new());
    let mut runner = HandlerRunner::new(&lp).unwrap();
    assert_eq!(
        runner.set_timer_after(1, Duration::ZERO),
        Err(Error::NotArmed { slot: 1 })
    );
    assert_eq!(
        runner.set_timer_after(2, Duration::ZERO),
        Err(Error::NoSuchSlot {
            slot: 2,
            capacity: 2
        })
    );
    runner.arm(1).unwrap();
    assert_eq!(
        runner.set_timer_every(1, Duration::ZERO),
        Err(Error::ZeroPeriod)
    );
    runner.set_timer_every(1, Duration::from_secs(5)).unwrap();
    assert!(runner.timer_due(1).unwrap().is_some());
    runner.disarm(1).unwrap();
    assert_eq!(runner.timer_due(1), Ok(None), "a disarm cancels the timer");
    let counts = runner.timer_counts();
    assert_eq!((counts.set, counts.cancelled, counts.active), (1, 1, 0));
}

/// A clock for `SpinPark`, on std's monotonic clock.
fn std_clock() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Lateness allowed before a test fails: far beyond what an idle machine
/// shows (tens of microseconds), so that only a timer that was lost or slept
/// through fails, not a busy machine.
const LATE_LIMIT_NS: u64 = 2_000_000_000;

/// Records when each firing happened against when it was due.
struct Firings<'p, P: Park> {
    parker: &'p P,
    /// Per slot: when due, and the earliest and latest lateness seen.
    due: [u64; 4],
    period: [u64; 4],
    fired: [u32; 4],
    worst_late: u64,
}

impl<P: Park> Handler for Firings<'_, P> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        Action::Rearm
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        let now = self.parker.now_ns().unwrap();
        assert!(
            now >= self.due[slot],
            "slot {slot} fired {} ns early",
            self.due[slot] - now
        );
        self.worst_late = self.worst_late.max(now - self.due[slot]);
        self.fired[slot] += 1;
        if self.period[slot] == 0 {
            return Action::Disarm;
        }
        // The next firing is due one period on (no period is skipped at
        // these periods unless the machine stalls; then the next one due
        // is later still, which only makes the check looser).
        self.due[slot] += self.period[slot];
        if self.fired[slot] == 5 {
            Action::Disarm
        } else {
            Action::Rearm
        }
    }
}

/// Timers on a real parker and the real clock: three one-shot ones and a
/// periodic one; none fires early, none is lost, and the run ends when the
/// last one disarmed its slot.
fn timers_fire_on_time<P: Park>(parker: P) {
    let lp: Loop<P, 4> = Loop::new(parker);
    let mut runner = HandlerRunner::new(&lp).unwrap();
    let now = runner.now_ns().unwrap();
    let mut firings = Firings {
        parker: lp.parker(),
        due: [0; 4],
        period: [0, 0, 0, 700_000],
        fired: [0; 4],
        worst_late: 0,
    };
    for (slot, after_us) in [(0, 300), (1, 1_000), (2, 2_500)] {
        runner.arm(slot).unwrap();
        firings.due[slot] = now + after_us * 1_000;
        runner.set_timer_at(slot, firings.due[slot]).unwrap();
    }
    runner.arm(3).unwrap();
    runner
        .set_timer_every(3, Duration::from_nanos(firings.period[3]))
        .unwrap();
    firings.due[3] = runner.timer_due(3).unwrap().unwrap();
    let exit = runner.run(RunMode::UntilDone, &mut firings);
    assert_eq!(exit, Exit::Done);
    assert_eq!(firings.fired, [1, 1, 1, 5]);
    assert!(
        firings.worst_late < LATE_LIMIT_NS,
        "{} ns late",
        firings.worst_late
    );
    let counts = runner.timer_counts();
    assert!(counts.check());
    assert_eq!((counts.set, counts.fired, counts.expired), (4, 8, 4));
}

/// A deadline run with nothing to do ends at its deadline, not before; one
/// that a notification reaches first ends with it.
fn deadlines_hold<P: Park + Sync>(parker: P) {
    let lp: Loop<P, 2> = Loop::new(parker);
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    let mut handler = |_slot: usize| Action::Rearm;
    let start = runner.now_ns().unwrap();
    let deadline = start + 3_000_000;
    assert_eq!(
        runner.run_until(RunMode::UntilDone, deadline, &mut handler),
        Ok(Exit::TimedOut)
    );
    let end = runner.now_ns().unwrap();
    assert!(end >= deadline, "returned {} ns early", deadline - end);
    assert!(end - deadline < LATE_LIMIT_NS, "{} ns late", end - deadline);

    // A notification 2 ms in ends a run whose deadline is a minute away.
    std::thread::scope(|s| {
        let handle = lp.handle(0).unwrap();
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(2));
            handle.notify();
        });
        let exit = runner.run_for(RunMode::Once, Duration::from_secs(60), &mut handler);
        assert_eq!(exit, Ok(Exit::Ran));
    });
    assert!(runner.wait_counts().timed_out >= 1);
}

#[test]
fn timers_fire_on_time_on_every_parker() {
    timers_fire_on_time(ThreadPark::new());
    timers_fire_on_time(SpinPark::<rearm_core::relax::Yield>::with_clock(std_clock));
    timers_fire_on_time(FutexPark::new());
    timers_fire_on_time(EventfdPark::new().unwrap());
}

#[test]
fn deadlines_hold_on_every_parker() {
    deadlines_hold(ThreadPark::new());
    deadlines_hold(SpinPark::<rearm_core::relax::Yield>::with_clock(std_clock));
    deadlines_hold(FutexPark::new());
    deadlines_hold(EventfdPark::new().unwrap());
}

/// Records when each timer fired, on the parker's clock.
struct FiredAt<'p, P: Park> {
    parker: &'p P,
    at: [u64; 9],
}

impl<P: Park> Handler for FiredAt<'_, P> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        Action::Rearm
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        self.at[slot] = self.parker.now_ns().unwrap();
        Action::Disarm
    }
}

/// Eight timers 20 µs apart, under a slack of 10 s: one wake for all of
/// them, when the last is due; none early. And a lone timer after them,
/// with no other in its window, fires when due, not a slack late.
fn slack_shares_a_wake<P: Park>(name: &str, parker: P) {
    let lp: Loop<P, 9> = Loop::new(parker);
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_timer_slack(Duration::from_secs(10));
    let start = runner.now_ns().unwrap() + 2_000_000;
    let due = |slot: usize| start + 20_000 * slot as u64;
    for slot in 0..8 {
        runner.arm(slot).unwrap();
        runner.set_timer_at(slot, due(slot)).unwrap();
    }
    let mut fired = FiredAt {
        parker: lp.parker(),
        at: [0; 9],
    };
    assert_eq!(runner.run(RunMode::UntilDone, &mut fired), Exit::Done);
    let last = due(7);
    for (slot, &at) in fired.at[..8].iter().enumerate() {
        assert!(
            at >= last,
            "{name}: slot {slot} fired before the window's last timer was due"
        );
        assert!(
            at - last < LATE_LIMIT_NS,
            "{name}: slot {slot} {} ns late",
            at - last
        );
    }
    let counts = runner.timer_counts();
    assert_eq!((counts.fired, counts.expired), (8, 8), "{name}");

    // A lone timer takes no slack: a wake the slack late would break the
    // limit (10 s against 2 s).
    runner.arm(8).unwrap();
    let lone = runner.now_ns().unwrap() + 50_000_000;
    runner.set_timer_at(8, lone).unwrap();
    assert_eq!(runner.run(RunMode::UntilDone, &mut fired), Exit::Done);
    let fired_at = fired.at[8];
    assert!(fired_at >= lone, "{name}: the lone timer fired early");
    assert!(
        fired_at - lone < LATE_LIMIT_NS,
        "{name}: the lone timer fired {} ns late, as if it took the slack",
        fired_at - lone
    );
}

#[test]
fn timers_within_the_slack_share_a_wake_on_every_parker() {
    slack_shares_a_wake("thread", ThreadPark::new());
    slack_shares_a_wake(
        "spin",
        SpinPark::<rearm_core::relax::Yield>::with_clock(std_clock),
    );
    slack_shares_a_wake("futex", FutexPark::new());
    slack_shares_a_wake("eventfd", EventfdPark::new().unwrap());
}

/// A virtual clock whose timed sleeps end a fixed time late, as a real
/// thread's wake-up does. It counts the runner's reads of it.
struct OversleepingPark {
    now: std::cell::Cell<u64>,
    late: u64,
    reads: std::cell::Cell<u64>,
}

impl OversleepingPark {
    fn at(now: u64, late: u64) -> Self {
        OversleepingPark {
            now: std::cell::Cell::new(now),
            late,
            reads: std::cell::Cell::new(0),
        }
    }
}

impl Park for OversleepingPark {
    fn park(&self, _word: &rearm_core::park::ParkWord, _expected: u32) {
        panic!("an untimed park with nobody to wake it");
    }

    fn park_until(
        &self,
        _word: &rearm_core::park::ParkWord,
        _expected: u32,
        deadline_ns: u64,
    ) -> bool {
        self.now.set(self.now.get().max(deadline_ns + self.late));
        true
    }

    fn unpark(&self, _word: &rearm_core::park::ParkWord) {}

    fn now_ns(&self) -> Option<u64> {
        self.reads.set(self.reads.get() + 1);
        Some(self.now.get())
    }
}

/// Records the worst lateness of the firings.
struct WorstLate<'p> {
    parker: &'p OversleepingPark,
    due: [u64; 50],
    period: u64,
    worst: u64,
    fired: u64,
}

impl Handler for WorstLate<'_> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        Action::Rearm
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        let now = self.parker.now.get();
        assert!(now >= self.due[slot], "slot {slot} fired early");
        self.worst = self.worst.max(now - self.due[slot]);
        self.due[slot] += self.period;
        self.fired += 1;
        Action::Rearm
    }
}

/// A parker whose timed sleeps end 8 µs late, 50 timers 2 µs apart every
/// 100 µs, 20 µs of slack: no firing is more than the slack and the wake-up
/// late, and a wake takes the timers of its whole window along (about 14;
/// five without slack).
#[test]
fn a_slack_window_bounds_lateness_by_the_slack_and_the_wake_up() {
    const PERIOD: u64 = 100_000;
    let lp: Loop<OversleepingPark, 50> = Loop::new(OversleepingPark::at(0, 8_000));
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_timer_slack(Duration::from_micros(20));
    let mut late = WorstLate {
        parker: lp.parker(),
        due: [0; 50],
        period: PERIOD,
        worst: 0,
        fired: 0,
    };
    for slot in 0..50 {
        runner.arm(slot).unwrap();
        late.due[slot] = 1_000 + 2_000 * slot as u64;
        runner
            .set_timer_every_from(slot, late.due[slot], Duration::from_nanos(PERIOD))
            .unwrap();
    }
    let end = 200 * PERIOD;
    assert_eq!(
        runner.run_until(RunMode::UntilDone, end, &mut late),
        Ok(Exit::TimedOut)
    );
    assert!(
        late.worst <= 28_000,
        "a firing {} ns late, past the slack and the wake-up",
        late.worst
    );
    let waits = runner.wait_counts().waits;
    assert!(
        waits * 8 <= late.fired,
        "{waits} waits for {} firings: the slack did not batch",
        late.fired
    );
    assert_eq!(runner.timer_counts().skipped, 0);
}

/// Records when each slot's timer fired, works `work(slot)` ns of the
/// virtual clock in that firing, and answers `action`.
struct Working<'p, const N: usize> {
    parker: &'p OversleepingPark,
    fired_at: [u64; N],
    work: fn(usize) -> u64,
    action: Action,
}

impl<const N: usize> Handler for Working<'_, N> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        Action::Rearm
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        let now = self.parker.now.get();
        self.fired_at[slot] = now;
        self.parker.now.set(now + (self.work)(slot));
        self.action
    }
}

/// Timers due at 1, 3, 7.5 and 11 µs under 5 µs of slack: one wake at 3 µs
/// fires the first two, and the first works 5 µs, until 8 µs. The third came due
/// meanwhile: it fires at once, not at 11 µs, the end of its slack window,
/// which a wait would have slept to (a loop that is awake saves no wake by
/// waiting). The fourth keeps its own time.
#[test]
fn a_timer_due_while_others_fired_does_not_wait_for_its_slack_window() {
    let lp: Loop<OversleepingPark, 4> = Loop::new(OversleepingPark::at(0, 0));
    let mut runner = HandlerRunner::new(&lp)
        .unwrap()
        .with_timer_slack(Duration::from_micros(5));
    for (slot, due) in [1_000, 3_000, 7_500, 11_000].into_iter().enumerate() {
        runner.arm(slot).unwrap();
        runner.set_timer_at(slot, due).unwrap();
    }
    let mut slow = Working {
        parker: lp.parker(),
        fired_at: [0; 4],
        work: |slot| if slot == 0 { 5_000 } else { 0 },
        action: Action::Disarm,
    };
    assert_eq!(runner.run(RunMode::UntilDone, &mut slow), Exit::Done);
    assert_eq!(slow.fired_at, [3_000, 8_000, 8_000, 11_000]);
    assert_eq!(runner.timer_counts().expired, 4);
}

/// A runner with 128 timers every 10 µs, all first due at 1 µs, and a
/// handler that works 1 µs a firing: more than the loop can keep up with.
fn overloaded(
    lp: &Loop<OversleepingPark, 128>,
) -> (HandlerRunner<'_, OversleepingPark, 128>, Working<'_, 128>) {
    let mut runner = HandlerRunner::new(lp).unwrap();
    for slot in 0..128 {
        runner.arm(slot).unwrap();
        runner
            .set_timer_every_from(slot, 1_000, Duration::from_micros(10))
            .unwrap();
    }
    let working = Working {
        parker: lp.parker(),
        fired_at: [0; 128],
        work: |_| 1_000,
        action: Action::Rearm,
    };
    (runner, working)
}

/// 128 timers every 10 µs, all due at once, and a handler that works 1 µs
/// a firing: the pass lasts 128 µs, a dozen periods. A timer that fires
/// late in it skips the periods that passed before it fired, judged on a
/// clock at most 32 firings old; judged on the clock read when the pass
/// began, the last ones would be due again more than 100 µs in the past,
/// and fire later still. The clock is read once for the pass and once
/// every 32 firings, no more.
#[test]
fn a_long_pass_of_timers_skips_the_periods_that_passed_during_it() {
    let lp: Loop<OversleepingPark, 128> = Loop::new(OversleepingPark::at(1_000, 0));
    let (mut runner, mut working) = overloaded(&lp);
    let reads_before = lp.parker().reads.get();
    assert_eq!(runner.run(RunMode::NoWait, &mut working), Exit::Ran);
    assert_eq!(lp.parker().reads.get() - reads_before, 1 + 128 / 32);
    for slot in 0..128 {
        let due = runner.timer_due(slot).unwrap().unwrap();
        let fired_at = working.fired_at[slot];
        assert!(
            due + 32_000 >= fired_at,
            "slot {slot} fired at {fired_at} ns and is due again at {due}"
        );
    }
    let counts = runner.timer_counts();
    assert_eq!(counts.fired, 128);
    assert!(counts.skipped > 0);
    assert!(counts.check());
}

/// An overloaded loop with a deadline: 128 timers every 10 µs, each firing
/// working 1 µs, so timers are always due when a pass ends and the runner
/// never waits. The deadline still ends the run, at the first pass that
/// finds it passed.
#[test]
fn an_overloaded_run_that_never_waits_still_ends_at_its_deadline() {
    let lp: Loop<OversleepingPark, 128> = Loop::new(OversleepingPark::at(1_000, 0));
    let (mut runner, mut working) = overloaded(&lp);
    let deadline = 500_000;
    assert_eq!(
        runner.run_until(RunMode::UntilDone, deadline, &mut working),
        Ok(Exit::TimedOut)
    );
    assert_eq!(runner.wait_counts().waits, 0, "an overloaded loop waited");
    let now = lp.parker().now.get();
    // The pass that crossed the deadline ran to its end, and the next one
    // fired what was due by then before it saw the deadline: at most 128
    // firings each.
    assert!(
        (deadline..=deadline + 2 * 128_000).contains(&now),
        "ended at {now} ns"
    );
    let counts = runner.timer_counts();
    assert!(counts.skipped > 0);
    assert!(counts.check());
}

/// Counts its timer's firings and when the last one ran.
struct FiredWhen<'p> {
    parker: &'p OversleepingPark,
    fired_at: Option<u64>,
    fired: u32,
}

impl Handler for FiredWhen<'_> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        Action::Rearm
    }

    fn on_timer(&mut self, _slot: usize) -> Action {
        self.fired += 1;
        self.fired_at = Some(self.parker.now.get());
        Action::Rearm
    }
}

/// The deadline ends the waiting, not work already due: a sleep to a 9 µs
/// deadline that wakes at 14 µs runs the timer due at 10 µs, on the clock
/// it woke to, before the run returns at its deadline.
#[test]
fn a_run_that_wakes_past_its_deadline_fires_the_timers_due_by_then() {
    let lp: Loop<OversleepingPark, 1> = Loop::new(OversleepingPark::at(0, 5_000));
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    runner.set_timer_at(0, 10_000).unwrap();
    let mut firings = FiredWhen {
        parker: lp.parker(),
        fired_at: None,
        fired: 0,
    };
    assert_eq!(
        runner.run_until(RunMode::UntilDone, 9_000, &mut firings),
        Ok(Exit::TimedOut)
    );
    assert_eq!((firings.fired, firings.fired_at), (1, Some(14_000)));
    assert_eq!(runner.timer_due(0), Ok(None));
}

/// The callback API: a periodic timer and a run with a duration, as the
/// README shows them.
#[test]
fn a_runner_ticks_until_its_time_is_up() {
    let lp: Loop<ThreadPark, 2> = Loop::new(ThreadPark::new());
    let mut ticks = 0u32;
    let mut tick = || {
        ticks += 1;
        Action::Rearm
    };
    let mut runner = CallbackRunner::new(&lp).unwrap();
    let slot = runner.add(&mut tick).unwrap();
    runner
        .set_timer_every(slot, Duration::from_millis(1))
        .unwrap();
    let start = Instant::now();
    assert_eq!(
        runner.run_for(RunMode::UntilDone, Duration::from_millis(20)),
        Ok(Exit::TimedOut)
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    let counts = runner.timer_counts();
    drop(runner);
    // Never early: at most one firing per whole period.
    assert!((1..=20).contains(&ticks), "{ticks} ticks");
    assert_eq!(counts.fired, u64::from(ticks));
}

/// Arrival prediction changes how a loop waits, never what it delivers:
/// steady notifications from another thread, every one accounted for in
/// the ledger, with the prediction on, on a parker that sleeps with a
/// precise deadline and on one that does not.
fn predicting_loses_nothing<P: Park + Sync>(parker: P) {
    const SENT: u64 = 600;
    let lp: Loop<P, 1> = Loop::new(parker);
    let mut calls = 0u64;
    let mut on_notify = || {
        calls += 1;
        Action::Rearm
    };
    let mut runner = CallbackRunner::new(&lp)
        .unwrap()
        .with_arrival_prediction(true);
    runner.arm(0, &mut on_notify).unwrap();
    std::thread::scope(|s| {
        let handle = lp.handle(0).unwrap();
        s.spawn(move || {
            let start = Instant::now();
            for i in 1..=SENT as u32 {
                let at = start + Duration::from_micros(100) * i;
                while Instant::now() < at {
                    std::hint::spin_loop();
                }
                handle.notify();
            }
        });
        // Until the sender is done and a quiet 50 ms followed.
        while runner.run_for(RunMode::Once, Duration::from_millis(50)) == Ok(Exit::Ran) {}
    });
    runner.run(RunMode::NoWait);
    drop(runner);
    let ledger = lp.ledger(0).unwrap();
    assert!(ledger.check().is_ok(), "{ledger}");
    assert_eq!(ledger.notified, SENT);
    assert_eq!(ledger.delivered, calls);
    assert_eq!(ledger.delivered + ledger.coalesced, SENT, "{ledger}");
}

#[test]
fn predicting_arrivals_loses_no_notification() {
    predicting_loses_nothing(FutexPark::new());
    predicting_loses_nothing(ThreadPark::new());
    predicting_loses_nothing(SpinPark::<rearm_core::relax::Yield>::with_clock(std_clock));
}

/// A handler that panics on a timer's firing did not handle it: the timer
/// stays due and fires in the next run, and every timer is still
/// accounted for.
#[test]
fn a_timer_whose_handler_panics_stays_due_and_fires_in_the_next_run() {
    struct ExplodesOnce(u32);
    impl Handler for ExplodesOnce {
        fn on_notify(&mut self, _slot: usize) -> Action {
            Action::Rearm
        }
        fn on_timer(&mut self, _slot: usize) -> Action {
            self.0 += 1;
            assert!(self.0 > 1, "the first firing's handler panics");
            Action::Disarm
        }
    }
    let lp: Loop<VirtualClockPark, 1> = Loop::new(VirtualClockPark::at(0));
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    runner.set_timer_at(0, 100).unwrap();
    lp.parker().advance(100);
    let mut handler = ExplodesOnce(0);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner.run(RunMode::NoWait, &mut handler)
    }));
    assert!(panicked.is_err());
    assert_eq!(runner.timer_due(0), Ok(Some(100)), "still due");
    assert!(runner.timer_counts().check());
    assert_eq!(runner.run(RunMode::NoWait, &mut handler), Exit::Done);
    assert_eq!(handler.0, 2);
    let counts = runner.timer_counts();
    assert!(counts.check(), "{counts:?}");
    assert_eq!((counts.set, counts.fired, counts.expired), (1, 1, 1));
}

/// A runner's timers are its own: dropping it cancels them (the slots
/// disarm), and the next runner of the loop starts with none.
#[test]
fn a_runner_made_again_starts_without_the_last_ones_timers() {
    let lp: Loop<VirtualClockPark, 2> = Loop::new(VirtualClockPark::at(0));
    let mut handler = |_slot: usize| Action::Rearm;
    {
        let mut runner = HandlerRunner::new(&lp).unwrap();
        runner.arm(1).unwrap();
        runner.set_timer_every(1, Duration::from_nanos(50)).unwrap();
        assert_eq!(runner.timer_counts().active, 1);
    }
    let mut runner = HandlerRunner::new(&lp).unwrap();
    assert_eq!(runner.timer_due(1), Ok(None));
    assert_eq!(runner.timer_counts(), rearm_core::TimerCounts::default());
    // Armed again, the slot runs only when notified: no old timer fires.
    runner.arm(1).unwrap();
    lp.parker().advance(1_000);
    assert_eq!(runner.run(RunMode::NoWait, &mut handler), Exit::Ran);
    assert_eq!(runner.timer_counts().fired, 0);
}
