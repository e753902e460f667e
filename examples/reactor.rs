//! A rearm loop watched by another reactor: mio, here, on Linux. The loop
//! sleeps on `rearm-linux`'s eventfd parker; the reactor's thread watches that
//! eventfd beside its own sources (a socket), blocks only in mio, and runs the
//! loop when mio says the eventfd is readable.
//!
//! Needs only `rearm-core` and `rearm-linux`.
use mio::net::UnixStream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
use rearm_linux::EventfdPark;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const LOOP: Token = Token(0);
const SOCKET: Token = Token(1);
const JOBS: u32 = 5;

fn main() -> std::io::Result<()> {
    let lp: Loop<EventfdPark, 4> = Loop::new(EventfdPark::new()?);
    let mut poll = Poll::new()?;
    let eventfd = lp.parker().as_fd().as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&eventfd), LOOP, Interest::READABLE)?;
    let (mut socket, mut peer) = UnixStream::pair()?;
    poll.registry()
        .register(&mut socket, SOCKET, Interest::READABLE)?;

    // Jobs travel beside the notification (notifications coalesce).
    let posted = AtomicU32::new(0);
    let mut done = 0;
    let mut on_jobs = || {
        done += posted.swap(0, Ordering::Acquire);
        if done == JOBS {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = CallbackRunner::new(&lp).expect("the loop's only runner");
    let slot = runner.add(&mut on_jobs).expect("a free slot");
    let to_loop = lp.handle(slot).expect("slot exists");

    let (mut eventfd_wakes, mut socket_bytes) = (0, 0);
    std::thread::scope(|s| -> std::io::Result<()> {
        s.spawn(|| {
            for _ in 0..JOBS {
                std::thread::sleep(Duration::from_millis(1));
                posted.fetch_add(1, Ordering::Release);
                to_loop.notify(); // writes the eventfd only if the reactor blocks
                let _ = peer.write(b"x"); // the reactor's other source
            }
        });
        let mut events = Events::with_capacity(8);
        // The reactor: run what is ready; announce, then block in mio only.
        while runner.run(RunMode::NoWait) != Exit::Done {
            if !runner.prepare_block() {
                continue; // something is pending already: run it first
            }
            poll.poll(&mut events, None)?;
            for event in &events {
                match event.token() {
                    LOOP => {
                        eventfd_wakes += 1;
                        lp.parker().drain();
                    }
                    SOCKET => {
                        let mut buf = [0u8; 16];
                        while let Ok(n @ 1..) = socket.read(&mut buf) {
                            socket_bytes += n;
                        }
                    }
                    _ => unreachable!("only two sources are registered"),
                }
            }
        }
        Ok(())
    })?;
    drop(runner);
    let ledger = lp.ledger(slot).expect("slot exists");
    println!(
        "{done} jobs run; the reactor woke for the loop {eventfd_wakes} times and read \
         {socket_bytes} socket bytes; eventfd writes {}; {ledger}",
        lp.parker().writes()
    );
    assert!(done == JOBS && ledger.is_conserved());
    Ok(())
}
