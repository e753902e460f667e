//! What every mailbox shares, whatever its queue: the "told" mark that lets a
//! send skip the notify while the loop is told, the fences that make skipping
//! safe, the drain that clears the mark, the "closed" mark, and the counts.
//!
//! # Closing
//!
//! `closed` is set once, with Release, by whoever closes: the last sender
//! (after all its sends; the last of several owned senders has acquired the
//! others' drops through their count), or the receiver going away. A receive
//! that finds nothing reads it with Acquire and, when it is set, looks at the
//! queue once more: every value sent before the close is then there, so
//! "closed" is only reported once they are all received. A send reads it
//! before enqueuing and hands its value back when it is set; a send racing
//! the close may still be accepted, and its value is then received after the
//! close was seen, or dropped with the mailbox.
//!
//! # Waiting for room (feature `std`)
//!
//! A sender that finds the queue full and wants to wait sets `wants_room`,
//! puts a `SeqCst` fence, and tries once more; the receiver, once it found
//! the queue empty (after the fence in `clear_and_look`), reads `wants_room`
//! and, when set, wakes the waiting senders. The same argument as for
//! "told": the two fences are ordered one way or the other, so either the
//! sender's second try sees the cells the receiver emptied, or the receiver
//! sees the flag and wakes it. The wake takes the senders' lock, so that a
//! sender between its second try and its sleep is not missed, as in
//! `ThreadPark`. A close wakes them too, to see it. A receive that takes a
//! value without emptying the queue also looks at `wants_room`, without a
//! fence (one per value would cost every receive): it may miss a sender
//! that announced itself just then, so a waiting sender also looks again by
//! itself every millisecond. A receiver that goes on to wait for something
//! else (the senders' own mailbox, say) cannot leave a sender asleep for
//! longer than that.
//!
//! # Asking for room (any build)
//!
//! A sender that cannot sleep (a loop's callback, a `no_std` sender) asks
//! instead: it sets `asks_room`, puts a `SeqCst` fence, and tries once more;
//! when that fails too it gets its value back and waits for a notification.
//! A receiver that drains with `drain_and_tell_room` reads `asks_room` after
//! the drain's last fence (in `clear_and_look`, the queue then empty) and,
//! when set, clears it and notifies the notifier it was given. The same two
//! fences as for waiting: either the second try sees the cells the receiver
//! emptied, or the receiver sees the ask. Every drain ends with that fence,
//! so no timed look is needed; a receive that takes values without emptying
//! the queue tells nobody, and the drain that later empties it does.

#[cfg(rearm_loom)]
use super::MailboxFault;
use super::{LineOf, MailboxCounts, Notifier, TryRecvError, TrySendError};
use crate::async_handle::Notified;
use crate::sync::{
    AtomicBool, AtomicCount, Ordering, bump_owned, bump_shared, const_fn_unless_loom, fence, read,
};
#[cfg(feature = "std")]
use crate::sync::{Condvar, Mutex, MutexGuard, PoisonError, yield_now};

/// Times a sender that finds the mailbox full yields, trying again after
/// each, before it announces that it waits and sleeps (see
/// `Handover::send_waiting`). None under loom: a yield there adds no path
/// the models do not already have (a try that fails, then the announced
/// one), only interleavings.
#[cfg(all(feature = "std", not(rearm_loom)))]
const ROOM_YIELDS: u32 = 8;
#[cfg(all(feature = "std", rearm_loom))]
const ROOM_YIELDS: u32 = 0;

/// Who may send into a mailbox: how its senders' counters are bumped.
#[derive(Clone, Copy)]
pub(super) enum Senders {
    /// Any thread: a locked add.
    Many,
    /// One sender at a time: a load and a store.
    One,
}

impl Senders {
    fn bump(self, counter: &AtomicCount) {
        match self {
            Senders::Many => bump_shared(counter),
            Senders::One => bump_owned(counter),
        }
    }
}

pub(super) struct Handover {
    /// Written by senders.
    sent: AtomicCount,
    refused: AtomicCount,
    /// Written by the receiver, on a cache line of its own: beside the
    /// senders' counters, every message would move that line between them.
    received: LineOf<AtomicCount>,
    /// The marks senders read on every send, on a line of their own: they
    /// change once per drain (told) and once per mailbox (closed), not once
    /// per message.
    marks: LineOf<Marks>,
    /// Where senders that wait for room sleep.
    #[cfg(feature = "std")]
    room: Room,
    #[cfg(rearm_loom)]
    fault: MailboxFault,
}

