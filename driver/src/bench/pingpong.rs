//! `asyncN`: the seed program of libuv's and libxev's async benchmarks.
//!
//! N contexts. Each has a worker thread running its own one-slot loop; the main
//! loop has one slot per context. The worker kicks main once, then every callback
//! on either side notifies its peer, counts, and rearms until it has sent the
//! asked-for number of pings, then disarms. The worker's last reply finds main's
//! completion disarmed and is dropped: the ledger shows exactly that.

use super::skeleton::{Panics, RunGuard, Started, checked, spawn_helpers};
use super::{BenchError, Config, Detail, MAX_THREADS, Mode, RunReport};
use crate::harness::{Gate, PingCounters, WatchdogConfig};
use crate::sys::{Backend, Syscalls};
use rearm_core::{Action, CallbackRunner, Exit, Ledger, Loop, RunMode, SlotHandle, WaitCounts};
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::thread;

/// One context: libuv's counters, and how its worker's waits ended.
#[derive(Debug, Default)]
struct Context {
    pings: PingCounters,
    /// How the worker's waits ended, set once its run returns.
    worker_waits: OnceLock<WaitCounts>,
}

/// The counters of one context after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextReport {
    /// Pings main sent.
    pub main_sent: u64,
    /// Callbacks main ran.
    pub main_seen: u64,
    /// Replies the worker sent (the kick not included).
    pub worker_sent: u64,
    /// Callbacks the worker ran.
    pub worker_seen: u64,
    /// The ledger of main's async for this context (the worker notifies it).
    pub to_main: Ledger,
    /// The ledger of the worker's async (main notifies it).
    pub to_worker: Ledger,
    /// How the worker loop's waits ended (all zero if it never ran).
    pub worker_waits: WaitCounts,
}

impl ContextReport {
    /// Every way this context breaks the million-ping invariant.
    pub fn problems(&self, context: usize, pings: u64) -> Vec<String> {
        let mut problems = Vec::new();
        let counters = [
            ("main_sent", self.main_sent),
            ("main_seen", self.main_seen),
            ("worker_sent", self.worker_sent),
            ("worker_seen", self.worker_seen),
        ];
        for (name, value) in counters {
            if value != pings {
                problems.push(format!(
                    "context {context}: {name} = {value}, expected {pings}"
                ));
            }
        }
        // Worker to main: the kick plus one reply per ping; the last reply lands
        // on the disarmed completion.
        let to_main = Ledger {
            notified: pings + 1,
            delivered: pings,
            coalesced: 0,
            dropped: 1,
            pending: 0,
        };
        let to_worker = Ledger {
            notified: pings,
            delivered: pings,
            coalesced: 0,
            dropped: 0,
            pending: 0,
        };
        for (name, got, want) in [
            ("worker->main", self.to_main, to_main),
            ("main->worker", self.to_worker, to_worker),
        ] {
            if got != want {
                problems.push(format!(
                    "context {context}: {name} ledger is [{got}], expected [{want}]"
                ));
            }
            if !got.is_conserved() {
                problems.push(format!("context {context}: {name} ledger does not balance"));
            }
        }
        problems
    }
}

