//! The `thread` backend: the core's portable `ThreadPark`, measured beside the
//! Linux parkers.

use super::{Backend, BackendKind, Syscalls};
use rearm_core::park::ThreadPark;
use std::io;

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
