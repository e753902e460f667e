//! The mailbox's bounded queue: Dmitry Vyukov's array queue, in safe code,
//! the same in every build (loom's models check this code, not a copy of
//! it).
//!
//! Each cell's sequence number says whose turn it is: `pos` for the sender
//! of position `pos`, `pos + 1` for its receiver, `pos + N` for the sender a
//! lap later. Positions are claimed with a compare-and-swap, so any number of
//! threads may send, and receive, at once. It is not lock-free: a sender
//! stopped between claiming a cell and filling it makes that cell, and those
//! after it, look empty to the receiver until it resumes. The mailbox needs
//! no more: that sender announces its value after it fills the cell, so the
//! receiver looks again then and nothing is left behind.
//!
//! The two positions live on cache lines of their own. Side by side (as in
//! heapless's `mpmc::Queue`, which this replaces) every send's claim and
//! every receive's claim move one line between the sender and the receiver,
//! whether or not they are anywhere near each other in the ring.
//!
//! Orderings: a cell's sequence is stored with Release after its value is
//! put (or taken) and loaded with Acquire before the value is touched, which
//! hands the value from sender to receiver and the emptied cell back. The
//! positions are Relaxed: the cell's sequence, not the position, says
//! whether a claimed cell is ready, and a stale position only costs a retry.
//!
//! A cell's value sits behind a lock that is never contended: the claim
//! already gives one thread the cell, and the lock (one compare-and-swap and
//! one store, on a line the value moves anyway) is the price of doing
//! without `unsafe`.

use super::LineOf;
use crate::sync::{AtomicUsize, Ordering, ValueCell, const_fn_unless_loom};

pub(crate) struct Queue<T, const N: usize> {
    /// The next position to fill.
    enqueue_pos: LineOf<AtomicUsize>,
    /// The next position to empty.
    dequeue_pos: LineOf<AtomicUsize>,
    cells: [Cell<T>; N],
}

struct Cell<T> {
    sequence: AtomicUsize,
    value: ValueCell<T>,
}

impl<T, const N: usize> Queue<T, N> {
    /// An empty queue. `N` is a power of two (the mailbox checks), so
    /// positions may wrap around `usize` and still name their cells.
    #[cfg(not(rearm_loom))]
    pub(crate) const fn new() -> Self {
        let mut cells = [const {
            Cell {
                sequence: AtomicUsize::new(0),
                value: ValueCell::new(),
            }
        }; N];
        let mut i = 0;
        while i < N {
            cells[i].sequence = AtomicUsize::new(i);
            i += 1;
        }
        Self::with_cells(cells)
    }

    /// An empty queue.
    #[cfg(rearm_loom)]
    pub(crate) fn new() -> Self {
        Self::with_cells(core::array::from_fn(|i| Cell {
            sequence: AtomicUsize::new(i),
            value: ValueCell::new(),
        }))
    }

    const_fn_unless_loom! {
        fn with_cells(cells: [Cell<T>; N]) -> Self {
            Queue {
                enqueue_pos: LineOf(AtomicUsize::new(0)),
                dequeue_pos: LineOf(AtomicUsize::new(0)),
                cells,
            }
        }
    }

    /// Appends `value`, or hands it back when the queue is full.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        let mut pos = self.enqueue_pos.0.load(Ordering::Relaxed);
        loop {
            let cell = &self.cells[pos % N];
            let turn = turn(cell.sequence.load(Ordering::Acquire), pos);
            if turn < 0 {
                return Err(value); // a lap behind: full
            }
            if turn == 0 {
                match self.enqueue_pos.0.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        cell.value.put(value);
                        cell.sequence.store(pos.wrapping_add(1), Ordering::Release);
                        return Ok(());
                    }
                    Err(now) => pos = now,
                }
            } else {
                // Another sender claimed it meanwhile.
                pos = self.enqueue_pos.0.load(Ordering::Relaxed);
            }
        }
    }

    /// The oldest value, if any is complete: a sender that claimed a cell
    /// and has not filled it yet makes the queue look empty until it does.
    pub(crate) fn pop(&self) -> Option<T> {
        let mut pos = self.dequeue_pos.0.load(Ordering::Relaxed);
        loop {
            let cell = &self.cells[pos % N];
            let turn = turn(cell.sequence.load(Ordering::Acquire), pos.wrapping_add(1));
            if turn < 0 {
                return None; // not filled yet: empty, or a sender mid-way
            }
            if turn == 0 {
                match self.dequeue_pos.0.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let value = cell.value.take();
                        cell.sequence.store(pos.wrapping_add(N), Ordering::Release);
                        return value;
                    }
                    Err(now) => pos = now,
                }
            } else {
                // Another receiver took it meanwhile.
                pos = self.dequeue_pos.0.load(Ordering::Relaxed);
            }
        }
    }
}

