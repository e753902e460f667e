//! `driver --peers`: rearm and each peer over the same ping-pong, run in
//! alternation (rearm, peer A, rearm, peer B, ..., rearm) so that drift in the
//! machine (other load, host placement of the VM's CPUs) hits both sides of
//! every comparison; each ratio compares a peer's run with the rearm runs just
//! before and just after it.

use crate::bench::{self, BenchError, Config, Mode};
use crate::cli::dispersion::Dispersion;
use crate::cli::report::{spread, thousands};
use crate::peers::{self, Peer, PeerError};
use crate::sys::BackendKind;
use std::fmt::{self, Write as _};

/// What one side of the comparison was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Contender {
    /// rearm on a backend.
    Rearm(BackendKind),
    /// A peer.
    Peer(Peer),
}

impl fmt::Display for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contender::Rearm(b) => write!(f, "rearm ({b})"),
            Contender::Peer(p) => write!(f, "{p}"),
        }
    }
}

/// The rates of one contender at one thread count, and its pairings.
#[derive(Clone, Debug)]
pub struct Row {
    /// Who.
    pub contender: Contender,
    /// Contexts.
    pub threads: usize,
    /// Rate of every run (pings per second per context).
    pub rates: Vec<f64>,
    /// For a peer: rearm's rate (the geometric mean of the rearm runs just
    /// before and after the peer's) divided by the peer's, per round.
    pub rearm_over_peer: Vec<f64>,
    /// CPU microseconds per ping, per run.
    pub cpu_us: Vec<f64>,
}

/// Why a comparison stopped.
#[derive(Debug)]
pub enum CompareError {
    /// A rearm run failed.
    Rearm(BenchError),
    /// A peer run failed.
    Peer(Peer, PeerError),
}

impl fmt::Display for CompareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompareError::Rearm(e) => write!(f, "rearm: {e}"),
            CompareError::Peer(p, e) => write!(f, "{p}: {e}"),
        }
    }
}

impl std::error::Error for CompareError {}

/// Whether `peer` can run here in useful time. Pure busy-spinning on one CPU
/// passes at most one ping per scheduler time slice (a spinning thread holds
/// the only CPU its peer needs until it is preempted): seconds per hundred
/// pings, so it is left out there.
pub fn runs_here(peer: Peer) -> bool {
    !(peer == Peer::BusySpin && crate::harness::machine::usable_cpus() < 2)
}

/// Runs the comparison: for each thread count, `warmup` rounds not counted,
/// then `rounds` rounds of rearm runs with one peer run between each two.
/// `progress` hears about each run.
pub fn compare(
    backend: BackendKind,
    peers: &[Peer],
    threads: &[usize],
    config: &Config,
    (warmup, rounds): (u32, u32),
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, CompareError> {
    let mut rows = Vec::new();
    for &t in threads {
        let mut config = config.clone();
        config.threads = t;
        let mut rearm = Row {
            contender: Contender::Rearm(backend),
            threads: t,
            rates: Vec::new(),
            rearm_over_peer: Vec::new(),
            cpu_us: Vec::new(),
        };
        let mut peer_rows: Vec<Row> = peers
            .iter()
            .filter(|&&p| runs_here(p))
            .map(|&p| Row {
                contender: Contender::Peer(p),
                threads: t,
                rates: Vec::new(),
                rearm_over_peer: Vec::new(),
                cpu_us: Vec::new(),
            })
            .collect();
        // Each round: rearm, peer A, rearm, peer B, ..., rearm. A peer's ratio
        // uses the rearm runs on both sides of it (their geometric mean), so a
        // drift during the pair, or what the run before left behind (a peer
        // whose threads sleep, say), weighs on both sides alike.
        for round in 1..=warmup + rounds {
            if round == warmup + 1 {
                // The warm-up rounds are over: forget what they measured.
                for row in std::iter::once(&mut rearm).chain(peer_rows.iter_mut()) {
                    row.rates.clear();
                    row.rearm_over_peer.clear();
                    row.cpu_us.clear();
                }
            }
            let (round, rounds) = if round <= warmup {
                (format!("warm-up {round}"), warmup)
            } else {
                ((round - warmup).to_string(), rounds)
            };
            progress(&format!("async{t} round {round}/{rounds}: rearm"));
            let mut before = run_rearm(backend, &config, &mut rearm)?;
            for row in peer_rows.iter_mut() {
                let Contender::Peer(peer) = row.contender else {
                    continue;
                };
                progress(&format!(
                    "async{t} round {round}/{rounds}: {peer}, then rearm"
                ));
                let theirs =
                    peers::run(peer, t, config.pings).map_err(|e| CompareError::Peer(peer, e))?;
                row.rates.push(theirs.rate());
                row.cpu_us.push(
                    theirs.cpu.total().as_secs_f64() * 1e6 / (theirs.pings * t as u64) as f64,
                );
                let after = run_rearm(backend, &config, &mut rearm)?;
                row.rearm_over_peer
                    .push((before * after).sqrt() / theirs.rate());
                before = after;
            }
        }
        rows.push(rearm);
        rows.extend(peer_rows);
    }
    Ok(rows)
}

/// One rearm run, recorded in `row`; returns its rate.
fn run_rearm(backend: BackendKind, config: &Config, row: &mut Row) -> Result<f64, CompareError> {
    let ours = bench::run(backend, Mode::PingPong, config).map_err(CompareError::Rearm)?;
    let (user, system) = ours.cpu_us_per_event();
    row.rates.push(ours.rate());
    row.cpu_us.push(user + system);
    Ok(ours.rate())
}

/// The comparison as a table: median, min and max rate per contender, the
/// median of rearm ÷ peer over its pairs, and CPU per ping.
pub fn table(rows: &[Row]) -> String {
    let ratios: Vec<String> = rows
        .iter()
        .map(|row| match spread(&row.rearm_over_peer) {
            Some((m, lo, hi)) => format!("{m:.2} ({lo:.2}-{hi:.2})"),
            None => "-".into(),
        })
        .collect();
    // As wide as its widest value, so no cell pushes the columns after it.
    const RATIO: &str = "rearm ÷ peer";
    let ratio_width = ratios
        .iter()
        .map(|r| r.chars().count())
        .chain([RATIO.chars().count()])
        .max()
        .unwrap_or_default();
    let mut out = format!(
        "{:<8} {:<16} {:>5} {:>13} {:>13} {:>13} {:>23} {:>ratio_width$} {:>8}\n",
        "bench", "contender", "runs", "median/s", "min/s", "max/s", "mean ± σ /s", RATIO, "cpu µs"
    );
    for (row, ratio) in rows.iter().zip(&ratios) {
        let (median, min, max) = spread(&row.rates).unwrap_or((0.0, 0.0, 0.0));
        let cpu = spread(&row.cpu_us).map_or(0.0, |s| s.0);
        let mean_sd = Dispersion::of(&row.rates).map_or("-".into(), |d| d.mean_sd_count());
        let _ = writeln!(
            out,
            "{:<8} {:<16} {:>5} {:>13} {:>13} {:>13} {:>23} {:>ratio_width$} {:>8.2}",
            format!("async{}", row.threads),
            row.contender.to_string(),
            row.rates.len(),
            thousands(median.round() as u64),
            thousands(min.round() as u64),
            thousands(max.round() as u64),
            mean_sd,
            ratio,
            cpu
        );
    }
    out
}
