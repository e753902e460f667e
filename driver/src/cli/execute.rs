//! Running a [`Plan`]: each mode's runs, in order, printed through
//! [`report`](super::report).

use super::compare::{self, Contender};
use super::plot::{self, Bar};
use super::{Plan, Work, report};
use crate::bench::{self, BenchError, Config, Mode, RunReport};
use crate::harness::machine;
use crate::peers::Peer;
use crate::sys::BackendKind;
use rearm_core::{DIRECT_SLOTS, SpinPolicy};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Exit status for a run that failed its checks, stalled or panicked.
pub const EXIT_FAILED: u8 = 1;

/// Runs a plan, printing to `out` (results) and `err` (progress, failures).
/// Stops at the first failed run. Returns the process exit status.
pub fn execute(plan: &Plan, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let interactive = std::io::stderr().is_terminal();
    let result = match &plan.work {
        Work::Runs(runs) => execute_runs(plan, runs, out, err, interactive),
        Work::Peers {
            backend,
            peers,
            threads,
            config,
        } => {
            let mut progress = compare::progress_printer(err, interactive);
            execute_peers(plan, *backend, peers, threads, config, out, &mut progress)
        }
        Work::Wake {
            backends,
            asyncs,
            rounds,
        } => execute_wake(plan, backends, asyncs, *rounds, out),
        Work::Idle(backends) => execute_idle(plan, backends, out),
        Work::Sparse(work) => super::sparse::execute(plan, work, out, err, interactive),
        Work::Mailbox(work) => super::mailbox::execute(plan, work, out, err, interactive),
        Work::Timers(work) => super::timers::execute(plan, work, out, err, interactive),
        Work::Async(work) => super::async_pingpong::execute(plan, work, out, err, interactive),
        Work::Soak(duration, timeout) => execute_soak(*duration, *timeout, out),
    };
    match result {
        Ok(()) => {
            // Not on stdout: with --json that is JSON Lines and nothing else.
            if let Some(path) = &plan.plot {
                let _ = writeln!(err, "plot written to {}", path.display());
            }
            0
        }
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            EXIT_FAILED
        }
    }
}

/// The plots' caption: where and with what they were measured.
pub(super) fn caption() -> String {
    format!(
        "{} · rearm {}",
        machine::describe(),
        env!("CARGO_PKG_VERSION")
    )
}

fn draw(plan: &Plan, title: &str, y_label: &str, bars: &[Bar]) -> Result<(), String> {
    match &plan.plot {
        Some(path) => plot::bar_chart(path, title, y_label, &caption(), bars),
        None => Ok(()),
    }
}

/// "1 run", "5 runs".
fn runs(n: usize) -> String {
    format!("{n} run{}", if n == 1 { "" } else { "s" })
}

fn execute_runs(
    plan: &Plan,
    runs: &[(BackendKind, Mode, Config)],
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let total = runs.len() * plan.repeat as usize;
    let progress = total > 1 && interactive;
    let mut reports: Vec<RunReport> = Vec::with_capacity(total);
    let mut done = 0;
    // Round-robin over the configurations, so that drift in the machine (load,
    // the VM's CPU placement) falls on every configuration alike.
    for _ in 0..plan.repeat {
        for (backend, mode, config) in runs {
            done += 1;
            let label = mode.label(config.threads);
            if progress {
                let _ = writeln!(err, "[{done}/{total}] {label} on {backend}...");
            }
            match bench::run(*backend, *mode, config) {
                Ok(report) => {
                    let _ = if plan.json {
                        writeln!(out, "{}", report::json(&report))
                    } else {
                        writeln!(
                            out,
                            "{}\n{}",
                            report::headline(&report),
                            report::details(&report)
                        )
                    };
                    let _ = out.flush();
                    reports.push(report);
                }
                Err(e) => {
                    if let BenchError::Violation { report, .. } = &e {
                        let _ = writeln!(err, "{}", report::details(report));
                    }
                    return Err(format!("{label} on {backend} failed: {e}"));
                }
            }
        }
    }
    if reports.len() > 1 && !plan.json {
        let _ = writeln!(out, "\n{}", report::table(&reports));
    }
    let bars: Vec<Bar> = report::medians(&reports)
        .into_iter()
        .map(|(label, value)| Bar {
            label,
            value,
            ours: true,
        })
        .collect();
    draw(
        plan,
        "rearm: rate per backend (median)",
        "per second",
        &bars,
    )
}

