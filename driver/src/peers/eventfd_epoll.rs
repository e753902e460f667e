//! Raw eventfd + epoll, always sleeping, as libuv and libxev do on Linux: an
//! eventfd per direction per context; main's epoll watches all of its own.

use super::{PeerError, timed};
use crate::harness::CpuUse;
use crate::harness::PingCounters;
use rustix::event::{EventfdFlags, epoll, eventfd};
use rustix::fd::OwnedFd;
use rustix::io;
use std::time::Duration;

fn setup_err(what: &str, e: io::Errno) -> PeerError {
    PeerError::Setup(format!("{what}: {e}"))
}

pub(super) fn new_eventfd() -> Result<OwnedFd, PeerError> {
    eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).map_err(|e| setup_err("eventfd", e))
}

pub(super) fn new_epoll(fds: &[(&OwnedFd, u64)]) -> Result<OwnedFd, PeerError> {
    let ep = epoll::create(epoll::CreateFlags::CLOEXEC).map_err(|e| setup_err("epoll", e))?;
    for (fd, data) in fds {
        epoll::add(
            &ep,
            fd,
            epoll::EventData::new_u64(*data),
            epoll::EventFlags::IN,
        )
        .map_err(|e| setup_err("epoll_ctl", e))?;
    }
    Ok(ep)
}

pub(super) fn signal(fd: &OwnedFd) {
    let _ = io::write(fd, &1u64.to_ne_bytes());
}

/// Drains `fd`; returns whether it held anything.
pub(super) fn drain(fd: &OwnedFd) -> bool {
    let mut buf = [0u8; 8];
    matches!(io::read(fd, &mut buf), Ok(8))
}

pub(super) fn empty_event() -> epoll::Event {
    epoll::Event {
        flags: epoll::EventFlags::empty(),
        data: epoll::EventData::new_u64(0),
    }
}

pub(crate) fn run(contexts: &[PingCounters], pings: u64) -> Result<(Duration, CpuUse), PeerError> {
    let n = contexts.len();
    let to_main: Vec<OwnedFd> = (0..n).map(|_| new_eventfd()).collect::<Result<_, _>>()?;
    let to_worker: Vec<OwnedFd> = (0..n).map(|_| new_eventfd()).collect::<Result<_, _>>()?;
    let main_epoll = new_epoll(
        &to_main
            .iter()
            .enumerate()
            .map(|(i, fd)| (fd, i as u64))
            .collect::<Vec<_>>(),
    )?;
    let worker_epolls: Vec<OwnedFd> = to_worker
        .iter()
        .map(|fd| new_epoll(&[(fd, 0)]))
        .collect::<Result<_, _>>()?;
    let mut finished = vec![false; n];
    let mut events = vec![empty_event(); n];
    Ok(timed(
        n,
        |i, ready| {
            ready();
            let counters = &contexts[i];
            signal(&to_main[i]);
            let mut event = [empty_event()];
            loop {
                let _ = epoll::wait(&worker_epolls[i], &mut event, None);
                if !drain(&to_worker[i]) {
                    continue;
                }
                counters.worker_seen();
                signal(&to_main[i]);
                if counters.worker_sent() >= pings {
                    break;
                }
            }
        },
        || {
            let mut done = 0;
            while done < n {
                let ready = epoll::wait(&main_epoll, &mut events[..], None).unwrap_or(0);
                for event in &events[..ready] {
                    let i = event.data.u64() as usize;
                    if !drain(&to_main[i]) || finished[i] {
                        continue;
                    }
                    contexts[i].main_seen();
                    signal(&to_worker[i]);
                    if contexts[i].main_sent() >= pings {
                        finished[i] = true;
                        done += 1;
                    }
                }
            }
        },
    ))
}