pub(super) fn run<B: Backend>(config: &Config) -> Result<RunReport, BenchError> {
    let threads = config.threads;
    let pings = config.pings;
    let main_loop: Box<Loop<B, MAX_THREADS>> = Box::new(Loop::new(B::open()?));
    let worker_loops = (0..threads)
        .map(|_| Ok(Loop::<B, 1>::new(B::open()?)))
        .collect::<Result<Vec<_>, BenchError>>()?;
    let contexts: Vec<Context> = (0..threads).map(|_| Context::default()).collect();
    let to_main = (0..threads)
        .map(|i| main_loop.handle(i))
        .collect::<Result<Vec<_>, _>>()?;
    let to_worker = worker_loops
        .iter()
        .map(|lp| lp.handle(0))
        .collect::<Result<Vec<_>, _>>()?;

    let gate = Gate::default();
    let done = AtomicBool::new(false);
    let panics = Panics::default();
    let stop_all = || {
        main_loop.stop();
        worker_loops.iter().for_each(Loop::stop);
    };
    let progress = |i: usize| {
        let c = &contexts[i];
        let (main_seen, worker_seen) = (c.pings.main.0.seen.get(), c.pings.worker.0.seen.get());
        (main_seen < pings || worker_seen < pings).then_some(main_seen + worker_seen)
    };
    let snapshot = || describe(&contexts, &main_loop, &worker_loops, pings);
    let worker_body = |i: usize| worker(config, &contexts[i], &worker_loops[i], to_main[i], &gate);

    thread::scope(|s| {
        let watched = WatchdogConfig {
            progress: &progress,
            contexts: threads,
            describe: &snapshot,
            stop_all: &stop_all,
            done: &done,
            timeout: config.timeout,
            hard_exit_after: config.hard_exit_after,
        };
        let slots = Vec::with_capacity(threads);
        let watchdog = s.spawn(move || watched.watch(slots));
        let _release = RunGuard {
            gate: &gate,
            done: &done,
            watchdog: watchdog.thread().clone(),
        };
        let (workers, spawn_error) =
            spawn_helpers(s, threads, "worker", &worker_body, &panics, &stop_all);

        config.call_hook();
        let mut callbacks: Vec<_> = contexts
            .iter()
            .zip(to_worker.iter().copied())
            .map(|(ctx, to_worker)| {
                move || {
                    let side = &ctx.pings.main.0;
                    side.seen.bump();
                    to_worker.notify();
                    if side.sent.bump() >= pings {
                        Action::Disarm
                    } else {
                        Action::Rearm
                    }
                }
            })
            .collect();
        let mut runner = CallbackRunner::new(&*main_loop)?.with_spin_policy(config.spin);
        for (slot, callback) in callbacks.iter_mut().enumerate() {
            runner.arm(slot, callback)?;
        }

        let started = Started {
            gate: &gate,
            done: &done,
            panics: &panics,
            watchdog,
            helpers: workers,
            spawn_error,
            timeout: config.timeout,
        };
        let measure = started.finish(
            &mut runner,
            || syscalls(&main_loop, &worker_loops),
            |runner| runner.run(RunMode::UntilDone),
            // A run that did not end with every ping answered stops the
            // workers' loops, which sends them home.
            |_, main_run| {
                if !matches!(main_run, Ok(Exit::Done)) {
                    stop_all();
                }
            },
        )?;

        // Every thread is joined: take the worker's last replies, which may have
        // landed after main's last look, so they are counted as dropped.
        runner.run(RunMode::NoWait);
        let reports: Vec<ContextReport> = (0..threads)
            .map(|i| context_report(&contexts[i], &main_loop, &worker_loops[i], i))
            .collect();
        let problems = reports
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.problems(i, pings))
            .collect();
        let report = RunReport {
            backend: B::KIND,
            mode: Mode::PingPong,
            threads,
            pings,
            measure,
            main_waits: runner.wait_counts(),
            detail: Detail::PingPong(reports),
        };
        checked(report, problems)
    })
}

/// One worker thread: arm, wait for the start, kick main, run until done.
fn worker<B: Backend>(
    config: &Config,
    ctx: &Context,
    lp: &Loop<B, 1>,
    to_main: SlotHandle<'_, B, MAX_THREADS>,
    gate: &Gate,
) {
    config.call_hook();
    let pings = config.pings;
    let side = &ctx.pings.worker.0;
    let mut on_ping = || {
        side.seen.bump();
        to_main.notify();
        if side.sent.bump() >= pings {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let Ok(runner) = CallbackRunner::new(lp) else {
        // Each worker loop is made for this worker alone; no runner can exist.
        gate.arrive_and_wait();
        return;
    };
    let mut runner = runner.with_spin_policy(config.spin);
    // Slot 0 of a fresh one-slot loop is dead: arming it cannot fail.
    let armed = runner.arm(0, &mut on_ping).is_ok();
    if !gate.arrive_and_wait() || !armed {
        return;
    }
    to_main.notify();
    runner.run(RunMode::UntilDone);
    // Set once: this is the context's only worker. No allocation.
    let _ = ctx.worker_waits.set(runner.wait_counts());
}

fn syscalls<B: Backend>(main_loop: &Loop<B, MAX_THREADS>, workers: &[Loop<B, 1>]) -> Syscalls {
    main_loop.parker().syscalls()
        + workers.iter().map(|w| w.parker().syscalls()).sum()
        + B::shared_syscalls()
}

fn context_report<B: Backend>(
    ctx: &Context,
    main_loop: &Loop<B, MAX_THREADS>,
    worker_loop: &Loop<B, 1>,
    slot: usize,
) -> ContextReport {
    let [main_sent, main_seen, worker_sent, worker_seen] = ctx.pings.all();
    ContextReport {
        main_sent,
        main_seen,
        worker_sent,
        worker_seen,
        to_main: main_loop.ledger(slot).unwrap_or_default(),
        to_worker: worker_loop.ledger(0).unwrap_or_default(),
        worker_waits: ctx.worker_waits.get().copied().unwrap_or_default(),
    }
}

/// Every context's counters, the unfinished ones marked: for a stall report.
fn describe<B: Backend>(
    contexts: &[Context],
    main_loop: &Loop<B, MAX_THREADS>,
    worker_loops: &[Loop<B, 1>],
    pings: u64,
) -> String {
    let mut out = String::new();
    for (i, (ctx, worker_loop)) in contexts.iter().zip(worker_loops).enumerate() {
        let c = context_report(ctx, main_loop, worker_loop, i);
        let state = if c.main_seen == pings && c.worker_seen == pings {
            "finished"
        } else {
            "STALLED"
        };
        let _ = writeln!(
            out,
            "context {i} ({state}): main sent {} seen {}, worker sent {} seen {}\n  worker->main: {}\n  main->worker: {}",
            c.main_sent, c.main_seen, c.worker_sent, c.worker_seen, c.to_main, c.to_worker
        );
    }
    out
}
