//! What the API promises about thread safety, checked by the compiler: loops
//! with a `Sync` parker and their async handles can be shared across threads;
//! a loop is never `Clone` (its slots are its identity).
#![cfg(not(rearm_loom))]

use driver::sys::{EventfdPark, FutexPark};
use rearm_core::park::SpinPark;
use rearm_core::{Loop, SlotHandle};

fn shareable<T: Send + Sync>() {}

#[test]
fn loops_and_handles_with_thread_parkers_are_send_and_sync() {
    shareable::<Loop<SpinPark, 4>>();
    shareable::<Loop<FutexPark, 4>>();
    shareable::<Loop<EventfdPark, 4>>();
    shareable::<SlotHandle<'static, SpinPark, 4>>();
    shareable::<SlotHandle<'static, FutexPark, 64>>();
    shareable::<SlotHandle<'static, EventfdPark, 1>>();
}

/// The Linux parkers moved to `rearm-linux`; `driver::sys` names the very
/// same types, so code written against either path takes the other's
/// parkers (this file does not build otherwise).
#[test]
fn the_driver_sys_paths_name_the_rearm_linux_parkers() {
    shareable::<rearm_linux::FutexPark>();
    shareable::<rearm_linux::EventfdPark>();
    let futex: rearm_linux::FutexPark = FutexPark::new();
    let eventfd: rearm_linux::EventfdPark = EventfdPark::new().expect("an eventfd");
    let _: Loop<FutexPark, 1> = Loop::new(futex);
    let _: Loop<EventfdPark, 1> = Loop::new(eventfd);
}
