//! Support shared by rearm's cross-crate tests.
//!
//! Under `cfg(rearm_loom)`: the model checker's fault-injecting parker, and the
//! runner of negative controls (broken models loom must reject). The
//! real-thread tests need nothing shared from here.

#[cfg(rearm_loom)]
pub mod loom_park;
#[cfg(rearm_loom)]
pub mod negative_control;
