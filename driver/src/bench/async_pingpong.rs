//! Async ping-pong: two threads, each running a current-thread tokio
//! runtime, pass one value back and forth; each side awaits the other's
//! value before it sends its own. Through rearm (a mailbox each way, its
//! receiver an `AsyncSignal`), beside tokio's `Notify`, tokio's bounded
//! `mpsc` and `async-channel`'s bounded channel. Every reply is checked
//! against its request.

use crate::harness::{Stopwatch, Timed};
use crate::peers::async_channels::{AsyncChannelWay, CAPACITY, MpscWay, NotifyWay, OneWay};
use rearm_core::mailbox::{AsyncSignal, Mailbox, TrySendError};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Round trips per run when none are asked for.
pub const DEFAULT_ROUND_TRIPS: u64 = 100_000;

/// What carries the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsyncContender {
    /// A rearm mailbox each way, awaited through an `AsyncSignal`.
    Rearm,
    /// The same, its polls spinning [`SPIN_STEPS`] steps before `Pending`
    /// (`AsyncSignal::with_spin`).
    RearmSpinning,
    /// A value in an atomic and tokio's `Notify`, each way.
    TokioNotify,
    /// tokio's bounded `mpsc` channel, each way.
    TokioMpsc,
    /// `async-channel`'s bounded channel, each way.
    AsyncChannel,
}

impl AsyncContender {
    /// Every contender, in report order; ratios are to tokio's `Notify`.
    pub const ALL: [AsyncContender; 5] = [
        AsyncContender::Rearm,
        AsyncContender::RearmSpinning,
        AsyncContender::TokioNotify,
        AsyncContender::TokioMpsc,
        AsyncContender::AsyncChannel,
    ];

    /// Its name in JSON.
    pub fn key(self) -> &'static str {
        match self {
            AsyncContender::Rearm => "rearm",
            AsyncContender::RearmSpinning => "rearm-spinning",
            AsyncContender::TokioNotify => "tokio-notify",
            AsyncContender::TokioMpsc => "tokio-mpsc",
            AsyncContender::AsyncChannel => "async-channel",
        }
    }
}

impl fmt::Display for AsyncContender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == AsyncContender::RearmSpinning {
            return write!(f, "rearm mailbox (AsyncSignal, {SPIN_STEPS} spins)");
        }
        f.write_str(match self {
            AsyncContender::Rearm | AsyncContender::RearmSpinning => "rearm mailbox (AsyncSignal)",
            AsyncContender::TokioNotify => "tokio Notify",
            AsyncContender::TokioMpsc => "tokio mpsc bounded",
            AsyncContender::AsyncChannel => "async-channel bounded",
        })
    }
}

/// One run's measurements, its checks passed.
#[derive(Clone, Copy, Debug)]
pub struct AsyncPoint {
    /// Round trips made.
    pub round_trips: u64,
    /// Wall clock, both threads' CPU, allocations (counted while both
    /// runtimes ran, their own included).
    pub timed: Timed,
}

impl AsyncPoint {
    /// Round trips per second.
    pub fn rate(&self) -> f64 {
        self.round_trips as f64 / self.timed.elapsed.as_secs_f64()
    }

    /// Both threads' CPU per round trip, in nanoseconds.
    pub fn cpu_ns_per_round_trip(&self) -> f64 {
        self.timed.cpu.total().as_nanos() as f64 / self.round_trips as f64
    }
}

/// Spin steps of the spinning rearm row: about what one CPU's spin-loop
/// hints take to outlast a reply from a running thread (a few
/// microseconds), as the blocking `recv`'s spin.
pub const SPIN_STEPS: u32 = 128;

/// A rearm mailbox whose `AsyncSignal` spins `SPIN` steps per poll.
struct RearmWay<const SPIN: u32>;

