//! The peers under sparse arrivals ([`arrivals::measure`]): each gives the
//! producer a way to notify and the consumer a way to sleep until notified.

use super::Peer;
use super::bounded::{self, Bounded};
use super::eventfd_epoll::{drain, empty_event, new_epoll, new_eventfd, signal};
use crate::harness::arrivals::{self, ArrivalPoint, Receiver, Spacing};
use rustix::event::epoll;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;
use std::time::Duration;

/// The peers that have a sparse form: those that sleep until notified, as a
/// program waiting for occasional events would (busy-spinning peers burn a CPU
/// at any gap by design).
pub const SPARSE_PEERS: [Peer; 5] = [
    Peer::StdPark,
    Peer::StdMpsc,
    Peer::Crossbeam,
    Peer::TokioNotify,
    Peer::EventfdEpoll,
];

/// Measures `peer` at one gap; see [`arrivals::measure`].
pub fn measure(
    peer: Peer,
    gap: Spacing,
    count: u64,
    timeout: Duration,
) -> Result<ArrivalPoint, String> {
    match peer {
        Peer::StdPark => std_park(gap, count, timeout),
        Peer::StdMpsc => channel_of_one::<bounded::StdSync>(gap, count, timeout),
        Peer::Crossbeam => channel_of_one::<bounded::Crossbeam>(gap, count, timeout),
        Peer::TokioNotify => tokio_notify(gap, count, timeout),
        Peer::EventfdEpoll => eventfd_epoll(gap, count, timeout),
        other => Err(format!(
            "{other} has no sparse form; the sparse peers are {}",
            SPARSE_PEERS.map(Peer::key).join(", ")
        )),
    }
}

/// `thread::park` with a flag, as std's own parker documentation shows it.
fn std_park(gap: Spacing, count: u64, timeout: Duration) -> Result<ArrivalPoint, String> {
    let flag = Arc::new(AtomicBool::new(false));
    let notified = Arc::clone(&flag);
    arrivals::measure(
        gap,
        count,
        timeout,
        |consumer: &Thread| {
            let consumer = consumer.clone();
            move || {
                // Release pairs with the consumer's Acquire swap; unpark after
                // the store, so a consumer about to park returns at once.
                notified.store(true, Ordering::Release);
                consumer.unpark();
            }
        },
        move |r: &mut Receiver| {
            r.ready();
            loop {
                if flag.swap(false, Ordering::Acquire) {
                    if !r.on_wake() {
                        return;
                    }
                } else {
                    std::thread::park();
                }
            }
        },
    )
}

/// A bounded channel of one (std's `sync_channel`, crossbeam's `bounded`):
/// a notification that finds it full coalesces.
fn channel_of_one<C: Bounded>(
    gap: Spacing,
    count: u64,
    timeout: Duration,
) -> Result<ArrivalPoint, String> {
    let (tx, rx) = C::open(1)?;
    arrivals::measure(
        gap,
        count,
        timeout,
        move |_: &Thread| {
            move || {
                let _ = C::try_send(&tx, 0);
            }
        },
        move |r: &mut Receiver| {
            r.ready();
            while C::recv(&rx).is_some() {
                if !r.on_wake() {
                    return;
                }
            }
        },
    )
}

/// `Notify::notify_one` into a current-thread runtime awaiting `notified()`.
fn tokio_notify(gap: Spacing, count: u64, timeout: Duration) -> Result<ArrivalPoint, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let notify = Arc::new(tokio::sync::Notify::new());
    let notifier = Arc::clone(&notify);
    arrivals::measure(
        gap,
        count,
        timeout,
        move |_: &Thread| move || notifier.notify_one(),
        move |r: &mut Receiver| {
            r.ready();
            runtime.block_on(async {
                loop {
                    notify.notified().await;
                    if !r.on_wake() {
                        return;
                    }
                }
            });
        },
    )
}

/// An eventfd written by the producer, slept on with `epoll_wait`: libuv's
/// and libxev's way on Linux.
fn eventfd_epoll(gap: Spacing, count: u64, timeout: Duration) -> Result<ArrivalPoint, String> {
    let fd = Arc::new(new_eventfd().map_err(|e| e.to_string())?);
    let ep = new_epoll(&[(&fd, 0)]).map_err(|e| e.to_string())?;
    let writer = Arc::clone(&fd);
    arrivals::measure(
        gap,
        count,
        timeout,
        move |_: &Thread| move || signal(&writer),
        move |r: &mut Receiver| {
            let mut event = [empty_event()];
            r.ready();
            loop {
                let _ = epoll::wait(&ep, &mut event, None);
                if drain(&fd) && !r.on_wake() {
                    return;
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sparse_peer_receives_every_notification() {
        for peer in SPARSE_PEERS {
            let point = measure(
                peer,
                Spacing::steady(Duration::from_micros(50)),
                200,
                Duration::from_secs(10),
            )
            .unwrap_or_else(|e| panic!("{peer}: {e}"));
            assert_eq!(point.received + point.coalesced, 200, "{peer}");
            assert!(point.latency.max > 0, "{peer}");
        }
    }

    #[test]
    fn a_peer_without_a_sparse_form_is_refused() {
        let error = measure(
            Peer::BusySpin,
            Spacing::steady(Duration::from_micros(50)),
            10,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(error.contains("no sparse form"), "{error}");
    }
}
