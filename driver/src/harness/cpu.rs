//! Process CPU time, split into user and system.

use rustix::time::{ClockId, clock_gettime};
use std::time::Duration;

/// A reading of the CPU time the process has used (all its threads, live and
/// exited); subtract two with [`CpuClock::since`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuClock {
    total: Duration,
    user_ticks: u64,
    system_ticks: u64,
}

/// CPU time used over an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuUse {
    /// Time in user mode.
    pub user: Duration,
    /// Time in the kernel on the process's behalf.
    pub system: Duration,
}

impl CpuClock {
    /// Reads the clocks. Allocates (it reads a `/proc` file): call it outside
    /// regions whose allocations are counted.
    pub fn now() -> CpuClock {
        let ts = clock_gettime(ClockId::ProcessCPUTime);
        let total = Duration::new(
            u64::try_from(ts.tv_sec).unwrap_or(0),
            u32::try_from(ts.tv_nsec).unwrap_or(0),
        );
        let (user_ticks, system_ticks) = proc_stat_ticks().unwrap_or((0, 0));
        CpuClock {
            total,
            user_ticks,
            system_ticks,
        }
    }

    /// CPU used since `earlier`. The total is exact (`CLOCK_PROCESS_CPUTIME_ID`,
    /// nanoseconds); the user/system split comes from `/proc/self/stat`, whose
    /// 10 ms ticks are too coarse to use directly but give the proportion. When
    /// too few ticks passed, the proportion of the whole process life is used.
    pub fn since(self, earlier: CpuClock) -> CpuUse {
        let total = self.total.saturating_sub(earlier.total);
        let (mut user, mut system) = (
            self.user_ticks.saturating_sub(earlier.user_ticks),
            self.system_ticks.saturating_sub(earlier.system_ticks),
        );
        if user + system < 10 {
            (user, system) = (self.user_ticks, self.system_ticks);
        }
        let share = if user + system == 0 {
            0.0
        } else {
            system as f64 / (user + system) as f64
        };
        let system = total.mul_f64(share);
        CpuUse {
            user: total.saturating_sub(system),
            system,
        }
    }
}

impl CpuUse {
    /// User plus system.
    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

/// utime and stime (fields 14 and 15) of `/proc/self/stat`, in clock ticks.
fn proc_stat_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after it follow ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user = fields.next()?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some((user, system))
}
