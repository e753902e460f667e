//! `--mode async`: every carrier, alternating, in rounds; a table of medians
//! with their spread and same-round ratios to tokio's `Notify`, or JSON
//! lines.

use super::dispersion::{Dispersion, warning};
use super::progress::{Progress, round_label};
use super::report::{self, spread};
use super::{AsyncWork, Plan};
use crate::bench::async_pingpong::{self, AsyncCarrier, AsyncPoint};
use std::fmt::Write as _;
use std::io::Write;

/// Runs every carrier `plan.repeat` rounds, and reports.
pub fn execute(
    plan: &Plan,
    work: &AsyncWork,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let carriers = AsyncCarrier::ALL;
    // points[c]: one per round.
    let mut points: Vec<Vec<AsyncPoint>> = vec![Vec::new(); carriers.len()];
    let mut progress = Progress::new(err, interactive);
    for round in 0..plan.rounds() {
        progress.show(&format!(
            "[{}] {} round trips per carrier...",
            round_label(plan, round),
            report::thousands(work.round_trips)
        ));
        // Back to back, so drift in the machine falls on all alike.
        for (c, &carrier) in carriers.iter().enumerate() {
            let point = async_pingpong::measure(carrier, work.round_trips, work.timeout)?;
            if plan.warming_up(round) {
                continue;
            }
            plan.record(out, || {
                report::async_json(carrier, round - plan.warmup, &point)
            });
            points[c].push(point);
        }
    }
    progress.clear();
    if !plan.json {
        let _ = write!(out, "{}", table(&carriers, &points));
        let rows: Vec<(&str, Dispersion)> = carriers
            .iter()
            .zip(&points)
            .filter_map(|(carrier, rounds)| {
                let rates: Vec<f64> = rounds.iter().map(AsyncPoint::rate).collect();
                Some((carrier.key(), Dispersion::of(&rates)?))
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

/// One row per carrier: round trips per second, the same-round ratio to
/// tokio's `Notify`, CPU per round trip, allocations per run at most.
fn table(carriers: &[AsyncCarrier], points: &[Vec<AsyncPoint>]) -> String {
    let rounds = points.first().map_or(0, Vec::len);
    let notify = carriers
        .iter()
        .position(|&c| c == AsyncCarrier::TokioNotify);
    let mut out = format!(
        "async ping-pong: two threads, each a current-thread tokio runtime, pass one value \
         back and forth; {rounds} round{}; medians (min–max over rounds); ÷ notify = median of \
         same-round ratios to tokio Notify; cpu = both threads' CPU per round trip\n\n",
        if rounds == 1 { "" } else { "s" }
    );
    let width = report::label_width(carriers);
    let _ = writeln!(
        out,
        "  {:<width$}  {:>35}  {:>20}  {:>22}  {:>11}",
        "carrier", "round trips/s", "÷ notify", "cpu ns/round trip", "allocations",
    );
    for (c, carrier) in carriers.iter().enumerate() {
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
            carrier.to_string(),
            report::rate_spread(rate, lo, hi),
            ratio,
            format!("{cpu:.0} ({cpu_lo:.0}–{cpu_hi:.0})"),
            allocations,
        );
    }
    out
}
