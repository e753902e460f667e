//! Timers: N periodic timers at one period on one loop, their phases spread
//! evenly over the period; each firing's lateness (when it ran minus when it
//! was due) and the loop thread's CPU per firing. rearm runs here; std's and
//! tokio's forms are in [`peers::timers`](crate::peers::timers), libuv's (with
//! the `libuv` feature) beside its async peer.

pub use crate::harness::lateness::{Lateness, TimerPoint, run_length};
use crate::harness::{LARGE_STACK, alloc_count, on_large_stack};
use crate::sys::{self, Backend, BackendKind, OnBackend};
use rearm_core::park::Park;
use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, MAX_CAPACITY, RunMode};
use std::fmt;
use std::time::Duration;

/// Timer counts measured when none are given. A loop holds at most
/// [`MAX_TIMERS`] timers (one per slot).
pub const DEFAULT_COUNTS: [usize; 3] = [1, 100, 10_000];

/// Periods measured when none are given, in microseconds.
pub const DEFAULT_PERIODS_US: [u64; 3] = [100, 1_000, 10_000];

/// The slack of the rearm row that takes one, in µs, unless another is
/// asked for: a normal Linux thread's default timer slack, under which the
/// std rows sleep.
pub const DEFAULT_SLACK_US: u64 = 50;

/// Timers one rearm loop holds: one per slot.
pub const MAX_TIMERS: usize = MAX_CAPACITY;

/// Up to this many timers are measured on a loop of this many slots, as
/// earlier results were; more on a loop of [`MAX_TIMERS`].
const SMALL_LOOP: usize = 4096;

/// What runs the timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerContender {
    /// A rearm loop's timers, on a backend, with the default wait.
    Rearm(BackendKind),
    /// The same, its timers taking this slack
    /// ([`HandlerRunner::with_timer_slack`]): timers due within it of the
    /// next one share its wake.
    RearmWithSlack(BackendKind, Duration),
    /// A thread that keeps a binary heap of deadlines and sleeps in a
    /// condition variable's timed wait until the first.
    Std,
    /// The same, its timer slack set to 1 ns as rearm's Linux parkers set
    /// theirs: what the slack alone is worth.
    StdTightSlack,
    /// tokio `interval`s (missed ticks skipped), one task each, on a
    /// current-thread runtime.
    Tokio,
    /// libuv's `uv_timer_t`s on one loop, each started again for its next
    /// due time (with the `libuv` feature).
    #[cfg(feature = "libuv")]
    Libuv,
}

impl TimerContender {
    /// The peers, in report order.
    pub const PEERS: &[TimerContender] = &[
        TimerContender::Std,
        TimerContender::StdTightSlack,
        TimerContender::Tokio,
        #[cfg(feature = "libuv")]
        TimerContender::Libuv,
    ];
}

impl fmt::Display for TimerContender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimerContender::Rearm(backend) => write!(f, "rearm {backend}"),
            TimerContender::RearmWithSlack(backend, slack) => {
                write!(f, "rearm {backend}, {} µs slack", slack.as_micros())
            }
            TimerContender::Std => f.write_str("std condvar"),
            TimerContender::StdTightSlack => f.write_str("std condvar, 1 ns slack"),
            TimerContender::Tokio => f.write_str("tokio interval"),
            #[cfg(feature = "libuv")]
            TimerContender::Libuv => f.write_str("libuv uv_timer_t"),
        }
    }
}

/// Measures `contender` with `timers` timers of `period`.
pub fn measure(
    contender: TimerContender,
    timers: usize,
    period: Duration,
) -> Result<TimerPoint, String> {
    if !(1..=MAX_TIMERS).contains(&timers) {
        return Err(format!("{timers} timers: a loop holds 1 to {MAX_TIMERS}"));
    }
    // Each on a fresh thread, so that what one sets for its thread (the
    // timer slack) reaches no other.
    let rearm = |backend, slack| {
        sys::dispatch(
            backend,
            false,
            OnRearm {
                timers,
                period,
                slack,
            },
        )
    };
    std::thread::scope(|s| {
        // A large stack: room for a loop of `MAX_TIMERS` slots.
        let thread = std::thread::Builder::new().stack_size(LARGE_STACK);
        thread
            .spawn_scoped(s, || match contender {
                TimerContender::Rearm(backend) => rearm(backend, Duration::ZERO),
                TimerContender::RearmWithSlack(backend, slack) => rearm(backend, slack),
                TimerContender::Std => crate::peers::timers::std_condvar(timers, period, false),
                TimerContender::StdTightSlack => {
                    crate::peers::timers::std_condvar(timers, period, true)
                }
                TimerContender::Tokio => crate::peers::timers::tokio_interval(timers, period),
                #[cfg(feature = "libuv")]
                TimerContender::Libuv => crate::peers::libuv::timers(timers, period),
            })
            .map_err(|e| format!("a thread for {contender}: {e}"))?
            .join()
            .unwrap_or_else(|_| Err(format!("the {contender} thread panicked")))
    })
}

