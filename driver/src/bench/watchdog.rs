//! Ends a run that makes no progress, saying what it had done, instead of hanging.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the watchdog needs from a run.
pub(crate) struct Watched<'a> {
    /// A number that grows while the run makes progress.
    pub(crate) progress: &'a (dyn Fn() -> u64 + Sync),
    /// Counters and ledgers, for the report.
    pub(crate) describe: &'a (dyn Fn() -> String + Sync),
    /// Asks every loop of the run to stop.
    pub(crate) stop_all: &'a (dyn Fn() + Sync),
    /// Set (then the watchdog thread unparked) when the run is over.
    pub(crate) done: &'a AtomicBool,
    pub(crate) timeout: Duration,
    pub(crate) hard_exit_after: Option<Duration>,
}

impl Watched<'_> {
    /// Watches until `done`; returns the snapshot if it had to stop a stalled run.
    pub(crate) fn watch(&self) -> Option<String> {
        let poll = (self.timeout / 8).clamp(Duration::from_millis(1), Duration::from_millis(250));
        let mut last = (self.progress)();
        let mut since = Instant::now();
        // Acquire pairs with the Release store of `done` after the joins.
        while !self.done.load(Ordering::Acquire) {
            std::thread::park_timeout(poll);
            let now = (self.progress)();
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() >= self.timeout {
                let snapshot = (self.describe)();
                (self.stop_all)();
                self.wait_or_exit(&snapshot);
                return Some(snapshot);
            }
        }
        None
    }

    /// After a stop: the run's threads should return promptly. If they do not
    /// (stuck outside the loop, say in a callback), nothing in-process can free
    /// them; with `hard_exit_after` set, say so and exit.
    fn wait_or_exit(&self, snapshot: &str) {
        let Some(grace) = self.hard_exit_after else {
            return;
        };
        let deadline = Instant::now() + grace;
        while !self.done.load(Ordering::Acquire) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                eprintln!(
                    "error: stalled: no progress for {:.1} s, and the threads did not return \
                     {:.1} s after a stop was requested\n{snapshot}",
                    self.timeout.as_secs_f64(),
                    grace.as_secs_f64()
                );
                std::process::exit(3);
            }
            std::thread::park_timeout(left.min(Duration::from_millis(50)));
        }
    }
}
