//! How runs are shown: the libuv-style line, the figures a benchmarker needs
//! next, a summary table, and JSON.

use crate::bench::{Detail, Mode, RunReport};
use rearm_core::{Ledger, WaitStats};
use std::fmt::Write as _;

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
fn waits_line(who: &str, w: WaitStats) -> String {
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
fn worker_waits(contexts: &[crate::bench::ContextReport]) -> WaitStats {
    contexts
        .iter()
        .fold(WaitStats::default(), |sum, c| sum + c.worker_waits)
}

/// The ledgers of all contexts summed, per direction.
fn ledgers(contexts: &[crate::bench::ContextReport]) -> (Ledger, Ledger) {
    contexts.iter().fold(
        (Ledger::default(), Ledger::default()),
        |(to_main, to_worker), c| (to_main + c.to_main, to_worker + c.to_worker),
    )
}

/// Median, minimum and maximum of some values (sorted internally).
pub fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some((median, sorted[0], sorted[n - 1]))
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

/// A table with one row per (benchmark, backend): median, min and max rate over
/// its repeats, and the medians of the per-event costs (syscalls of all kinds,
/// and those that sleep or wake: "s+w").
pub fn table(reports: &[RunReport]) -> String {
    let mut groups: Vec<(String, String, Vec<&RunReport>)> = Vec::new();
    for r in reports {
        let (label, backend) = (r.label(), r.backend.to_string());
        match groups.iter_mut().find(|g| g.0 == label && g.1 == backend) {
            Some(group) => group.2.push(r),
            None => groups.push((label, backend, vec![r])),
        }
    }
    let mut out = format!(
        "{:<18} {:<8} {:>4} {:>14} {:>14} {:>14} {:>9} {:>10} {:>10} {:>7}\n",
        "benchmark",
        "backend",
        "runs",
        "median/s",
        "min/s",
        "max/s",
        "cpu µs",
        "sys/event",
        "s+w/event",
        "allocs"
    );
    for (label, backend, runs) in groups {
        let pick = |f: &dyn Fn(&RunReport) -> f64| {
            spread(&runs.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or((0.0, 0.0, 0.0))
        };
        let (median, min, max) = pick(&|r| r.rate());
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
            "{label:<18} {backend:<8} {:>4} {:>14} {:>14} {:>14} {cpu:>9.2} {sys:>10.4} {sleep_wake:>10.4} {allocs:>7}",
            runs.len(),
            thousands(rounded(median)),
            thousands(rounded(min)),
            thousands(rounded(max)),
        );
    }
    out
}

/// A JSON number, or `null` for a value JSON cannot hold.
fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".to_string()
    }
}

fn ledger_json(l: &Ledger) -> String {
    format!(
        r#"{{"notified":{},"delivered":{},"coalesced":{},"dropped":{},"pending":{},"balanced":{}}}"#,
        l.notified,
        l.delivered,
        l.coalesced,
        l.dropped,
        l.pending,
        l.is_conserved()
    )
}

/// One JSON object (one line) describing a run.
pub fn json(report: &RunReport) -> String {
    let (user, system) = report.cpu_us_per_event();
    let ledger = match &report.detail {
        Detail::PingPong(contexts) => {
            let (to_main, to_worker) = ledgers(contexts);
            format!(
                r#"{{"worker_to_main":{},"main_to_worker":{}}}"#,
                ledger_json(&to_main),
                ledger_json(&to_worker)
            )
        }
        Detail::Pummel(p) => ledger_json(&p.ledger),
    };
    // Pummel's notifiers are plain threads, not loops: no worker waits.
    let workers = match &report.detail {
        Detail::PingPong(contexts) => waits_json(worker_waits(contexts)),
        Detail::Pummel(_) => "null".to_string(),
    };
    format!(
        concat!(
            r#"{{"benchmark":"{}","backend":"{}","mode":"{}","threads":{},"pings":{},"#,
            r#""seconds":{},"rate":{},"cpu_user_us_per_ping":{},"cpu_system_us_per_ping":{},"#,
            r#""syscalls_per_ping":{},"sleep_wake_syscalls_per_ping":{},"syscalls":{},"allocations":{},"#,
            r#""main_waits":{},"worker_waits":{},"ledger":{}}}"#
        ),
        report.label(),
        report.backend,
        report.mode.name(),
        report.threads,
        report.pings,
        number(report.measure.elapsed.as_secs_f64()),
        number(report.rate()),
        number(user),
        number(system),
        number(report.syscalls_per_event()),
        number(report.sleep_wake_per_event()),
        report.measure.syscalls.total(),
        report
            .measure
            .allocations
            .map_or("null".to_string(), |a| a.to_string()),
        waits_json(report.main_waits),
        workers,
        ledger,
    )
}

fn waits_json(w: WaitStats) -> String {
    format!(
        r#"{{"waits":{},"spun":{},"yielded":{},"parked":{}}}"#,
        w.waits, w.spun, w.yielded, w.parked
    )
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
