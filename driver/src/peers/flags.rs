//! Peers built on one atomic mailbox per direction: busy-spin, spin with
//! yield, and std park/unpark here; mio shares the mailboxes and brings its own
//! way to sleep. Main polls every context's mailbox, as libuv polls every async
//! handle of a loop.

use super::timed;
use crate::harness::CachePadded;
use crate::harness::CpuUse;
use crate::harness::PingCounters;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, Thread};
use std::time::Duration;

/// How a thread waits when its mailbox is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    Spin,
    Yield,
    Park,
}

impl Wait {
    fn idle(self) {
        match self {
            Wait::Spin => std::hint::spin_loop(),
            Wait::Yield => thread::yield_now(),
            Wait::Park => thread::park(),
        }
    }

    fn wake(self, thread: Option<&Thread>) {
        if let (Wait::Park, Some(thread)) = (self, thread) {
            thread.unpark();
        }
    }
}

/// Message counters: main writes `to_worker`, the worker writes `to_main`.
/// Strict alternation means a counter ahead of what was seen is one message.
#[derive(Default)]
pub(crate) struct Mailbox {
    to_main: CachePadded<AtomicU64>,
    to_worker: CachePadded<AtomicU64>,
}

/// The worker's side: kick main, then answer each ping until `pings` were
/// sent. `idle` waits a little when nothing came; `wake_main` follows every
/// message to main.
pub(crate) fn answer(
    mailbox: &Mailbox,
    counters: &PingCounters,
    pings: u64,
    mut idle: impl FnMut(),
    wake_main: impl Fn(),
) {
    // Release/Acquire: each message carries the counters written before it.
    mailbox.to_main.0.store(1, Ordering::Release);
    wake_main();
    let mut handled = 0;
    loop {
        while mailbox.to_worker.0.load(Ordering::Acquire) == handled {
            idle();
        }
        handled += 1;
        counters.worker_seen();
        mailbox.to_main.0.store(handled + 1, Ordering::Release);
        wake_main();
        if counters.worker_sent() >= pings {
            return;
        }
    }
}

/// Main's side: scan every mailbox, answer what came, until each context has
/// sent `pings`. `idle` waits a little when a scan found nothing; `wake(i)`
/// follows every message to worker `i`.
pub(crate) fn serve(
    boxes: &[Mailbox],
    contexts: &[PingCounters],
    pings: u64,
    mut idle: impl FnMut(),
    wake: impl Fn(usize),
) {
    let n = boxes.len();
    let mut seen = vec![0u64; n];
    let mut finished = vec![false; n];
    let mut done = 0;
    while done < n {
        let mut any = false;
        for i in 0..n {
            if finished[i] || boxes[i].to_main.0.load(Ordering::Acquire) == seen[i] {
                continue;
            }
            any = true;
            seen[i] += 1;
            contexts[i].main_seen();
            boxes[i].to_worker.0.store(seen[i], Ordering::Release);
            wake(i);
            if contexts[i].main_sent() >= pings {
                finished[i] = true;
                done += 1;
            }
        }
        if !any {
            idle();
        }
    }
}

pub(crate) fn run(contexts: &[PingCounters], pings: u64, wait: Wait) -> (Duration, CpuUse) {
    let n = contexts.len();
    let boxes: Vec<Mailbox> = (0..n).map(|_| Mailbox::default()).collect();
    let workers: Vec<OnceLock<Thread>> = (0..n).map(|_| OnceLock::new()).collect();
    let main_thread = thread::current();
    timed(
        n,
        |i, ready| {
            let _ = workers[i].set(thread::current());
            ready();
            answer(
                &boxes[i],
                &contexts[i],
                pings,
                || wait.idle(),
                || wait.wake(Some(&main_thread)),
            );
        },
        || {
            serve(
                &boxes,
                contexts,
                pings,
                || wait.idle(),
                |i| wait.wake(workers[i].get()),
            );
        },
    )
}
