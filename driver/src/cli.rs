//! The `driver` command line: parse, validate before any thread starts, run,
//! print.

use crate::backend::BackendKind;
use crate::bench::{self, BenchError, Config, MAX_PINGS, MAX_THREADS, Mode, RunReport};
use crate::compare::{self, Contender};
use crate::peers::Peer;
use crate::plot::{self, Bar};
use crate::{machine, report};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use rearm_core::{DIRECT_SLOTS, MAX_CAPACITY, SpinPolicy};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest stall timeout accepted, in seconds (a day).
const MAX_TIMEOUT_SECS: f64 = 86_400.0;
/// Shortest stall timeout accepted, in seconds: a tiny positive number would
/// round to a zero Duration, which no run can honour.
const MIN_TIMEOUT_SECS: f64 = 0.001;
/// Most repeats of each configuration.
const MAX_REPEAT: u32 = 1000;
/// Pings per run when none are given: libuv's million, or for `--peers` a
/// hundred thousand (the slowest peers manage ~20,000 a second).
const DEFAULT_PINGS: u64 = 1_000_000;
const DEFAULT_PEER_PINGS: u64 = 100_000;
/// Notify-and-run rounds per `--mode wake` run when no `--pings` are given.
const DEFAULT_WAKE_ROUNDS: u64 = 2_000_000;

/// Times cross-thread wakeups: libuv's async benchmarks on rearm.
///
/// With no arguments: async1, 1,000,000 pings, on the futex backend. Every run
/// checks the million-ping invariant and the ledger, and exits non-zero if
/// either is broken or the run stalls. Exit status: 0 all good, 1 a run failed
/// its checks or stalled, 2 bad arguments, 3 a stalled run could not be stopped.
#[derive(Debug, Parser)]
#[command(name = "driver", version, about, long_about)]
struct Args {
    /// Thread counts to run, comma-separated (1 to 64 each): async1, async2, ...
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = parse_threads)]
    threads: Vec<usize>,

    /// Pings per context (pingpong, --peers; default 1,000,000, or 100,000 with
    /// --peers), callbacks to run (pummel), or notify rounds (wake).
    #[arg(long, value_parser = parse_pings)]
    pings: Option<u64>,

    /// Parker: futex, eventfd, spin, thread (the core's portable ThreadPark),
    /// or all of them.
    #[arg(long, value_enum, default_value_t = BackendChoice::Futex)]
    backend: BackendChoice,

    /// Benchmark: pingpong (asyncN), pummel (async_pummel_N), wake (notify cost
    /// against the number of armed asyncs, see --asyncs), idle (CPU used by a
    /// loop with nothing to do).
    #[arg(long, value_enum, default_value_t = ModeChoice::Pingpong)]
    mode: ModeChoice,

    /// Run the ping-pong over rearm and every peer (busy-spin, spin-yield,
    /// std-park, std-mpsc, crossbeam, tokio-notify, mio-waker, eventfd-epoll,
    /// and libuv when built with --features libuv), in alternation, and print
    /// each rate with its ratio to rearm. --peers=std-park,crossbeam runs only
    /// those.
    #[arg(
        long,
        value_name = "PEER,...",
        num_args = 0..=1,
        require_equals = true,
        value_delimiter = ',',
        value_parser = parse_peer
    )]
    peers: Option<Vec<Peer>>,

    /// Armed asyncs per loop for --mode wake, comma-separated (1 to 4096).
    #[arg(long, value_delimiter = ',', default_value = "1,64,1024,4096", value_parser = parse_asyncs)]
    asyncs: Vec<usize>,

    /// Runs of each configuration (rounds, with --peers); the summary gives
    /// median, min and max.
    #[arg(long, default_value = "1", value_parser = parse_repeat)]
    repeat: u32,

    /// Print one JSON object per run (one per line) instead of text.
    #[arg(long)]
    json: bool,

    /// Also draw the rates as a bar chart into this SVG file (its directory
    /// must exist).
    #[arg(long, value_name = "FILE.svg", value_parser = parse_plot)]
    plot: Option<PathBuf>,

    /// Time without progress after which a run is stopped and reported (30,
    /// 30s, 500ms, 2m; 1 ms to a day).
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = parse_timeout, allow_negative_numbers = true)]
    timeout: Duration,

    /// Spin steps a waiting loop may take before it yields (the adaptive
    /// budget's ceiling; 0 never spins).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    max_spins: Option<u32>,

    /// Yields a waiting loop makes between spinning and parking.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1000))]
    yields: Option<u32>,

    /// Run every parker inside a fault injector (spurious returns, delays,
    /// yields at random points); the invariant must still hold.
    #[arg(long)]
    inject_faults: bool,

    /// Soak: cycle through every backend, thread count and benchmark, with and
    /// without faults, for this long (600, 600s, 10m, 1h); report runs, pings
    /// and violations.
    #[arg(long, value_name = "DURATION", value_parser = crate::soak::parse_duration, allow_negative_numbers = true)]
    soak: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    Futex,
    Eventfd,
    Spin,
    Thread,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeChoice {
    Pingpong,
    Pummel,
    Wake,
    Idle,
}

fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a thread count"))?;
    if n == 0 || n > MAX_THREADS {
        return Err(format!(
            "{n} threads: must be between 1 and {MAX_THREADS} (the main loop's capacity)"
        ));
    }
    Ok(n)
}

fn parse_asyncs(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of asyncs"))?;
    if n == 0 || n > MAX_CAPACITY {
        return Err(format!(
            "{n} asyncs: must be between 1 and {MAX_CAPACITY} (a loop's capacity)"
        ));
    }
    Ok(n)
}

fn parse_peer(s: &str) -> Result<Peer, String> {
    Peer::from_key(s.trim()).ok_or_else(|| {
        let keys: Vec<&str> = Peer::ALL.iter().map(|p| p.key()).collect();
        format!("'{s}' is not a peer; peers: {}", keys.join(", "))
    })
}

fn parse_pings(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number between 1 and {MAX_PINGS}"))?;
    if n == 0 || n > MAX_PINGS {
        return Err(format!("{n} pings: must be between 1 and {MAX_PINGS}"));
    }
    Ok(n)
}

/// Seconds in a duration as `--timeout` and `--soak` take it: a number with
/// an optional unit, `ms`, `s` (the default), `m` or `h` ("90", "1.5m").
/// Negative numbers parse, so that the range check can say what is allowed.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let split = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == '-')))
        .map_or(t.len(), |(i, _)| i);
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (say 90, 90s, 500ms, 10m or 1h)"))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use ms, s, m or h)")),
    };
    Ok(value * scale)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs = parse_seconds(s)?;
    if !(MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(&secs) {
        return Err(format!("'{s}': must be at least 1 ms and at most a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_repeat(s: &str) -> Result<u32, String> {
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number between 1 and {MAX_REPEAT}"))?;
    if n == 0 || n > MAX_REPEAT {
        return Err(format!("{n} repeats: must be between 1 and {MAX_REPEAT}"));
    }
    Ok(n)
}

/// A plot path is checked before any thread starts: an SVG file in a
/// directory that exists.
fn parse_plot(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
    {
        return Err(format!("'{s}': the plot is drawn as SVG; name a .svg file"));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("'{s}': no directory {}", dir.display()));
    }
    Ok(path)
}

/// Every flag, by clap id and as typed, in the order `--help` lists them.
const FLAGS: [(&str, &str); 14] = [
    ("threads", "--threads"),
    ("pings", "--pings"),
    ("backend", "--backend"),
    ("mode", "--mode"),
    ("peers", "--peers"),
    ("asyncs", "--asyncs"),
    ("repeat", "--repeat"),
    ("json", "--json"),
    ("plot", "--plot"),
    ("timeout", "--timeout"),
    ("max_spins", "--max-spins"),
    ("yields", "--yields"),
    ("inject_faults", "--inject-faults"),
    ("soak", "--soak"),
];

/// Refuses the flags in `given` that `what` would ignore (not in `uses`),
/// saying `why` it has no use for them.
fn refuse_unused(what: &str, why: &str, given: &[&str], uses: &[&str]) -> Result<(), clap::Error> {
    let unused: Vec<&str> = given
        .iter()
        .copied()
        .filter(|flag| !uses.contains(flag))
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    Err(conflict(&format!(
        "{what} does not use {} ({why}): leave {} out",
        unused.join(", "),
        if unused.len() == 1 { "it" } else { "them" }
    )))
}

fn conflict(what: &str) -> clap::Error {
    clap::Error::raw(
        clap::error::ErrorKind::ArgumentConflict,
        format!("{what}\n"),
    )
}

/// What to do.
#[derive(Debug)]
pub enum Action {
    /// Benchmark runs, in order, each repeated `repeat` times.
    Runs(Vec<(BackendKind, Mode, Config)>),
    /// rearm against every peer, per thread count.
    Peers {
        /// rearm's backend.
        backend: BackendKind,
        /// The peers, in report order.
        peers: Vec<Peer>,
        /// Thread counts.
        threads: Vec<usize>,
        /// Everything else about a run.
        config: Config,
    },
    /// Wake cost for each number of armed asyncs.
    Wake {
        /// Backends to run it on.
        backends: Vec<BackendKind>,
        /// Armed asyncs per run.
        asyncs: Vec<usize>,
        /// Notify rounds per run.
        rounds: u64,
    },
    /// Idle CPU per backend.
    Idle(Vec<BackendKind>),
    /// A soak of this length, each run with this stall timeout.
    Soak(Duration, Duration),
}

/// What the command line asked for, validated.
#[derive(Debug)]
pub struct Plan {
    /// The work.
    pub action: Action,
    /// Runs (or rounds) of each configuration.
    pub repeat: u32,
    /// JSON output.
    pub json: bool,
    /// Where to draw the chart.
    pub plot: Option<PathBuf>,
}

/// Parses a command line (program name first). Never panics; on bad input the
/// error says what and why, and [`clap::Error::exit`] prints it and exits with
/// status 2 (0 for `--help` and `--version`).
pub fn parse<I, T>(args: I) -> Result<Plan, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = Args::command().try_get_matches_from(args)?;
    let args = Args::from_arg_matches(&matches)?;
    // The flags typed on the command line (not those left at their defaults).
    let given: Vec<&str> = FLAGS
        .iter()
        .filter(|(id, _)| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|&(_, flag)| flag)
        .collect();
    let backends: Vec<BackendKind> = match args.backend {
        BackendChoice::Futex => vec![BackendKind::Futex],
        BackendChoice::Eventfd => vec![BackendKind::Eventfd],
        BackendChoice::Spin => vec![BackendKind::Spin],
        BackendChoice::Thread => vec![BackendKind::Thread],
        BackendChoice::All => BackendKind::ALL.to_vec(),
    };
    let config = |threads: usize, pings: u64| {
        let mut config = Config::new(threads, pings);
        config.timeout = args.timeout;
        config.hard_exit_after = Some(Duration::from_secs(5));
        config.inject_faults = args.inject_faults;
        let default = SpinPolicy::default();
        config.spin = SpinPolicy {
            max_spins: args.max_spins.unwrap_or(default.max_spins),
            yields: args.yields.unwrap_or(default.yields),
        };
        config
    };
    let action = if let Some(duration) = args.soak {
        refuse_unused(
            "--soak",
            "it cycles through every backend, benchmark and thread count itself",
            &given,
            &["--soak", "--timeout"],
        )?;
        Action::Soak(duration, args.timeout)
    } else if let Some(chosen) = &args.peers {
        if args.mode != ModeChoice::Pingpong {
            return Err(conflict(
                "--peers compares the ping-pong: it cannot take --mode",
            ));
        }
        if args.json {
            return Err(conflict("--peers prints a table: it cannot take --json"));
        }
        if args.backend == BackendChoice::All {
            return Err(conflict(
                "--peers runs rearm on one backend: name it (futex, eventfd, spin or thread), not all",
            ));
        }
        refuse_unused(
            "--peers",
            "asyncs are for --mode wake",
            &given,
            &[
                "--peers",
                "--threads",
                "--pings",
                "--backend",
                "--mode",
                "--repeat",
                "--plot",
                "--timeout",
                "--max-spins",
                "--yields",
                "--inject-faults",
            ],
        )?;
        // Each peer once, in report order; none named means all of them.
        let peers: Vec<Peer> = Peer::ALL
            .iter()
            .copied()
            .filter(|p| chosen.is_empty() || chosen.contains(p))
            .collect();
        Action::Peers {
            // With "all", rearm is represented by its default backend.
            backend: backends[0],
            peers,
            threads: args.threads.clone(),
            config: config(1, args.pings.unwrap_or(DEFAULT_PEER_PINGS)),
        }
    } else {
        match args.mode {
            ModeChoice::Pingpong | ModeChoice::Pummel => {
                let (mode, name) = if args.mode == ModeChoice::Pingpong {
                    (Mode::PingPong, "--mode pingpong")
                } else {
                    (Mode::Pummel, "--mode pummel")
                };
                refuse_unused(
                    name,
                    "asyncs are for --mode wake",
                    &given,
                    &[
                        "--threads",
                        "--pings",
                        "--backend",
                        "--mode",
                        "--repeat",
                        "--json",
                        "--plot",
                        "--timeout",
                        "--max-spins",
                        "--yields",
                        "--inject-faults",
                    ],
                )?;
                let pings = args.pings.unwrap_or(DEFAULT_PINGS);
                let mut runs = Vec::new();
                for &backend in &backends {
                    for &threads in &args.threads {
                        runs.push((backend, mode, config(threads, pings)));
                    }
                }
                Action::Runs(runs)
            }
            ModeChoice::Wake => {
                refuse_unused(
                    "--mode wake",
                    "it times notify and callback on one thread that parks at once",
                    &given,
                    &[
                        "--mode",
                        "--backend",
                        "--asyncs",
                        "--pings",
                        "--repeat",
                        "--json",
                        "--plot",
                    ],
                )?;
                Action::Wake {
                    backends,
                    asyncs: args.asyncs.clone(),
                    rounds: args.pings.unwrap_or(DEFAULT_WAKE_ROUNDS),
                }
            }
            ModeChoice::Idle => {
                refuse_unused(
                    "--mode idle",
                    "it times one loop with nothing to do, with the default wait",
                    &given,
                    &["--mode", "--backend", "--repeat", "--json"],
                )?;
                Action::Idle(backends)
            }
        }
    };
    Ok(Plan {
        action,
        repeat: args.repeat,
        json: args.json,
        plot: args.plot,
    })
}

/// Exit status for a run that failed its checks, stalled or panicked.
pub const EXIT_FAILED: u8 = 1;

/// Runs a plan, printing to `out` (results) and `err` (progress, failures).
/// Stops at the first failed run. Returns the process exit status.
pub fn execute(plan: &Plan, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let interactive = std::io::stderr().is_terminal();
    let result = match &plan.action {
        Action::Runs(runs) => execute_runs(plan, runs, out, err, interactive),
        Action::Peers {
            backend,
            peers,
            threads,
            config,
        } => {
            let mut progress = compare::progress_printer(err, interactive);
            execute_peers(plan, *backend, peers, threads, config, out, &mut progress)
        }
        Action::Wake {
            backends,
            asyncs,
            rounds,
        } => execute_wake(plan, backends, asyncs, *rounds, out),
        Action::Idle(backends) => execute_idle(plan, backends, out),
        Action::Soak(duration, timeout) => execute_soak(*duration, *timeout, out),
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

fn caption() -> String {
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
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "left out on one CPU: {} (a spinning thread holds the CPU its peer needs: \
             one ping per scheduler time slice)",
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
    let rows = compare::compare(backend, peers, threads, config, plan.repeat, progress)
        .map_err(|e| e.to_string())?;
    let _ = writeln!(out, "\n{}", compare::table(&rows));
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
            let _ = writeln!(
                out,
                r#"{{"benchmark":"locked_rmw","rounds":{rounds},"ns_per_rmw":{ns}}}"#
            );
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
                    let _ = writeln!(
                        out,
                        r#"{{"benchmark":"wake","backend":"{backend}","asyncs":{h},"rounds":{rounds},"seconds":{},"ns_per_callback":{}}}"#,
                        cost.elapsed.as_secs_f64(),
                        cost.ns_per_callback()
                    );
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
    let soak = crate::soak::soak(duration, timeout, out);
    let _ = writeln!(
        out,
        "soak: {:.0} s, {} runs ({} with injected faults), {} pings and callbacks checked, {} failed",
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
                    r#"{{"benchmark":"idle","backend":"{backend}","seconds":{},"cpu_percent":{},"syscalls":{}}}"#,
                    idle.window.as_secs_f64(),
                    idle.percent_of_a_cpu(),
                    idle.syscalls.total()
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
