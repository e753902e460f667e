//! Harnesses shared by the fuzz targets (`fuzz/`) and the tests that replay
//! their corpus and drive the same reference model with proptest: the
//! reference model of one loop, and each harness that checks the real loop,
//! mailbox, receiver or timers against a model. They use only rearm-core's
//! public API, and allocate nothing in what they check.

mod interleave;
mod loop_ops;
mod mailbox_ops;
mod model;
mod receive_ops;
mod timer_ops;

pub use interleave::notify_interleave;
pub use loop_ops::{
    Executor, MAX_OPS, NeverPark, Pool, Script, callback, callbacks, decode, loop_ops,
};
pub use mailbox_ops::{MAILBOX_CAP, MailboxOp, mailbox_bytes, mailbox_ops};
pub use model::{CAP, Model, Op, Outcome, SLOTS, Trace};
pub use receive_ops::{RECEIVE_CAP, ReceiveOp, receive_bytes, receive_ops};
pub use timer_ops::{TIMER_SLOTS, TimerOp, VirtualClockPark, timer_bytes, timer_ops};
