//! How runs are shown: the libuv-style line, the figures a benchmarker needs
//! next, a summary table, and JSON.

use super::dispersion::Dispersion;
use crate::bench::{Detail, Mode, RunReport};
use rearm_core::{Ledger, WaitCounts};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// A rate's median and spread over rounds, `"1,234,567 (1,000,000–1,500,000)"`.
pub fn rate_spread(median: f64, lo: f64, hi: f64) -> String {
    format!(
        "{} ({}–{})",
        thousands(median as u64),
        thousands(lo as u64),
        thousands(hi as u64)
    )
}

/// The most allocations any round counted, or `-` when a round could not
/// count them (the counting allocator not installed).
pub fn most_allocations(rounds: impl IntoIterator<Item = Option<u64>>) -> String {
    rounds
        .into_iter()
        .try_fold(0, |most: u64, a| a.map(|a| most.max(a)))
        .map_or(String::from("-"), thousands)
}

/// `1234567` → `"1,234,567"`, as libuv's benchmarks print.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The rate rounded for display; a rate that is not finite shows as 0.
fn rounded(rate: f64) -> u64 {
    if rate.is_finite() && rate >= 0.0 {
        rate.round() as u64
    } else {
        0
    }
}

/// The libuv line: `async1: 0.42 sec (2,380,952/sec)`, or for pummel
/// `async_pummel_1: 1,000,000 callbacks in 0.31 seconds (3,225,806/sec)`.
pub fn headline(report: &RunReport) -> String {
    let secs = report.measure.elapsed.as_secs_f64();
    let rate = thousands(rounded(report.rate()));
    match report.mode {
        Mode::PingPong => format!("{}: {secs:.2} sec ({rate}/sec)", report.label()),
        Mode::Pummel => format!(
            "{}: {} callbacks in {secs:.2} seconds ({rate}/sec)",
            report.label(),
            thousands(report.pings)
        ),
    }
}

/// The figures after the headline: backend, CPU and syscalls per event,
/// allocations, how the main loop waited, and the ledger verdict.
pub fn details(report: &RunReport) -> String {
    let unit = match report.mode {
        Mode::PingPong => "ping",
        Mode::Pummel => "callback",
    };
    let (user, system) = report.cpu_us_per_event();
    let allocations = match report.measure.allocations {
        Some(n) => format!("{n} allocations"),
        None => "allocations not counted".to_string(),
    };
    let mut out = format!(
        "  {} · cpu {:.2} µs/{unit} (user {user:.2}, sys {system:.2}) · {:.4} syscalls/{unit} (sleep/wake {:.4}, yield {:.4}) · {allocations}\n  {}",
        report.backend,
        user + system,
        report.syscalls_per_event(),
        report.sleep_wake_per_event(),
        report.syscalls_per_event() - report.sleep_wake_per_event(),
        waits_line("main loop", report.main_waits),
    );
    match &report.detail {
        Detail::PingPong(contexts) => {
            let (to_main, to_worker) = ledgers(contexts);
            let _ = write!(
                out,
                "\n  {}\n  ledger ok: worker->main {}\n             main->worker {}",
                waits_line("worker loops", worker_waits(contexts)),
                ledger_line(&to_main),
                ledger_line(&to_worker),
            );
        }
        Detail::Pummel(p) => {
            let _ = write!(
                out,
                "\n  coalesced {:.1}% of {} notifications\n  ledger ok: {}",
                100.0 * p.coalescing_ratio(),
                thousands(p.ledger.notified),
                ledger_line(&p.ledger)
            );
        }
    }
    out
}

/// A ledger as the reports print it: "notified 1,000,001 = delivered
/// 1,000,000 + coalesced 0 + dropped 1 + pending 0".
pub fn ledger_line(l: &Ledger) -> String {
    format!(
        "notified {} = delivered {} + coalesced {} + dropped {} + pending {}",
        thousands(l.notified),
        thousands(l.delivered),
        thousands(l.coalesced),
        thousands(l.dropped),
        thousands(l.pending)
    )
}

/// How `who`'s waits ended, as shares: "main loop waited 1,000 times: spun
/// 99.0%, yielded 1.0%, parked 0.0%".
fn waits_line(who: &str, w: WaitCounts) -> String {
    let share = |n: u64| {
        if w.waits == 0 {
            0.0
        } else {
            100.0 * n as f64 / w.waits as f64
        }
    };
    format!(
        "{who} waited {} times: spun {:.1}%, yielded {:.1}%, parked {:.1}%",
        thousands(w.waits),
        share(w.spun),
        share(w.yielded),
        share(w.parked),
    )
}

