//! The crate's one view of atomics: `core::sync::atomic` normally, loom's
//! instrumented atomics under `cfg(rearm_loom)`, so the model checker sees every access.
//! Nothing else in the crate names where an atomic type comes from.

#[cfg(not(rearm_loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};
#[cfg(rearm_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};

/// Counter cell: 64 bits wherever the target has 64-bit atomics, so a long soak
/// cannot wrap it; 32 bits (wrapping, documented on [`crate::Ledger`]) elsewhere.
#[cfg(all(not(rearm_loom), target_has_atomic = "64"))]
pub(crate) type AtomicCount = core::sync::atomic::AtomicU64;
#[cfg(all(not(rearm_loom), not(target_has_atomic = "64")))]
pub(crate) type AtomicCount = core::sync::atomic::AtomicU32;
#[cfg(rearm_loom)]
pub(crate) type AtomicCount = loom::sync::atomic::AtomicU64;

/// The integer an [`AtomicCount`] holds.
#[cfg(any(rearm_loom, target_has_atomic = "64"))]
pub(crate) type Count = u64;
#[cfg(all(not(rearm_loom), not(target_has_atomic = "64")))]
pub(crate) type Count = u32;

/// The futex-shaped word a loop parks on; see [`crate::Park`].
///
/// It is `core::sync::atomic::AtomicU32` in every normal build, so a parker can
/// hand it straight to `futex(2)`; under `cfg(rearm_loom)` it is loom's model of it.
pub type ParkWord = AtomicU32;

#[cfg(all(feature = "std", rearm_loom))]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
/// The blocking primitives [`crate::ThreadPark`] sleeps on: std's, or loom's
/// models of them, so the models see every lock, wait and notification.
#[cfg(all(feature = "std", not(rearm_loom)))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
