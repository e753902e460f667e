//! Support shared by rearm's cross-crate tests.
//!
//! - [`fuzzing`]: the reference model and the fuzz harnesses, shared by the
//!   fuzz targets (`fuzz/`) and the tests that replay their corpus or drive
//!   the model with proptest.
//! - Under `cfg(rearm_loom)`: the model checker's fault-injecting parker, and
//!   the runner of negative controls (broken models loom must reject).

#[cfg(not(rearm_loom))]
pub mod fuzzing;

#[cfg(rearm_loom)]
pub mod loom_park;
#[cfg(rearm_loom)]
pub mod negative_control;
