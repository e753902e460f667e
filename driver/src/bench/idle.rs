//! What a loop with nothing to do costs: one armed completion that is never
//! notified; the process's CPU time is measured over a window that starts
//! after the loop has had time to spend its spin budget and park.

use super::BenchError;
use crate::harness::{CpuClock, CpuUse, WatchdogConfig};
use crate::sys::{Backend, Syscalls};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SpinPolicy};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, Thread};
use std::time::Duration;

/// CPU used by an idle loop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Idle {
    /// The measured window.
    pub window: Duration,
    /// CPU used by the whole process in it.
    pub cpu: CpuUse,
    /// Syscalls the loop's parker made in it.
    pub syscalls: Syscalls,
}

impl Idle {
    /// CPU used as a share of one CPU, in percent.
    pub fn percent_of_a_cpu(&self) -> f64 {
        100.0 * self.cpu.total().as_secs_f64() / self.window.as_secs_f64()
    }
}

/// How the end of an idle run is watched: a loop asked to stop that has not
/// returned after `timeout` has stalled (its parker lost the stop's wake);
/// with `hard_exit_after` set, one that still has not returned that long
/// after a second stop ends the process with status 3, as the other modes'
/// watchdog does.
#[derive(Clone, Copy, Debug)]
pub struct StopWatch {
    /// How long the loop may take to return once asked to stop.
    pub timeout: Duration,
    /// See [`WatchdogConfig::hard_exit_after`].
    pub hard_exit_after: Option<Duration>,
}

/// Sets the flag and wakes the waiting thread when the loop's thread is done,
/// however it ends.
struct Returned<'a> {
    flag: &'a AtomicBool,
    waiter: Thread,
}

impl Drop for Returned<'_> {
    fn drop(&mut self) {
        // Release pairs with the watchdog's Acquire of `done`.
        self.flag.store(true, Ordering::Release);
        self.waiter.unpark();
    }
}

/// Runs an idle loop on a thread of its own with `spin`, waits `settle`, then
/// measures `window`; stops the loop and joins it, watched by `watch`.
pub fn run<B: Backend>(
    spin: SpinPolicy,
    settle: Duration,
    window: Duration,
    watch: StopWatch,
) -> Result<Idle, BenchError> {
    let lp: Loop<B, 1> = Loop::new(B::open().map_err(BenchError::Setup)?);
    let returned = AtomicBool::new(false);
    let main = thread::current();
    thread::scope(|s| {
        let looper = s.spawn(|| {
            let _returned = Returned {
                flag: &returned,
                waiter: main,
            };
            let mut never = || Action::Rearm;
            let Ok(runner) = CallbackRunner::new(&lp) else {
                return None;
            };
            let mut runner = runner.with_spin_policy(spin);
            runner.arm(0, &mut never).ok()?;
            Some(runner.run(RunMode::UntilDone))
        });
        thread::sleep(settle);
        let (cpu_before, syscalls_before) = (
            CpuClock::now(),
            lp.parker().syscalls() + B::shared_syscalls(),
        );
        thread::sleep(window);
        let cpu = CpuClock::now().since(cpu_before);
        let syscalls = lp.parker().syscalls() + B::shared_syscalls() - syscalls_before;
        lp.stop();
        let stalled = WatchdogConfig {
            // Stopping is the only progress left: none until the loop returns.
            // Acquire pairs with `Returned`'s Release store.
            progress: &|_| (!returned.load(Ordering::Acquire)).then_some(0),
            contexts: 1,
            describe: &|| {
                format!(
                    "  idle loop on {}: asked to stop, not returned; its parker made {} \
                     syscalls; slot 0 {}",
                    B::KIND.name(),
                    (lp.parker().syscalls() + B::shared_syscalls()).total(),
                    lp.ledger(0).unwrap_or_default()
                )
            },
            stop_all: &|| lp.stop(),
            done: &returned,
            timeout: watch.timeout,
            hard_exit_after: watch.hard_exit_after,
        }
        .watch(Vec::with_capacity(1));
        let exit = looper.join().ok().flatten();
        if let Some(snapshot) = stalled {
            return Err(BenchError::Stalled {
                after: watch.timeout,
                snapshot,
            });
        }
        if exit != Some(Exit::Stopped) {
            return Err(BenchError::Setup(std::io::Error::other(
                "the idle loop did not stop cleanly",
            )));
        }
        Ok(Idle {
            window,
            cpu,
            syscalls,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::BackendKind;
    use rearm_core::park::{Park, ParkWord};
    use std::io;

    /// A parker that never hears an unpark: each park is a 1 s nap, so a
    /// loop on it notices a stop only when its nap ends.
    struct Deaf;

    impl Park for Deaf {
        fn park(&self, _word: &ParkWord, _expected: u32) {
            thread::sleep(Duration::from_secs(1));
        }
        fn unpark(&self, _word: &ParkWord) {}
    }

    impl Backend for Deaf {
        const KIND: BackendKind = BackendKind::Thread;
        fn open() -> io::Result<Self> {
            Ok(Deaf)
        }
        fn syscalls(&self) -> Syscalls {
            Syscalls::default()
        }
    }

    /// Before the stop was watched, an idle loop whose parker lost the stop's
    /// wake made the run wait for as long as the loop slept (for ever, for a
    /// real lost wake), with nothing said.
    #[test]
    fn an_idle_loop_that_misses_its_stop_is_reported_stalled() {
        let watch = StopWatch {
            timeout: Duration::from_millis(100),
            hard_exit_after: None,
        };
        let ms = Duration::from_millis;
        match run::<Deaf>(SpinPolicy::PARK_AT_ONCE, ms(20), ms(20), watch) {
            Err(BenchError::Stalled { after, snapshot }) => {
                assert_eq!(after, ms(100));
                assert!(
                    snapshot.contains("idle loop on thread: asked to stop"),
                    "{snapshot}"
                );
                assert!(snapshot.contains("notified 0"), "{snapshot}");
            }
            other => panic!("expected a stall, got {other:?}"),
        }
    }

    #[test]
    fn an_idle_loop_that_hears_its_stop_reports_its_window() {
        let watch = StopWatch {
            timeout: Duration::from_secs(5),
            hard_exit_after: None,
        };
        let ms = Duration::from_millis;
        let idle =
            run::<rearm_core::park::ThreadPark>(SpinPolicy::default(), ms(20), ms(50), watch)
                .expect("an idle run");
        assert_eq!(idle.window, ms(50));
    }
}
