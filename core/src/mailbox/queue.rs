//! The mailbox's bounded queue: Dmitry Vyukov's array queue, heapless's
//! `mpmc::Queue` in every normal build. Under `cfg(rearm_loom)` it is the same
//! algorithm, with the same orderings, on loom's atomics (and a loom mutex per
//! cell for the value), so the models explore the queue's interleavings
//! together with the notify protocol instead of trusting a queue loom cannot
//! see into.

#[cfg(not(rearm_loom))]
pub(crate) struct Queue<T, const N: usize>(heapless::mpmc::Queue<T, N>);

#[cfg(not(rearm_loom))]
impl<T, const N: usize> Queue<T, N> {
    // heapless deprecates its constructor because the queue is not lock-free:
    // a sender stopped between claiming a cell and filling it makes the cell,
    // and those after it, look empty to the receiver until it resumes. The
    // mailbox needs no more than that: that sender notifies after it fills the
    // cell, so the loop drains again then and nothing is left behind.
    #[allow(deprecated)]
    pub(crate) const fn new() -> Self {
        Queue(heapless::mpmc::Queue::new())
    }

    /// Appends `value`, or hands it back when the queue is full.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        self.0.enqueue(value)
    }

    /// The oldest value, if any is complete.
    pub(crate) fn pop(&self) -> Option<T> {
        self.0.dequeue()
    }
}

#[cfg(rearm_loom)]
pub(crate) use model::Queue;

/// heapless's `mpmc` algorithm on loom's atomics: each cell's sequence number
/// says whose turn it is (`pos` for the sender of position `pos`, `pos + 1` for
/// its receiver); positions are claimed with a compare-and-swap.
///
/// The orderings are heapless's, copied so the models check what runs: a
/// cell's sequence is stored with Release after its value is written (or
/// taken) and loaded with Acquire before the value is touched, which hands
/// the value from sender to receiver and the emptied cell back; the
/// positions are Relaxed, because the cell's sequence, not the position,
/// says whether a claimed cell is ready, and a stale position only costs a
/// retry.
#[cfg(rearm_loom)]
mod model {
    use crate::sync::{AtomicUsize, Mutex, Ordering};

    struct Cell<T> {
        sequence: AtomicUsize,
        value: Mutex<Option<T>>,
    }

    pub(crate) struct Queue<T, const N: usize> {
        enqueue_pos: AtomicUsize,
        dequeue_pos: AtomicUsize,
        cells: [Cell<T>; N],
    }

    impl<T, const N: usize> Queue<T, N> {
        pub(crate) fn new() -> Self {
            Queue {
                enqueue_pos: AtomicUsize::new(0),
                dequeue_pos: AtomicUsize::new(0),
                cells: core::array::from_fn(|i| Cell {
                    sequence: AtomicUsize::new(i),
                    value: Mutex::new(None),
                }),
            }
        }

        pub(crate) fn push(&self, value: T) -> Result<(), T> {
            let mut pos = self.enqueue_pos.load(Ordering::Relaxed);
            loop {
                let cell = &self.cells[pos % N];
                let turn = cell.sequence.load(Ordering::Acquire) as isize - pos as isize;
                if turn < 0 {
                    return Err(value); // a lap behind: full
                }
                if turn == 0
                    && self
                        .enqueue_pos
                        .compare_exchange(pos, pos + 1, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    *cell.value.lock().unwrap() = Some(value);
                    cell.sequence.store(pos + 1, Ordering::Release);
                    return Ok(());
                }
                pos = self.enqueue_pos.load(Ordering::Relaxed);
            }
        }

        pub(crate) fn pop(&self) -> Option<T> {
            let mut pos = self.dequeue_pos.load(Ordering::Relaxed);
            loop {
                let cell = &self.cells[pos % N];
                let turn = cell.sequence.load(Ordering::Acquire) as isize - (pos + 1) as isize;
                if turn < 0 {
                    return None; // not filled yet: empty, or a sender mid-way
                }
                if turn == 0
                    && self
                        .dequeue_pos
                        .compare_exchange(pos, pos + 1, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    let value = cell.value.lock().unwrap().take();
                    cell.sequence.store(pos + N, Ordering::Release);
                    // The Acquire above saw the sender's Release: its value is there.
                    return Some(value.expect("a filled cell holds its value"));
                }
                pos = self.dequeue_pos.load(Ordering::Relaxed);
            }
        }
    }
}