/// Senders waiting for room: held while a sender decides to sleep and by a
/// receiver between clearing `wants_room` and the wake.
#[cfg(feature = "std")]
struct Room {
    lock: Mutex<()>,
    made: Condvar,
}

/// The marks every send reads.
struct Marks {
    /// Whether the loop has been told: a notification is on its way, pending
    /// or kept for the slot's next arm, or a drain is running that will look
    /// again before it stops. Senders skip the notify while it is set; the
    /// receiver clears it when it finds the queue empty.
    told: AtomicBool,
    /// Whether the mailbox is closed: see the module's note.
    closed: AtomicBool,
    /// A sender waits for room: see the module's note.
    wants_room: AtomicBool,
    /// A sender asked to be told of room: see the module's note.
    asks_room: AtomicBool,
}

impl Handover {
    const_fn_unless_loom! {
        pub(super) fn new() -> Self {
            Handover {
                sent: AtomicCount::new(0),
                refused: AtomicCount::new(0),
                received: LineOf(AtomicCount::new(0)),
                marks: LineOf(Marks {
                    told: AtomicBool::new(false),
                    closed: AtomicBool::new(false),
                    wants_room: AtomicBool::new(false),
                    asks_room: AtomicBool::new(false),
                }),
                #[cfg(feature = "std")]
                room: Room {
                    lock: Mutex::new(()),
                    made: Condvar::new(),
                },
                #[cfg(rearm_loom)]
                fault: MailboxFault::None,
            }
        }
    }

    /// Makes the sends wrong in the way `fault` says (loom models only).
    #[cfg(rearm_loom)]
    pub(super) fn set_fault(&mut self, fault: MailboxFault) {
        self.fault = fault;
    }

    /// Whether this mailbox was made with `fault` (loom models only).
    #[cfg(rearm_loom)]
    pub(super) fn has_fault(&self, fault: MailboxFault) -> bool {
        self.fault == fault
    }

    /// Enqueues `value` with `enqueue` (which hands it back when the queue is
    /// full), then makes sure the loop will drain it: notifies through
    /// `to_loop` unless the loop has been told. An
    /// [`enqueue_quietly`](Self::enqueue_quietly) and an
    /// [`announce`](Self::announce).
    pub(super) fn send<T>(
        &self,
        senders: Senders,
        to_loop: &impl Notifier,
        value: T,
        enqueue: impl FnOnce(T) -> Result<(), T>,
    ) -> Result<Notified, TrySendError<T>> {
        #[cfg(rearm_loom)]
        if self.has_fault(MailboxFault::NotifyBeforeEnqueue) {
            self.marks.0.told.store(true, Ordering::Relaxed);
            to_loop.notify_kept();
            return self
                .enqueue_quietly(senders, value, enqueue)
                .map(|()| Notified::Queued);
        }
        self.enqueue_quietly(senders, value, enqueue)?;
        Ok(self.announce(to_loop))
    }

    /// Enqueues `value` with `enqueue` and counts it, without telling the
    /// loop: the value waits for the sender's next [`announce`](Self::announce).
    /// Hands it back, counted as refused, when the mailbox is closed or full.
    pub(super) fn enqueue_quietly<T>(
        &self,
        senders: Senders,
        value: T,
        enqueue: impl FnOnce(T) -> Result<(), T>,
    ) -> Result<(), TrySendError<T>> {
        self.count(senders, self.attempt(value, enqueue))
    }

    /// Enqueues `value` unless the mailbox is closed; counts nothing.
    fn attempt<T>(
        &self,
        value: T,
        enqueue: impl FnOnce(T) -> Result<(), T>,
    ) -> Result<(), TrySendError<T>> {
        // Relaxed: a filter (see the module's note on closing); the receiver
        // does not rely on what a refused sender saw.
        if self.marks.0.closed.load(Ordering::Relaxed) {
            Err(TrySendError::Closed(value))
        } else {
            enqueue(value).map_err(TrySendError::Full)
        }
    }

