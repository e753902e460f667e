//! The one-sender mailbox's queue: a single-producer, single-consumer ring of
//! exactly `N` cells, in safe code, the same in every build (loom's models
//! check this code, not a copy of it).
//!
//! Positions run over `0..2N`: a position's cell is the position modulo `N`,
//! and `tail - head` (modulo `2N`) is how many values the ring holds, from 0
//! to `N`, so every cell is used and no cell is kept free to tell full from
//! empty. Only the sender stores `tail`, only the receiver stores `head`; each
//! end keeps a copy of the other's position and reads the real one only when
//! its copy says the ring is full (sender) or empty (receiver), so a busy
//! ring moves the positions' cache lines once per batch, not once per value.
//!
//! Orderings: the sender fills a cell, then stores `tail` with Release; the
//! receiver loads `tail` with Acquire before it empties a cell, so it finds
//! the value there. The receiver empties a cell, then stores `head` with
//! Release; the sender loads `head` with Acquire before it fills a cell
//! again, so it finds the cell empty. Each end loads its own position Relaxed
//! (only it stores that position, or its ends were handed over by whatever
//! made them).
//!
//! A cell is a value behind a lock that is never contended: the positions
//! already keep the two ends apart, and the lock (one compare-and-swap and
//! one store per value, on a line the value moves anyway) is the price of
//! doing without `unsafe`.

use super::LineOf;
use crate::sync::{AtomicUsize, Ordering, ValueCell, const_fn_unless_loom};

pub(crate) struct OneToOne<T, const N: usize> {
    /// The next position to empty; stored by the receiver.
    head: LineOf<AtomicUsize>,
    /// The next position to fill; stored by the sender.
    tail: LineOf<AtomicUsize>,
    cells: [ValueCell<T>; N],
}

/// The sending end's positions: its own tail, and the head it last read.
pub(crate) struct PushEnd {
    tail: usize,
    head: usize,
}

/// The receiving end's positions: its own head, and the tail it last read.
pub(crate) struct PopEnd {
    head: usize,
    tail: usize,
}

impl<T, const N: usize> OneToOne<T, N> {
    const SIZE_IS_VALID: () = assert!(
        N >= 1 && N <= usize::MAX / 2,
        "a one-sender mailbox holds at least one value"
    );

    const_fn_unless_loom! {
        pub(crate) fn new() -> Self {
            let () = Self::SIZE_IS_VALID;
            OneToOne {
                head: LineOf(AtomicUsize::new(0)),
                tail: LineOf(AtomicUsize::new(0)),
                cells: ValueCell::array(),
            }
        }
    }

    /// The sending end, for the one sender there is: positions read afresh.
    /// Made only together with the receiving end, while no other end exists.
    pub(crate) fn push_end(&self) -> PushEnd {
        // Relaxed: both ends are made together while no other end exists,
        // and whatever hands them out (a `&mut` borrow, or the Acquire that
        // claims them after the last ends' Release) orders these loads after
        // every store of the previous ends: nothing moves while they read.
        PushEnd {
            tail: self.tail.0.load(Ordering::Relaxed),
            head: self.head.0.load(Ordering::Relaxed),
        }
    }

    /// The receiving end, for the one receiver there is; made as `push_end`.
    pub(crate) fn pop_end(&self) -> PopEnd {
        // Relaxed: as in `push_end`.
        PopEnd {
            head: self.head.0.load(Ordering::Relaxed),
            tail: self.tail.0.load(Ordering::Relaxed),
        }
    }

    /// Appends `value`, or hands it back when the ring is full. Only the
    /// holder of the one `PushEnd` calls it.
    pub(crate) fn push(&self, end: &mut PushEnd, value: T) -> Result<(), T> {
        if distance::<N>(end.head, end.tail) == N {
            // Acquire: the receiver emptied the cells before it moved `head`.
            end.head = self.head.0.load(Ordering::Acquire);
            if distance::<N>(end.head, end.tail) == N {
                return Err(value);
            }
        }
        self.cells[cell::<N>(end.tail)].put(value);
        end.tail = next::<N>(end.tail);
        // Release: the value is in its cell before the receiver can see it.
        self.tail.0.store(end.tail, Ordering::Release);
        Ok(())
    }

