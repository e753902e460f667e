//! `--mode mailbox`: every carrier with every number of senders, alternating,
//! in rounds; a table of medians with their spread and the ratio to
//! crossbeam, JSON lines, and a bar chart.

use super::plot::{self, Bar};
use super::report::{self, spread};
use super::{MailboxWork, Plan, execute::caption};
use crate::bench::mailbox::{self, CAPACITY, Carrier, MailPoint};
use std::fmt::Write as _;
use std::io::Write;

/// Runs every carrier with every sender count, `plan.repeat` rounds, and
/// reports.
pub fn execute(
    plan: &Plan,
    work: &MailboxWork,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let (carriers, senders) = (&work.carriers[..], &work.senders[..]);
    // points[s][c]: one per round.
    let mut points = vec![vec![Vec::new(); carriers.len()]; senders.len()];
    for round in 0..plan.repeat {
        for (s, &n) in senders.iter().enumerate() {
            if interactive {
                let _ = writeln!(
                    err,
                    "[round {}/{}] {n} sender(s), {} messages each run...",
                    round + 1,
                    plan.repeat,
                    report::thousands(work.messages)
                );
            }
            // Carriers back to back, so drift in the machine falls on all alike.
            for (c, &carrier) in carriers.iter().enumerate() {
                if !carrier.takes(n) {
                    continue;
                }
                let point = mailbox::measure(
                    carrier,
                    n,
                    work.messages,
                    work.timeout,
                    work.policy,
                    work.faults,
                )?;
                if plan.json {
                    let _ = writeln!(out, "{}", report::mailbox_json(carrier, round, &point));
                    let _ = out.flush();
                }
                points[s][c].push(point);
            }
        }
    }
    if !plan.json {
        let _ = write!(out, "{}", table(carriers, senders, &points));
    }
    match &plan.plot {
        Some(path) => plot::bar_chart(
            path,
            &format!("messages per second through a queue of {CAPACITY} (median of rounds)"),
            "messages per second",
            &caption(),
            &bars(carriers, senders, &points),
        ),
        None => Ok(()),
    }
}

fn median(rounds: &[MailPoint], f: impl Fn(&MailPoint) -> f64) -> (f64, f64, f64) {
    let values: Vec<f64> = rounds.iter().map(f).collect();
    spread(&values).unwrap_or((f64::NAN, f64::NAN, f64::NAN))
}

/// One block per sender count, one row per carrier.
fn table(carriers: &[Carrier], senders: &[usize], points: &[Vec<Vec<MailPoint>>]) -> String {
    let rounds = points.iter().flatten().map(Vec::len).max().unwrap_or(0);
    let crossbeam = carriers.iter().position(|&c| c == Carrier::Crossbeam);
    let mut out = format!(
        "mailbox: senders fill a queue of {CAPACITY} that one thread drains; {rounds} round{}; \
         medians (min–max over rounds); cpu = every thread's CPU per message; \
         every message checked once and in its sender's order; \
         batch = messages per run of the receiver (rearm: per callback)\n",
        if rounds == 1 { "" } else { "s" }
    );
    let width = carriers
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(10);
    for (s, n) in senders.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{n} sender{}\n  {:<width$}  {:>35}  {:>12}  {:>22}  {:>11}  {:>8}  {:>11}  {:>11}",
            if *n == 1 { "" } else { "s" },
            "carrier",
            "messages/s",
            "÷ crossbeam",
            "cpu ns/message",
            "found full",
            "batch",
            "allocations",
            "received",
        );
        let base = crossbeam.map(|c| median(&points[s][c], MailPoint::rate).0);
        for (c, carrier) in carriers.iter().enumerate() {
            let rounds = &points[s][c];
            if rounds.is_empty() {
                continue; // a carrier that does not take this many senders
            }
            let (rate, lo, hi) = median(rounds, MailPoint::rate);
            let (cpu, cpu_lo, cpu_hi) = median(rounds, MailPoint::cpu_ns_per_message);
            let full: u64 = rounds.iter().map(|p| p.full).sum();
            let allocations = rounds
                .iter()
                .map(|p| p.allocations)
                .try_fold(0, |most: u64, a| a.map(|a| most.max(a)))
                .map_or(String::from("-"), report::thousands);
            let received: u64 = rounds.iter().map(|p| p.messages).sum();
            let _ = writeln!(
                out,
                "  {:<width$}  {:>35}  {:>12}  {:>22}  {:>11}  {:>8}  {:>11}  {:>11}",
                carrier.to_string(),
                format!(
                    "{} ({}–{})",
                    report::thousands(rate as u64),
                    report::thousands(lo as u64),
                    report::thousands(hi as u64)
                ),
                base.map_or(String::from("-"), |b| format!("{:.2}", rate / b)),
                format!("{cpu:.1} ({cpu_lo:.1}–{cpu_hi:.1})"),
                report::thousands(full),
                format!("{:.1}", median(rounds, MailPoint::batch).0),
                allocations,
                report::thousands(received),
            );
        }
    }
    out
}

/// The chart's bars: each carrier's median rate, per sender count.
fn bars(carriers: &[Carrier], senders: &[usize], points: &[Vec<Vec<MailPoint>>]) -> Vec<Bar> {
    let mut bars = Vec::new();
    for (s, n) in senders.iter().enumerate() {
        for (c, carrier) in carriers.iter().enumerate() {
            if points[s][c].is_empty() {
                continue;
            }
            bars.push(Bar {
                label: format!("{carrier}, {n} sender{}", if *n == 1 { "" } else { "s" }),
                value: median(&points[s][c], MailPoint::rate).0,
                ours: carrier.backend().is_some(),
            });
        }
    }
    bars
}
