//! # driver
//!
//! Binds [`rearm_core`] to real Linux wakeups and times the million-ping
//! benchmark.
//!
//! - [`sys`]: the futex and eventfd parkers (syscalls through rustix, no
//!   `unsafe`), each counting its syscalls;
//! - [`bench`](mod@bench): `asyncN` (ping-pong) and `async_pummel_N`, every run checked
//!   against its invariant and watched for stalls;
//! - [`report`]: the libuv-style lines, tables and JSON;
//! - [`cli`]: the command line of the `driver` binary.

pub mod alloc_count;
pub mod backend;
pub mod bench;
pub mod cli;
pub mod compare;
pub mod cpu;
pub mod fault;
#[doc(hidden)]
pub mod fuzzing;
pub mod machine;
pub mod peers;
pub mod plot;
pub mod report;
pub mod soak;
pub mod sys;

pub use backend::{Backend, BackendKind};
pub use bench::{BenchError, Config, Mode, RunReport};
