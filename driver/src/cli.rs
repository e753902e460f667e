//! The `driver` command line: parse, validate before any thread starts, run,
//! print.

use crate::backend::BackendKind;
use crate::bench::{self, BenchError, Config, MAX_PINGS, MAX_THREADS, Mode, RunReport};
use crate::report;
use clap::{Parser, ValueEnum};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Longest stall timeout accepted, in seconds (a day).
const MAX_TIMEOUT_SECS: f64 = 86_400.0;
/// Most repeats of each configuration.
const MAX_REPEAT: u32 = 1000;

/// Times cross-thread wakeups: libuv's async benchmarks on rearm.
///
/// With no arguments: async1, 1,000,000 pings, on the futex backend. Every run
/// checks the million-ping invariant and the ledger, and exits non-zero if
/// either is broken or the run stalls.
#[derive(Debug, Parser)]
#[command(name = "driver", version, about, long_about)]
struct Args {
    /// Thread counts to run, comma-separated (1 to 64 each): async1, async2, ...
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = parse_threads)]
    threads: Vec<usize>,

    /// Pings per context (pingpong) or callbacks to run (pummel).
    #[arg(long, default_value = "1000000", value_parser = parse_pings)]
    pings: u64,

    /// Parker: futex, eventfd, spin, or all of them.
    #[arg(long, value_enum, default_value_t = BackendChoice::Futex)]
    backend: BackendChoice,

    /// Benchmark: pingpong (asyncN) or pummel (async_pummel_N).
    #[arg(long, value_enum, default_value_t = ModeChoice::Pingpong)]
    mode: ModeChoice,

    /// Runs of each configuration; the summary table gives median, min and max.
    #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..=MAX_REPEAT as i64))]
    repeat: u32,

    /// Print one JSON object per run (one per line) instead of text.
    #[arg(long)]
    json: bool,

    /// Seconds without progress after which a run is stopped and reported.
    #[arg(long, default_value = "30", value_parser = parse_timeout)]
    timeout: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    Futex,
    Eventfd,
    Spin,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeChoice {
    Pingpong,
    Pummel,
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

fn parse_timeout(s: &str) -> Result<f64, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= MAX_TIMEOUT_SECS) {
        return Err(format!(
            "{s} seconds: must be more than 0 and at most {MAX_TIMEOUT_SECS}"
        ));
    }
    Ok(secs)
}

/// What the command line asked for, validated.
#[derive(Debug)]
pub struct Plan {
    /// Every run, in order: (backend, mode, config), each repeated `repeat` times.
    pub runs: Vec<(BackendKind, Mode, Config)>,
    /// Runs of each configuration.
    pub repeat: u32,
    /// JSON output.
    pub json: bool,
}

/// Parses a command line (program name first). Never panics; on bad input the
/// error says what and why, and [`clap::Error::exit`] prints it and exits with
/// status 2 (0 for `--help` and `--version`).
pub fn parse<I, T>(args: I) -> Result<Plan, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = Args::try_parse_from(args)?;
    let backends: Vec<BackendKind> = match args.backend {
        BackendChoice::Futex => vec![BackendKind::Futex],
        BackendChoice::Eventfd => vec![BackendKind::Eventfd],
        BackendChoice::Spin => vec![BackendKind::Spin],
        BackendChoice::All => BackendKind::ALL.to_vec(),
    };
    let mode = match args.mode {
        ModeChoice::Pingpong => Mode::PingPong,
        ModeChoice::Pummel => Mode::Pummel,
    };
    let mut runs = Vec::new();
    for &backend in &backends {
        for &threads in &args.threads {
            let mut config = Config::new(threads, args.pings);
            config.timeout = Duration::from_secs_f64(args.timeout);
            config.hard_exit_after = Some(Duration::from_secs(5));
            runs.push((backend, mode, config));
        }
    }
    Ok(Plan {
        runs,
        repeat: args.repeat,
        json: args.json,
    })
}

/// Exit status for a run that failed its checks, stalled or panicked.
pub const EXIT_FAILED: u8 = 1;

/// Runs a plan, printing to `out` (results) and `err` (progress, failures).
/// Stops at the first failed run. Returns the process exit status.
pub fn execute(plan: &Plan, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let total = plan.runs.len() * plan.repeat as usize;
    let progress = total > 1 && std::io::stderr().is_terminal();
    let mut reports: Vec<RunReport> = Vec::with_capacity(total);
    let mut done = 0;
    for (backend, mode, config) in &plan.runs {
        for _ in 0..plan.repeat {
            done += 1;
            if progress {
                let _ = writeln!(
                    err,
                    "[{done}/{total}] {} on {backend}...",
                    mode.label(config.threads)
                );
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
                    let _ = writeln!(
                        err,
                        "error: {} on {backend} failed: {e}",
                        mode.label(config.threads)
                    );
                    if let BenchError::Violation { report, .. } = &e {
                        let _ = writeln!(err, "{}", report::details(report));
                    }
                    return EXIT_FAILED;
                }
            }
        }
    }
    if reports.len() > 1 && !plan.json {
        let _ = writeln!(out, "\n{}", report::table(&reports));
    }
    0
}
