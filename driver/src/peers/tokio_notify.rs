//! tokio's `Notify`, each thread running a current-thread runtime: main's
//! runtime drives one future per context.

use super::{PeerError, timed};
use crate::harness::CpuUse;
use crate::harness::PingCounters;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::Notify;

fn runtime() -> Result<Runtime, PeerError> {
    Builder::new_current_thread()
        .build()
        .map_err(|e| PeerError::Setup(format!("tokio runtime: {e}")))
}

pub(crate) fn run(contexts: &[PingCounters], pings: u64) -> Result<(Duration, CpuUse), PeerError> {
    let n = contexts.len();
    let to_main: Vec<Notify> = (0..n).map(|_| Notify::new()).collect();
    let to_worker: Vec<Notify> = (0..n).map(|_| Notify::new()).collect();
    let main_rt = runtime()?;
    // Made here, so a failure is an error rather than a worker panic.
    let worker_rts: Vec<std::sync::Mutex<Option<Runtime>>> = (0..n)
        .map(|_| runtime().map(|rt| std::sync::Mutex::new(Some(rt))))
        .collect::<Result<_, _>>()?;
    Ok(timed(
        n,
        |i, ready| {
            let rt = worker_rts[i]
                .lock()
                .unwrap()
                .take()
                .expect("one worker per context");
            ready();
            let counters = &contexts[i];
            rt.block_on(async {
                to_main[i].notify_one();
                loop {
                    to_worker[i].notified().await;
                    counters.worker_seen();
                    to_main[i].notify_one();
                    if counters.worker_sent() >= pings {
                        break;
                    }
                }
            });
        },
        || {
            let futures = (0..n)
                .map(|i| {
                    let (to_main, to_worker, counters) = (&to_main[i], &to_worker[i], &contexts[i]);
                    Box::pin(async move {
                        loop {
                            to_main.notified().await;
                            counters.main_seen();
                            to_worker.notify_one();
                            if counters.main_sent() >= pings {
                                break;
                            }
                        }
                    }) as Pin<Box<dyn Future<Output = ()> + '_>>
                })
                .map(Some)
                .collect();
            main_rt.block_on(JoinAll(futures));
        },
    ))
}

/// Completes when every future has: the borrowed futures cannot be spawned
/// (tasks must be `'static`), so one task polls them all when woken.
struct JoinAll<'a>(Vec<Option<Pin<Box<dyn Future<Output = ()> + 'a>>>>);

impl Future for JoinAll<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut pending = false;
        for slot in self.0.iter_mut() {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}
