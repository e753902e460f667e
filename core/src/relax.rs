//! How a busy wait passes time: the strategies [`SpinPark`](crate::park::SpinPark)
//! takes as its type parameter.
//!
//! They are the `spin` crate's, re-exported so that naming them needs no
//! dependency of your own: [`Spin`] (the CPU's spin-loop hint, the default)
//! and, with the `std` feature, [`Yield`] (give the CPU to another thread).
//! Implement [`RelaxStrategy`] for anything else, a wait-for-event
//! instruction, say.
//!
//! ```
//! use rearm_core::park::SpinPark;
//! use rearm_core::relax::{RelaxStrategy, Spin};
//!
//! /// Where a real core would execute WFE, this just hints the CPU.
//! struct WaitForEvent;
//! impl RelaxStrategy for WaitForEvent {
//!     fn relax() {
//!         core::hint::spin_loop();
//!     }
//! }
//!
//! let _default: SpinPark<Spin> = SpinPark::new();
//! let _custom: SpinPark<WaitForEvent> = SpinPark::new();
//! ```

pub use spin::relax::{RelaxStrategy, Spin};

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use spin::relax::Yield;