/// The wait statistics of every context's worker loop, summed.
fn worker_waits(contexts: &[crate::bench::ContextReport]) -> WaitCounts {
    contexts
        .iter()
        .fold(WaitCounts::default(), |sum, c| sum + c.worker_waits)
}

/// The ledgers of all contexts summed, per direction.
fn ledgers(contexts: &[crate::bench::ContextReport]) -> (Ledger, Ledger) {
    contexts.iter().fold(
        (Ledger::default(), Ledger::default()),
        |(to_main, to_worker), c| (to_main + c.to_main, to_worker + c.to_worker),
    )
}

/// Median, minimum and maximum of some values (those that are finite).
pub fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    Dispersion::of(values).map(|d| (d.median, d.min, d.max))
}

/// The median rate of each (benchmark, backend), labelled, in first-seen order.
pub fn medians(reports: &[RunReport]) -> Vec<(String, f64)> {
    let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
    for r in reports {
        let label = format!("{} {}", r.label(), r.backend);
        match groups.iter_mut().find(|g| g.0 == label) {
            Some(group) => group.1.push(r.rate()),
            None => groups.push((label, vec![r.rate()])),
        }
    }
    groups
        .into_iter()
        .map(|(label, rates)| (label, spread(&rates).map_or(0.0, |s| s.0)))
        .collect()
}

/// The runs grouped per (benchmark, backend), in first-seen order.
fn groups(reports: &[RunReport]) -> Vec<(String, String, Vec<&RunReport>)> {
    let mut groups: Vec<(String, String, Vec<&RunReport>)> = Vec::new();
    for r in reports {
        let (label, backend) = (r.label(), r.backend.to_string());
        match groups.iter_mut().find(|g| g.0 == label && g.1 == backend) {
            Some(group) => group.2.push(r),
            None => groups.push((label, backend, vec![r])),
        }
    }
    groups
}

/// The warning that some (benchmark, backend)'s rates disagree, if any do.
pub fn disagreement(reports: &[RunReport]) -> Option<String> {
    let rows: Vec<(String, Dispersion)> = groups(reports)
        .into_iter()
        .filter_map(|(label, backend, runs)| {
            let rates: Vec<f64> = runs.iter().map(|r| r.rate()).collect();
            Some((format!("{label} {backend}"), Dispersion::of(&rates)?))
        })
        .collect();
    super::dispersion::warning(rows)
}

