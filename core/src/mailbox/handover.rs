//! What every mailbox shares, whatever its queue: the "told" mark that lets a
//! send skip the notify while the loop is told, the fences that make skipping
//! safe, the drain that clears the mark, and the counts.

#[cfg(rearm_loom)]
use super::MailboxFault;
use super::{LineOf, MailboxCounts, Notifier};
use crate::Notified;
use crate::sync::{AtomicBool, AtomicCount, Ordering, bump_owned, bump_shared, fence, read};

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
    /// Whether the loop has been told: a notification is on its way or
    /// pending, or a drain is running that will look again before it stops.
    /// Senders read it on every send and skip the notify while it is set;
    /// the receiver clears it when it finds the queue empty. Its own line:
    /// it changes once per drain, not once per message.
    told: LineOf<AtomicBool>,
    #[cfg(rearm_loom)]
    fault: MailboxFault,
}

impl Handover {
    pub(super) fn new() -> Self {
        Handover {
            sent: AtomicCount::new(0),
            refused: AtomicCount::new(0),
            received: LineOf(AtomicCount::new(0)),
            told: LineOf(AtomicBool::new(false)),
            #[cfg(rearm_loom)]
            fault: MailboxFault::None,
        }
    }

    /// Makes the sends wrong in the way `fault` says (loom models only).
    #[cfg(rearm_loom)]
    pub(super) fn set_fault(&mut self, fault: MailboxFault) {
        self.fault = fault;
    }

    /// Whether this mailbox was made with `fault` (loom models only).
    #[cfg(rearm_loom)]
    fn has_fault(&self, fault: MailboxFault) -> bool {
        self.fault == fault
    }

    /// Enqueues with `enqueue` (which hands the value back when the queue is
    /// full), then makes sure the loop will drain it: notifies through
    /// `to_loop` unless the loop has been told. An
    /// [`enqueue_quietly`](Self::enqueue_quietly) and an
    /// [`announce`](Self::announce).
    pub(super) fn send<T>(
        &self,
        senders: Senders,
        to_loop: &impl Notifier,
        enqueue: impl FnOnce() -> Result<(), T>,
    ) -> Result<Notified, T> {
        #[cfg(rearm_loom)]
        if self.has_fault(MailboxFault::NotifyBeforeEnqueue) {
            self.told.0.store(true, Ordering::Relaxed);
            to_loop.notify();
            return self.count(senders, enqueue()).map(|()| Notified::Pending);
        }
        self.enqueue_quietly(senders, enqueue)?;
        Ok(self.announce(to_loop))
    }

    /// Enqueues with `enqueue` and counts it, without telling the loop: the
    /// value waits for the sender's next [`announce`](Self::announce).
    pub(super) fn enqueue_quietly<T>(
        &self,
        senders: Senders,
        enqueue: impl FnOnce() -> Result<(), T>,
    ) -> Result<(), T> {
        self.count(senders, enqueue())
    }

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

    fn count<T>(&self, senders: Senders, enqueued: Result<(), T>) -> Result<(), T> {
        let counter = if enqueued.is_ok() {
            &self.sent
        } else {
            &self.refused
        };
        senders.bump(counter);
        enqueued
    }

    /// After an enqueue and the fence: notifies, unless the loop was told.
    fn tell_unless_told(&self, to_loop: &impl Notifier) -> Notified {
        // Relaxed: the fence before the call orders it.
        if self.told.0.load(Ordering::Relaxed) {
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
        if self.told.0.swap(true, Ordering::Relaxed) {
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
            self.told.0.store(false, Ordering::Relaxed);
        }
        notified
    }

    /// The oldest value `pop` gives, or, when it gives none, the mark cleared
    /// and one more look.
    pub(super) fn try_recv<T>(&self, mut pop: impl FnMut() -> Option<T>) -> Option<T> {
        let value = match pop() {
            Some(value) => value,
            None => self.clear_and_look(pop)?,
        };
        bump_shared(&self.received.0);
        Some(value)
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
            told: &self.told.0,
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
                    return taken.count;
                }
            }
        }
    }

    /// Clears "told", then looks at the queue once more: a sender that read
    /// "told" before the clear skipped its notify, and its value must be
    /// seen here (see `send` for why the fence makes sure it is).
    fn clear_and_look<T>(&self, mut pop: impl FnMut() -> Option<T>) -> Option<T> {
        // Relaxed: the fence after it orders it against the look.
        self.told.0.store(false, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        pop()
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
