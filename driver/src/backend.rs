//! The parkers a benchmark can run on, under one trait.

use crate::sys::{EventfdPark, FutexPark};
use rearm_core::{Park, SpinPark};
use spin::relax::RelaxStrategy;
use std::fmt;
use std::io;

/// A parker the benchmarks can open per loop and ask for its syscall count.
pub trait Backend: Park + Send + Sized + 'static {
    /// Its name on the command line and in reports.
    const KIND: BackendKind;

    /// Opens one parker (one per loop).
    fn open() -> io::Result<Self>;

    /// Syscalls it has made so far: sleeps, wakes, yields, reads.
    fn syscalls(&self) -> u64;
}

impl Backend for FutexPark {
    const KIND: BackendKind = BackendKind::Futex;

    fn open() -> io::Result<Self> {
        Ok(FutexPark::new())
    }

    fn syscalls(&self) -> u64 {
        self.waits() + self.wakes() + self.yields()
    }
}

impl Backend for EventfdPark {
    const KIND: BackendKind = BackendKind::Eventfd;

    fn open() -> io::Result<Self> {
        Ok(EventfdPark::new()?)
    }

    fn syscalls(&self) -> u64 {
        self.waits() + self.reads() + self.writes() + self.yields()
    }
}

/// The core's spin parker, with any relax strategy: `spin::relax::Spin` (the
/// benchmark's `spin` backend) or `spin::relax::Yield` (which gives the CPU away
/// between looks, for machines with more spinning threads than CPUs).
impl<R: RelaxStrategy + Send + 'static> Backend for SpinPark<R> {
    const KIND: BackendKind = BackendKind::Spin;

    fn open() -> io::Result<Self> {
        Ok(SpinPark::new())
    }

    fn syscalls(&self) -> u64 {
        0
    }
}

/// The backends, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// Private futexes on the park word ([`FutexPark`]); the default.
    Futex,
    /// An eventfd per loop, slept on with epoll ([`EventfdPark`]).
    Eventfd,
    /// The core's busy-waiting [`SpinPark`]: no syscalls, no sleep.
    Spin,
}

impl BackendKind {
    /// Every backend, in report order.
    pub const ALL: [BackendKind; 3] = [BackendKind::Futex, BackendKind::Eventfd, BackendKind::Spin];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Futex => "futex",
            BackendKind::Eventfd => "eventfd",
            BackendKind::Spin => "spin",
        }
    }

    /// The backend called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<BackendKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
