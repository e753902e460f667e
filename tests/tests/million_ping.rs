//! The million-ping invariant with real threads: libuv's four counters equal N
//! in every context, and the ledger is exactly what the invariant says (README,
//! "How to read the numbers"; worker to main: N + 1 notified, N delivered, 1
//! dropped; main to worker: N delivered).
//! The benchmark harness checks both on every run and returns an error
//! otherwise; these tests also re-check the report themselves.
//!
//! The runs are serialised (one lock): each one fills this 2-CPU machine.
#![cfg(not(rearm_loom))]

use driver::bench::{self, Config, Detail, Mode, RunReport};
use driver::{Backend, BackendKind};
use rearm_core::Ledger;
use rearm_core::park::SpinPark;
use rearm_core::relax::Yield;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const MILLION: u64 = 1_000_000;

fn ping_pong<B: Backend>(threads: usize, pings: u64) -> RunReport {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let report = bench::run_on::<B>(Mode::PingPong, &Config::new(threads, pings))
        .unwrap_or_else(|e| panic!("async{threads} on {}: {e}", B::KIND));
    let Detail::PingPong(contexts) = &report.detail else {
        panic!("a ping-pong run reported something else");
    };
    assert_eq!(contexts.len(), threads);
    for (i, c) in contexts.iter().enumerate() {
        assert_eq!(
            [c.main_sent, c.main_seen, c.worker_sent, c.worker_seen],
            [pings; 4],
            "context {i}"
        );
        assert_eq!(
            c.to_main,
            Ledger {
                notified: pings + 1,
                delivered: pings,
                coalesced: 0,
                dropped: 1,
                pending: 0
            },
            "context {i}, worker to main"
        );
        assert_eq!(
            c.to_worker,
            Ledger {
                notified: pings,
                delivered: pings,
                coalesced: 0,
                dropped: 0,
                pending: 0
            },
            "context {i}, main to worker"
        );
    }
    report
}

// The core's spin parker. `Yield` between looks: with a test runner's threads
// about, a parker that holds its CPU would starve the thread it waits for.
type Spin = SpinPark<Yield>;

#[test]
fn spin_async1_million_pings() {
    ping_pong::<Spin>(1, MILLION);
}

#[test]
fn spin_async2_million_pings() {
    ping_pong::<Spin>(2, MILLION);
}

#[test]
fn futex_async1_million_pings() {
    ping_pong::<driver::sys::FutexPark>(1, MILLION);
}

#[test]
fn eventfd_async1_million_pings() {
    ping_pong::<driver::sys::EventfdPark>(1, MILLION);
}

#[test]
fn every_backend_async2_and_async4() {
    for backend in BackendKind::ALL {
        for threads in [2, 4] {
            let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            let config = Config::new(threads, 100_000);
            if let Err(e) = bench::run(backend, Mode::PingPong, &config) {
                panic!("async{threads} on {backend}: {e}");
            }
        }
    }
}

#[test]
fn every_backend_pummel() {
    for backend in BackendKind::ALL {
        for threads in [1, 2] {
            let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            let report = bench::run(backend, Mode::Pummel, &Config::new(threads, 200_000))
                .unwrap_or_else(|e| panic!("async_pummel_{threads} on {backend}: {e}"));
            let Detail::Pummel(p) = report.detail else {
                panic!("a pummel run reported something else");
            };
            assert_eq!(p.callbacks, 200_000);
            assert_eq!(p.ledger.delivered, 200_000);
            assert_eq!(p.ledger.pending, 0);
            assert!(p.ledger.is_conserved(), "{}", p.ledger);
        }
    }
}

/// Faults injected into every parker (spurious returns, delays, yields at
/// random points): the million-ping invariant still holds, for every backend.
/// A second run per backend parks at once, so faults land in real sleeps.
#[test]
fn million_ping_survives_injected_faults_on_every_backend() {
    use driver::sys::FaultyPark;
    use driver::sys::{EventfdPark, FutexPark};
    ping_pong::<FaultyPark<FutexPark>>(1, MILLION);
    ping_pong::<FaultyPark<EventfdPark>>(1, MILLION);
    ping_pong::<FaultyPark<Spin>>(1, MILLION);
    for backend in BackendKind::ALL {
        let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let mut config = Config::new(2, 20_000);
        config.inject_faults = true;
        config.spin = rearm_core::SpinPolicy::PARK_AT_ONCE;
        if let Err(e) = bench::run(backend, Mode::PingPong, &config) {
            panic!("async2 on {backend} with faults, parking at once: {e}");
        }
    }
}