/// A table with one row per (benchmark, backend): median, min and max rate over
/// its repeats, their mean ± σ, and the medians of the per-event costs
/// (syscalls of all kinds, and those that sleep or wake: "s+w").
pub fn table(reports: &[RunReport]) -> String {
    let mut out = format!(
        "{:<18} {:<8} {:>4} {:>14} {:>14} {:>14} {:>25} {:>9} {:>10} {:>10} {:>7}\n",
        "benchmark",
        "backend",
        "runs",
        "median/s",
        "min/s",
        "max/s",
        "mean ± σ /s",
        "cpu µs",
        "sys/event",
        "s+w/event",
        "allocs"
    );
    for (label, backend, runs) in groups(reports) {
        let pick = |f: &dyn Fn(&RunReport) -> f64| {
            spread(&runs.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or((0.0, 0.0, 0.0))
        };
        let (median, min, max) = pick(&|r| r.rate());
        let rates: Vec<f64> = runs.iter().map(|r| r.rate()).collect();
        let mean_sd = Dispersion::of(&rates).map_or("-".into(), |d| d.mean_sd_count());
        let (cpu, _, _) = pick(&|r| {
            let (u, s) = r.cpu_us_per_event();
            u + s
        });
        let (sys, _, _) = pick(&|r| r.syscalls_per_event());
        let (sleep_wake, _, _) = pick(&|r| r.sleep_wake_per_event());
        let allocs = runs
            .iter()
            .map(|r| r.measure.allocations)
            .try_fold(0u64, |acc, a| a.map(|a| acc.max(a)))
            .map_or("-".to_string(), |a| a.to_string());
        let _ = writeln!(
            out,
            "{label:<18} {backend:<8} {:>4} {:>14} {:>14} {:>14} {mean_sd:>25} {cpu:>9.2} {sys:>10.4} {sleep_wake:>10.4} {allocs:>7}",
            runs.len(),
            thousands(rounded(median)),
            thousands(rounded(min)),
            thousands(rounded(max)),
        );
    }
    out
}

/// The JSON schema every object carries in its `schema` field. Bump it when a
/// field changes meaning or goes away; new fields keep it.
pub const SCHEMA: &str = "rearm-driver/1";

/// The run whose records this thread is making: its command line, warm-up
/// runs and repeats.
struct RunContext {
    command_line: Vec<String>,
    warmup: u32,
    repeat: u32,
}

thread_local! {
    static RUN: std::cell::RefCell<Option<RunContext>> = const { std::cell::RefCell::new(None) };
}

/// Says which run the records made on this thread from now on belong to
/// (the thread that executes a plan makes them all).
pub fn begin_run(command_line: &[String], warmup: u32, repeat: u32) {
    RUN.with(|run| {
        *run.borrow_mut() = Some(RunContext {
            command_line: command_line.to_vec(),
            warmup,
            repeat,
        });
    });
}

/// What every JSON object starts with: the schema, the mode that made it,
/// where and by what it was measured, and (fields `env`, `warmup`,
/// `repeat`) when, from which commit and compiler, with which features and
/// command line.
fn header(mode: &str, record: &str) -> Map<String, Value> {
    static MACHINE: OnceLock<String> = OnceLock::new();
    let mut object = Map::new();
    object.insert("schema".into(), SCHEMA.into());
    object.insert("mode".into(), mode.into());
    object.insert("record".into(), record.into());
    object.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    object.insert(
        "machine".into(),
        MACHINE
            .get_or_init(crate::harness::machine::describe)
            .as_str()
            .into(),
    );
    RUN.with(|run| {
        let run = run.borrow();
        let command_line = run.as_ref().map_or(&[][..], |r| &r.command_line[..]);
        object.insert(
            "env".into(),
            crate::harness::environment::describe(command_line),
        );
        if let Some(run) = run.as_ref() {
            object.insert("warmup".into(), run.warmup.into());
            object.insert("repeat".into(), run.repeat.into());
        }
    });
    object
}

/// A record of `mode` of kind `record`: the header every record starts with,
/// then `fields`, as one line of JSON.
pub fn record_line(mode: &str, record: &str, fields: Value) -> String {
    line(header(mode, record), fields)
}

/// A header and the given fields as one line of JSON.
fn line(mut object: Map<String, Value>, fields: Value) -> String {
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object).to_string()
}

fn ledger_value(l: &Ledger) -> Value {
    json!({
        "notified": l.notified,
        "delivered": l.delivered,
        "coalesced": l.coalesced,
        "dropped": l.dropped,
        "pending": l.pending,
        "balanced": l.is_conserved(),
    })
}

fn waits_value(w: WaitCounts) -> Value {
    json!({ "waits": w.waits, "spun": w.spun, "yielded": w.yielded, "parked": w.parked })
}

/// One JSON object (one line) describing a ping-pong or pummel run. Its unit
/// is the ping (per context) or the callback, and the per-unit fields say
/// which: `pings`, `cpu_user_us_per_ping`... or `callbacks`,
/// `cpu_user_us_per_callback`...
pub fn json(report: &RunReport) -> String {
    let (user, system) = report.cpu_us_per_event();
    let unit = match report.mode {
        Mode::PingPong => "ping",
        Mode::Pummel => "callback",
    };
    let (ledger, worker_waits) = match &report.detail {
        Detail::PingPong(contexts) => {
            let (to_main, to_worker) = ledgers(contexts);
            (
                json!({
                    "worker_to_main": ledger_value(&to_main),
                    "main_to_worker": ledger_value(&to_worker),
                }),
                waits_value(worker_waits(contexts)),
            )
        }
        // Pummel's notifiers are plain threads, not loops: no worker waits.
        Detail::Pummel(p) => (ledger_value(&p.ledger), Value::Null),
    };
    let mut fields = json!({
        "benchmark": report.label(),
        "backend": report.backend.name(),
        "threads": report.threads,
        "unit": unit,
        "seconds": report.measure.elapsed.as_secs_f64(),
        "rate_per_second": report.rate(),
        "syscalls": report.measure.syscalls.total(),
        "allocations": report.measure.allocations,
        "main_waits": waits_value(report.main_waits),
        "worker_waits": worker_waits,
        "ledger": ledger,
    });
    let per_unit = [
        (format!("{unit}s"), json!(report.pings)),
        (format!("cpu_user_us_per_{unit}"), json!(user)),
        (format!("cpu_system_us_per_{unit}"), json!(system)),
        (
            format!("syscalls_per_{unit}"),
            json!(report.syscalls_per_event()),
        ),
        (
            format!("sleep_wake_syscalls_per_{unit}"),
            json!(report.sleep_wake_per_event()),
        ),
    ];
    if let Value::Object(map) = &mut fields {
        map.extend(per_unit);
    }
    line(header(report.mode.name(), "run"), fields)
}

