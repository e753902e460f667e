//! Support shared by rearm's cross-crate tests.
//!
//! Under `cfg(loom)` this is the model checker's parker; otherwise, helpers for
//! the real-thread tests.

#[cfg(loom)]
pub mod loom_park;
