//! What every benchmark and every peer shares: the start gate, cache padding,
//! libuv's counters, the stopwatch (wall clock, CPU, allocations), the machine
//! description, the watchdog, sparse arrivals (a producer on a schedule),
//! timer lateness and a thread with room for a large loop.
//! Nothing here knows a benchmark or a parker.

pub mod alloc_count;
pub mod arrivals;
mod counters;
mod cpu;
pub mod environment;
mod gate;
mod large_stack;
pub mod lateness;
pub mod machine;
mod padding;
mod stopwatch;
mod watchdog;

pub use counters::{OwnedCounter, PingCounters, Side};
pub use cpu::{CpuClock, CpuUse};
pub use gate::Gate;
pub use large_stack::{LARGE_STACK, on_large_stack};
pub use padding::CachePadded;
pub use stopwatch::{Stopwatch, Timed};
pub use watchdog::WatchdogConfig;
