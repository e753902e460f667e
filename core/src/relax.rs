//! How a busy wait passes time: the strategies [`SpinPark`](crate::park::SpinPark)
//! takes as its type parameter.
//!
//! [`Spin`] (the CPU's spin-loop hint) is the default; with the `std` feature,
//! [`Yield`] gives the CPU to another thread. Implement [`Relax`] for anything
//! else, a wait-for-event instruction, say. The trait is this crate's own, so
//! that naming a strategy needs no other crate and another crate's major
//! version is never this one's.
//!
//! ```
//! use rearm_core::park::SpinPark;
//! use rearm_core::relax::{Relax, Spin};
//!
//! /// Where a real core would execute WFE, this just hints the CPU.
//! struct WaitForEvent;
//! impl Relax for WaitForEvent {
//!     fn relax() {
//!         core::hint::spin_loop();
//!     }
//! }
//!
//! let _default: SpinPark<Spin> = SpinPark::new();
//! let _custom: SpinPark<WaitForEvent> = SpinPark::new();
//! ```

/// One step of a busy wait: what a spinning thread does between two looks at
/// the word it waits on.
///
/// # Examples
///
/// ```
/// use rearm_core::relax::Relax;
/// # use core::sync::atomic::{AtomicU32, Ordering};
/// # static STEPS: AtomicU32 = AtomicU32::new(0);
///
/// /// Counts its steps, then hints the CPU.
/// struct Counted;
/// impl Relax for Counted {
///     fn relax() {
///         STEPS.fetch_add(1, Ordering::Relaxed);
///         core::hint::spin_loop();
///     }
/// }
/// Counted::relax();
/// assert_eq!(STEPS.load(Ordering::Relaxed), 1);
/// ```
pub trait Relax {
    /// Passes a moment: hints the CPU, yields, or waits for an event.
    fn relax();
}

/// Hints the CPU that this thread spins ([`core::hint::spin_loop`]): the
/// default, and the only strategy on a core without a scheduler.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::relax::Spin;
///
/// let _spinning: SpinPark<Spin> = SpinPark::new(); // the same as SpinPark::new()
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spin;

impl Relax for Spin {
    #[inline]
    fn relax() {
        core::hint::spin_loop();
    }
}

/// Gives the CPU to another thread (`std::thread::yield_now`), so the thread
/// being waited for can run even when both share one CPU.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::relax::Yield;
///
/// // Busy-waits, but lets the thread it waits for run on the same CPU.
/// let _yielding: SpinPark<Yield> = SpinPark::new();
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Yield;

#[cfg(feature = "std")]
impl Relax for Yield {
    #[inline]
    fn relax() {
        std::thread::yield_now();
    }
}
