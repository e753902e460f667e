//! How the benchmarks open the Linux parkers (`rearm-linux`) and read their
//! syscall counts.

use super::{Backend, BackendKind, EventfdPark, FutexPark, Syscalls};

/// A futex wait or wake is a sleep-or-wake syscall.
impl Backend for FutexPark {
    const KIND: BackendKind = BackendKind::Futex;

    fn open() -> std::io::Result<Self> {
        Ok(FutexPark::new())
    }

    fn syscalls(&self) -> Syscalls {
        Syscalls {
            sleep_wake: self.waits() + self.wakes(),
            yields: self.yields(),
        }
    }
}

/// An epoll wait, an eventfd read or write is a sleep-or-wake syscall.
impl Backend for EventfdPark {
    const KIND: BackendKind = BackendKind::Eventfd;

    fn open() -> std::io::Result<Self> {
        Ok(EventfdPark::new()?)
    }

    fn syscalls(&self) -> Syscalls {
        Syscalls {
            sleep_wake: self.waits() + self.reads() + self.writes(),
            yields: self.yields(),
        }
    }
}