struct OnRearm {
    timers: usize,
    period: Duration,
    slack: Duration,
}

/// The loop's handler: records each firing against its parker's clock.
struct Firings<'p, P> {
    parker: &'p P,
    lateness: Lateness,
}

impl<P: Park> Handler for Firings<'_, P> {
    fn on_notify(&mut self, _slot: usize) -> Action {
        Action::Rearm
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        let now = self.parker.now_ns().unwrap_or(u64::MAX);
        self.lateness.fired(slot, now);
        Action::Rearm
    }
}

impl OnBackend for OnRearm {
    type Output = Result<TimerPoint, String>;

    fn run<B: Backend>(self) -> Self::Output {
        if self.timers <= SMALL_LOOP {
            self.run_on::<B, SMALL_LOOP>()
        } else {
            self.run_on::<B, MAX_TIMERS>()
        }
    }
}

impl OnRearm {
    /// [`OnBackend::run`] on a loop of `CAP` slots.
    fn run_on<B: Backend, const CAP: usize>(self) -> Result<TimerPoint, String> {
        let parker = B::open().map_err(|e| format!("{}: {e}", B::KIND))?;
        // Boxed: 4096 slots make a loop of a third of a megabyte.
        let lp: Box<Loop<B, CAP>> = Box::new(Loop::new(parker));
        let mut runner = HandlerRunner::new(&*lp)
            .map_err(|e| e.to_string())?
            .with_timer_slack(self.slack);
        let now = runner
            .now_ns()
            .ok_or_else(|| format!("{}: the parker has no clock", B::KIND))?;
        // A millisecond to settle before the first firing.
        let start = now + 1_000_000;
        let end = start + run_length(self.timers, self.period).as_nanos() as u64;
        let mut firings = Firings {
            parker: lp.parker(),
            lateness: Lateness::new(self.timers, self.period, start)?,
        };
        for slot in 0..self.timers {
            runner.arm(slot).map_err(|e| e.to_string())?;
            runner
                .set_timer_every_from(slot, firings.lateness.first_due(slot), self.period)
                .map_err(|e| e.to_string())?;
        }
        // Asked before the run: the check allocates.
        let counted = alloc_count::is_installed();
        let (cpu_before, allocations_before) = (sys::thread_cpu_ns(), alloc_count::allocations());
        let exit = runner
            .run_until(RunMode::UntilDone, end, &mut firings)
            .map_err(|e| e.to_string())?;
        let cpu = Duration::from_nanos(sys::thread_cpu_ns() - cpu_before);
        let allocations = counted.then(|| alloc_count::allocations() - allocations_before);
        if exit != Exit::TimedOut {
            return Err(format!("the timer run ended {exit:?}, not at its deadline"));
        }
        let counts = runner.timer_counts();
        if !counts.check() || counts.fired != firings.lateness.firings() {
            return Err(format!(
                "timer counts do not balance: {counts:?}, {} firings seen",
                firings.lateness.firings()
            ));
        }
        let waits = runner.wait_counts();
        Ok(TimerPoint {
            waits: Some(waits),
            ..firings.lateness.point(self.period, cpu, allocations)
        })
    }
}

/// What setting and cancelling one timer costs with `armed` others set (at
/// most [`MAX_TIMERS`] - 1), in nanoseconds per operation: the mean of
/// `rounds` set-and-cancel pairs on a futex loop, deadlines scattered.
pub fn set_and_cancel_ns(armed: usize, rounds: u32) -> Result<f64, String> {
    if armed >= MAX_TIMERS {
        return Err(format!("{armed} timers armed: at most {}", MAX_TIMERS - 1));
    }
    on_large_stack(|| set_and_cancel_on_large_stack(armed, rounds))
}

fn set_and_cancel_on_large_stack(armed: usize, rounds: u32) -> Result<f64, String> {
    let lp: Box<Loop<sys::FutexPark, MAX_TIMERS>> = Box::new(Loop::new(sys::FutexPark::new()));
    let mut runner = HandlerRunner::new(&*lp).map_err(|e| e.to_string())?;
    let now = runner.now_ns().unwrap_or(0);
    // Deadlines an hour out, scattered by a multiplicative hash, so that a
    // new timer lands anywhere in the heap.
    let due = |i: u64| now + 3_600_000_000_000 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 24);
    for slot in 0..=armed {
        runner.arm(slot).map_err(|e| e.to_string())?;
    }
    for slot in 0..armed {
        runner
            .set_timer_at(slot, due(slot as u64))
            .map_err(|e| e.to_string())?;
    }
    let started = std::time::Instant::now();
    for i in 0..u64::from(rounds) {
        runner
            .set_timer_at(armed, due(i + armed as u64))
            .map_err(|e| e.to_string())?;
        std::hint::black_box(runner.cancel_timer(armed).map_err(|e| e.to_string())?);
    }
    let took = started.elapsed();
    Ok(took.as_nanos() as f64 / (2.0 * f64::from(rounds)))
}
