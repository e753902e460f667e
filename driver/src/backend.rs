//! The parkers a benchmark can run on, under one trait.

use crate::sys::{EventfdPark, FutexPark, SyscallCounter};
use rearm_core::{Park, SpinPark};
use spin::relax::RelaxStrategy;
use std::fmt;
use std::io;

/// A parker the benchmarks can open per loop and ask for its syscall count.
pub trait Backend: Park + Send + Sync + Sized + 'static {
    /// Its name on the command line and in reports.
    const KIND: BackendKind;

    /// Opens one parker (one per loop).
    fn open() -> io::Result<Self>;

    /// Syscalls it has made so far: sleeps, wakes, yields, reads.
    fn syscalls(&self) -> u64;

    /// Syscalls made so far by every parker of this type that cannot count its
    /// own (a relax strategy is a function, not an object); added once per run.
    fn shared_syscalls() -> u64 {
        0
    }
}

/// `sched_yield` calls made through [`CountedYield`], by every parker.
static SPIN_YIELDS: SyscallCounter = SyscallCounter::new();

/// `spin::relax::Yield`, counted: the relax strategy of the driver's spin
/// backend.
#[derive(Debug)]
pub struct CountedYield;

impl RelaxStrategy for CountedYield {
    fn relax() {
        SPIN_YIELDS.bump();
        std::thread::yield_now();
    }
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

/// The core's spin parker with the driver's counted yield: the `spin` backend.
impl Backend for SpinPark<CountedYield> {
    const KIND: BackendKind = BackendKind::Spin;

    fn open() -> io::Result<Self> {
        Ok(SpinPark::new())
    }

    fn syscalls(&self) -> u64 {
        0
    }

    fn shared_syscalls() -> u64 {
        SPIN_YIELDS.get()
    }
}

/// The core's spin parker with std's yield, uncounted (for tests that want
/// the parker exactly as the core and `spin` ship it).
impl Backend for SpinPark<spin::relax::Yield> {
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
    /// The core's busy-waiting [`SpinPark`], yielding the CPU between looks
    /// ([`SpinBackend`](crate::bench::SpinBackend)): no sleep, and no syscall
    /// but `sched_yield`.
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
