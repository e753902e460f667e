//! A global allocator that counts allocations, so a benchmark can prove that its
//! timed region allocates nothing.
//!
//! Install it in a binary (the driver's does, and so does its allocation test):
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: driver::harness::alloc_count::CountingAlloc = driver::harness::alloc_count::CountingAlloc;
//!
//! fn main() {
//!     assert!(driver::harness::alloc_count::is_installed());
//! }
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Allocations so far. Every access is Relaxed: a count orders nothing, and it
/// is read either on the thread that allocated or after joins, which order it.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's allocations. Const-initialized and without a
    /// destructor, so touching it never allocates.
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Counts one allocation, for the process and for this thread.
fn count() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    // `try_with`: a thread being torn down may still allocate.
    let _ = THREAD_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// The system allocator, counting every allocation and reallocation.
#[derive(Debug)]
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; counting touches only an atomic
// and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as is; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from `System` through this type.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded as is; `ptr` came from `System` through this type.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations counted so far (always 0 when [`CountingAlloc`] is not
/// installed: check [`is_installed`] before trusting a 0).
pub fn allocations() -> u64 {
    // Relaxed: compared across points of one thread's run, or read after joins.
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Allocations counted so far on this thread alone: what a single-threaded
/// check needs when other threads (a test harness's own) may allocate
/// meanwhile.
pub fn thread_allocations() -> u64 {
    THREAD_ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

/// Whether [`CountingAlloc`] is this process's global allocator: a probe
/// allocation must be counted.
pub fn is_installed() -> bool {
    let before = allocations();
    drop(std::hint::black_box(Box::new(0u8)));
    allocations() > before
}
