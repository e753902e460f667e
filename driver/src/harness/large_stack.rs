//! A thread with room for a large loop: `Box::new(Loop::new(..))` may build
//! the loop on the stack before moving it, and a loop of tens of thousands
//! of slots is megabytes, more than a spawned thread's default 2 MiB.

/// Stack of an [`on_large_stack`] thread: room for the largest loop
/// ([`rearm_core::MAX_CAPACITY`] slots, about 2.6 MB) and its runner, twice
/// over. Only the pages used are ever committed.
pub const LARGE_STACK: usize = 64 << 20;

/// Runs `work` on a thread of its own with a [`LARGE_STACK`] stack and
/// returns what it returns; a panic in `work` is passed on.
///
/// ```
/// let n = driver::harness::on_large_stack(|| 6 * 7);
/// assert_eq!(n, 42);
/// ```
pub fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .stack_size(LARGE_STACK)
            .spawn_scoped(s, work)
            .unwrap_or_else(|e| panic!("a thread for a large loop: {e}"));
        thread
            .join()
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    })
}
