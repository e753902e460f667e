//! The Linux parkers, from the `rearm-linux` package and re-exported here at
//! the paths embedders have used: [`FutexPark`], [`EventfdPark`], their
//! syscall counters and clocks.
//!
//! With the `bench` feature, also what the benchmarks need of a parker: the
//! [`Backend`] trait and its implementations, the one place a backend's name
//! becomes its type ([`dispatch`]), and the fault injector.

#[cfg(feature = "bench")]
mod backend;
#[cfg(feature = "bench")]
mod fault;
#[cfg(feature = "bench")]
mod linux;
#[cfg(feature = "bench")]
mod spin;
#[cfg(feature = "bench")]
mod thread;

#[cfg(feature = "bench")]
pub use backend::{Backend, BackendKind, OnBackend, Syscalls, dispatch};
#[cfg(feature = "bench")]
pub use fault::{FaultyPark, xorshift64};
pub use rearm_linux::{
    BusyClock, EventfdPark, FutexPark, SyscallCounter, monotonic_ns, thread_cpu_ns,
};
#[cfg(feature = "bench")]
pub use spin::{CountedYield, SpinBackend};
