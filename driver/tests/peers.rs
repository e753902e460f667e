//! Every peer runs the ping-pong correctly (the peer harness checks libuv's
//! four counters in every context, so a broken peer fails here rather than
//! producing a rate), and `--peers` prints the comparison.

use driver::peers::{self, Peer};
use std::process::Command;

#[test]
fn every_peer_completes_async1_and_async2() {
    for &peer in Peer::ALL {
        for threads in [1, 2] {
            let report = peers::run(peer, threads, 2_000)
                .unwrap_or_else(|e| panic!("{peer} async{threads}: {e}"));
            assert_eq!((report.threads, report.pings), (threads, 2_000));
            assert!(report.rate() > 0.0);
        }
    }
}

#[test]
fn a_peer_refuses_zero_pings_or_threads() {
    assert!(peers::run(Peer::StdPark, 0, 10).is_err());
    assert!(peers::run(Peer::StdPark, 1, 0).is_err());
}

#[test]
fn peers_flag_prints_every_contender_with_a_ratio() {
    let out = Command::new(env!("CARGO_BIN_EXE_driver"))
        .args(["--peers", "--pings", "1000", "--threads", "1"])
        .output()
        .expect("run the driver");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("async1   rearm (futex)"), "{stdout}");
    for &peer in Peer::ALL {
        let row = stdout
            .lines()
            .find(|l| l.starts_with("async1") && l.contains(&format!(" {peer} ")))
            .unwrap_or_else(|| panic!("no row for {peer} in:\n{stdout}"));
        assert!(row.contains('('), "no ratio for {peer}: {row}");
    }
}

/// Each peer run sits between two rearm runs, and its ratio is rearm's rate
/// there (the geometric mean of both) over the peer's: drift during a pair, or
/// what the previous run left behind, weighs on both sides alike.
#[test]
fn peers_are_compared_with_the_rearm_runs_on_both_sides() {
    use driver::BackendKind;
    use driver::cli::compare::{Contender, compare};
    let peers = [Peer::StdPark, Peer::Crossbeam];
    let rounds = 3;
    let config = driver::Config::new(1, 2_000);
    let rows = compare(
        BackendKind::Futex,
        &peers,
        &[1],
        &config,
        (1, rounds),
        &mut |_| {},
    )
    .expect("the comparison runs");
    let rearm = &rows[0];
    assert_eq!(rearm.contender, Contender::Rearm(BackendKind::Futex));
    // The warm-up round is forgotten. Then rearm, peer, rearm, peer, rearm:
    // one rearm run more than peer runs.
    let per_round = peers.len() + 1;
    assert_eq!(rearm.rates.len(), rounds as usize * per_round);
    for (k, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.contender, Contender::Peer(peers[k]));
        assert_eq!(row.rates.len(), rounds as usize);
        for round in 0..rounds as usize {
            let (before, after) = (
                rearm.rates[round * per_round + k],
                rearm.rates[round * per_round + k + 1],
            );
            let want = (before * after).sqrt() / row.rates[round];
            let got = row.rearm_over_peer[round];
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "{}: round {round}: ratio {got}, want {want}",
                peers[k]
            );
        }
    }
}

/// Every timer peer (libuv's too, with the `libuv` feature) keeps the
/// schedule: firings for every timer over the run, none recorded early
/// (lateness is at least the histogram's 1 ns floor), and a loop thread that
/// did some work.
#[test]
fn every_timer_peer_fires_its_timers_on_the_shared_schedule() {
    use driver::bench::timers::{self, TimerContender};
    use std::time::Duration;
    for &contender in TimerContender::PEERS {
        let point = timers::measure(contender, 10, Duration::from_millis(2))
            .unwrap_or_else(|e| panic!("{contender}: {e}"));
        assert_eq!(point.timers, 10, "{contender}");
        // About 2,000 firings are asked for; a peer that rounds its waits up
        // (tokio and libuv count milliseconds) skips some, none loses them all.
        assert!(point.firings >= 100, "{contender}: {point:?}");
        assert!(point.lateness.p50 >= 1, "{contender}: {point:?}");
        assert!(point.cpu > Duration::ZERO, "{contender}: {point:?}");
    }
    #[cfg(feature = "libuv")]
    assert!(TimerContender::PEERS.contains(&TimerContender::Libuv));
}
