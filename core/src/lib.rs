//! # rearm-core
//!
//! A minimal, allocation-free, `#![no_std]` completion state machine with
//! cross-thread "async" wakeups: the mechanism behind libuv's `uv_async_t` and
//! libxev's `xev.Async`, without `unsafe` and without a platform.
//!
//! - A [`Loop`] is the part every thread shares: a fixed number (`CAP`) of
//!   completion slots, a ready bitmap and a park word (the first slots live in
//!   the park word itself).
//! - An [`Async`] notifies one slot from any thread in O(1): one `fetch_or` for
//!   the first slots, at most two for the others, and a wake of the loop's
//!   thread only if it announced that it sleeps. Notifications coalesce; those
//!   aimed at a dead slot are dropped and counted.
//! - A [`Runner`] drives the loop on its own thread: it arms slots with
//!   callbacks that return [`Action::Rearm`] or [`Action::Disarm`], runs them per
//!   [`RunMode`], and between runs spins, yields and parks per an adaptive
//!   [`SpinPolicy`].
//! - [`Park`] is the one seam to the platform (futex-shaped). [`SpinPark`] is
//!   built in; the `driver` crate adds futex and eventfd parkers.
//! - Every notification is accounted for in a [`Ledger`]:
//!   `notified == delivered + coalesced + dropped + pending` at quiescent points.
//!
//! See [`Loop`] for a two-thread ping-pong.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod async_handle;
mod completion;
mod error;
mod event_loop;
#[doc(hidden)]
pub mod fuzzing;
mod ledger;
mod park;
mod ready;
mod runner;
mod sync;
mod wait;

pub use async_handle::{Async, Notified};
pub use completion::{Action, Exit, RunMode, State};
pub use error::Error;
pub use event_loop::Loop;
pub use ledger::{Ledger, Unbalanced};
pub use park::{Park, SpinPark};
#[cfg(loom)]
#[doc(hidden)]
pub use ready::Fault;
pub use ready::{DIRECT_SLOTS, MAX_CAPACITY};
pub use runner::{Callback, Runner, WaitStats};
pub use sync::ParkWord;
pub use wait::SpinPolicy;
