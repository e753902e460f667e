//! # rearm-core
//!
//! A minimal, allocation-free, `#![no_std]` completion state machine with
//! cross-thread "async" wakeups: the mechanism behind libuv's `uv_async_t` and
//! libxev's `xev.Async`, without `unsafe` and without a platform.
//!
//! - A [`Loop`] is the part every thread shares: a fixed number (`CAP`) of
//!   completion slots, a ready bitmap and a park word (the first slots live in
//!   the park word itself).
//! - A [`SlotHandle`] notifies one slot from any thread in O(1): one `fetch_or` for
//!   the first slots, at most two for the others, and a wake of the loop's
//!   thread only if it announced that it sleeps. Notifications coalesce; those
//!   aimed at a dead slot are dropped and counted.
//! - A [`CallbackRunner`] drives the loop on its own thread: it arms slots with
//!   callbacks that return [`Action::Rearm`] or [`Action::Disarm`], runs them per
//!   [`RunMode`], and between runs spins, yields and parks per an adaptive
//!   [`SpinPolicy`]. A [`HandlerRunner`] does the same with one [`Handler`] told
//!   which slot fired, passed to each run: a runtime keeps it and its per-slot
//!   state in one struct it owns.
//! - [`park`] is the seam to the platform: the futex-shaped [`Park`](park::Park)
//!   trait and the parkers this crate brings ([`SpinPark`](park::SpinPark);
//!   with the `std` feature, [`ThreadPark`](park::ThreadPark), which sleeps
//!   wherever the standard library runs). The `rearm-linux` package adds
//!   futex and eventfd parkers.
//! - [`mailbox`] is a bounded queue bound to one slot: any thread sends a value
//!   and the slot's callback drains them, with no lock and no heap; the
//!   one-sender mailbox does the same on a ring neither end locks, and a
//!   receiver without a loop blocks or awaits through a signal.
//! - Every notification is accounted for in a [`Ledger`]:
//!   `notified == delivered + coalesced + dropped + pending` at quiescent points.
//!
//! See [`Loop`] for a two-thread ping-pong.
//!
//! # Features
//!
//! - `std` (off by default): [`ThreadPark`](park::ThreadPark), a parker that
//!   sleeps wherever the standard library runs, [`relax::Yield`], the
//!   mailboxes' owned ends, and [`OwnedSlotHandle`], a handle that owns a share
//!   of its loop (through an `Arc`) and becomes a `Waker`. Without it the crate
//!   needs neither the standard library nor its heap.
//! - `futures-core` (off by default): a mailbox whose receiver awaits
//!   (`Mailbox<T, AsyncSignal, N>`, and its owned receiver) is a
//!   `futures_core::Stream`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The API review's rules, kept by clippy: a value whose loss is a bug is
// must_use, and every fallible or panicking function says when.
#![warn(
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc,
    clippy::missing_panics_doc
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The crate's atomics (fetch_or, swap, compare_exchange on 8-, 32-bit and
// pointer-sized words) need compare-and-swap, which some cores lack.
#[cfg(not(all(
    target_has_atomic = "8",
    target_has_atomic = "32",
    target_has_atomic = "ptr"
)))]
compile_error!(
    "rearm-core needs atomic compare-and-swap on 8-bit, 32-bit and pointer-sized \
     words, and this target has none (Cortex-M0/M0+, thumbv6m-none-eabi, is one \
     such). Build for a core that has it (thumbv7m-none-eabi and later, \
     thumbv8m.base-none-eabi, riscv32imac-unknown-none-elf)."
);

#[cfg(feature = "std")]
extern crate std; // The one place std is linked: only under the cfg above.

mod async_handle;
mod completion;
mod error;
mod event_loop;
mod ledger;
pub mod mailbox;
#[cfg(feature = "std")]
mod owned;
pub mod park;
mod ready;
mod runner;
mod signal;
mod slot;
mod slot_runner;
mod sync;
mod task;
#[cfg(feature = "std")]
mod thread_park;
mod timers;
mod wait;

pub mod relax;

pub use async_handle::{Notified, SlotHandle};
pub use completion::{Action, Exit, RunMode, SlotState};
pub use error::Error;
pub use event_loop::Loop;
pub use ledger::{Ledger, Unbalanced};
#[cfg(rearm_loom)]
#[doc(hidden)]
pub use mailbox::MailboxFault;
#[cfg(feature = "std")]
pub use owned::OwnedSlotHandle;
#[cfg(rearm_loom)]
#[doc(hidden)]
pub use ready::Fault;
pub use ready::{DIRECT_SLOTS, MAX_CAPACITY};
pub use runner::{Callback, CallbackRunner};
pub use slot_runner::{Handler, HandlerRunner};
pub use timers::TimerCounts;
pub use wait::{SpinBound, SpinPolicy, WaitCounts};

/// The crate README's examples, run as doctests.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
