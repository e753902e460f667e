//! A rearm loop watched by tokio: the loop sleeps on `rearm-linux`'s eventfd
//! parker, and a tokio task awaits that eventfd (`AsyncFd`) beside its own
//! timer, so the runtime's thread blocks only in tokio. The mio example
//! (`reactor.rs`) does the same by hand.
//!
//! A loop that needs no file descriptor runs inside a task with
//! `HandlerRunner::poll_run` on a `WakerPark` instead (see `tests/poll_run.rs`).
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
use rearm_linux::EventfdPark;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::unix::AsyncFd;

const JOBS: u32 = 5;

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let lp: Loop<EventfdPark, 4> = Loop::new(EventfdPark::new()?);

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

    let (mut eventfd_wakes, mut ticks) = (0u32, 0u32);
    std::thread::scope(|s| -> std::io::Result<()> {
        s.spawn(|| {
            for _ in 0..JOBS {
                std::thread::sleep(Duration::from_millis(2));
                posted.fetch_add(1, Ordering::Release);
                to_loop.notify(); // writes the eventfd only if the task awaits it
            }
        });
        runtime.block_on(async {
            // SAFETY: the descriptor is the parker's eventfd, which the
            // parker owns and closes only when dropped; the `BorrowedFd`
            // borrows the parker, so the parker outlives this `AsyncFd`, and
            // a `BorrowedFd` always yields the one descriptor it was made
            // from. (tokio's safe `AsyncFd::new` is deprecated: it could not
            // check this.)
            let eventfd =
                unsafe { AsyncFd::register(lp.parker().as_fd()) }.map_err(std::io::Error::from)?;
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            // The task: run what is ready; announce, then await tokio only.
            while runner.run(RunMode::NoWait) != Exit::Done {
                if !runner.prepare_block() {
                    continue; // something is pending already: run it first
                }
                tokio::select! {
                    readable = eventfd.readable() => {
                        let mut guard = readable?;
                        eventfd_wakes += 1;
                        lp.parker().drain();
                        guard.clear_ready();
                    }
                    _ = tick.tick() => ticks += 1, // the runtime's other work
                }
            }
            Ok::<(), std::io::Error>(())
        })
    })?;
    drop(runner);
    let ledger = lp.ledger(slot).expect("slot exists");
    println!(
        "{done} jobs run; the task woke for the loop {eventfd_wakes} times and for its \
         timer {ticks} times; eventfd writes {}; {ledger}",
        lp.parker().writes()
    );
    assert!(done == JOBS && ledger.is_conserved() && eventfd_wakes >= 1);
    Ok(())
}
