//! What both Linux parkers do alike: a counted `sched_yield`, and the three
//! clocks the core reads.

/// The [`Park`](rearm_core::park::Park) methods both parkers share, written once:
/// `yield_now` (counted in the parker's `yields`), `now_ns`, `busy_ns` (from
/// its `busy` clock) and `thread_cpu_ns`. Used inside `impl Park for ...`.
macro_rules! yield_and_clocks {
    () => {
        fn yield_now(&self) {
            self.yields.bump();
            rustix::thread::sched_yield();
        }

        fn now_ns(&self) -> Option<u64> {
            Some(crate::monotonic_ns())
        }

        fn busy_ns(&self) -> Option<u64> {
            Some(self.busy.read())
        }

        fn thread_cpu_ns(&self) -> Option<u64> {
            Some(crate::thread_cpu_ns())
        }
    };
}

pub(crate) use yield_and_clocks;