impl<const SPIN: u32> OneWay for RearmWay<SPIN> {
    type Tx = Arc<Mailbox<u64, AsyncSignal, CAPACITY>>;
    type Rx = Arc<Mailbox<u64, AsyncSignal, CAPACITY>>;
    fn open() -> (Self::Tx, Self::Rx) {
        let mailbox = Arc::new(Mailbox::new(AsyncSignal::with_spin(SPIN)));
        (Arc::clone(&mailbox), mailbox)
    }
    async fn send(tx: &Self::Tx, mut value: u64) -> bool {
        loop {
            match tx.send(value) {
                Ok(_) => return true,
                Err(TrySendError::Full(back)) => {
                    value = back;
                    tokio::task::yield_now().await;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// Measures `round_trips` round trips through `contender`. A run that has not
/// finished within `timeout` is stopped and reported with how far each
/// side got.
pub fn measure(
    contender: AsyncContender,
    round_trips: u64,
    timeout: Duration,
) -> Result<AsyncPoint, String> {
    let point = match contender {
        AsyncContender::Rearm => ping_pong::<RearmWay<0>>(round_trips, timeout),
        AsyncContender::RearmSpinning => ping_pong::<RearmWay<SPIN_STEPS>>(round_trips, timeout),
        AsyncContender::TokioNotify => ping_pong::<NotifyWay>(round_trips, timeout),
        AsyncContender::TokioMpsc => ping_pong::<MpscWay>(round_trips, timeout),
        AsyncContender::AsyncChannel => ping_pong::<AsyncChannelWay>(round_trips, timeout),
    };
    point.map_err(|e| format!("{contender}: {e}"))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

fn ping_pong<W: OneWay>(round_trips: u64, timeout: Duration) -> Result<AsyncPoint, String> {
    let (to_server, mut from_client) = W::open();
    let (to_client, mut from_server) = W::open();
    let (client_rt, server_rt) = (runtime()?, runtime()?);
    // Round trips each side completed; read only to report a stall.
    let (served, answered) = (AtomicU64::new(0), AtomicU64::new(0));
    let mismatched = AtomicU64::new(0);
    let (timed, client_done, server_done) = std::thread::scope(|s| {
        let server = s.spawn(|| {
            server_rt.block_on(async {
                tokio::time::timeout(timeout, async {
                    for _ in 0..round_trips {
                        let Some(request) = W::recv(&mut from_client).await else {
                            return;
                        };
                        if !W::send(&to_client, request).await {
                            return;
                        }
                        // Relaxed: read after the join, or to report a stall.
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .await
                .is_ok()
            })
        });
        let stopwatch = Stopwatch::start();
        let client_done = client_rt.block_on(async {
            tokio::time::timeout(timeout, async {
                for request in 0..round_trips {
                    if !W::send(&to_server, request).await {
                        return;
                    }
                    match W::recv(&mut from_server).await {
                        Some(reply) if reply == request => {}
                        Some(_) => {
                            // Relaxed: read after the join.
                            mismatched.fetch_add(1, Ordering::Relaxed);
                        }
                        None => return,
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
            .await
            .is_ok()
        });
        let timed = stopwatch.stop();
        let server_done = server.join().unwrap_or(false);
        (timed, client_done, server_done)
    });
    let (served, answered) = (served.into_inner(), answered.into_inner());
    if !client_done || !server_done || answered != round_trips {
        return Err(format!(
            "stalled: after {} s the client had {answered} of {round_trips} replies and the \
             server had answered {served}",
            timeout.as_secs_f64()
        ));
    }
    let mismatched = mismatched.into_inner();
    if mismatched > 0 {
        return Err(format!("{mismatched} replies differed from their requests"));
    }
    Ok(AsyncPoint { round_trips, timed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contender_makes_every_round_trip() {
        for contender in AsyncContender::ALL {
            let point = measure(contender, 2_000, Duration::from_secs(30)).unwrap();
            assert_eq!(point.round_trips, 2_000, "{contender}");
            assert!(point.rate() > 0.0);
        }
    }

    /// A contender that never answers is reported as a stall, with counts.
    #[test]
    fn a_side_that_never_answers_is_reported_as_a_stall() {
        struct Deaf;
        impl OneWay for Deaf {
            type Tx = ();
            type Rx = ();
            fn open() -> ((), ()) {
                ((), ())
            }
            async fn send(_: &(), _: u64) -> bool {
                true
            }
            async fn recv(_: &mut ()) -> Option<u64> {
                std::future::pending().await
            }
        }
        let err = ping_pong::<Deaf>(10, Duration::from_millis(50)).unwrap_err();
        assert!(err.contains("stalled") && err.contains("0 of 10"), "{err}");
    }
}
