//! The clocks the parkers report to the core: `CLOCK_MONOTONIC` for
//! deadlines and timers, the thread's and the process's CPU time for the
//! wait policy.

use rustix::time::{ClockId, Timespec, clock_gettime};

/// `CLOCK_MONOTONIC` in nanoseconds: what the parkers report as
/// [`Park::now_ns`](rearm_core::park::Park::now_ns), the clock their deadlines are
/// points on. A vDSO read through the C library, no syscall.
///
/// ```
/// let (a, b) = (rearm_linux::monotonic_ns(), rearm_linux::monotonic_ns());
/// assert!(b >= a);
/// ```
#[must_use]
pub fn monotonic_ns() -> u64 {
    clock_ns(ClockId::Monotonic)
}

/// `CLOCK_THREAD_CPUTIME_ID` in nanoseconds: the calling thread's CPU time
/// (a syscall), what the parkers report as
/// [`Park::thread_cpu_ns`](rearm_core::park::Park::thread_cpu_ns).
///
/// ```
/// let before = rearm_linux::thread_cpu_ns();
/// let mut x = 0u64;
/// for i in 0..1_000_000 { x = std::hint::black_box(x.wrapping_add(i)); }
/// assert!(rearm_linux::thread_cpu_ns() >= before);
/// ```
#[must_use]
pub fn thread_cpu_ns() -> u64 {
    clock_ns(ClockId::ThreadCPUTime)
}

/// What the parkers report as [`Park::busy_ns`](rearm_core::park::Park::busy_ns):
/// this process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`, a syscall) divided by
/// the CPUs it may run on, counted once when the clock is made.
///
/// ```
/// use rearm_linux::BusyClock;
///
/// let clock = BusyClock::new();
/// let before = clock.read();
/// assert!(clock.read() >= before);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BusyClock {
    cpus: u64,
}

impl BusyClock {
    /// Counts the CPUs this process may run on now (affinity and cgroup
    /// quota, as `std::thread::available_parallelism` sees them).
    #[must_use]
    pub fn new() -> Self {
        BusyClock {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()) as u64,
        }
    }

    /// CPU nanoseconds used by the whole process so far, per usable CPU.
    #[must_use]
    pub fn read(&self) -> u64 {
        clock_ns(ClockId::ProcessCPUTime) / self.cpus
    }
}

impl Default for BusyClock {
    fn default() -> Self {
        Self::new()
    }
}

/// A point on `CLOCK_MONOTONIC`, in nanoseconds as [`monotonic_ns`] gives
/// it, as the kernel's time struct (for absolute timeouts); also a span.
pub(crate) fn monotonic_timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX),
        tv_nsec: (ns % 1_000_000_000) as i64,
    }
}

/// A clock's reading in nanoseconds. The clocks read here never go negative;
/// u64 nanoseconds last 584 years.
pub(crate) fn clock_ns(clock: ClockId) -> u64 {
    let t = clock_gettime(clock);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

#[cfg(test)]
mod tests {
    use super::monotonic_timespec;

    #[test]
    fn nanoseconds_split_into_seconds_and_nanoseconds() {
        let parts = |ns| {
            let t = monotonic_timespec(ns);
            (t.tv_sec, t.tv_nsec)
        };
        assert_eq!(parts(0), (0, 0));
        assert_eq!(parts(999_999_999), (0, 999_999_999));
        assert_eq!(parts(1_500_000_000), (1, 500_000_000));
        assert_eq!(
            parts(u64::MAX),
            (18_446_744_073, 709_551_615),
            "u64 nanoseconds fit the kernel's seconds"
        );
    }
}
