//! Harness for the `cli_args` fuzz target (and the tests that replay its
//! corpus). Not part of the API.

use crate::bench::{MAX_PINGS, MAX_THREADS};
use crate::cli::{self, Work};
use rearm_core::MAX_CAPACITY;

/// Splits `data` at NUL bytes into arguments, parses them as `driver`'s
/// command line, and panics if parsing panics or accepts a plan that breaks
/// the limits every run relies on.
pub fn cli_args(data: &[u8]) {
    let args = std::iter::once("driver".to_string()).chain(
        data.split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned()),
    );
    let Ok(plan) = cli::parse(args) else {
        return;
    };
    assert!(plan.repeat >= 1, "accepted --repeat {}", plan.repeat);
    if let Some(path) = &plan.plot {
        let svg = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        assert!(svg, "accepted --plot {}", path.display());
    }
    let check = |config: &crate::bench::Config| {
        assert!((1..=MAX_THREADS).contains(&config.threads), "{config:?}");
        assert!((1..=MAX_PINGS).contains(&config.pings), "{config:?}");
        assert!(!config.timeout.is_zero(), "{config:?}");
    };
    match &plan.work {
        Work::Runs(runs) => {
            assert!(!runs.is_empty(), "accepted a plan with no runs");
            for (_, _, config) in runs {
                check(config);
            }
        }
        Work::Peers {
            peers,
            threads,
            config,
            ..
        } => {
            assert!(!peers.is_empty(), "accepted --peers with no peer");
            for (i, p) in peers.iter().enumerate() {
                assert!(!peers[..i].contains(p), "{p} twice in {peers:?}");
            }
            assert!(!threads.is_empty());
            for &t in threads {
                assert!((1..=MAX_THREADS).contains(&t), "accepted {t} threads");
            }
            check(config);
        }
        Work::Wake { asyncs, rounds, .. } => {
            assert!(*rounds >= 1);
            for &h in asyncs {
                assert!((1..=MAX_CAPACITY).contains(&h), "accepted {h} asyncs");
            }
        }
        Work::Idle(backends) => assert!(!backends.is_empty()),
        Work::Report(work) => assert!(!work.files.is_empty(), "a report of no files"),
        Work::Sparse(work) => {
            assert!(!work.contenders.is_empty() && !work.gaps.is_empty());
            assert!(
                work.gaps.iter().all(|g| !g.gap.is_zero()),
                "accepted a zero gap"
            );
            assert!(work.count.is_none_or(|n| n >= 1) && !work.timeout.is_zero());
        }
        Work::Mailbox(work) => {
            assert!(work.contenders.len() >= 3, "rearm and both channels");
            assert!(!work.senders.is_empty());
            for &n in &work.senders {
                assert!((1..=MAX_THREADS).contains(&n), "accepted {n} senders");
            }
            assert!((1..=MAX_PINGS).contains(&work.messages) && !work.timeout.is_zero());
        }
        Work::Timers(work) => {
            assert!(!work.contenders.is_empty() && !work.counts.is_empty());
            for &n in &work.counts {
                assert!((1..=MAX_CAPACITY).contains(&n), "accepted {n} timers");
            }
            assert!(
                work.periods.iter().all(|p| p.as_micros() >= 10),
                "accepted a period under 10 µs"
            );
        }
        Work::Async(work) => {
            assert!((1..=MAX_PINGS).contains(&work.round_trips) && !work.timeout.is_zero());
        }
        Work::Soak(duration, timeout) => {
            assert!(!duration.is_zero() && !timeout.is_zero());
        }
    }
}
