//! `async_pummel_N`: N threads notify one async as fast as they can until the
//! loop has run the asked-for number of callbacks. Measures the loop's callback
//! rate under a flood, and how much the flood coalesces.

use super::gate::Gate;
use super::watchdog::Watched;
use super::{BenchError, Config, Detail, Measure, Mode, OwnedCounter, RunReport, panic_message};
use crate::alloc_count;
use crate::backend::Backend;
use crate::cpu::CpuClock;
use rearm_core::{Action, Async, Exit, Ledger, Loop, Notified, RunMode, Runner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

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
    let panics: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
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

    thread::scope(|s| {
        let watched = Watched {
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
        let _release = Release {
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
        let mut runner = Runner::new(lp)?.with_spin_policy(config.spin);
        runner.arm(0, &mut on_notify)?;

        let mut notifiers = Vec::with_capacity(threads);
        let mut spawn_error = None;
        for i in 0..threads {
            let (gate, panics) = (&gate, &panics);
            let spawned = thread::Builder::new()
                .name(format!("notifier-{i}"))
                .spawn_scoped(s, move || {
                    let body = || notifier(config, handle, gate);
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
                        let mut panics = panics.lock().unwrap_or_else(|e| e.into_inner());
                        panics.push((format!("notifier-{i}"), panic_message(&*payload)));
                        lp.stop();
                    }
                });
            match spawned {
                Ok(h) => notifiers.push(h),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }

        config.call_hook();
        let go = spawn_error.is_none();
        gate.wait_for(notifiers.len());
        let (cpu_before, syscalls_before) = (
            CpuClock::now(),
            lp.parker().syscalls() + B::shared_syscalls(),
        );
        let allocations_before = alloc_count::allocations();
        let start = Instant::now();
        gate.open(go);

        let main_run = if go {
            catch_unwind(AssertUnwindSafe(|| runner.run(RunMode::UntilDone)))
        } else {
            Ok(Exit::Stopped)
        };
        // However the run ended, a dead slot is what sends the notifiers home.
        let _ = runner.disarm(0);
        for h in notifiers {
            if let Err(payload) = h.join() {
                let mut panics = panics.lock().unwrap_or_else(|e| e.into_inner());
                panics.push(("notifier harness".into(), panic_message(&*payload)));
            }
        }
        let elapsed = start.elapsed();
        let allocations = alloc_count::allocations() - allocations_before;
        let syscalls = lp.parker().syscalls() + B::shared_syscalls() - syscalls_before;
        let cpu = CpuClock::now().since(cpu_before);
        // Release pairs with the watchdog's Acquire.
        done.store(true, Ordering::Release);
        watchdog.thread().unpark();
        let stalled = watchdog.join().unwrap_or(None);

        if let Some(e) = spawn_error {
            return Err(BenchError::Setup(e));
        }
        if let Err(payload) = main_run {
            return Err(BenchError::Panicked {
                thread: "main".into(),
                message: panic_message(&*payload),
            });
        }
        if let Some((thread, message)) = panics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first()
            .cloned()
        {
            return Err(BenchError::Panicked { thread, message });
        }
        if let Some(snapshot) = stalled {
            return Err(BenchError::Stalled {
                after: config.timeout,
                snapshot,
            });
        }
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
            measure: Measure {
                elapsed,
                cpu,
                syscalls,
                allocations: alloc_count::is_installed().then_some(allocations),
            },
            main_waits: runner.wait_stats(),
            detail: Detail::Pummel(detail),
        };
        if problems.is_empty() {
            Ok(report)
        } else {
            Err(BenchError::Violation {
                problems,
                report: Box::new(report),
            })
        }
    })
}

/// One notifying thread: notify until the slot is dead.
fn notifier<B: Backend>(config: &Config, handle: Async<'_, B, 1>, gate: &Gate) {
    config.call_hook();
    if !gate.arrive_and_wait() {
        return;
    }
    while handle.notify() != Notified::Dropped {}
}

/// On drop, sends waiting notifiers home and tells the watchdog the run is over.
struct Release<'a> {
    gate: &'a Gate,
    done: &'a AtomicBool,
    watchdog: thread::Thread,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.gate.open(false);
        // Release pairs with the watchdog's Acquire.
        self.done.store(true, Ordering::Release);
        self.watchdog.unpark();
    }
}
