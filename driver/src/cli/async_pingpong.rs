//! `--mode async`: every contender, alternating, in rounds; a table of medians
//! with their spread and same-round ratios to tokio's `Notify`, or JSON
//! lines.

use super::dispersion::{Dispersion, warning};
use super::progress::{Progress, round_label};
use super::report::{self, spread};
use super::{AsyncWork, Plan};
use crate::bench::async_pingpong::{self, AsyncContender, AsyncPoint};
use std::fmt::Write as _;
use std::io::Write;

/// Runs every contender `plan.repeat` rounds, and reports.
pub fn execute(
    plan: &Plan,
    work: &AsyncWork,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let contenders = AsyncContender::ALL;
    // points[c]: one per round.
    let mut points: Vec<Vec<AsyncPoint>> = vec![Vec::new(); contenders.len()];
    let mut progress = Progress::new(err, interactive);
    for round in 0..plan.rounds() {
        progress.show(&format!(
            "[{}] {} round trips per contender...",
            round_label(plan, round),
            report::thousands(work.round_trips)
        ));
        // Back to back, so drift in the machine falls on all alike.
        for (c, &contender) in contenders.iter().enumerate() {
            let point = async_pingpong::measure(contender, work.round_trips, work.timeout)?;
            if plan.warming_up(round) {
                continue;
            }
            plan.record(out, || {
                report::async_json(contender, round - plan.warmup, &point)
            });
            points[c].push(point);
        }
    }
    progress.clear();
    if !plan.json {
        let _ = write!(out, "{}", table(&contenders, &points));
        let rows: Vec<(&str, Dispersion)> = contenders
            .iter()
            .zip(&points)
            .filter_map(|(contender, rounds)| {
                let rates: Vec<f64> = rounds.iter().map(AsyncPoint::rate).collect();
                Some((contender.key(), Dispersion::of(&rates)?))
            })
            .collect();
        if let Some(warning) = warning(rows) {
            progress.note(&warning);
        }
    }
    Ok(())
}

/// Median, min and max of `values`.
fn median(values: &[f64]) -> (f64, f64, f64) {
    spread(values).unwrap_or((f64::NAN, f64::NAN, f64::NAN))
}

/// One row per contender: round trips per second, the same-round ratio to
/// tokio's `Notify`, CPU per round trip, allocations per run at most.
fn table(contenders: &[AsyncContender], points: &[Vec<AsyncPoint>]) -> String {
    let rounds = points.first().map_or(0, Vec::len);
    let notify = contenders
        .iter()
        .position(|&c| c == AsyncContender::TokioNotify);
    let mut out = format!(
        "async ping-pong: two threads, each a current-thread tokio runtime, pass one value \
         back and forth; {rounds} round{}; medians (min–max over rounds); ÷ notify = median of \
         same-round ratios to tokio Notify; cpu = both threads' CPU per round trip\n\n",
        if rounds == 1 { "" } else { "s" }
    );
    let width = report::label_width(contenders);
    let _ = writeln!(
        out,
        "  {:<width$}  {:>35}  {:>20}  {:>22}  {:>11}",
        "contender", "round trips/s", "÷ notify", "cpu ns/round trip", "allocations",
    );
    for (c, contender) in contenders.iter().enumerate() {
        let rates: Vec<f64> = points[c].iter().map(AsyncPoint::rate).collect();
        let (rate, lo, hi) = median(&rates);
        let ratio = notify.map_or(String::from("-"), |n| {
            let ratios: Vec<f64> = points[c]
                .iter()
                .zip(&points[n])
                .map(|(p, base)| p.rate() / base.rate())
                .collect();
            let (r, r_lo, r_hi) = median(&ratios);
            format!("{r:.2} ({r_lo:.2}–{r_hi:.2})")
        });
        let cpus: Vec<f64> = points[c]
            .iter()
            .map(AsyncPoint::cpu_ns_per_round_trip)
            .collect();
        let (cpu, cpu_lo, cpu_hi) = median(&cpus);
        let allocations = report::most_allocations(points[c].iter().map(|p| p.timed.allocations));
        let _ = writeln!(
            out,
            "  {:<width$}  {:>35}  {:>20}  {:>22}  {:>11}",
            contender.to_string(),
            report::rate_spread(rate, lo, hi),
            ratio,
            format!("{cpu:.0} ({cpu_lo:.0}–{cpu_hi:.0})"),
            allocations,
        );
    }
    out
}
