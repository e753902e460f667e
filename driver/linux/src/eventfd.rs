//! A parker on an eventfd watched by epoll: what libuv and libxev do on Linux,
//! and what lets another reactor (mio, tokio) watch a rearm loop.

use crate::{BusyClock, SyscallCounter};
use rearm_core::park::{Park, ParkWord};
use rustix::event::{EventfdFlags, epoll, eventfd};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{self, Errno};
use std::sync::atomic::Ordering;

/// Sleeps in `epoll_wait` on the loop's own eventfd; a notifier that found the
/// loop parked writes 1 to it.
///
/// One per loop: two loops sharing one (through `&EventfdPark`) would lose
/// wakes, since the first thread the eventfd wakes drains it, whichever
/// loop's notifier wrote.
///
/// Notifications coalesce in the eventfd counter as they do in the core; the
/// counter is drained after each wake. A write that finds the counter full
/// (`EAGAIN`: it already holds the maximum, 2⁶⁴−2) is not an error and loses no
/// wake: a full counter is readable, so the loop wakes anyway.
///
/// The eventfd is exposed through [`AsFd`], so another reactor (mio, tokio,
/// raw epoll) can watch the loop beside its own sources: its thread calls
/// `CallbackRunner::prepare_block` before it blocks and, once the fd is readable,
/// [`drain`](EventfdPark::drain)s it and runs the loop with `RunMode::NoWait`.
///
/// # Examples
///
/// ```
/// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
/// use rearm_linux::EventfdPark;
/// use std::os::fd::AsFd;
///
/// let lp: Loop<EventfdPark, 1> = Loop::new(EventfdPark::new()?);
/// let _watch_me = lp.parker().as_fd(); // register it with epoll, mio or tokio
/// let mut on_event = || Action::Disarm;
/// let mut runner = CallbackRunner::new(&lp).expect("the loop's only runner");
/// runner.arm(0, &mut on_event).expect("slot 0 is dead");
/// lp.handle(0).expect("slot 0").notify();
/// assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EventfdPark {
    event: OwnedFd,
    epoll: OwnedFd,
    waits: SyscallCounter,
    reads: SyscallCounter,
    writes: SyscallCounter,
    full_writes: SyscallCounter,
    yields: SyscallCounter,
    busy: BusyClock,
}