/// How far a cell's `sequence` is from `expected`: 0 when it is this
/// position's turn, below 0 when the cell is a lap (or part of one) behind.
fn turn(sequence: usize, expected: usize) -> isize {
    // Two's complement: the difference of two positions less than half of
    // `usize` apart, read as signed, survives their wrapping.
    sequence.wrapping_sub(expected) as isize
}

/// Values still in the queue are dropped with it, oldest first; see
/// `drop_oldest_first` for a drop that panics.
impl<T, const N: usize> Drop for Queue<T, N> {
    fn drop(&mut self) {
        super::drop_oldest_first(
            || self.pop(),
            || {
                for cell in &self.cells {
                    core::mem::forget(cell.value.take());
                }
            },
        );
    }
}

#[cfg(all(test, not(rearm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_turn_survives_the_positions_wrapping() {
        assert_eq!(turn(5, 5), 0);
        assert_eq!(turn(4, 5), -1);
        assert_eq!(turn(0, usize::MAX), 1);
        assert_eq!(turn(usize::MAX, 0), -1);
    }

    #[test]
    fn a_queue_holds_exactly_n_values_in_order_across_laps() {
        let queue: Queue<u32, 4> = Queue::new();
        let mut next_in = 0;
        let mut next_out = 0;
        for batch in [4, 1, 3, 4, 2, 4] {
            for _ in 0..batch {
                assert_eq!(queue.push(next_in), Ok(()));
                next_in += 1;
            }
            if batch == 4 {
                assert_eq!(queue.push(99), Err(99), "full at four");
            }
            while let Some(value) = queue.pop() {
                assert_eq!(value, next_out);
                next_out += 1;
            }
            assert_eq!(queue.pop(), None);
        }
        assert_eq!(next_out, next_in);
    }

    /// Positions near `usize::MAX` wrap to 0 without losing a value.
    #[test]
    fn positions_wrap_around_usize() {
        let queue: Queue<u32, 2> = Queue::new();
        let start = usize::MAX - 2;
        queue.enqueue_pos.0.store(start, Ordering::Relaxed);
        queue.dequeue_pos.0.store(start, Ordering::Relaxed);
        for (i, cell) in queue.cells.iter().enumerate() {
            // The cell of position p is p % 2; its sequence, that position.
            let p = if start % 2 == i { start } else { start + 1 };
            cell.sequence.store(p, Ordering::Relaxed);
        }
        for value in 0..7 {
            assert_eq!(queue.push(value), Ok(()));
            assert_eq!(queue.push(value + 100), Ok(()));
            assert_eq!(queue.push(0), Err(0));
            assert_eq!((queue.pop(), queue.pop()), (Some(value), Some(value + 100)));
            assert_eq!(queue.pop(), None);
        }
    }

    #[test]
    fn values_left_are_dropped_with_the_queue() {
        use core::cell::Cell;
        struct Counted<'a>(&'a Cell<u32>);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let dropped = Cell::new(0);
        {
            let queue: Queue<Counted<'_>, 4> = Queue::new();
            for _ in 0..3 {
                assert!(queue.push(Counted(&dropped)).is_ok());
            }
            drop(queue.pop());
            assert_eq!(dropped.get(), 1);
        }
        assert_eq!(dropped.get(), 3);
    }
}
