//! `async_pummel_N`: N threads notify one async as fast as they can until the
//! loop has run the asked-for number of callbacks. Measures the loop's callback
//! rate under a flood, and how much the flood coalesces.

use super::skeleton::{Panics, RunGuard, Started, checked, spawn_helpers};
use super::{BenchError, Config, Detail, Mode, RunReport};
use crate::harness::{Gate, OwnedCounter, WatchdogConfig};
use crate::sys::Backend;
use rearm_core::{Action, CallbackRunner, Ledger, Loop, Notified, RunMode, SlotHandle};
use std::sync::atomic::AtomicBool;
use std::thread;

/// The pummelled async after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PummelReport {
    /// Callbacks the loop ran.
    pub callbacks: u64,
    /// The async's ledger.
    pub ledger: Ledger,
}

impl PummelReport {
    /// The share of notifications that merged into one already pending.
    pub fn coalescing_ratio(&self) -> f64 {
        if self.ledger.notified == 0 {
            0.0
        } else {
            self.ledger.coalesced as f64 / self.ledger.notified as f64
        }
    }

    /// Every way the run breaks its invariant.
    pub fn problems(&self, callbacks: u64, threads: usize) -> Vec<String> {
        let mut problems = Vec::new();
        let l = self.ledger;
        if self.callbacks != callbacks || l.delivered != callbacks {
            problems.push(format!(
                "callbacks run = {}, delivered = {}, expected {callbacks}",
                self.callbacks, l.delivered
            ));
        }
        if !l.is_conserved() {
            problems.push(format!("ledger does not balance: {l}"));
        }
        if l.pending != 0 {
            problems.push(format!("{} notification(s) still pending: {l}", l.pending));
        }
        // Every notifier stops at its first dropped notification.
        if l.dropped < threads as u64 {
            problems.push(format!(
                "dropped = {}, but each of the {threads} notifiers ends on a drop",
                l.dropped
            ));
        }
        problems
    }
}

pub(super) fn run<B: Backend>(config: &Config) -> Result<RunReport, BenchError> {
    let threads = config.threads;
    let target = config.pings;
    let boxed: Box<Loop<B, 1>> = Box::new(Loop::new(B::open()?));
    let lp = &*boxed;
    let handle = lp.handle(0)?;
    let callbacks = OwnedCounter::default();
    let gate = Gate::default();
    let done = AtomicBool::new(false);
    let panics = Panics::default();
    let stop_all = || lp.stop();
    let progress = |_: usize| {
        let run = callbacks.get();
        (run < target).then_some(run)
    };
    let snapshot = || {
        format!(
            "async_pummel_{threads}: {} of {target} callbacks run\n  ledger: {}",
            callbacks.get(),
            handle.ledger()
        )
    };
    let notifier_body = |_: usize| notifier(config, handle, &gate);
    let syscalls = || lp.parker().syscalls() + B::shared_syscalls();

    thread::scope(|s| {
        let watched = WatchdogConfig {
            progress: &progress,
            contexts: 1,
            describe: &snapshot,
            stop_all: &stop_all,
            done: &done,
            timeout: config.timeout,
            hard_exit_after: config.hard_exit_after,
        };
        let slots = Vec::with_capacity(1);
        let watchdog = s.spawn(move || watched.watch(slots));
        let _release = RunGuard {
            gate: &gate,
            done: &done,
            watchdog: watchdog.thread().clone(),
        };

        let mut on_notify = || {
            if callbacks.bump() >= target {
                Action::Disarm
            } else {
                Action::Rearm
            }
        };
        let mut runner = CallbackRunner::new(lp)?.with_spin_policy(config.spin);
        runner.arm(0, &mut on_notify)?;
        let (notifiers, spawn_error) =
            spawn_helpers(s, threads, "notifier", &notifier_body, &panics, &stop_all);

        config.call_hook();
        let started = Started {
            gate: &gate,
            done: &done,
            panics: &panics,
            watchdog,
            helpers: notifiers,
            spawn_error,
            timeout: config.timeout,
        };
        let measure = started.finish(
            &mut runner,
            syscalls,
            |runner| runner.run(RunMode::UntilDone),
            // However the run ended, a dead slot is what sends the
            // notifiers home.
            |runner, _| {
                let _ = runner.disarm(0);
            },
        )?;

        // Notifiers are joined: reap what they set after the last callback.
        runner.run(RunMode::NoWait);
        let detail = PummelReport {
            callbacks: callbacks.get(),
            ledger: handle.ledger(),
        };
        let problems = detail.problems(target, threads);
        let report = RunReport {
            backend: B::KIND,
            mode: Mode::Pummel,
            threads,
            pings: target,
            measure,
            main_waits: runner.wait_counts(),
            detail: Detail::Pummel(detail),
        };
        checked(report, problems)
    })
}

/// Coalesced notifications in a row after which a notifier yields its CPU.
///
/// A loop that runs keeps taking what is pending, so a long run of merged
/// notifications says it is not running: most likely it waits for this very
/// CPU (`taskset -c 0`), where a notifier that never lets go leaves it one
/// callback per scheduler time slice and a million callbacks take hours.
/// With two CPUs and one notifier the loop drains within a few
/// notifications and this rarely fires; with more notifiers than free CPUs
/// it gives the loop its CPU back sooner, so those rates rose (docs/results.md).
pub const COALESCED_BEFORE_YIELD: u32 = 64;

/// One notifying thread: notify until the slot is dead, yielding after
/// [`COALESCED_BEFORE_YIELD`] merged notifications in a row.
fn notifier<B: Backend>(config: &Config, handle: SlotHandle<'_, B, 1>, gate: &Gate) {
    config.call_hook();
    if !gate.arrive_and_wait() {
        return;
    }
    let mut merged = 0;
    loop {
        match handle.notify() {
            Notified::Dropped => return,
            Notified::Coalesced => {
                merged += 1;
                if merged == COALESCED_BEFORE_YIELD {
                    merged = 0;
                    thread::yield_now();
                }
            }
            // Queued or kept: this one reached the loop.
            _ => merged = 0,
        }
    }
}
