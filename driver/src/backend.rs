//! The parkers a benchmark can run on, under one trait.

use crate::sys::{EventfdPark, FutexPark, SyscallCounter};
use rearm_core::relax::RelaxStrategy;
use rearm_core::{Park, SpinPark, ThreadPark};
use std::fmt;
use std::io;

/// A parker the benchmarks can open per loop and ask for its syscall count.
pub trait Backend: Park + Send + Sync + Sized + 'static {
    /// Its name on the command line and in reports.
    const KIND: BackendKind;

    /// Opens one parker (one per loop).
    fn open() -> io::Result<Self>;

    /// Syscalls it has made so far.
    fn syscalls(&self) -> Syscalls;

    /// Syscalls made so far by every parker of this type that cannot count its
    /// own (a relax strategy is a function, not an object); added once per run.
    fn shared_syscalls() -> Syscalls {
        Syscalls::default()
    }
}

/// Syscalls made by parkers, by what they were for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Syscalls {
    /// Sleeping and waking: futex waits and wakes; epoll waits, eventfd reads
    /// and writes.
    pub sleep_wake: u64,
    /// `sched_yield` calls.
    pub yields: u64,
}

impl Syscalls {
    /// All of them.
    pub fn total(self) -> u64 {
        self.sleep_wake + self.yields
    }
}

impl std::ops::Add for Syscalls {
    type Output = Syscalls;
    fn add(self, other: Syscalls) -> Syscalls {
        Syscalls {
            sleep_wake: self.sleep_wake + other.sleep_wake,
            yields: self.yields + other.yields,
        }
    }
}

impl std::ops::Sub for Syscalls {
    type Output = Syscalls;
    /// Counts since an earlier reading (never negative).
    fn sub(self, earlier: Syscalls) -> Syscalls {
        Syscalls {
            sleep_wake: self.sleep_wake.saturating_sub(earlier.sleep_wake),
            yields: self.yields.saturating_sub(earlier.yields),
        }
    }
}

impl std::iter::Sum for Syscalls {
    fn sum<I: Iterator<Item = Syscalls>>(iter: I) -> Syscalls {
        iter.fold(Syscalls::default(), |a, b| a + b)
    }
}

/// `sched_yield` calls made through [`CountedYield`], by every parker.
static SPIN_YIELDS: SyscallCounter = SyscallCounter::new();

/// `rearm_core::relax::Yield`, counted: the relax strategy of the driver's spin
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

    fn syscalls(&self) -> Syscalls {
        Syscalls {
            sleep_wake: self.waits() + self.wakes(),
            yields: self.yields(),
        }
    }
}

impl Backend for EventfdPark {
    const KIND: BackendKind = BackendKind::Eventfd;

    fn open() -> io::Result<Self> {
        Ok(EventfdPark::new()?)
    }

    fn syscalls(&self) -> Syscalls {
        Syscalls {
            sleep_wake: self.waits() + self.reads() + self.writes(),
            yields: self.yields(),
        }
    }
}

/// The core's portable sleeping parker (mutex and condition variable): the
/// `thread` backend. Its sleeps, wakes and yields are counted as syscalls,
/// though a condition variable may skip the kernel when it need not sleep.
impl Backend for ThreadPark {
    const KIND: BackendKind = BackendKind::Thread;

    fn open() -> io::Result<Self> {
        Ok(ThreadPark::new())
    }

    fn syscalls(&self) -> Syscalls {
        Syscalls {
            sleep_wake: self.sleeps() + self.wakes(),
            yields: self.yields(),
        }
    }
}

/// The core's spin parker with the driver's counted yield: the `spin` backend.
impl Backend for SpinPark<CountedYield> {
    const KIND: BackendKind = BackendKind::Spin;

    fn open() -> io::Result<Self> {
        Ok(SpinPark::new())
    }

    fn syscalls(&self) -> Syscalls {
        Syscalls::default()
    }

    fn shared_syscalls() -> Syscalls {
        Syscalls {
            sleep_wake: 0,
            yields: SPIN_YIELDS.get(),
        }
    }
}

/// The core's spin parker with std's yield, uncounted (for tests that want
/// the parker exactly as the core and `spin` ship it).
impl Backend for SpinPark<rearm_core::relax::Yield> {
    const KIND: BackendKind = BackendKind::Spin;

    fn open() -> io::Result<Self> {
        Ok(SpinPark::new())
    }

    fn syscalls(&self) -> Syscalls {
        Syscalls::default()
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
    /// The core's portable [`ThreadPark`] (std's mutex and condition variable).
    Thread,
}

impl BackendKind {
    /// Every backend, in report order.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Futex,
        BackendKind::Eventfd,
        BackendKind::Spin,
        BackendKind::Thread,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Futex => "futex",
            BackendKind::Eventfd => "eventfd",
            BackendKind::Spin => "spin",
            BackendKind::Thread => "thread",
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
