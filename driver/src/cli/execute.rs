//! Running a [`Plan`]: each mode's runs, in order, printed through
//! [`report`](super::report).

use super::compare::{self, Contender};
use super::dispersion::Dispersion;
use super::plot::{self, Bar};
use super::progress::Progress;
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
    // Progress draws on a terminal, and never beside JSON.
    let interactive = std::io::stderr().is_terminal() && !plan.json;
    report::begin_run(&plan.command_line, plan.warmup, plan.repeat);
    let result = match &plan.work {
        Work::Report(work) => {
            let _ = write!(out, "{}", super::render::render(work));
            Ok(())
        }
        Work::Runs(runs) => execute_runs(plan, runs, out, err, interactive),
        Work::Peers {
            backend,
            peers,
            threads,
            config,
        } => {
            let mut progress = Progress::new(err, interactive);
            execute_peers(plan, *backend, peers, threads, config, out, &mut progress)
        }
        Work::Wake {
            backends,
            asyncs,
            rounds,
        } => execute_wake(plan, backends, asyncs, *rounds, out, err, interactive),
        Work::Idle(backends) => execute_idle(plan, backends, out, err, interactive),
        Work::Sparse(work) => super::sparse::execute(plan, work, out, err, interactive),
        Work::Mailbox(work) => super::mailbox::execute(plan, work, out, err, interactive),
        Work::Timers(work) => super::timers::execute(plan, work, out, err, interactive),
        Work::Async(work) => super::async_pingpong::execute(plan, work, out, err, interactive),
        Work::Soak(duration, timeout) => execute_soak(*duration, *timeout, out),
    };
    // Last, so that the libuv line stays the first one a run prints.
    if result.is_ok() && !plan.json && plan.warmup > 0 {
        let _ = writeln!(
            out,
            "warm-up: {} of each configuration ran first, not counted (--warmup 0 skips it)",
            runs(plan.warmup as usize)
        );
    }
    let result = result.and_then(|()| finish_records(plan, out, err));
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

/// Saves the records (`--save`) and compares them with the baseline.
fn finish_records(plan: &Plan, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), String> {
    let records = plan.records.borrow();
    if let Some(path) = &plan.save {
        super::saved::write(path, &records)?;
        let _ = writeln!(
            err,
            "{} record(s) saved to {}",
            records.len(),
            path.display()
        );
    }
    if let Some(baseline) = &plan.baseline {
        let now: Vec<serde_json::Value> = records
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let _ = write!(out, "{}", super::saved::compare(&now, baseline, plan.json));
    }
    Ok(())
}

