//! Running inside an async executor: a parker that wakes a task instead of
//! a thread, and the runner's poll.

mod poll_run;
mod waker_park;

pub use waker_park::WakerPark;
