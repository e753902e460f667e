//! Peers built on channels: main receives context ids on one channel; each
//! worker receives on its own. std's mpsc and crossbeam-channel share the code
//! (their APIs match); only the constructor differs.

use super::timed;
use crate::harness::CpuUse;
use crate::harness::PingCounters;
use std::sync::Mutex;
use std::time::Duration;

/// Defines `fn $name(contexts, pings)` over the channel constructor `$channel`.
macro_rules! channel_peer {
    ($(#[$doc:meta])* $name:ident, $channel:path) => {
        $(#[$doc])*
        pub(crate) fn $name(contexts: &[PingCounters], pings: u64) -> (Duration, CpuUse) {
            let n = contexts.len();
            let (to_main, from_workers) = $channel();
            let (to_workers, inboxes): (Vec<_>, Vec<_>) = (0..n).map(|_| $channel()).unzip();
            // A receiver may not be shareable: each worker takes its own.
            let inboxes: Vec<Mutex<Option<_>>> =
                inboxes.into_iter().map(|r| Mutex::new(Some(r))).collect();
            let mut finished = vec![false; n];
            timed(
                n,
                |i, ready| {
                    let inbox = inboxes[i].lock().unwrap().take().expect("one worker per context");
                    let to_main = to_main.clone();
                    ready();
                    let counters = &contexts[i];
                    let _ = to_main.send(i);
                    while inbox.recv().is_ok() {
                        counters.worker_seen();
                        let _ = to_main.send(i);
                        if counters.worker_sent() >= pings {
                            break;
                        }
                    }
                },
                || {
                    let mut done = 0;
                    while done < n {
                        let Ok(i) = from_workers.recv() else { break };
                        if finished[i] {
                            continue; // the worker's last reply
                        }
                        contexts[i].main_seen();
                        let _ = to_workers[i].send(());
                        if contexts[i].main_sent() >= pings {
                            finished[i] = true;
                            done += 1;
                        }
                    }
                },
            )
        }
    };
}

channel_peer!(
    /// `std::sync::mpsc::channel`.
    run_std,
    std::sync::mpsc::channel
);

channel_peer!(
    /// `crossbeam_channel::unbounded`.
    run_crossbeam,
    crossbeam_channel::unbounded
);
