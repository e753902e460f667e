//! The one-sender mailbox's queue: heapless's single-producer,
//! single-consumer ring (`spsc::Queue`) in every normal build, split into its
//! two ends. Under `cfg(rearm_loom)` it is the same algorithm, with the same
//! orderings, on loom's atomics (and a loom mutex per cell for the value), so
//! the models explore the ring's interleavings with the notify protocol.
//!
//! Neither end takes a lock or a compare-and-swap: the sender writes the cell
//! and stores the tail, the receiver reads the cell and stores the head, each
//! reading the other's position once. That is why it outruns the
//! many-sender queue, whose positions every send and every take
//! compare-and-swap on one shared cache line.

#[cfg(not(rearm_loom))]
pub(crate) struct OneToOne<T, const N: usize>(heapless::spsc::Queue<T, N>);

/// The sending end: the only one that stores the tail.
#[cfg(not(rearm_loom))]
pub(crate) struct PushEnd<'q, T, const N: usize>(heapless::spsc::Producer<'q, T>);

/// The receiving end: the only one that stores the head.
#[cfg(not(rearm_loom))]
pub(crate) struct PopEnd<'q, T, const N: usize>(heapless::spsc::Consumer<'q, T>);

#[cfg(not(rearm_loom))]
impl<T, const N: usize> OneToOne<T, N> {
    pub(crate) const fn new() -> Self {
        OneToOne(heapless::spsc::Queue::new())
    }

    /// Its two ends, each usable from one thread at a time.
    pub(crate) fn split(&mut self) -> (PushEnd<'_, T, N>, PopEnd<'_, T, N>) {
        let (push, pop) = self.0.split();
        (PushEnd(push), PopEnd(pop))
    }
}

#[cfg(not(rearm_loom))]
impl<T, const N: usize> PushEnd<'_, T, N> {
    /// Appends `value`, or hands it back when the ring is full.
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        self.0.enqueue(value)
    }
}

#[cfg(not(rearm_loom))]
impl<T, const N: usize> PopEnd<'_, T, N> {
    /// The oldest value, if any.
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.0.dequeue()
    }
}

#[cfg(rearm_loom)]
pub(crate) use model::{OneToOne, PopEnd, PushEnd};

/// heapless's `spsc` algorithm on loom's atomics. `head` is the next cell to
/// take, `tail` the next to fill; one cell stays free, so `head == tail`
/// means empty and `tail + 1 == head` (mod N) full.
///
/// The orderings are heapless's, copied so the models check what runs: the
/// sender stores the tail with Release after writing the cell, and the
/// receiver loads it with Acquire before reading the cell, which hands the
/// value over; the receiver stores the head with Release after taking the
/// value, and the sender loads it with Acquire before reusing the cell, which
/// hands the emptied cell back. Each end loads its own position Relaxed: only
/// it stores that position.
#[cfg(rearm_loom)]
mod model {
    use crate::sync::{AtomicUsize, Mutex, Ordering};

    pub(crate) struct OneToOne<T, const N: usize> {
        head: AtomicUsize,
        tail: AtomicUsize,
        cells: [Mutex<Option<T>>; N],
    }

    pub(crate) struct PushEnd<'q, T, const N: usize>(&'q OneToOne<T, N>);

    pub(crate) struct PopEnd<'q, T, const N: usize>(&'q OneToOne<T, N>);

    impl<T, const N: usize> OneToOne<T, N> {
        pub(crate) fn new() -> Self {
            OneToOne {
                head: AtomicUsize::new(0),
                tail: AtomicUsize::new(0),
                cells: core::array::from_fn(|_| Mutex::new(None)),
            }
        }

        pub(crate) fn split(&mut self) -> (PushEnd<'_, T, N>, PopEnd<'_, T, N>) {
            let queue = &*self;
            (PushEnd(queue), PopEnd(queue))
        }
    }

    impl<T, const N: usize> PushEnd<'_, T, N> {
        pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
            let q = self.0;
            let tail = q.tail.load(Ordering::Relaxed);
            let next = (tail + 1) % N;
            if next == q.head.load(Ordering::Acquire) {
                return Err(value); // full
            }
            *q.cells[tail].lock().unwrap() = Some(value);
            q.tail.store(next, Ordering::Release);
            Ok(())
        }
    }

    impl<T, const N: usize> PopEnd<'_, T, N> {
        pub(crate) fn pop(&mut self) -> Option<T> {
            let q = self.0;
            let head = q.head.load(Ordering::Relaxed);
            if head == q.tail.load(Ordering::Acquire) {
                return None; // empty
            }
            let value = q.cells[head].lock().unwrap().take();
            q.head.store((head + 1) % N, Ordering::Release);
            // The Acquire above saw the sender's Release: its value is there.
            Some(value.expect("a filled cell holds its value"))
        }
    }
}
