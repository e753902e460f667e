//! # driver
//!
//! Binds [`rearm_core`] to real Linux wakeups and times the million-ping
//! benchmark.
//!
//! With `default-features = false` it is only [`sys`], the Linux parkers, and
//! depends on nothing but `rearm-core` and `rustix`:
//!
//! ```toml
//! driver = { path = "../driver", default-features = false }
//! ```
//!
//! The default feature `bench` adds everything else below: the benchmark, its
//! peers, the command line and the plots.
//!
//! - [`sys`]: the futex and eventfd parkers (syscalls through rustix, no
//!   `unsafe`), each counting its syscalls;
//! - [`bench`](mod@bench): `asyncN` (ping-pong) and `async_pummel_N`, every run checked
//!   against its invariant and watched for stalls;
//! - [`report`]: the libuv-style lines, tables and JSON;
//! - [`cli`]: the command line of the `driver` binary.

#[cfg(feature = "bench")]
pub mod alloc_count;
#[cfg(feature = "bench")]
pub mod backend;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod cli;
#[cfg(feature = "bench")]
pub mod compare;
#[cfg(feature = "bench")]
pub mod cpu;
#[cfg(feature = "bench")]
pub mod fault;
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "bench")]
pub mod machine;
#[cfg(feature = "bench")]
pub mod peers;
#[cfg(feature = "bench")]
pub mod plot;
#[cfg(feature = "bench")]
pub mod report;
#[cfg(feature = "bench")]
pub mod soak;
pub mod sys;

#[cfg(feature = "bench")]
pub use backend::{Backend, BackendKind};
#[cfg(feature = "bench")]
pub use bench::{BenchError, Config, Mode, RunReport};
