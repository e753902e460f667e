//! mio: each thread sleeps in its own `Poll`, woken through its one `Waker`
//! (an eventfd on Linux); the atomic mailboxes of the flag peers carry the pings.

use super::flags::{Mailbox, answer, serve};
use super::{PeerError, timed};
use crate::harness::CpuUse;
use crate::harness::PingCounters;
use mio::{Events, Poll, Token, Waker};
use std::sync::Mutex;
use std::time::Duration;

fn setup() -> Result<(Poll, Waker), PeerError> {
    let poll = Poll::new().map_err(|e| PeerError::Setup(format!("mio Poll: {e}")))?;
    let waker = Waker::new(poll.registry(), Token(0))
        .map_err(|e| PeerError::Setup(format!("mio Waker: {e}")))?;
    Ok((poll, waker))
}

pub(crate) fn run(contexts: &[PingCounters], pings: u64) -> Result<(Duration, CpuUse), PeerError> {
    let n = contexts.len();
    let boxes: Vec<Mailbox> = (0..n).map(|_| Mailbox::default()).collect();
    let (mut main_poll, main_waker) = setup()?;
    let mut worker_polls = Vec::with_capacity(n);
    let mut worker_wakers = Vec::with_capacity(n);
    for _ in 0..n {
        let (poll, waker) = setup()?;
        worker_polls.push(Mutex::new(Some(poll)));
        worker_wakers.push(waker);
    }
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
            answer(
                &boxes[i],
                &contexts[i],
                pings,
                || {
                    let _ = poll.poll(&mut events, None);
                },
                || {
                    let _ = main_waker.wake();
                },
            );
        },
        || {
            serve(
                &boxes,
                contexts,
                pings,
                || {
                    let _ = main_poll.poll(&mut main_events, None);
                },
                |i| {
                    let _ = worker_wakers[i].wake();
                },
            );
        },
    ))
}
