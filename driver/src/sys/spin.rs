//! The `spin` backend: the core's busy-waiting `SpinPark`, yielding the CPU
//! between looks at the word, with its yields counted.

use super::{Backend, BackendKind, SyscallCounter, Syscalls};
use rearm_core::park::SpinPark;
use rearm_core::relax::Relax;
use std::io;

/// The core's spin parker as the driver runs it: yielding the CPU between
/// looks at the word, so that it completes even when every thread shares one
/// CPU (pure spinning there passes one ping per scheduler tick).
pub type SpinBackend = SpinPark<CountedYield>;

/// `sched_yield` calls made through [`CountedYield`], by every parker.
static SPIN_YIELDS: SyscallCounter = SyscallCounter::new();

/// `rearm_core::relax::Yield`, counted: the relax strategy of the driver's spin
/// backend.
#[derive(Debug)]
pub struct CountedYield;

impl Relax for CountedYield {
    fn relax() {
        SPIN_YIELDS.bump();
        std::thread::yield_now();
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
