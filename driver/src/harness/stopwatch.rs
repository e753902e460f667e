//! The clocks of a timed region: wall clock, the process's CPU time, and the
//! allocations made (when the counting allocator is installed).

use super::alloc_count;
use super::{CpuClock, CpuUse};
use std::time::{Duration, Instant};

/// Started at the beginning of a timed region, stopped at its end.
#[derive(Debug)]
pub struct Stopwatch {
    cpu: CpuClock,
    allocations: u64,
    start: Instant,
}

/// What a [`Stopwatch`] measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timed {
    /// Wall-clock time.
    pub elapsed: Duration,
    /// CPU time of the whole process.
    pub cpu: CpuUse,
    /// Allocations, when the counting allocator is installed.
    pub allocations: Option<u64>,
}

impl Stopwatch {
    /// Starts the region.
    pub fn start() -> Self {
        // The CPU clock reads a /proc file (and allocates): before the count.
        let cpu = CpuClock::now();
        Stopwatch {
            cpu,
            allocations: alloc_count::allocations(),
            start: Instant::now(),
        }
    }

    /// Ends the region.
    pub fn stop(self) -> Timed {
        let elapsed = self.start.elapsed();
        let allocations = alloc_count::allocations() - self.allocations;
        let cpu = CpuClock::now().since(self.cpu);
        Timed {
            elapsed,
            cpu,
            allocations: alloc_count::is_installed().then_some(allocations),
        }
    }
}
