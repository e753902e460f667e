//! The thread's timer slack, tightened before a parker's first timed sleep.

use std::cell::Cell;
use std::num::NonZeroU64;

/// Sets the calling thread's timer slack to 1 ns, once per thread.
///
/// The kernel lets a timed sleep of a normal thread end up to its slack
/// (50 µs by default) late, to merge wakeups; a loop that runs timers wants
/// each on time, and pays with wakeups that are not merged.
pub(crate) fn tighten() {
    thread_local! {
        static TIGHT: Cell<bool> = const { Cell::new(false) };
    }
    TIGHT.with(|tight| {
        if !tight.replace(true) {
            // Refused only by kernels before 2.6.28; the sleep is then as
            // late as the default slack lets it be.
            let _ = rustix::thread::set_current_timer_slack(NonZeroU64::new(1));
        }
    });
}
