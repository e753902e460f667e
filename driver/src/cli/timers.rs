//! `--mode timers`: every contender with every number of timers at every
//! period, alternating, in rounds; a table of medians with their spread and
//! ratios to std's, or JSON lines.

use super::progress::{Progress, round_label};
use super::report::{self, spread};
use super::{Plan, TimerWork};
use crate::bench::timers::{self, TimerContender, TimerPoint};
use rearm_core::WaitCounts;
use std::fmt::Write as _;
use std::io::Write;

/// Runs every point `plan.repeat` rounds, and reports.
pub fn execute(
    plan: &Plan,
    work: &TimerWork,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let contenders = &work.contenders[..];
    let cases: Vec<(usize, std::time::Duration)> = work
        .counts
        .iter()
        .flat_map(|&n| work.periods.iter().map(move |&p| (n, p)))
        .collect();
    // points[m][c]: one per round.
    let mut points = vec![vec![Vec::new(); cases.len()]; contenders.len()];
    let mut progress = Progress::new(err, interactive);
    for round in 0..plan.rounds() {
        for (c, &(count, period)) in cases.iter().enumerate() {
            progress.show(&format!(
                "[{}] {count} timers every {} µs, {} ms each...",
                round_label(plan, round),
                period.as_micros(),
                timers::run_length(count, period).as_millis()
            ));
            // Back to back, so drift in the machine falls on all alike.
            for (m, &contender) in contenders.iter().enumerate() {
                let point = timers::measure(contender, count, period).map_err(|e| {
                    format!(
                        "{contender}, {count} timers every {} µs: {e}",
                        period.as_micros()
                    )
                })?;
                if let Some(n) = point.allocations.filter(|&n| n > 0) {
                    return Err(format!(
                        "{contender}, {count} timers: {n} allocations while the timers ran"
                    ));
                }
                if plan.warming_up(round) {
                    continue;
                }
                plan.record(out, || {
                    report::timers_json(contender, round - plan.warmup, &point)
                });
                points[m][c].push(point);
            }
        }
    }
    progress.clear();
    if !plan.json {
        let _ = write!(out, "{}", table(contenders, &cases, &points));
    }
    // What setting and cancelling a timer costs beside many others.
    if contenders.iter().any(|m| {
        matches!(
            m,
            TimerContender::Rearm(_) | TimerContender::RearmWithSlack(..)
        )
    }) {
        let mut line = String::from(
            "\nset + cancel one timer, ns per operation (futex loop), with N timers set:",
        );
        for armed in SET_CANCEL_ARMED {
            let mut rounds: Vec<f64> = Vec::new();
            for _ in 0..plan.repeat {
                rounds.push(timers::set_and_cancel_ns(armed, 200_000)?);
            }
            let (median, lo, hi) = spread(&rounds).unwrap_or((f64::NAN, f64::NAN, f64::NAN));
            plan.record(out, || report::timer_ops_json(armed, median, lo, hi));
            if !plan.json {
                let _ = write!(line, "  N={armed}: {median:.1} ({lo:.1}–{hi:.1})");
            }
        }
        if !plan.json {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(())
}

/// Timers set beside the one set and cancelled.
const SET_CANCEL_ARMED: [usize; 4] = [0, 100, 1_000, 10_000];

/// Median, min and max of `f` over the rounds.
fn median(rounds: &[TimerPoint], f: impl Fn(&TimerPoint) -> f64) -> (f64, f64, f64) {
    let values: Vec<f64> = rounds.iter().map(f).collect();
    spread(&values).unwrap_or((f64::NAN, f64::NAN, f64::NAN))
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1e3
}

/// One block per (timers, period), one row per contender: lateness p50, p99
/// and max, CPU per firing, each beside its ratio to std's median.
fn table(
    contenders: &[TimerContender],
    cases: &[(usize, std::time::Duration)],
    points: &[Vec<Vec<TimerPoint>>],
) -> String {
    let rounds = points.first().and_then(|m| m.first()).map_or(0, Vec::len);
    let std = contenders.iter().position(|m| *m == TimerContender::Std);
    let mut out = format!(
        "timers: {rounds} round{}; medians (min–max over rounds) and ÷ std's median; \
         late = when a firing ran minus when it was due; cpu = the loop thread's CPU per firing\n",
        if rounds == 1 { "" } else { "s" }
    );
    let width = report::label_width(contenders);
    for (c, &(count, period)) in cases.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{count} timer{} every {} µs\n  {:<width$}  {:>20}  {:>6}  {:>9}  {:>6}  {:>9}  {:>20}  {:>6}  {:>9}  {:>8}",
            if count == 1 { "" } else { "s" },
            period.as_micros(),
            "contender",
            "late p50 µs",
            "÷ std",
            "p99 µs",
            "÷ std",
            "max µs",
            "cpu/firing µs",
            "÷ std",
            "firings",
            "skipped",
        );
        let of_std = |f: &dyn Fn(&TimerPoint) -> f64| std.map(|s| median(&points[s][c], f).0);
        let p50 = |p: &TimerPoint| us(p.lateness.p50);
        let p99 = |p: &TimerPoint| us(p.lateness.p99);
        let cpu = |p: &TimerPoint| p.cpu_ns_per_firing() / 1e3;
        let (std_p50, std_p99, std_cpu) = (of_std(&p50), of_std(&p99), of_std(&cpu));
        let ratio =
            |v: f64, base: Option<f64>| base.map_or(String::from("-"), |b| format!("{:.2}", v / b));
        for (m, contender) in contenders.iter().enumerate() {
            let rounds = &points[m][c];
            let (late, late_lo, late_hi) = median(rounds, p50);
            let late99 = median(rounds, p99).0;
            let max = median(rounds, |p| us(p.lateness.max)).0;
            let (per, per_lo, per_hi) = median(rounds, cpu);
            let firings: u64 = rounds.iter().map(|p| p.firings).sum();
            let skipped: u64 = rounds.iter().map(|p| p.skipped).sum();
            let _ = writeln!(
                out,
                "  {:<width$}  {:>20}  {:>6}  {:>9.1}  {:>6}  {:>9.1}  {:>20}  {:>6}  {:>9}  {:>8}",
                contender.to_string(),
                format!("{late:.1} ({late_lo:.1}–{late_hi:.1})"),
                ratio(late, std_p50),
                late99,
                ratio(late99, std_p99),
                max,
                format!("{per:.2} ({per_lo:.2}–{per_hi:.2})"),
                ratio(per, std_cpu),
                report::thousands(firings),
                report::thousands(skipped),
            );
        }
        for (m, contender) in contenders.iter().enumerate() {
            if let Some(line) = waits_per_firing(contender, &points[m][c]) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// How a rearm loop waited for its firings, per firing (medians over the
/// rounds): a slack window shows as fewer waits than firings. A wait ended
/// by its timer counts as such, and also as parked if it had parked (see
/// [`WaitCounts`]); one that spun or yielded to its timer counts only as
/// ended by it. `None` for the peers.
fn waits_per_firing(contender: &TimerContender, rounds: &[TimerPoint]) -> Option<String> {
    let per_firing = |f: fn(&WaitCounts) -> u64| {
        let values: Vec<f64> = rounds
            .iter()
            .filter_map(|p| {
                p.waits
                    .as_ref()
                    .map(|w| f(w) as f64 / p.firings.max(1) as f64)
            })
            .collect();
        spread(&values).map(|(median, ..)| median)
    };
    let waits = per_firing(|w| w.waits)?;
    Some(format!(
        "  {contender}: {waits:.2} waits per firing, {:.2} ended by a timer; {:.2} spun, {:.2} yielded, {:.2} parked",
        per_firing(|w| w.timed_out)?,
        per_firing(|w| w.spun)?,
        per_firing(|w| w.yielded)?,
        per_firing(|w| w.parked)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::arrivals::Percentiles;
    use crate::sys::BackendKind;
    use std::time::Duration;

    fn point(firings: u64, waits: Option<(u64, u64, u64, u64)>) -> TimerPoint {
        TimerPoint {
            timers: 10,
            period: Duration::from_millis(1),
            firings,
            skipped: 0,
            lateness: Percentiles::default(),
            cpu: Duration::from_millis(1),
            allocations: Some(0),
            waits: waits.map(|(waits, timed_out, spun, parked)| {
                let mut counts = WaitCounts::default();
                counts.waits = waits;
                counts.timed_out = timed_out;
                counts.spun = spun;
                counts.parked = parked;
                counts
            }),
        }
    }

    #[test]
    fn a_rearm_row_says_its_waits_per_firing_and_a_peer_row_nothing() {
        let rearm = TimerContender::Rearm(BackendKind::Futex);
        let rounds = [
            point(1_000, Some((500, 300, 100, 400))),
            point(2_000, Some((200, 200, 0, 200))),
            point(1_000, Some((1_000, 900, 0, 1_000))),
        ];
        assert_eq!(
            waits_per_firing(&rearm, &rounds).as_deref(),
            Some(
                "  rearm futex: 0.50 waits per firing, 0.30 ended by a timer; \
                 0.00 spun, 0.00 yielded, 0.40 parked"
            )
        );
        let std_rounds = [point(1_000, None)];
        assert_eq!(waits_per_firing(&TimerContender::Std, &std_rounds), None);
    }
}
