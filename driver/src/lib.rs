//! # driver
//!
//! Binds [`rearm_core`] to real Linux wakeups and times the million-ping
//! benchmark.
//!
//! The Linux parkers live in a package of their own, `rearm-linux`
//! (`driver/linux/`), which depends on nothing but `rearm-core` and `rustix`:
//! embedders depend on it. [`sys`] re-exports them at the paths they had here,
//! and with `default-features = false` that is all this package is.
//!
//! The default feature `bench` adds everything else below: the benchmark, its
//! peers, the command line and the plots.
//!
//! - [`sys`]: the futex and eventfd parkers of `rearm-linux`; with `bench`,
//!   the backends the benchmarks run on and the fault injector;
//! - `harness`: what every benchmark and peer shares (start gate, counters,
//!   stopwatch, watchdog);
//! - `bench`: `asyncN` (ping-pong), `async_pummel_N`, wake cost and idle, every
//!   run checked against its invariant and watched for stalls;
//! - `peers`: the other wakeup contenders rearm is compared with;
//! - `cli`: the command line of the `driver` binary, its reports (text and
//!   JSON), the comparison, the soak and the plots.

#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod cli;
#[cfg(feature = "bench")]
pub mod harness;
#[cfg(feature = "bench")]
pub mod peers;
pub mod sys;

#[cfg(feature = "bench")]
pub use bench::{BenchError, Config, Mode, RunReport};
#[cfg(feature = "bench")]
pub use sys::{Backend, BackendKind};
