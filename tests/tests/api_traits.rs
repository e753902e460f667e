//! What the API promises about thread safety, checked by the compiler: loops
//! with a `Sync` parker and their async handles can be shared across threads;
//! a loop is never `Clone` (its slots are its identity).
#![cfg(not(rearm_loom))]

use driver::sys::{EventfdPark, FutexPark};
use rearm_core::{Async, Loop, SpinPark};

fn shareable<T: Send + Sync>() {}

#[test]
fn loops_and_handles_with_thread_parkers_are_send_and_sync() {
    shareable::<Loop<SpinPark, 4>>();
    shareable::<Loop<FutexPark, 4>>();
    shareable::<Loop<EventfdPark, 4>>();
    shareable::<Async<'static, SpinPark, 4>>();
    shareable::<Async<'static, FutexPark, 64>>();
    shareable::<Async<'static, EventfdPark, 1>>();
}
