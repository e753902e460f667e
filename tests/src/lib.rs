//! Support shared by rearm's cross-crate tests.
//!
//! Under `cfg(loom)`: the model checker's fault-injecting parker, and the
//! runner of negative controls (broken models loom must reject). The
//! real-thread tests need nothing shared from here.

#[cfg(loom)]
pub mod loom_park;
#[cfg(loom)]
pub mod negative_control;
