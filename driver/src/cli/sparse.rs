//! `--mode sparse`: every contender at every gap, alternating, in rounds; a
//! table of medians with their spread, JSON lines, and a two-panel plot.

use super::plot::caption;
use super::plot::{self, GapSeries};
use super::progress::{Progress, round_label};
use super::report::{self, spread};
use super::{Plan, SparseWork};
use crate::bench::sparse::{self, SparseContender};
use crate::harness::arrivals::{ArrivalPoint, Spacing};
use crate::peers::Peer;
use rearm_core::WaitCounts;
use std::fmt::Write as _;
use std::io::Write;

/// Runs every contender at every gap, `plan.repeat` rounds, and reports.
pub fn execute(
    plan: &Plan,
    work: &SparseWork,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let (contenders, gaps) = (&work.contenders[..], &work.gaps[..]);
    // points[m][g]: one per round.
    let mut points = vec![vec![Vec::new(); gaps.len()]; contenders.len()];
    let mut progress = Progress::new(err, interactive);
    for round in 0..plan.rounds() {
        // Each gap runs every contender back to back, so drift in the machine
        // falls on all of them alike.
        for (g, &gap) in gaps.iter().enumerate() {
            let count = work.count.unwrap_or_else(|| sparse::default_count(gap.gap));
            progress.show(&format!(
                "[{}] gap {} µs ({}), {count} notifications each...",
                round_label(plan, round),
                gap.gap.as_micros(),
                gap.name()
            ));
            for (m, &contender) in contenders.iter().enumerate() {
                let point = sparse::measure(contender, gap, count, work.timeout).map_err(|e| {
                    format!(
                        "{contender}, gap {} µs ({}): {e}",
                        gap.gap.as_micros(),
                        gap.name()
                    )
                })?;
                if plan.warming_up(round) {
                    continue;
                }
                plan.record(out, || {
                    report::sparse_json(contender, gap, round - plan.warmup, &point)
                });
                points[m][g].push(point);
            }
        }
    }
    progress.clear();
    if !plan.json {
        let _ = write!(out, "{}", table(contenders, gaps, &points));
    }
    match &plan.plot {
        Some(path) => plot::gap_chart(
            path,
            "rearm under sparse arrivals (median of each round)",
            &caption(),
            &series(contenders, gaps, &points),
        ),
        None => Ok(()),
    }
}

/// Medians of `f` over the rounds.
fn median(rounds: &[ArrivalPoint], f: impl Fn(&ArrivalPoint) -> f64) -> (f64, f64, f64) {
    let values: Vec<f64> = rounds.iter().map(f).collect();
    spread(&values).unwrap_or((f64::NAN, f64::NAN, f64::NAN))
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1e3
}

/// One block per gap, one row per contender: CPU per wake (median, min–max),
/// its ratio to std park's median, the latency percentiles' medians, and what
/// was received of what was sent.
fn table(
    contenders: &[SparseContender],
    gaps: &[Spacing],
    points: &[Vec<Vec<ArrivalPoint>>],
) -> String {
    let rounds = points.first().and_then(|m| m.first()).map_or(0, Vec::len);
    let std_park = contenders
        .iter()
        .position(|m| *m == SparseContender::Peer(Peer::StdPark));
    let mut out = format!(
        "sparse arrivals: {rounds} round{}; medians (min–max over rounds); \
         cpu = the loop thread's CPU per notification received; latency from notify to callback\n",
        if rounds == 1 { "" } else { "s" }
    );
    let width = report::label_width(contenders);
    for (g, gap) in gaps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\ngap {} µs, {}\n  {:<width$}  {:>22}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>15}",
            gap.gap.as_micros(),
            gap.name(),
            "contender",
            "cpu/wake µs",
            "÷ std park",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "max µs",
            "received/sent",
        );
        let park_cpu = std_park.map(|p| median(&points[p][g], ArrivalPoint::cpu_ns_per_wake).0);
        for (m, contender) in contenders.iter().enumerate() {
            let rounds = &points[m][g];
            let (cpu, lo, hi) = median(rounds, ArrivalPoint::cpu_ns_per_wake);
            let ratio = park_cpu.map_or(String::from("-"), |p| format!("{:.2}", cpu / p));
            let lat = |f: fn(&ArrivalPoint) -> u64| median(rounds, |p| us(f(p))).0;
            let received: u64 = rounds.iter().map(|p| p.received).sum();
            let sent: u64 = rounds.iter().map(|p| p.sent).sum();
            let _ = writeln!(
                out,
                "  {:<width$}  {:>22}  {:>9}  {:>9.2}  {:>9.2}  {:>9.2}  {:>9.1}  {:>15}",
                contender.to_string(),
                format!("{:.2} ({:.2}–{:.2})", cpu / 1e3, lo / 1e3, hi / 1e3),
                ratio,
                lat(|p| p.latency.p50),
                lat(|p| p.latency.p99),
                lat(|p| p.latency.p999),
                lat(|p| p.latency.max),
                format!(
                    "{}/{}",
                    report::thousands(received),
                    report::thousands(sent)
                ),
            );
        }
        for (m, contender) in contenders.iter().enumerate() {
            if let SparseContender::Rearm { predict: true, .. } = contender {
                let _ = writeln!(out, "{}", predicted_waits(contender, &points[m][g]));
            }
        }
    }
    out
}

/// How a predicting loop's waits ended, as medians over the rounds: whether
/// prediction engaged, how many waits ended spinning (most, when it catches
/// the arrivals), and how often it stood down, and why: its waits cost too
/// much, or the lateness it would spin out (its timed sleeps' and the
/// arrivals') grew too long.
fn predicted_waits(contender: &SparseContender, rounds: &[ArrivalPoint]) -> String {
    let count = |f: fn(&WaitCounts) -> u64| {
        let values: Vec<f64> = rounds
            .iter()
            .filter_map(|p| p.waits.as_ref().map(|w| f(w) as f64))
            .collect();
        spread(&values).map_or(String::from("-"), |(median, ..)| {
            report::thousands(median.round() as u64)
        })
    };
    format!(
        "  {contender}: of {} waits, {} predicted; {} ended spinning, {} parked; \
         stood down {} times for cost, {} for lateness",
        count(|w| w.waits),
        count(|w| w.predicted),
        count(|w| w.spun),
        count(|w| w.parked),
        count(|w| w.stood_down_for_cost),
        count(|w| w.stood_down_for_lateness),
    )
}

/// The plot's lines: per contender, per gap, the medians over rounds.
fn series(
    contenders: &[SparseContender],
    gaps: &[Spacing],
    points: &[Vec<Vec<ArrivalPoint>>],
) -> Vec<GapSeries> {
    contenders
        .iter()
        .enumerate()
        .map(|(m, contender)| GapSeries {
            label: contender.to_string(),
            ours: matches!(contender, SparseContender::Rearm { .. }),
            points: gaps
                .iter()
                .enumerate()
                // A line over gaps: the steady ones (jittered ones in the table).
                .filter(|(_, gap)| !gap.jitter)
                .map(|(g, gap)| {
                    let rounds = &points[m][g];
                    [
                        gap.gap.as_secs_f64() * 1e6,
                        median(rounds, ArrivalPoint::cpu_ns_per_wake).0 / 1e3,
                        median(rounds, |p| us(p.latency.p50)).0,
                        median(rounds, |p| us(p.latency.p99)).0,
                    ]
                })
                .collect(),
        })
        .collect()
}
