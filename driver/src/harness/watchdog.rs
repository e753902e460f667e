//! Ends a run that makes no progress, saying what it had done, instead of hanging.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The watchdog's configuration: what it watches in a run, and when it gives up.
pub struct WatchdogConfig<'a> {
    /// For each context (by index, below `contexts`): a number that grows while
    /// it makes progress, or `None` once it has finished.
    pub progress: &'a (dyn Fn(usize) -> Option<u64> + Sync),
    /// How many contexts `progress` covers.
    pub contexts: usize,
    /// Counters and ledgers, for the report.
    pub describe: &'a (dyn Fn() -> String + Sync),
    /// Asks every loop of the run to stop.
    pub stop_all: &'a (dyn Fn() + Sync),
    /// Set (then the watchdog thread unparked) when the run is over.
    pub done: &'a AtomicBool,
    /// How long a context may go without progress.
    pub timeout: Duration,
    /// If the run's threads have not returned this long after a stop, print
    /// and exit the process with status 3; `None` waits for them.
    pub hard_exit_after: Option<Duration>,
}

impl WatchdogConfig<'_> {
    /// Watches until `done`; returns the snapshot if it had to stop a run in
    /// which some unfinished context made no progress for the timeout (others
    /// may still be making progress: a context is stalled on its own).
    ///
    /// `last` holds one slot per context; the caller allocates it before the
    /// timed region, since the watchdog runs inside it.
    pub fn watch(&self, mut last: Vec<(Option<u64>, Instant)>) -> Option<String> {
        let poll = (self.timeout / 8).clamp(Duration::from_millis(1), Duration::from_millis(250));
        last.clear();
        let start = Instant::now();
        last.extend((0..self.contexts).map(|i| ((self.progress)(i), start)));
        let mut last_poll = start;
        // Acquire pairs with the Release store of `done` after the joins.
        while !self.done.load(Ordering::Acquire) {
            std::thread::park_timeout(poll);
            let now = Instant::now();
            // A gap far longer than the poll interval means the whole process
            // was frozen (SIGSTOP, a suspended VM): nobody could progress, so
            // the time without progress starts again now.
            if now.duration_since(last_poll) > poll * 4 + Duration::from_millis(100) {
                for (_, since) in last.iter_mut() {
                    *since = now;
                }
            }
            last_poll = now;
            let mut stalled = false;
            for (i, (value, since)) in last.iter_mut().enumerate() {
                let current = (self.progress)(i);
                if current != *value {
                    (*value, *since) = (current, now);
                } else if current.is_some() && now.duration_since(*since) >= self.timeout {
                    stalled = true;
                }
            }
            if stalled {
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
