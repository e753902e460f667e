//! An embedder with no operating-system services but the C library's process
//! entry and `write`: a static loop, a parker of its own, the public API only.
//! Exits 0 when the loop behaved, 1 otherwise.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use rearm_core::mailbox::Mailbox;
use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, CallbackRunner, Exit, HandlerRunner, Ledger, Loop, RunMode};

/// How a bare-metal target might wait: poll the word, counting polls (where a
/// real one would wait for an interrupt).
struct PollPark {
    polls: AtomicU32,
}

impl Park for PollPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        while word.load(Ordering::Acquire) == expected {
            self.polls.fetch_add(1, Ordering::Relaxed);
            core::hint::spin_loop();
        }
    }

    fn unpark(&self, _word: &ParkWord) {}
}

/// A loop needs no heap: it can be a static.
static LOOP: Loop<PollPark, 8> = Loop::new(PollPark {
    polls: AtomicU32::new(0),
});

fn exercise() -> bool {
    let mut calls = 0u32;
    let mut on_event = || {
        calls += 1;
        if calls == 2 {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let Ok(mut runner) = CallbackRunner::new(&LOOP) else {
        return false;
    };
    let Ok(slot) = runner.add(&mut on_event) else {
        return false;
    };
    let Ok(handle) = LOOP.handle(slot) else {
        return false;
    };
    handle.notify();
    handle.notify(); // coalesces
    let first = runner.run(RunMode::NoWait);
    handle.notify();
    let second = runner.run(RunMode::UntilDone);
    handle.notify(); // dropped: the completion disarmed
    drop(runner);
    let expected = Ledger {
        notified: 4,
        delivered: 2,
        coalesced: 1,
        dropped: 1,
        pending: 0,
    };
    first == Exit::Ran && second == Exit::Done && calls == 2 && LOOP.ledger(slot) == Ok(expected)
}

/// A mailbox on a loop of its own: values in, drained by the handler, the
/// fifth refused while four are queued.
fn exercise_mailbox() -> bool {
    static MAIL_LOOP: Loop<PollPark, 1> = Loop::new(PollPark {
        polls: AtomicU32::new(0),
    });
    let Ok(handle) = MAIL_LOOP.handle(0) else {
        return false;
    };
    let mailbox: Mailbox<u32, _, 4> = Mailbox::new(handle);
    let Ok(mut runner) = HandlerRunner::new(&MAIL_LOOP) else {
        return false;
    };
    if runner.arm(0).is_err() {
        return false;
    }
    let sent = (1..=5).filter(|&v| mailbox.send(v).is_ok()).count();
    let mut sum = 0;
    let mut on_mail = |_slot: usize| {
        mailbox.drain(|v| sum += v);
        Action::Disarm
    };
    let exit = runner.run(RunMode::UntilDone, &mut on_mail);
    let counts = mailbox.counts();
    sent == 4 && exit == Exit::Done && sum == 10 && (counts.received, counts.refused) == (4, 1)
}

#[link(name = "c")]
unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn abort() -> !;
}

fn say(message: &str) {
    // SAFETY: the pointer and length describe a live `&str`; fd 1 is stdout.
    unsafe {
        write(1, message.as_ptr(), message.len());
    }
}

/// The C runtime's entry point calls this.
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    if exercise() && exercise_mailbox() {
        say("nostd-check: rearm-core (loop and mailbox) ran without std or alloc\n");
        0
    } else {
        say("nostd-check: the loop misbehaved\n");
        1
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    say("nostd-check: panic\n");
    // SAFETY: abort takes no arguments and never returns.
    unsafe { abort() }
}
