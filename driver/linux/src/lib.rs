//! # rearm-linux
//!
//! Linux parkers for [`rearm_core`]'s loops: the one seam between a loop and
//! the kernel, as the [`Park`](rearm_core::park::Park) trait defines it.
//!
//! - [`FutexPark`]: a private futex on the loop's park word, the lowest
//!   overhead; deadlines go to `FUTEX_WAIT_BITSET` as absolute
//!   `CLOCK_MONOTONIC` points.
//! - [`EventfdPark`]: an eventfd watched by epoll, what libuv and libxev do on
//!   Linux; its fd ([`AsFd`](std::os::fd::AsFd)) lets another reactor (mio,
//!   tokio, raw epoll) watch the loop.
//!
//! Both count their syscalls ([`SyscallCounter`]) and read the clocks the
//! core's wait policy and timers need ([`monotonic_ns`], [`thread_cpu_ns`],
//! [`BusyClock`]). Every syscall goes through rustix: no `unsafe` here.
//!
//! ```
//! use rearm_core::{Action, CallbackRunner, Loop, RunMode};
//! use rearm_linux::FutexPark;
//!
//! let event_loop: Loop<FutexPark, 4> = Loop::new(FutexPark::new());
//! let mut on_wake = || Action::Disarm;
//! let mut runner = CallbackRunner::new(&event_loop).expect("the loop's only runner");
//! let slot = runner.add(&mut on_wake).expect("a free slot");
//! std::thread::scope(|s| {
//!     s.spawn(|| event_loop.handle(slot).unwrap().notify());
//!     // Sleeps in FUTEX_WAIT until the other thread notifies.
//!     runner.run(RunMode::UntilDone);
//! });
//! ```
#![forbid(unsafe_code)]
// As in rearm-core: a value whose loss is a bug is must_use, and every
// fallible or panicking function says when.
#![warn(
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc,
    clippy::missing_panics_doc
)]

mod clock;
mod common;
mod counter;
mod eventfd;
mod futex;
mod timer_slack;

pub use clock::{BusyClock, monotonic_ns, thread_cpu_ns};
pub use counter::SyscallCounter;
pub use eventfd::EventfdPark;
pub use futex::FutexPark;