fn execute_peers(
    plan: &Plan,
    backend: BackendKind,
    peers: &[Peer],
    threads: &[usize],
    config: &Config,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let skipped: Vec<&str> = peers
        .iter()
        .filter(|&&p| !compare::runs_here(p))
        .map(|p| p.name())
        .collect();
    const SKIPPED_WHY: &str =
        "a spinning thread holds the CPU its peer needs: one ping per scheduler time slice";
    if plan.json {
        for name in &skipped {
            let _ = writeln!(out, "{}", report::skipped_peer_json(name, SKIPPED_WHY));
        }
    } else {
        if !skipped.is_empty() {
            let _ = writeln!(
                out,
                "left out on one CPU: {} ({SKIPPED_WHY})",
                skipped.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "rearm ({backend}) against {} peer(s), {} pings per context, {} round(s), alternating; {}",
            peers.len() - skipped.len(),
            report::thousands(config.pings),
            plan.repeat,
            machine::describe()
        );
    }
    let rows = compare::compare(backend, peers, threads, config, plan.repeat, progress)
        .map_err(|e| e.to_string())?;
    if plan.json {
        for row in &rows {
            let line = report::peer_json(
                &format!("async{}", row.threads),
                &row.contender.to_string(),
                config.pings,
                &row.rates,
                &row.rearm_over_peer,
                &row.cpu_us,
            );
            let _ = writeln!(out, "{line}");
        }
    } else {
        let _ = writeln!(out, "\n{}", compare::table(&rows));
    }
    let bars: Vec<Bar> = rows
        .iter()
        .map(|row| Bar {
            label: format!("async{} {}", row.threads, row.contender),
            value: report::spread(&row.rates).map_or(0.0, |s| s.0),
            ours: matches!(row.contender, Contender::Rearm(_)),
        })
        .collect();
    draw(
        plan,
        "asyncN ping-pong: rearm and peers (median of alternating runs)",
        "pings per second per context",
        &bars,
    )
}

/// Prints what the locked instructions alone cost: the floor under the wake
/// costs just printed, and why slots in the park word are cheaper.
fn wake_floor(plan: &Plan, rounds: u64, out: &mut dyn Write) {
    use bench::wake_cost::{RMWS_DIRECT, RMWS_GROUP, locked_rmw_ns};
    let mut costs = Vec::new();
    for _ in 0..plan.repeat {
        let ns = locked_rmw_ns(rounds);
        costs.push(ns);
        if plan.json {
            let _ = writeln!(out, "{}", report::locked_rmw_json(rounds, ns));
        }
    }
    let Some((median, min, max)) = report::spread(&costs) else {
        return;
    };
    if !plan.json {
        let _ = writeln!(
            out,
            "floor: one uncontended read-modify-write {median:.1} ns (min {min:.1}, max {max:.1}, {}); a notify+callback takes {RMWS_DIRECT} ({:.1} ns) for slots below {DIRECT_SLOTS}, {RMWS_GROUP} ({:.1} ns) for the others: {:.2}x",
            runs(costs.len()),
            median * f64::from(RMWS_DIRECT),
            median * f64::from(RMWS_GROUP),
            f64::from(RMWS_GROUP) / f64::from(RMWS_DIRECT),
        );
    }
}

fn execute_wake(
    plan: &Plan,
    backends: &[BackendKind],
    asyncs: &[usize],
    rounds: u64,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut bars = Vec::new();
    for &backend in backends {
        let mut first = None;
        for &h in asyncs {
            let mut costs = Vec::new();
            for _ in 0..plan.repeat {
                let cost = bench::wake_cost_on(backend, h, rounds)
                    .map_err(|e| format!("wake cost with {h} asyncs on {backend}: {e}"))?;
                costs.push(cost.ns_per_callback());
                if plan.json {
                    let line = report::wake_json(
                        backend.name(),
                        h,
                        rounds,
                        cost.elapsed.as_secs_f64(),
                        cost.ns_per_callback(),
                    );
                    let _ = writeln!(out, "{line}");
                }
            }
            let (median, min, max) = report::spread(&costs).unwrap_or((0.0, 0.0, 0.0));
            let base = *first.get_or_insert(median);
            if !plan.json {
                let _ = writeln!(
                    out,
                    "wake {backend}: {h:>4} asyncs armed: {median:.1} ns per notify+callback (min {min:.1}, max {max:.1}, {}), {:.2}x the first",
                    runs(costs.len()),
                    median / base
                );
            }
            bars.push(Bar {
                label: format!("{backend} H={h}"),
                value: median,
                ours: true,
            });
        }
    }
    wake_floor(plan, rounds, out);
    draw(
        plan,
        "rearm: ns per notify + callback vs armed asyncs",
        "nanoseconds",
        &bars,
    )
}

fn execute_soak(duration: Duration, timeout: Duration, out: &mut dyn Write) -> Result<(), String> {
    let soak = crate::cli::soak::soak(duration, timeout, out);
    let _ = writeln!(
        out,
        "soak: {:.0} s, {} runs ({} with injected faults), {} pings, callbacks, notifications and messages checked, {} failed",
        soak.elapsed.as_secs_f64(),
        soak.runs,
        soak.faulty_runs,
        report::thousands(soak.events),
        soak.failures.len()
    );
    if soak.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("soak failed:\n  {}", soak.failures.join("\n  ")))
    }
}

fn execute_idle(plan: &Plan, backends: &[BackendKind], out: &mut dyn Write) -> Result<(), String> {
    for &backend in backends {
        for _ in 0..plan.repeat {
            let idle = bench::idle_on(
                backend,
                SpinPolicy::default(),
                Duration::from_millis(200),
                Duration::from_secs(2),
            )
            .map_err(|e| format!("idle on {backend}: {e}"))?;
            let _ = if plan.json {
                writeln!(
                    out,
                    "{}",
                    report::idle_json(
                        backend.name(),
                        idle.window.as_secs_f64(),
                        idle.percent_of_a_cpu(),
                        idle.syscalls.total()
                    )
                )
            } else {
                writeln!(
                    out,
                    "idle {backend}: {:.3}% of a CPU over {:.1} s (user {:.1} ms, sys {:.1} ms), {} syscalls",
                    idle.percent_of_a_cpu(),
                    idle.window.as_secs_f64(),
                    idle.cpu.user.as_secs_f64() * 1e3,
                    idle.cpu.system.as_secs_f64() * 1e3,
                    idle.syscalls.total()
                )
            };
        }
    }
    Ok(())
}