fn draw(plan: &Plan, title: &str, y_label: &str, bars: &[Bar]) -> Result<(), String> {
    match &plan.plot {
        Some(path) => plot::bar_chart(path, title, y_label, &plot::caption(), bars),
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
    let total = runs.len() * plan.rounds() as usize;
    let mut progress = Progress::new(err, interactive);
    let mut reports: Vec<RunReport> = Vec::with_capacity(total);
    let mut done = 0;
    // Round-robin over the configurations, so that drift in the machine (load,
    // the VM's CPU placement) falls on every configuration alike.
    for round in 0..plan.rounds() {
        let warming = plan.warming_up(round);
        for (backend, mode, config) in runs {
            done += 1;
            let label = mode.label(config.threads);
            let what = if warming { " (warm-up)" } else { "" };
            progress.show(&format!("[{done}/{total}] {label} on {backend}{what}..."));
            match bench::run(*backend, *mode, config) {
                Ok(_) if warming => {}
                Ok(report) => {
                    progress.clear();
                    if !plan.json {
                        let _ = writeln!(
                            out,
                            "{}\n{}",
                            report::headline(&report),
                            report::details(&report)
                        );
                    }
                    plan.record(out, || report::json(&report));
                    let _ = out.flush();
                    reports.push(report);
                }
                Err(e) => {
                    if let BenchError::Violation { report, .. } = &e {
                        progress.note(&report::details(report));
                    }
                    return Err(format!("{label} on {backend}{what} failed: {e}"));
                }
            }
        }
    }
    progress.clear();
    if !plan.json {
        if reports.len() > 1 {
            let _ = writeln!(out, "\n{}", report::table(&reports));
        }
        if let Some(warning) = report::disagreement(&reports) {
            progress.note(&warning);
        }
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
    progress: &mut Progress,
) -> Result<(), String> {
    let skipped: Vec<&str> = peers
        .iter()
        .filter(|&&p| !compare::runs_here(p))
        .map(|p| p.name())
        .collect();
    const SKIPPED_WHY: &str =
        "a spinning thread holds the CPU its peer needs: one ping per scheduler time slice";
    for name in &skipped {
        plan.record(out, || report::skipped_peer_json(name, SKIPPED_WHY));
    }
    if !plan.json {
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
    let rows = compare::compare(
        backend,
        peers,
        threads,
        config,
        (plan.warmup, plan.repeat),
        &mut |line| progress.show(line),
    )
    .map_err(|e| e.to_string())?;
    progress.clear();
    for row in &rows {
        plan.record(out, || {
            report::peer_json(
                &format!("async{}", row.threads),
                &row.contender.to_string(),
                config.pings,
                &row.rates,
                &row.rearm_over_peer,
                &row.cpu_us,
            )
        });
    }
    if !plan.json {
        let _ = writeln!(out, "\n{}", compare::table(&rows));
        let labelled: Vec<(String, Dispersion)> = rows
            .iter()
            .filter_map(|row| {
                let label = format!("async{} {}", row.threads, row.contender);
                Some((label, Dispersion::of(&row.rates)?))
            })
            .collect();
        if let Some(warning) = super::dispersion::warning(labelled) {
            progress.note(&warning);
        }
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
        plan.record(out, || report::locked_rmw_json(rounds, ns));
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
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let mut progress = Progress::new(err, interactive);
    let mut bars = Vec::new();
    let mut rows = Vec::new();
    for &backend in backends {
        let mut first = None;
        for &h in asyncs {
            let mut costs = Vec::new();
            for round in 0..plan.rounds() {
                progress.show(&format!(
                    "wake {backend}, {h} asyncs armed: run {}/{}{}...",
                    round + 1,
                    plan.rounds(),
                    if plan.warming_up(round) {
                        " (warm-up)"
                    } else {
                        ""
                    }
                ));
                let cost = bench::wake_cost_on(backend, h, rounds)
                    .map_err(|e| format!("wake cost with {h} asyncs on {backend}: {e}"))?;
                if plan.warming_up(round) {
                    continue;
                }
                costs.push(cost.ns_per_callback());
                plan.record(out, || {
                    report::wake_json(
                        backend.name(),
                        h,
                        rounds,
                        cost.elapsed.as_secs_f64(),
                        cost.ns_per_callback(),
                    )
                });
            }
            progress.clear();
            let (median, min, max) = report::spread(&costs).unwrap_or((0.0, 0.0, 0.0));
            let base = *first.get_or_insert(median);
            let d = Dispersion::of(&costs);
            if let Some(d) = d {
                rows.push((format!("{backend} {h} asyncs"), d));
            }
            if !plan.json {
                let _ = writeln!(
                    out,
                    "wake {backend}: {h:>4} asyncs armed: {median:.1} ns per notify+callback (min {min:.1}, max {max:.1}, mean ± σ {}, {}), {:.2}x the first",
                    d.map_or("-".into(), |d| d.mean_sd()),
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
    if !plan.json
        && let Some(warning) = super::dispersion::warning(rows)
    {
        progress.note(&warning);
    }
    drop(progress);
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

fn execute_idle(
    plan: &Plan,
    backends: &[BackendKind],
    out: &mut dyn Write,
    err: &mut dyn Write,
    interactive: bool,
) -> Result<(), String> {
    let mut progress = Progress::new(err, interactive);
    for &backend in backends {
        for round in 0..plan.repeat {
            progress.show(&format!(
                "idle {backend}: run {}/{} (2 s)...",
                round + 1,
                plan.repeat
            ));
            let idle = bench::idle_on(
                backend,
                SpinPolicy::default(),
                Duration::from_millis(200),
                Duration::from_secs(2),
                // A stop takes microseconds; five seconds without one is a
                // lost wake, and five more after a second stop, a loop that
                // cannot be stopped (exit status 3).
                bench::idle::StopWatch {
                    timeout: Duration::from_secs(5),
                    hard_exit_after: Some(Duration::from_secs(5)),
                },
            )
            .map_err(|e| format!("idle on {backend}: {e}"))?;
            progress.clear();
            plan.record(out, || {
                report::idle_json(
                    backend.name(),
                    idle.window.as_secs_f64(),
                    idle.percent_of_a_cpu(),
                    idle.syscalls.total(),
                )
            });
            if !plan.json {
                let _ = writeln!(
                    out,
                    "idle {backend}: {:.3}% of a CPU over {:.1} s (user {:.1} ms, sys {:.1} ms), {} syscalls",
                    idle.percent_of_a_cpu(),
                    idle.window.as_secs_f64(),
                    idle.cpu.user.as_secs_f64() * 1e3,
                    idle.cpu.system.as_secs_f64() * 1e3,
                    idle.syscalls.total()
                );
            }
        }
    }
    Ok(())
}
