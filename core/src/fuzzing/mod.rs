//! Harnesses shared by the fuzz targets (`fuzz/`) and the tests that replay
//! their corpus and drive the same reference model with proptest. Not part of
//! the API: no stability promise, hidden from the docs. Like the rest of the
//! crate they are `no_std` and allocate nothing, so they run wherever the core
//! does.

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