    /// Counts an attempt's outcome: sent, or refused.
    fn count<T>(
        &self,
        senders: Senders,
        attempt: Result<(), TrySendError<T>>,
    ) -> Result<(), TrySendError<T>> {
        let counter = if attempt.is_ok() {
            &self.sent
        } else {
            &self.refused
        };
        senders.bump(counter);
        attempt
    }

    /// [`send`](Self::send), waiting while the queue is full: after each
    /// refusal the sender announces that it wants room, tries once more, and
    /// sleeps with `sleep` (which returns `None` when the sender gives up)
    /// until a receiver made room. See the module's note. Refused (and
    /// counted so) only when the mailbox is closed or `sleep` gives up.
    #[cfg(feature = "std")]
    pub(super) fn send_waiting<T>(
        &self,
        senders: Senders,
        to_loop: &impl Notifier,
        mut value: T,
        mut enqueue: impl FnMut(T) -> Result<(), T>,
        mut sleep: impl for<'a> FnMut(&'a Condvar, MutexGuard<'a, ()>) -> Option<MutexGuard<'a, ()>>,
    ) -> Result<Notified, TrySendError<T>> {
        let mut guard = None;
        let mut yielded = 0;
        loop {
            match self.attempt(value, &mut enqueue) {
                Err(TrySendError::Full(back)) => value = back,
                attempt => {
                    drop(guard);
                    self.count(senders, attempt)?;
                    return Ok(self.announce(to_loop));
                }
            }
            // Full: first let the receiver run. On a CPU it shares, a yield
            // lets it drain; a sleep now would be woken for the first cell
            // it empties, a switch each way per value.
            if guard.is_none() && yielded != ROOM_YIELDS {
                yielded += 1;
                yield_now();
                continue;
            }
            let Some(locked) = guard.take() else {
                // Relaxed: the fence after it orders it before the next try.
                guard = Some(self.room_lock());
                self.marks.0.wants_room.store(true, Ordering::Relaxed);
                fence(Ordering::SeqCst);
                continue;
            };
            match sleep(&self.room.made, locked) {
                Some(locked) => {
                    // Woken (or spuriously): announce again before the try.
                    self.marks.0.wants_room.store(true, Ordering::Relaxed);
                    fence(Ordering::SeqCst);
                    guard = Some(locked);
                }
                None => {
                    senders.bump(&self.refused);
                    return Err(TrySendError::Full(value));
                }
            }
        }
    }

    /// [`send`](Self::send), but a sender the queue refuses for being full
    /// asks for room and tries once more (see the module's note): if that
    /// fails too, the receiver's next `drain_and_tell_room` tells it.
    pub(super) fn send_or_ask_room<T>(
        &self,
        senders: Senders,
        to_loop: &impl Notifier,
        value: T,
        mut enqueue: impl FnMut(T) -> Result<(), T>,
    ) -> Result<Notified, TrySendError<T>> {
        let attempt = match self.attempt(value, &mut enqueue) {
            Err(TrySendError::Full(back)) => {
                // Relaxed: the fence after it orders it before the second
                // try, against the receiver's fence before its look.
                self.marks.0.asks_room.store(true, Ordering::Relaxed);
                fence(Ordering::SeqCst);
                self.attempt(back, enqueue)
            }
            attempt => attempt,
        };
        self.count(senders, attempt)?;
        Ok(self.announce(to_loop))
    }

    #[cfg(feature = "std")]
    fn room_lock(&self) -> MutexGuard<'_, ()> {
        // Poisoning carries no broken invariant: the lock guards no data.
        self.room
            .lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// After the receiver found the queue empty (the fence of
    /// `clear_and_look` is before this) or the mailbox closed: wakes the
    /// senders waiting for room, if any.
    fn room_made(&self) {
        #[cfg(rearm_loom)]
        if self.has_fault(MailboxFault::NoRoomWake) {
            return;
        }
        // Relaxed: the fence before it orders it against the senders'
        // announcements; see the module's note.
        if self.marks.0.wants_room.load(Ordering::Relaxed) {
            self.wake_room_waiters();
        }
    }

    #[cfg(feature = "std")]
    fn wake_room_waiters(&self) {
        // Relaxed: the lock orders it before the sleepers' next look.
        self.marks.0.wants_room.store(false, Ordering::Relaxed);
        drop(self.room_lock());
        self.room.made.notify_all();
    }

