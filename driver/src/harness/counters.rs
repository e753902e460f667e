//! libuv's four counters of one ping-pong context, one type for rearm's
//! benchmark and every peer.

use super::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};

/// A counter written by one thread and read by others (the watchdog, the
/// report after joins): a load and a store, no locked instruction on the hot
/// path.
#[derive(Debug, Default)]
pub struct OwnedCounter(AtomicU64);

impl OwnedCounter {
    /// Adds one and returns the new value. Only one thread may call this.
    pub fn bump(&self) -> u64 {
        // Relaxed: single writer; readers (the watchdog, the report after joins)
        // need no ordering with anything else.
        let next = self.0.load(Ordering::Relaxed) + 1;
        self.0.store(next, Ordering::Relaxed);
        next
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        // Relaxed: see `bump`; a reader after the joins sees the final count.
        self.0.load(Ordering::Relaxed)
    }
}

/// One side's counters, written only by that side's thread.
#[derive(Debug, Default)]
pub struct Side {
    /// Counted right after the notify call.
    pub sent: OwnedCounter,
    /// Counted on entry to the callback.
    pub seen: OwnedCounter,
}

/// libuv's four counters of one context: main's and the worker's `sent` and
/// `seen`, each side on cache lines of its own. After a run each must equal the
/// pings asked for.
#[derive(Debug, Default)]
pub struct PingCounters {
    /// Written by the main thread.
    pub main: CachePadded<Side>,
    /// Written by the context's worker thread.
    pub worker: CachePadded<Side>,
}

impl PingCounters {
    /// Counts a ping main received.
    pub fn main_seen(&self) {
        self.main.0.seen.bump();
    }

    /// Counts a ping main sent; returns how many it has sent.
    pub fn main_sent(&self) -> u64 {
        self.main.0.sent.bump()
    }

    /// Counts a reply the worker received.
    pub fn worker_seen(&self) {
        self.worker.0.seen.bump();
    }

    /// Counts a reply the worker sent; returns how many it has sent.
    pub fn worker_sent(&self) -> u64 {
        self.worker.0.sent.bump()
    }

    /// `[main_sent, main_seen, worker_sent, worker_seen]`.
    pub fn all(&self) -> [u64; 4] {
        [
            self.main.0.sent.get(),
            self.main.0.seen.get(),
            self.worker.0.sent.get(),
            self.worker.0.seen.get(),
        ]
    }
}
