//! The syscall counts every parker here keeps, for benchmarks and tests.

use std::sync::atomic::{AtomicU64, Ordering};

/// A count of syscalls that any thread may bump.
///
/// Relaxed throughout: a count orders nothing, and is read after the threads
/// that bump it were joined (or as an estimate while they run).
///
/// ```
/// use rearm_linux::SyscallCounter;
///
/// let waits = SyscallCounter::new();
/// waits.bump();
/// assert_eq!(waits.get(), 1);
/// ```
#[derive(Debug, Default)]
pub struct SyscallCounter(AtomicU64);

impl SyscallCounter {
    /// A counter at zero.
    #[must_use]
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