    /// Without `std` no sender sleeps: nothing to wake.
    #[cfg(not(feature = "std"))]
    fn wake_room_waiters(&self) {}

    /// After one or more enqueues: makes sure the loop will drain them, by
    /// notifying through `to_loop` unless the loop has been told.
    pub(super) fn announce(&self, to_loop: &impl Notifier) -> Notified {
        #[cfg(rearm_loom)]
        if self.has_fault(MailboxFault::NoFenceBeforeLook) {
            return self.tell_unless_told(to_loop);
        }
        // A store (the queue's Release store that publishes the value) then
        // a load of `told`, against the receiver's store of `told` then its
        // load of the queue's position or sequence: each side needs the
        // other's write, so both put a SeqCst fence between their write and
        // their read. The fences are ordered one way or the other: if ours
        // comes second, we read the receiver's clear (or a later set) and
        // notify; if theirs does, its look at the queue after clearing sees
        // this value. A Release/Acquire pair cannot promise that: both sides
        // could read the old values, the value left behind with nobody told.
        // Every value enqueued before the fence is covered, however many.
        fence(Ordering::SeqCst);
        self.tell_unless_told(to_loop)
    }

    /// After an enqueue and the fence: notifies, unless the loop was told.
    fn tell_unless_told(&self, to_loop: &impl Notifier) -> Notified {
        // Relaxed: the fence before the call orders it.
        if self.marks.0.told.load(Ordering::Relaxed) {
            return Notified::Coalesced;
        }
        // Relaxed: the swap only picks one winner among the senders that
        // found the mark clear, and the mark's single modification order
        // does that at any ordering. It publishes nothing: the winner's value
        // reaches the loop through the notify's Release, and a loser's
        // through the fences. A loser's swap read the winner's set, so its
        // load of the mark came before the receiver's next clear in the
        // mark's order, and so its fence before the receiver's fence after
        // that clear: the receiver's look after it sees the loser's value.
        if self.marks.0.told.swap(true, Ordering::Relaxed) {
            return Notified::Coalesced;
        }
        // The notify's read-modify-write on the loop's word (Release) comes
        // after the enqueue; the loop's Acquire swap of that word reads it or
        // a later RMW, so the drain it leads to sees the value. A keeping
        // notify: if the slot is dead, or disarmed before the loop takes the
        // notification, it is kept for the slot's next arm, so the mark stays
        // true to its promise whatever happens to the slot.
        let notified = to_loop.notify_kept();
        if notified == Notified::Dropped {
            // Only a notifier that cannot keep drops: nobody will drain, so
            // let the next send notify again. Relaxed: the clear publishes
            // nothing; a sender that still reads the old mark skips its
            // notify, which the dead slot would drop anyway.
            self.marks.0.told.store(false, Ordering::Relaxed);
        }
        notified
    }

    /// The oldest value `pop` gives, or, when it gives none, the mark cleared
    /// and one more look; then, if the mailbox is closed, a last one.
    pub(super) fn try_recv<T>(
        &self,
        mut pop: impl FnMut() -> Option<T>,
    ) -> Result<T, TryRecvError> {
        let value = match pop() {
            Some(value) => value,
            None => match self.clear_and_look(&mut pop) {
                Some(value) => value,
                None => {
                    self.room_made();
                    if !self.is_closed() {
                        return Err(TryRecvError::Empty);
                    }
                    // Closed: every value sent before the close is there
                    // now (the Acquire in `is_closed`).
                    pop().ok_or(TryRecvError::Closed)?
                }
            },
        };
        bump_shared(&self.received.0);
        // Room was made; no fence: see the module's note on waiting.
        self.room_made();
        Ok(value)
    }

    /// Closes the mailbox (see the module's note). Returns whether this call
    /// closed it; the caller then [`announce`](Self::announce)s, where there
    /// is a receiver to tell, as a send does for a value.
    pub(super) fn close(&self) -> bool {
        // Release: whoever reads the mark with Acquire sees every send this
        // thread did, or acquired, before closing. The swap picks the one
        // call that closes.
        let closed = !self.marks.0.closed.swap(true, Ordering::Release);
        if closed {
            // Senders waiting for room must see the close.
            self.wake_room_waiters();
        }
        closed
    }