/// One `--mode wake` run: notify and callback with `asyncs` armed.
pub fn wake_json(backend: &str, asyncs: usize, rounds: u64, seconds: f64, ns: f64) -> String {
    line(
        header("wake", "run"),
        json!({
            "backend": backend,
            "asyncs": asyncs,
            "rounds": rounds,
            "seconds": seconds,
            "ns_per_notify_and_callback": ns,
        }),
    )
}

/// `--mode wake`'s floor: one uncontended locked read-modify-write.
pub fn locked_rmw_json(rounds: u64, ns: f64) -> String {
    line(
        header("wake", "locked_rmw_floor"),
        json!({ "rounds": rounds, "ns_per_rmw": ns }),
    )
}

/// One `--mode idle` run.
pub fn idle_json(backend: &str, seconds: f64, percent_of_one_cpu: f64, syscalls: u64) -> String {
    line(
        header("idle", "run"),
        json!({
            "backend": backend,
            "seconds": seconds,
            "cpu_percent_of_one_cpu": percent_of_one_cpu,
            "syscalls": syscalls,
        }),
    )
}

/// The median, least and greatest of `values`, as an object (null if none).
pub fn spread_value(values: &[f64]) -> Value {
    match spread(values) {
        Some((median, min, max)) => json!({ "median": median, "min": min, "max": max }),
        None => Value::Null,
    }
}

/// A peer `--peers` left out, and why.
pub fn skipped_peer_json(contender: &str, why: &str) -> String {
    line(
        header("peers", "skipped"),
        json!({ "contender": contender, "why": why }),
    )
}

/// One row of `--peers`: a contender at one thread count over every round.
pub fn peer_json(
    benchmark: &str,
    contender: &str,
    pings: u64,
    rates: &[f64],
    rearm_over_peer: &[f64],
    cpu_us_per_ping: &[f64],
) -> String {
    line(
        header("peers", "contender"),
        json!({
            "benchmark": benchmark,
            "contender": contender,
            "unit": "ping",
            "pings": pings,
            "rounds": rates.len(),
            "rate_per_second": spread_value(rates),
            "rates": rates,
            "rearm_over_peer": spread_value(rearm_over_peer),
            "ratios": rearm_over_peer,
            "cpu_us_per_ping": spread_value(cpu_us_per_ping),
        }),
    )
}

/// One `--mode sparse` point: a contender at one gap in one round.
pub fn sparse_json(
    contender: crate::bench::sparse::SparseContender,
    spacing: crate::harness::arrivals::Spacing,
    round: u32,
    point: &crate::harness::arrivals::ArrivalPoint,
) -> String {
    use crate::bench::sparse::SparseContender;
    let (backend, policy, peer, carries, predicts) = match contender {
        SparseContender::Rearm {
            backend,
            policy_name,
            mailbox,
            predict,
            ..
        } => (
            Some(backend.name()),
            Some(policy_name),
            None,
            Some(if mailbox { "mailbox" } else { "notify" }),
            Some(predict),
        ),
        SparseContender::Peer(peer) => (None, None, Some(peer.key()), None, None),
    };
    line(
        header("sparse", "point"),
        json!({
            "contender": contender.to_string(),
            // Schema 1 named it "mechanism" here: kept for its readers.
            "mechanism": contender.to_string(),
            "backend": backend,
            "spin_policy": policy,
            "peer": peer,
            "carries": carries,
            "predicts": predicts,
            "gap_us": point.gap.as_secs_f64() * 1e6,
            "arrivals": spacing.name(),
            "round": round + 1,
            "sent": point.sent,
            "received": point.received,
            "coalesced": point.coalesced,
            "wakes": point.wakes,
            "cpu_ns_per_wake": point.cpu_ns_per_wake(),
            "latency_ns": {
                "p50": point.latency.p50,
                "p99": point.latency.p99,
                "p999": point.latency.p999,
                "max": point.latency.max,
            },
            "seconds": point.elapsed.as_secs_f64(),
            "waits": waits_json(point.waits),
        }),
    )
}

