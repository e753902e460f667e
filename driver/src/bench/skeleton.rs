//! What the benchmarks share around their own protocol: helper threads whose
//! panics are caught and recorded, a guard that releases everyone on early
//! return, the timed region's measurements, the end of a run, and the order
//! in which failures are reported.

use super::{BenchError, Measure, RunReport, panic_message};
use crate::harness::{Gate, Stopwatch};
use crate::sys::Syscalls;
use rearm_core::Exit;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, Scope, ScopedJoinHandle};
use std::time::Duration;

/// Panics caught in a run's threads: which thread, what it said.
#[derive(Debug, Default)]
pub(crate) struct Panics(Mutex<Vec<(String, String)>>);

impl Panics {
    pub(crate) fn record(&self, thread: String, payload: &(dyn std::any::Any + Send)) {
        let mut panics = self.0.lock().unwrap_or_else(|e| e.into_inner());
        panics.push((thread, panic_message(payload)));
    }

    fn first(&self) -> Option<(String, String)> {
        let panics = self.0.lock().unwrap_or_else(|e| e.into_inner());
        panics.first().cloned()
    }
}

/// Spawns `count` helper threads named `name-i` running `body(i)`. A panic in
/// one is recorded and `stop_all` called, so the rest of the run ends instead of
/// waiting for it. Returns the handles, and the error that stopped spawning
/// early, if any.
pub(crate) fn spawn_helpers<'scope, 'env, F>(
    s: &'scope Scope<'scope, 'env>,
    count: usize,
    name: &str,
    body: &'scope F,
    panics: &'scope Panics,
    stop_all: &'scope (dyn Fn() + Sync),
) -> (Vec<ScopedJoinHandle<'scope, ()>>, Option<io::Error>)
where
    F: Fn(usize) + Sync,
{
    let mut handles = Vec::with_capacity(count);
    for i in 0..count {
        let thread_name = format!("{name}-{i}");
        let spawned = thread::Builder::new()
            .name(thread_name.clone())
            .spawn_scoped(s, move || {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| body(i))) {
                    panics.record(thread_name, &*payload);
                    stop_all();
                }
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => return (handles, Some(e)),
        }
    }
    (handles, None)
}

/// Joins helpers spawned by [`spawn_helpers`]. Their bodies catch their own
/// panics; a join error would be a panic in the wrapper around them.
fn join_helpers(handles: Vec<ScopedJoinHandle<'_, ()>>, panics: &Panics) {
    for handle in handles {
        if let Err(payload) = handle.join() {
            panics.record("helper".into(), &*payload);
        }
    }
}

/// On drop, sends helpers still waiting at the gate home and tells the
/// watchdog the run is over: every early return lets everyone go.
pub(crate) struct RunGuard<'a> {
    pub(crate) gate: &'a Gate,
    pub(crate) done: &'a AtomicBool,
    pub(crate) watchdog: thread::Thread,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        // A no-op when the gate already opened for a run.
        self.gate.open(false);
        // Release pairs with the watchdog's Acquire.
        self.done.store(true, Ordering::Release);
        self.watchdog.unpark();
    }
}

/// The clocks of a timed region, and the parkers' syscall count.
struct TimedRegion {
    stopwatch: Stopwatch,
    syscalls: Syscalls,
}

impl TimedRegion {
    /// Starts the region; `syscalls` is the parkers' count now.
    fn start(syscalls: Syscalls) -> Self {
        TimedRegion {
            stopwatch: Stopwatch::start(),
            syscalls,
        }
    }

    /// Ends the region; `syscalls` is the parkers' count now.
    fn stop(self, syscalls: Syscalls) -> Measure {
        let timed = self.stopwatch.stop();
        Measure {
            elapsed: timed.elapsed,
            cpu: timed.cpu,
            syscalls: syscalls - self.syscalls,
            allocations: timed.allocations,
        }
    }
}

/// A run whose helper threads are spawned (or failed to spawn), with what
/// its main thread needs to time it and end it.
pub(crate) struct Started<'scope, 'a> {
    pub(crate) gate: &'a Gate,
    pub(crate) done: &'a AtomicBool,
    pub(crate) panics: &'a Panics,
    pub(crate) watchdog: ScopedJoinHandle<'scope, Option<String>>,
    pub(crate) helpers: Vec<ScopedJoinHandle<'scope, ()>>,
    pub(crate) spawn_error: Option<io::Error>,
    pub(crate) timeout: Duration,
}

impl Started<'_, '_> {
    /// The timed part of the run and its end, the same for every benchmark:
    /// waits for the helpers at the gate and opens it (to send them home, if
    /// spawning failed), runs `main` on `runner` in the timed region, lets
    /// `after` send the helpers home however the main run ended, joins them,
    /// ends the region (`syscalls` read at both ends), and reports the first
    /// failure (see [`conclude`]).
    pub(crate) fn finish<R>(
        self,
        runner: &mut R,
        syscalls: impl Fn() -> Syscalls,
        main: impl FnOnce(&mut R) -> Exit,
        after: impl FnOnce(&mut R, &thread::Result<Exit>),
    ) -> Result<Measure, BenchError> {
        let go = self.spawn_error.is_none();
        self.gate.wait_for(self.helpers.len());
        let region = TimedRegion::start(syscalls());
        self.gate.open(go);
        let main_run = if go {
            catch_unwind(AssertUnwindSafe(|| main(&mut *runner)))
        } else {
            Ok(Exit::Stopped)
        };
        after(runner, &main_run);
        join_helpers(self.helpers, self.panics);
        let measure = region.stop(syscalls());
        conclude(
            self.watchdog,
            self.done,
            main_run,
            self.spawn_error,
            self.panics,
            self.timeout,
        )?;
        Ok(measure)
    }
}

/// Ends a run whose helpers are joined: tells the watchdog, collects its
/// verdict and the main thread's outcome, and reports the first failure (see
/// [`failure`]).
fn conclude<T>(
    watchdog: ScopedJoinHandle<'_, Option<String>>,
    done: &AtomicBool,
    main_run: std::thread::Result<T>,
    spawn_error: Option<io::Error>,
    panics: &Panics,
    timeout: Duration,
) -> Result<(), BenchError> {
    // Release pairs with the watchdog's Acquire.
    done.store(true, Ordering::Release);
    watchdog.thread().unpark();
    let stalled = watchdog.join().unwrap_or(None);
    if let Err(payload) = main_run {
        panics.record("main".into(), &*payload);
    }
    failure(spawn_error, panics, stalled, timeout)
}

/// Why a run that has ended has no result, in order of precedence: it could
/// not start; a thread panicked; it stalled.
fn failure(
    spawn_error: Option<io::Error>,
    panics: &Panics,
    stalled: Option<String>,
    timeout: Duration,
) -> Result<(), BenchError> {
    if let Some(e) = spawn_error {
        return Err(BenchError::Setup(e));
    }
    if let Some((thread, message)) = panics.first() {
        return Err(BenchError::Panicked { thread, message });
    }
    if let Some(snapshot) = stalled {
        return Err(BenchError::Stalled {
            after: timeout,
            snapshot,
        });
    }
    Ok(())
}

/// The report, or a violation carrying it when `problems` is not empty.
pub(crate) fn checked(report: RunReport, problems: Vec<String>) -> Result<RunReport, BenchError> {
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(BenchError::Violation {
            problems,
            report: Box::new(report),
        })
    }
}