impl EventfdPark {
    /// Opens the eventfd (`CLOEXEC | NONBLOCK`) and an epoll instance watching it.
    ///
    /// # Errors
    ///
    /// What `eventfd`, `epoll_create1` or `epoll_ctl` returned: the process's
    /// file descriptor limit, say.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_linux::EventfdPark;
    ///
    /// let parker = EventfdPark::new()?;
    /// assert_eq!(parker.waits(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Self> {
        let event = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        epoll::add(
            &epoll,
            &event,
            epoll::EventData::new_u64(0),
            epoll::EventFlags::IN,
        )?;
        Ok(EventfdPark {
            event,
            epoll,
            waits: SyscallCounter::default(),
            reads: SyscallCounter::default(),
            writes: SyscallCounter::default(),
            full_writes: SyscallCounter::default(),
            yields: SyscallCounter::default(),
            busy: BusyClock::new(),
        })
    }

    /// Adds `value` to the eventfd counter, as a notifier does with 1. Returns
    /// `Ok(false)` when the counter had no room (it stays readable).
    ///
    /// # Errors
    ///
    /// What `write` returned, other than `EAGAIN` (no room): none is
    /// expected of an open eventfd.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_linux::EventfdPark;
    ///
    /// let parker = EventfdPark::new()?;
    /// assert!(parker.add(1)?); // the fd is readable now
    /// assert!(!parker.add(u64::MAX - 1)?); // no room: the counter stays as it was
    /// parker.drain();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add(&self, value: u64) -> io::Result<bool> {
        match io::write(&self.event, &value.to_ne_bytes()) {
            Ok(_) => Ok(true),
            Err(Errno::AGAIN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `epoll_wait` calls so far.
    pub fn waits(&self) -> u64 {
        self.waits.get()
    }

    /// Reads that drained the counter so far.
    pub fn reads(&self) -> u64 {
        self.reads.get()
    }

    /// Writes (wakes) so far, including those that found the counter full.
    pub fn writes(&self) -> u64 {
        self.writes.get()
    }

    /// Writes that found the counter full.
    pub fn full_writes(&self) -> u64 {
        self.full_writes.get()
    }

    /// `sched_yield` calls so far.
    pub fn yields(&self) -> u64 {
        self.yields.get()
    }

    /// Empties the counter. A reactor that watches the fd (see
    /// `CallbackRunner::prepare_block`) calls this when it finds the fd readable,
    /// before it runs the loop; `park` does it itself.
    pub fn drain(&self) {
        self.reads.bump();
        let mut buf = [0u8; 8];
        // EAGAIN: another wake already drained it. Nothing else can fail on an
        // eventfd we own with an 8-byte buffer.
        let _ = io::read(&self.event, &mut buf);
    }
}

impl Park for EventfdPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        // Relaxed: the loop re-reads the word after we return.
        if word.load(Ordering::Relaxed) != expected {
            return;
        }
        self.waits.bump();
        let mut events = [epoll::Event {
            flags: epoll::EventFlags::empty(),
            data: epoll::EventData::new_u64(0),
        }];
        // With no timeout, the wait ends with the eventfd readable, or with
        // an error (EINTR): a spurious return, which the loop re-checks.
        if epoll::wait(&self.epoll, &mut events, None).is_ok() {
            self.drain();
        }
    }

    /// `epoll_wait` with the time left as its timeout: nanoseconds where
    /// the kernel has `epoll_pwait2` (Linux 5.11 and later), whole
    /// milliseconds, rounded up, where rustix falls back to `epoll_wait`.
    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        // Relaxed: the loop re-reads the word after we return.
        if word.load(Ordering::Relaxed) != expected {
            return false;
        }
        let now = crate::monotonic_ns();
        if now >= deadline_ns {
            return true;
        }
        // The thread's timer slack to 1 ns first (once), as the futex parker.
        crate::timer_slack::tighten();
        self.waits.bump();
        let mut events = [epoll::Event {
            flags: epoll::EventFlags::empty(),
            data: epoll::EventData::new_u64(0),
        }];
        let left = crate::clock::monotonic_timespec(deadline_ns - now);
        match epoll::wait(&self.epoll, &mut events, Some(&left)) {
            Ok(ready) if ready > 0 => {
                self.drain();
                false
            }
            // No event: the timeout (or EINTR, a spurious return: the loop
            // reads the clock again before believing either).
            Ok(_) => crate::monotonic_ns() >= deadline_ns,
            Err(_) => false,
        }
    }

    fn unpark(&self, _word: &ParkWord) {
        self.writes.bump();
        match self.add(1) {
            Ok(true) => {}
            Ok(false) => self.full_writes.bump(),
            // Not possible for an eventfd we own with an 8-byte buffer; the loop
            // would still see its word changed at its next look.
            Err(_) => {}
        }
    }

    crate::common::yield_and_clocks!();
}

impl AsFd for EventfdPark {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.event.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_counter_write_is_absorbed_and_still_wakes() {
        let park = EventfdPark::new().unwrap();
        // The largest value an eventfd counter can hold is 2^64 - 2.
        assert!(park.add(u64::MAX - 1).unwrap());
        let word = ParkWord::new(1);
        park.unpark(&word);
        assert_eq!(park.full_writes(), 1);
        // The counter is readable: park returns (and drains it) without sleeping.
        park.park(&word, 1);
        assert_eq!(park.reads(), 1);
        // Drained: there is room again.
        assert!(park.add(1).unwrap());
    }

    #[test]
    fn every_eventfd_wait_read_write_and_yield_is_counted() {
        let park = EventfdPark::new().unwrap();
        let word = ParkWord::new(1);
        park.unpark(&word);
        park.unpark(&word);
        // The counter is readable: the wait returns at once and drains it.
        park.park(&word, 1);
        park.unpark(&word);
        park.park(&word, 1);
        // A reactor's drain counts as a read too.
        park.drain();
        park.yield_now();
        park.yield_now();
        assert_eq!(
            (
                park.waits(),
                park.reads(),
                park.writes(),
                park.full_writes()
            ),
            (2, 3, 3, 0)
        );
        assert_eq!(park.yields(), 2);
    }

    #[test]
    fn park_returns_at_once_when_the_word_changed() {
        let park = EventfdPark::new().unwrap();
        let word = ParkWord::new(2);
        park.park(&word, 1);
        assert_eq!(park.waits(), 0);
    }
}
