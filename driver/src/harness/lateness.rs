//! What every timer contender's run is measured with, rearm's and the
//! peers' alike: how long a run lasts, each firing's lateness and skipped
//! periods, and the point a run makes.

use crate::harness::arrivals::Percentiles;
use hdrhistogram::Histogram;
use rearm_core::WaitCounts;
use std::time::Duration;

/// How long one point runs: enough periods for about 2,000 firings, at
/// least 20 periods, between 0.2 and 1 second.
pub fn run_length(timers: usize, period: Duration) -> Duration {
    let periods = (2_000 / timers as u32).max(20);
    (period * periods).clamp(Duration::from_millis(200), Duration::from_secs(1))
}

/// One measured point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimerPoint {
    /// Timers running.
    pub timers: usize,
    /// Their period.
    pub period: Duration,
    /// Firings seen.
    pub firings: u64,
    /// Periods skipped because a firing came a period or more late.
    pub skipped: u64,
    /// Lateness of the firings.
    pub lateness: Percentiles,
    /// The loop thread's CPU time over the run.
    pub cpu: Duration,
    /// Allocations during the run (rearm's; `None` where not counted).
    pub allocations: Option<u64>,
    /// How a rearm loop's waits ended (`None` for the peers): how many
    /// wakes the firings took, and whether they spun or parked.
    pub waits: Option<WaitCounts>,
}

impl TimerPoint {
    /// The loop thread's CPU per firing, in nanoseconds.
    pub fn cpu_ns_per_firing(&self) -> f64 {
        self.cpu.as_nanos() as f64 / self.firings.max(1) as f64
    }
}

/// The lateness of each firing and when each timer is due next, kept the same
/// way by every contender.
pub struct Lateness {
    histogram: Histogram<u64>,
    due: Vec<u64>,
    period: u64,
    firings: u64,
    skipped: u64,
}

impl Lateness {
    /// `timers` timers of `period`, the first due at `start`, the others
    /// spread evenly over one period after it.
    pub fn new(timers: usize, period: Duration, start: u64) -> Result<Self, String> {
        let period = period.as_nanos() as u64;
        Ok(Lateness {
            histogram: Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
                .map_err(|e| e.to_string())?,
            due: (0..timers as u64)
                .map(|i| start + period * i / timers as u64)
                .collect(),
            period,
            firings: 0,
            skipped: 0,
        })
    }

    /// Firings recorded so far.
    pub fn firings(&self) -> u64 {
        self.firings
    }

    /// When `timer` is first due.
    pub fn first_due(&self, timer: usize) -> u64 {
        self.due[timer]
    }

    /// A firing that was due at `due` ran at `now`, for a contender that
    /// says itself when each firing was due (tokio's ticks).
    pub fn record(&mut self, due: u64, now: u64) {
        self.histogram
            .saturating_record(now.saturating_sub(due).max(1));
        self.firings += 1;
    }

    /// `timer` fired at `now`; returns when it is due next (the periods that
    /// `now` already passed are skipped, keeping the phase, as rearm's
    /// timers, tokio's `MissedTickBehavior::Skip` and the std peer do).
    pub fn fired(&mut self, timer: usize, now: u64) -> u64 {
        let due = self.due[timer];
        // A firing before its due time would show as lateness 0 here; the
        // core's tests are what prove none happens.
        self.histogram
            .saturating_record(now.saturating_sub(due).max(1));
        self.firings += 1;
        let late = now.saturating_sub(due) / self.period;
        self.skipped += late;
        self.due[timer] = due + self.period * (late + 1);
        self.due[timer]
    }

    /// The point, with the loop thread's CPU and the allocations counted.
    pub fn point(&self, period: Duration, cpu: Duration, allocations: Option<u64>) -> TimerPoint {
        let h = &self.histogram;
        TimerPoint {
            timers: self.due.len(),
            period,
            firings: self.firings,
            skipped: self.skipped,
            lateness: Percentiles {
                p50: h.value_at_quantile(0.5),
                p99: h.value_at_quantile(0.99),
                p999: h.value_at_quantile(0.999),
                max: h.max(),
            },
            cpu,
            allocations,
            waits: None,
        }
    }
}