/// One `--mode mailbox` run: a contender with some senders in one round.
pub fn mailbox_json(
    contender: crate::bench::mailbox::MailboxContender,
    round: u32,
    point: &crate::bench::mailbox::MailPoint,
) -> String {
    let backend = contender.backend().map(|backend| backend.name());
    line(
        header("mailbox", "run"),
        json!({
            "contender": contender.key(),
            // Schema 1 named it "carrier" here: kept for its readers.
            "carrier": contender.key(),
            "backend": backend,
            "capacity": point.capacity,
            "senders": point.senders,
            "scenario": if point.reply { "reply" } else { "stream" },
            "round": round + 1,
            "unit": if point.reply { "round trip" } else { "message" },
            "messages": point.messages,
            "seconds": point.elapsed.as_secs_f64(),
            "rate_per_second": point.rate(),
            "cpu_ns_per_message": point.cpu_ns_per_message(),
            "sends_finding_it_full": point.full,
            "receiver_runs": point.receiver_runs,
            "allocations": point.allocations,
        }),
    )
}

/// One `--mode async` run as a JSON line.
pub fn async_json(
    contender: crate::bench::async_pingpong::AsyncContender,
    round: u32,
    point: &crate::bench::async_pingpong::AsyncPoint,
) -> String {
    line(
        header("async", "point"),
        json!({
            "contender": contender.key(),
            // Schema 1 named it "carrier" here: kept for its readers.
            "carrier": contender.key(),
            "round": round + 1,
            "round_trips": point.round_trips,
            "elapsed_ns": u64::try_from(point.timed.elapsed.as_nanos()).unwrap_or(u64::MAX),
            "round_trips_per_sec": point.rate(),
            "cpu_ns_per_round_trip": point.cpu_ns_per_round_trip(),
            "allocations": point.timed.allocations,
        }),
    )
}

/// One `--mode timers` point as a JSON line.
pub fn timers_json(
    contender: crate::bench::timers::TimerContender,
    round: u32,
    point: &crate::bench::timers::TimerPoint,
) -> String {
    use crate::bench::timers::TimerContender;
    let (backend, slack) = match contender {
        TimerContender::Rearm(backend) => (Some(backend.name()), Some(0.0)),
        TimerContender::RearmWithSlack(backend, slack) => {
            (Some(backend.name()), Some(slack.as_secs_f64() * 1e6))
        }
        _ => (None, None),
    };
    line(
        header("timers", "point"),
        json!({
            "contender": contender.to_string(),
            // Schema 1 named it "mechanism" here: kept for its readers.
            "mechanism": contender.to_string(),
            "backend": backend,
            "timer_slack_us": slack,
            "timers": point.timers,
            "period_us": point.period.as_secs_f64() * 1e6,
            "round": round + 1,
            "firings": point.firings,
            "skipped": point.skipped,
            "cpu_ns_per_firing": point.cpu_ns_per_firing(),
            "lateness_ns": {
                "p50": point.lateness.p50,
                "p99": point.lateness.p99,
                "p999": point.lateness.p999,
                "max": point.lateness.max,
            },
            "allocations": point.allocations,
            "waits": waits_json(point.waits),
        }),
    )
}

/// How a rearm loop's waits ended, or null for a peer's point.
fn waits_json(waits: Option<rearm_core::WaitCounts>) -> Value {
    waits.map_or(Value::Null, |w| {
        json!({
            "waits": w.waits,
            "spun": w.spun,
            "yielded": w.yielded,
            "parked": w.parked,
            "timed_out": w.timed_out,
            "predicted": w.predicted,
            "stood_down_for_cost": w.stood_down_for_cost,
            "stood_down_for_lateness": w.stood_down_for_lateness,
        })
    })
}

/// `--mode timers`: what setting and cancelling one timer costs beside
/// `armed` others, in nanoseconds per operation.
pub fn timer_ops_json(armed: usize, median: f64, min: f64, max: f64) -> String {
    line(
        header("timers", "set_and_cancel"),
        json!({
            "timers_set": armed,
            "ns_per_operation": {"median": median, "min": min, "max": max},
        }),
    )
}

/// The width of a table's first column: its longest label, at least 9.
pub fn label_width<T: ToString>(labels: &[T]) -> usize {
    labels
        .iter()
        .map(|label| label.to_string().len())
        .max()
        .unwrap_or(10)
        .max(9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(2_380_952), "2,380,952");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn spread_takes_median_min_max() {
        assert_eq!(spread(&[3.0, 1.0, 2.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]), Some((2.5, 1.0, 4.0)));
        assert_eq!(spread(&[]), None);
    }
}
