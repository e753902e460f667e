//! The platform's ways to sleep and wake, one file per mechanism, each syscall
//! wrapped once (through rustix: no `unsafe` here).
//!
//! With the `bench` feature, also what the benchmarks need of a parker: the
//! [`Backend`] trait, the one place a backend's name becomes its type
//! ([`dispatch`]), and the fault injector.

#[cfg(feature = "bench")]
mod backend;
mod eventfd;
#[cfg(feature = "bench")]
mod fault;
mod futex;
#[cfg(feature = "bench")]
mod spin;
#[cfg(feature = "bench")]
mod thread;

#[cfg(feature = "bench")]
pub use backend::{Backend, BackendKind, OnBackend, Syscalls, dispatch};
pub use eventfd::EventfdPark;
#[cfg(feature = "bench")]
pub use fault::{FaultyPark, xorshift64};
pub use futex::FutexPark;
#[cfg(feature = "bench")]
pub use spin::{CountedYield, SpinBackend};

use std::sync::atomic::{AtomicU64, Ordering};

/// A syscall counter that any thread may bump. Relaxed throughout: counts are read
/// after the threads that bump them were joined.
#[derive(Debug, Default)]
pub struct SyscallCounter(AtomicU64);

impl SyscallCounter {
    /// A counter at zero.
    pub const fn new() -> Self {
        SyscallCounter(AtomicU64::new(0))
    }

    /// Counts one syscall.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds (a vDSO read, no syscall): the parkers'
/// clock for timing yields.
pub fn monotonic_ns() -> u64 {
    clock_ns(rustix::time::ClockId::Monotonic)
}

/// Sets the calling thread's timer slack to 1 ns, once per thread: the
/// parkers do so before their first timed sleep. The kernel lets a timed
/// sleep of a normal thread end up to its slack (50 µs by default) late, to
/// merge wakeups; a loop that runs timers wants each on time, and pays with
/// wakeups that are not merged.
pub(crate) fn tighten_timer_slack() {
    thread_local! {
        static TIGHT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    TIGHT.with(|tight| {
        if !tight.replace(true) {
            // Refused only by kernels before 2.6.28; the sleep is then as
            // late as the default slack lets it be.
            let _ = rustix::thread::set_current_timer_slack(core::num::NonZeroU64::new(1));
        }
    });
}

/// A point on `CLOCK_MONOTONIC`, in nanoseconds as [`monotonic_ns`] gives
/// it, as the kernel's time struct (for absolute timeouts).
pub(crate) fn monotonic_timespec(ns: u64) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX),
        tv_nsec: (ns % 1_000_000_000) as i64,
    }
}

/// `CLOCK_THREAD_CPUTIME_ID` in nanoseconds: the calling thread's CPU time
/// (a syscall), what the parkers report as
/// [`Park::thread_cpu_ns`](rearm_core::Park::thread_cpu_ns).
pub fn thread_cpu_ns() -> u64 {
    clock_ns(rustix::time::ClockId::ThreadCPUTime)
}

/// A clock's reading in nanoseconds. The clocks read here never go negative;
/// u64 nanoseconds last 584 years.
fn clock_ns(clock: rustix::time::ClockId) -> u64 {
    let t = rustix::time::clock_gettime(clock);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

/// What the parkers report as [`Park::busy_ns`](rearm_core::Park::busy_ns):
/// this process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`, a syscall) divided by
/// the CPUs it may run on, counted once when the parker is made.
#[derive(Clone, Copy, Debug)]
pub struct BusyClock {
    cpus: u64,
}

impl BusyClock {
    /// Counts the CPUs this process may run on now (affinity and cgroup
    /// quota, as `std::thread::available_parallelism` sees them).
    pub fn new() -> Self {
        BusyClock {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()) as u64,
        }
    }

    /// CPU nanoseconds used by the whole process so far, per usable CPU.
    pub fn read(&self) -> u64 {
        clock_ns(rustix::time::ClockId::ProcessCPUTime) / self.cpus
    }
}

impl Default for BusyClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{BusyClock, EventfdPark, FutexPark};
    use rearm_core::Park;
    use std::time::Duration;

    /// Burns `ns` of this thread's CPU time, or gives up after a second of
    /// std's clock if the thread clock does not move (the asserts then say
    /// so, where waiting on it would hang).
    fn burn_cpu(ns: u64) {
        let thread_cpu = || super::clock_ns(rustix::time::ClockId::ThreadCPUTime);
        let (start, give_up) = (thread_cpu(), std::time::Instant::now());
        let mut spin = 0u64;
        while thread_cpu().saturating_sub(start) < ns && give_up.elapsed().as_secs() < 1 {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
    }

    /// A Linux parker's three clocks: the wall clock moves across a sleep,
    /// the busy and thread CPU clocks across CPU burnt on this thread.
    fn clocks_advance(name: &str, park: &impl Park) {
        let (now, busy, cpu) = (park.now_ns(), park.busy_ns(), park.thread_cpu_ns());
        let (Some(now), Some(busy), Some(cpu)) = (now, busy, cpu) else {
            panic!("{name}: a clock is missing: {now:?} {busy:?} {cpu:?}");
        };
        std::thread::sleep(Duration::from_millis(2));
        let slept = park.now_ns().unwrap().saturating_sub(now);
        assert!(
            slept >= 2_000_000,
            "{name}: 2 ms of sleep read as {slept} ns"
        );
        burn_cpu(20_000_000);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let busy = park.busy_ns().unwrap().saturating_sub(busy);
        assert!(busy >= 19_000_000 / cpus, "{name}: busy {busy} ns");
        let cpu = park.thread_cpu_ns().unwrap().saturating_sub(cpu);
        assert!(cpu >= 20_000_000, "{name}: thread CPU {cpu} ns");
    }

    #[test]
    fn every_linux_parker_reads_all_three_clocks() {
        clocks_advance("futex", &FutexPark::new());
        clocks_advance("eventfd", &EventfdPark::new().unwrap());
    }

    /// The fault injector passes every clock through.
    #[cfg(feature = "bench")]
    #[test]
    fn a_faulty_parker_reads_its_inner_parkers_clocks() {
        use super::FaultyPark;
        clocks_advance("faulty futex", &FaultyPark::new(FutexPark::new()));
        clocks_advance(
            "faulty eventfd",
            &FaultyPark::new(EventfdPark::new().unwrap()),
        );
    }

    /// The busy clock follows the process's CPU time per usable CPU: burning
    /// 50 ms of CPU on this thread moves it by at least that divided by the
    /// CPUs, and never by more than the wall-clock time that passed (the
    /// process's threads share those CPUs).
    #[test]
    fn busy_clock_advances_with_the_process_cpu_time() {
        let clock = BusyClock::new();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let wall = std::time::Instant::now();
        let before = clock.read();
        burn_cpu(50_000_000);
        let after = clock.read();
        let wall = wall.elapsed().as_nanos() as u64;
        let busy = after.saturating_sub(before);
        assert!(
            busy >= 49_000_000 / cpus,
            "{before} then {after} over {cpus} CPUs"
        );
        // A millisecond of slack for the clocks' granularity.
        assert!(
            busy <= wall + 1_000_000,
            "busy {busy} ns in {wall} ns of wall time over {cpus} CPUs"
        );
    }
}
