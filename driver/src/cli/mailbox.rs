//! `--mode mailbox`: every contender with every number of senders, alternating,
//! in rounds; a table of medians with their spread and the ratio to
//! crossbeam, JSON lines, and a bar chart.

use super::dispersion::{Dispersion, warning};
use super::plot::caption;
use super::plot::{self, Bar};
use super::progress::{Progress, round_label};
use super::report::{self, spread};
use super::{MailboxWork, Plan};
use crate::bench::mailbox::{self, MailPoint, MailboxContender};
use std::fmt::Write as _;
use std::io::Write;

/// Runs every contender with every sender count, `plan.repeat` rounds, and
/// reports.
pub fn execute(
    plan: &Plan,
    work: &MailboxWork,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let contenders = &work.contenders[..];
    // Blocks: every queue size with every sender count, and request/reply.
    let traffic: Vec<Traffic> = work
        .senders
        .iter()
        .map(|&n| Traffic::Stream(n))
        .chain(work.reply.then_some(Traffic::Reply))
        .collect();
    let blocks: Vec<Block> = work
        .capacities
        .iter()
        .flat_map(|&capacity| {
            traffic
                .iter()
                .map(move |&traffic| Block { capacity, traffic })
        })
        .collect();
    // points[b][c]: one per round.
    let mut points = vec![vec![Vec::new(); contenders.len()]; blocks.len()];
    let mut progress = Progress::new(err, interactive);
    for round in 0..plan.rounds() {
        let warming = plan.warming_up(round);
        for (s, block) in blocks.iter().enumerate() {
            progress.show(&format!(
                "[{}] {block}, {} {} each run...",
                round_label(plan, round),
                report::thousands(work.messages),
                block.traffic.unit()
            ));
            // Contenders back to back, so drift in the machine falls on all alike.
            for (c, &contender) in contenders.iter().enumerate() {
                if !block.traffic.carried_by(contender) {
                    continue;
                }
                let point = match block.traffic {
                    Traffic::Stream(senders) => mailbox::measure(
                        contender,
                        block.capacity,
                        senders,
                        work.messages,
                        work.timeout,
                        work.policy,
                        work.faults,
                    ),
                    Traffic::Reply => mailbox::reply::measure(
                        contender,
                        block.capacity,
                        work.messages,
                        work.timeout,
                        work.policy,
                    ),
                }?;
                if warming {
                    continue;
                }
                plan.record(out, || {
                    report::mailbox_json(contender, round - plan.warmup, &point)
                });
                points[s][c].push(point);
            }
        }
    }
    progress.clear();
    if !plan.json {
        let _ = write!(out, "{}", table(contenders, &blocks, &points));
        let points = &points;
        let rows: Vec<(String, Dispersion)> = blocks
            .iter()
            .enumerate()
            .flat_map(|(s, block)| {
                contenders
                    .iter()
                    .enumerate()
                    .filter_map(move |(c, contender)| {
                        let rates: Vec<f64> = points[s][c].iter().map(MailPoint::rate).collect();
                        Some((
                            format!("{block} {}", contender.key()),
                            Dispersion::of(&rates)?,
                        ))
                    })
            })
            .collect();
        if let Some(warning) = warning(rows) {
            progress.note(&warning);
        }
    }
    match &plan.plot {
        Some(path) => plot::bar_chart(
            path,
            "messages per second through a bounded queue (median of rounds)",
            "messages per second",
            &caption(),
            &bars(contenders, &blocks, &points),
        ),
        None => Ok(()),
    }
}

fn median(rounds: &[MailPoint], f: impl Fn(&MailPoint) -> f64) -> (f64, f64, f64) {
    let values: Vec<f64> = rounds.iter().map(f).collect();
    spread(&values).unwrap_or((f64::NAN, f64::NAN, f64::NAN))
}

/// What a block's runs carry.
#[derive(Clone, Copy)]
enum Traffic {
    /// This many senders fill the queue as fast as they can.
    Stream(usize),
    /// One client sends a value and waits for it to come back.
    Reply,
}

impl Traffic {
    /// What a run counts.
    fn unit(self) -> &'static str {
        match self {
            Traffic::Stream(_) => "messages",
            Traffic::Reply => "round trips",
        }
    }

    fn carried_by(self, contender: MailboxContender) -> bool {
        match self {
            Traffic::Stream(senders) => contender.takes(senders),
            Traffic::Reply => contender.answers(),
        }
    }
}

/// One table block: a queue size and what it carries.
#[derive(Clone, Copy)]
struct Block {
    capacity: usize,
    traffic: Traffic,
}

impl std::fmt::Display for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.traffic {
            Traffic::Stream(n) => write!(f, "{n} sender{}", if n == 1 { "" } else { "s" })?,
            Traffic::Reply => f.write_str("request/reply (rates and CPU per round trip)")?,
        }
        write!(f, ", a queue of {}", self.capacity)
    }
}

/// One block per queue size and sender count, one row per contender.
fn table(
    contenders: &[MailboxContender],
    blocks: &[Block],
    points: &[Vec<Vec<MailPoint>>],
) -> String {
    let rounds = points.iter().flatten().map(Vec::len).max().unwrap_or(0);
    let crossbeam = contenders
        .iter()
        .position(|&c| c == MailboxContender::Crossbeam);
    let mut out = format!(
        "mailbox: senders fill a bounded queue that one thread drains; {rounds} round{}; \
         medians (min–max over rounds); cpu = every thread's CPU per message; \
         every message checked once and in its sender's order; \
         batch = messages per run of the receiver (rearm: per callback); \
         request/reply: one client sends a value and waits for it back\n",
        if rounds == 1 { "" } else { "s" }
    );
    let width = contenders
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(10);
    for (s, block) in blocks.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{block}\n  {:<width$}  {:>35}  {:>12}  {:>22}  {:>11}  {:>8}  {:>11}  {:>11}",
            "contender",
            "messages/s",
            "÷ crossbeam",
            "cpu ns/message",
            "found full",
            "batch",
            "allocations",
            "received",
        );
        let base = crossbeam.map(|c| median(&points[s][c], MailPoint::rate).0);
        for (c, contender) in contenders.iter().enumerate() {
            let rounds = &points[s][c];
            if rounds.is_empty() {
                continue; // a contender that does not take this many senders
            }
            let (rate, lo, hi) = median(rounds, MailPoint::rate);
            let (cpu, cpu_lo, cpu_hi) = median(rounds, MailPoint::cpu_ns_per_message);
            let full: u64 = rounds.iter().map(|p| p.full).sum();
            let allocations = report::most_allocations(rounds.iter().map(|p| p.allocations));
            let received: u64 = rounds.iter().map(|p| p.messages).sum();
            let _ = writeln!(
                out,
                "  {:<width$}  {:>35}  {:>12}  {:>22}  {:>11}  {:>8}  {:>11}  {:>11}",
                contender.to_string(),
                report::rate_spread(rate, lo, hi),
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

/// The chart's bars: each contender's median rate, per block.
fn bars(
    contenders: &[MailboxContender],
    blocks: &[Block],
    points: &[Vec<Vec<MailPoint>>],
) -> Vec<Bar> {
    let mut bars = Vec::new();
    for (s, block) in blocks.iter().enumerate() {
        for (c, contender) in contenders.iter().enumerate() {
            if points[s][c].is_empty() {
                continue;
            }
            bars.push(Bar {
                label: format!("{contender}, {block}"),
                value: median(&points[s][c], MailPoint::rate).0,
                ours: contender.backend().is_some(),
            });
        }
    }
    bars
}