    /// Whether the mailbox was closed.
    pub(super) fn is_closed(&self) -> bool {
        // Acquire: see `close`.
        self.marks.0.closed.load(Ordering::Acquire)
    }

    /// Opens a closed mailbox again: only while no end can send or receive
    /// (a one-sender mailbox being split anew, its last ends dropped).
    pub(super) fn reopen(&self) {
        // Relaxed: whatever hands the new ends to their threads orders it.
        self.marks.0.closed.store(false, Ordering::Relaxed);
    }

    /// Hands every value `pop` gives to `each` until the queue is empty with
    /// the mark cleared; returns how many.
    pub(super) fn drain<T>(
        &self,
        mut pop: impl FnMut() -> Option<T>,
        mut each: impl FnMut(T),
    ) -> usize {
        // Counted once per drain, one locked add instead of one per value;
        // the guard adds them even if `each` panics part-way, and then clears
        // the mark.
        let mut taken = Taken {
            counter: &self.received.0,
            count: 0,
            told: &self.marks.0.told,
            finished: false,
        };
        loop {
            while let Some(value) = pop() {
                taken.count += 1;
                each(value);
            }
            match self.clear_and_look(&mut pop) {
                Some(value) => {
                    taken.count += 1;
                    each(value);
                }
                None => {
                    taken.finished = true;
                    self.room_made();
                    return taken.count;
                }
            }
        }
    }

    /// [`drain`](Self::drain), then, if a sender asked for room, tells it
    /// through `room` (see the module's note).
    pub(super) fn drain_and_tell_room<T>(
        &self,
        pop: impl FnMut() -> Option<T>,
        each: impl FnMut(T),
        room: &impl Notifier,
    ) -> usize {
        let count = self.drain(pop, each);
        #[cfg(rearm_loom)]
        if self.has_fault(MailboxFault::NoRoomWake) {
            return count;
        }
        // Relaxed, both: the drain's last fence, before them, orders the
        // load against the askers' fences; the swap picks one teller when
        // two receivers race (it publishes nothing: the notify's own
        // ordering carries the room to the asker's next try).
        if self.marks.0.asks_room.load(Ordering::Relaxed)
            && self.marks.0.asks_room.swap(false, Ordering::Relaxed)
        {
            // Kept: an asker whose slot is disarmed just now must still
            // hear it when armed again, or it would wait for good.
            room.notify_kept();
        }
        count
    }

    /// Clears "told", then looks at the queue once more: a sender that read
    /// "told" before the clear skipped its notify, and its value must be
    /// seen here (see `send` for why the fence makes sure it is).
    fn clear_and_look<T>(&self, mut pop: impl FnMut() -> Option<T>) -> Option<T> {
        // Relaxed: the fence after it orders it against the look.
        self.marks.0.told.store(false, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        pop()
    }

    /// Values counted sent so far.
    pub(super) fn sent(&self) -> u64 {
        read(&self.sent)
    }

    /// Values counted received so far.
    pub(super) fn received(&self) -> u64 {
        read(&self.received.0)
    }

    pub(super) fn counts(&self) -> MailboxCounts {
        MailboxCounts {
            sent: read(&self.sent),
            received: read(&self.received.0),
            refused: read(&self.refused),
        }
    }
}

/// Adds a drain's count to `received` when the drain ends, however it ends;
/// clears the "told" mark if it ends by a panic.
struct Taken<'a> {
    counter: &'a AtomicCount,
    count: usize,
    told: &'a AtomicBool,
    /// Set when the drain found the queue empty and returns.
    finished: bool,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if self.count > 0 {
            // Relaxed: a counter orders nothing; read at quiescent points.
            self.counter.fetch_add(self.count as _, Ordering::Relaxed);
        }
        if !self.finished {
            // The drain stopped before it found the queue empty, and may
            // have been called outside any callback: no run is sure to look
            // again, so the mark must not promise one. Cleared, the next send
            // notifies. (Inside a callback the loop also keeps the
            // notification pending, so the next run drains what is left.)
            // Relaxed: a clear publishes nothing; it only costs a sender
            // that reads it a notify.
            self.told.store(false, Ordering::Relaxed);
        }
    }
}
