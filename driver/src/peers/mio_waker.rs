//! mio: each thread sleeps in its own `Poll`, woken through its one `Waker`
//! (an eventfd on Linux); an atomic mailbox per direction carries the pings.

use super::{Counters, PeerError, timed};
use crate::bench::CachePadded;
use crate::cpu::CpuUse;
use mio::{Events, Poll, Token, Waker};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

#[derive(Default)]
struct Mailbox {
    to_main: CachePadded<AtomicU64>,
    to_worker: CachePadded<AtomicU64>,
}

fn setup() -> Result<(Poll, Waker), PeerError> {
    let poll = Poll::new().map_err(|e| PeerError::Setup(format!("mio Poll: {e}")))?;
    let waker = Waker::new(poll.registry(), Token(0))
        .map_err(|e| PeerError::Setup(format!("mio Waker: {e}")))?;
    Ok((poll, waker))
}

pub(crate) fn run(contexts: &[Counters], pings: u64) -> Result<(Duration, CpuUse), PeerError> {
    let n = contexts.len();
    let boxes: Vec<Mailbox> = (0..n).map(|_| Mailbox::default()).collect();
    let (mut main_poll, main_waker) = setup()?;
    let mut worker_polls = Vec::with_capacity(n);
    let mut worker_wakers = Vec::with_capacity(n);
    for _ in 0..n {
        let (poll, waker) = setup()?;
        worker_polls.push(Mutex::new(Some(poll)));
        worker_wakers.push(OnceLock::from(waker));
    }
    let mut seen = vec![0u64; n];
    let mut finished = vec![false; n];
    let mut main_events = Events::with_capacity(8);
    Ok(timed(
        n,
        |i, ready| {
            let mut poll = worker_polls[i]
                .lock()
                .unwrap()
                .take()
                .expect("one worker per context");
            let mut events = Events::with_capacity(8);
            ready();
            let (mailbox, counters) = (&boxes[i], &contexts[i]);
            // Release/Acquire: each message carries the counters written before it.
            mailbox.to_main.0.store(1, Ordering::Release);
            let _ = main_waker.wake();
            let mut handled = 0;
            loop {
                while mailbox.to_worker.0.load(Ordering::Acquire) == handled {
                    let _ = poll.poll(&mut events, None);
                }
                handled += 1;
                counters.worker_seen();
                mailbox.to_main.0.store(handled + 1, Ordering::Release);
                let _ = main_waker.wake();
                if counters.worker_sent() >= pings {
                    break;
                }
            }
        },
        || {
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
                    if let Some(waker) = worker_wakers[i].get() {
                        let _ = waker.wake();
                    }
                    if contexts[i].main_sent() >= pings {
                        finished[i] = true;
                        done += 1;
                    }
                }
                if !any {
                    let _ = main_poll.poll(&mut main_events, None);
                }
            }
        },
    ))
}
