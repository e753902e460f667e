//! What a loop with nothing to do costs: one armed completion that is never
//! notified; the process's CPU time is measured over a window that starts
//! after the loop has had time to spend its spin budget and park.

use crate::harness::{CpuClock, CpuUse};
use crate::sys::{Backend, Syscalls};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SpinPolicy};
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

/// Runs an idle loop on a thread of its own with `spin`, waits `settle`, then
/// measures `window`; stops the loop and joins it.
pub fn run<B: Backend>(
    spin: SpinPolicy,
    settle: Duration,
    window: Duration,
) -> std::io::Result<Idle> {
    let lp: Loop<B, 1> = Loop::new(B::open()?);
    std::thread::scope(|s| {
        let looper = s.spawn(|| {
            let mut never = || Action::Rearm;
            let Ok(runner) = CallbackRunner::new(&lp) else {
                return None;
            };
            let mut runner = runner.with_spin_policy(spin);
            runner.arm(0, &mut never).ok()?;
            Some(runner.run(RunMode::UntilDone))
        });
        std::thread::sleep(settle);
        let (cpu_before, syscalls_before) = (
            CpuClock::now(),
            lp.parker().syscalls() + B::shared_syscalls(),
        );
        std::thread::sleep(window);
        let cpu = CpuClock::now().since(cpu_before);
        let syscalls = lp.parker().syscalls() + B::shared_syscalls() - syscalls_before;
        lp.stop();
        let exit = looper.join().ok().flatten();
        if exit != Some(Exit::Stopped) {
            return Err(std::io::Error::other("the idle loop did not stop cleanly"));
        }
        Ok(Idle {
            window,
            cpu,
            syscalls,
        })
    })
}