    /// The oldest value, if any. Only the holder of the one `PopEnd` calls it.
    pub(crate) fn pop(&self, end: &mut PopEnd) -> Option<T> {
        if end.head == end.tail {
            // Acquire: the sender filled the cells before it moved `tail`.
            end.tail = self.tail.0.load(Ordering::Acquire);
            if end.head == end.tail {
                return None;
            }
        }
        let value = self.cells[cell::<N>(end.head)].take();
        end.head = next::<N>(end.head);
        // Release: the cell is empty before the sender can fill it again.
        self.head.0.store(end.head, Ordering::Release);
        value
    }

    /// How many values it holds: a snapshot of both positions, exact while
    /// neither end moves.
    pub(crate) fn len(&self) -> usize {
        // Relaxed: a snapshot for a caller that only reads the number; the
        // ends synchronize through push and pop.
        let head = self.head.0.load(Ordering::Relaxed);
        let tail = self.tail.0.load(Ordering::Relaxed);
        distance::<N>(head, tail)
    }
}

/// Values still in the ring are dropped with it, oldest first; see
/// `drop_oldest_first` for a drop that panics.
impl<T, const N: usize> Drop for OneToOne<T, N> {
    fn drop(&mut self) {
        let mut end = self.pop_end();
        super::drop_oldest_first(
            || self.pop(&mut end),
            || {
                for cell in &self.cells {
                    core::mem::forget(cell.take());
                }
            },
        );
    }
}

/// The cell of position `position`.
fn cell<const N: usize>(position: usize) -> usize {
    if position >= N {
        position - N
    } else {
        position
    }
}

/// The position after `position`, over `0..2N`.
fn next<const N: usize>(position: usize) -> usize {
    if position + 1 == 2 * N {
        0
    } else {
        position + 1
    }
}

/// How many positions from `head` to `tail`, over `0..2N`: the values held.
fn distance<const N: usize>(head: usize, tail: usize) -> usize {
    if tail >= head {
        tail - head
    } else {
        tail + 2 * N - head
    }
}

#[cfg(all(test, not(rearm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn positions_wrap_over_twice_the_cells() {
        assert_eq!((next::<3>(4), next::<3>(5)), (5, 0));
        assert_eq!((cell::<3>(2), cell::<3>(3), cell::<3>(5)), (2, 0, 2));
        assert_eq!(distance::<3>(5, 2), 3);
        assert_eq!(distance::<3>(1, 1), 0);
        assert_eq!(distance::<3>(2, 4), 2);
    }

    #[test]
    fn a_ring_of_one_holds_one_value() {
        let ring: OneToOne<u8, 1> = OneToOne::new();
        let (mut push, mut pop) = (ring.push_end(), ring.pop_end());
        for round in 0..5 {
            assert_eq!(ring.push(&mut push, round), Ok(()));
            assert_eq!(ring.push(&mut push, 9), Err(9));
            assert_eq!(ring.len(), 1);
            assert_eq!(ring.pop(&mut pop), Some(round));
            assert_eq!(ring.pop(&mut pop), None);
            assert_eq!(ring.len(), 0);
        }
    }

    #[test]
    fn a_ring_holds_exactly_n_values_in_order_across_wraps() {
        let ring: OneToOne<u32, 3> = OneToOne::new();
        let (mut push, mut pop) = (ring.push_end(), ring.pop_end());
        let mut next_in = 0;
        let mut next_out = 0;
        for batch in [3, 1, 2, 3, 3, 2] {
            for _ in 0..batch {
                assert_eq!(ring.push(&mut push, next_in), Ok(()));
                next_in += 1;
            }
            if batch == 3 {
                assert_eq!(ring.push(&mut push, 99), Err(99), "full at three");
            }
            assert_eq!(ring.len(), batch);
            while let Some(value) = ring.pop(&mut pop) {
                assert_eq!(value, next_out);
                next_out += 1;
            }
        }
        assert_eq!(next_out, next_in);
    }

    /// New ends read where the old ones left off.
    #[test]
    fn new_ends_take_up_the_positions() {
        let ring: OneToOne<u32, 2> = OneToOne::new();
        let mut push = ring.push_end();
        ring.push(&mut push, 1).unwrap();
        let mut pop = ring.pop_end();
        assert_eq!(ring.pop(&mut pop), Some(1));
        ring.push(&mut push, 2).unwrap();
        let (mut push, mut pop) = (ring.push_end(), ring.pop_end());
        ring.push(&mut push, 3).unwrap();
        assert_eq!(ring.push(&mut push, 4), Err(4));
        assert_eq!((ring.pop(&mut pop), ring.pop(&mut pop)), (Some(2), Some(3)));
    }
}
