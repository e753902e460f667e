//! The argument schema, and its validation into a [`Plan`] before any thread
//! starts: what every mode shares here, each mode's own rules in `modes`.

mod modes;

use crate::bench::mailbox;
use crate::bench::{Config, MAX_PINGS, MAX_THREADS, Mode};
use crate::cli::plan::{Plan, Work};
use crate::cli::saved::Saved;
use crate::peers::Peer;
use crate::sys::BackendKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use rearm_core::{MAX_CAPACITY, SpinPolicy};
use std::cell::RefCell;
use std::ffi::OsString;
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
///
/// `driver report FILE... [--markdown|--csv|--baseline FILE]` renders results
/// saved with --save as tables (`driver report --help`).
#[derive(Debug, Parser)]
#[command(name = "driver", version, about, long_about)]
struct Args {
    /// Thread counts to run, comma-separated (1 to 64 each): async1, async2,
    /// ...; with --mode mailbox, sender threads (default 1,2,4).
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = parse_threads)]
    threads: Vec<usize>,

    /// Pings per context (pingpong, --peers; default 1,000,000, or 100,000 with
    /// --peers), callbacks to run (pummel), notify rounds (wake), messages
    /// (mailbox; default 1,000,000), or round trips (async; default 100,000).
    #[arg(long, value_parser = parse_pings)]
    pings: Option<u64>,

    /// Parker: one backend (thread is the core's portable ThreadPark), or all
    /// of them.
    #[arg(long, value_enum, default_value = "futex")]
    backend: BackendArg,

    /// Benchmark: pingpong (asyncN), pummel (async_pummel_N), wake (notify cost
    /// against the number of armed asyncs, see --asyncs), idle (CPU used by a
    /// loop with nothing to do), sparse (a loop notified every G µs, see
    /// --gaps: its CPU per wake and latency percentiles, beside the peers that
    /// sleep: std-park, std-mpsc (a sync_channel of one), crossbeam,
    /// tokio-notify, eventfd-epoll), mailbox
    /// (senders fill one loop's mailbox; beside the bounded channels of
    /// crossbeam, std, flume, kanal and thingbuf, of the same capacity; with
    /// --inject-faults, rearm's alone, its receiver disrupted), timers (N
    /// periodic timers on one loop, see --timers and --periods: each
    /// firing's lateness and the loop thread's CPU per firing, beside a std
    /// thread in a condvar's timed wait, tokio intervals, and libuv's
    /// uv_timer_t with the libuv feature), async (two
    /// current-thread tokio runtimes pass one value back and forth through
    /// rearm's awaited mailbox, tokio Notify, tokio mpsc and async-channel;
    /// --pings round trips, default 100,000).
    #[arg(long, value_enum, default_value_t = ModeArg::Pingpong)]
    mode: ModeArg,

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

    /// Armed asyncs per loop for --mode wake, comma-separated (1 to 32,768).
    #[arg(long, value_delimiter = ',', default_value = "1,64,1024,4096", value_parser = parse_asyncs)]
    asyncs: Vec<usize>,

    /// Gaps between notifications for --mode sparse, in µs, comma-separated
    /// (1 to 1,000,000 each).
    #[arg(long, value_delimiter = ',', default_value = "1,5,20,50,100,500,2000,10000", value_parser = parse_gap)]
    gaps: Vec<u64>,

    /// How --mode sparse spaces its notifications, comma-separated: steady
    /// (exactly one gap apart) or jittered (each gap drawn between half and
    /// one and a half times the gap).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "steady")]
    arrivals: Vec<ArrivalsArg>,

    /// Timers on the loop for --mode timers, comma-separated (1 to 32,768
    /// each: one per slot).
    #[arg(long, value_delimiter = ',', default_value = "1,100,10000", value_parser = parse_timer_count)]
    timers: Vec<usize>,

    /// The timers' period for --mode timers, in µs, comma-separated (10 to
    /// 1,000,000 each).
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000", value_parser = parse_period)]
    periods: Vec<u64>,

    /// For --mode timers: a rearm row whose loop lets a timer fire up to this
    /// many µs late so that timers due close together share a wake (0 to
    /// 10,000; 0 leaves the row out) [default: 50, a Linux thread's default
    /// timer slack, which the std rows sleep under].
    #[arg(long, value_name = "US", value_parser = parse_timer_slack)]
    timer_slack: Option<u64>,

    /// Queue sizes for --mode mailbox, comma-separated: 64 or 1024 each
    /// (rearm's mailboxes are sized at compile time; these two are built).
    #[arg(long, value_delimiter = ',', default_value = "1024", value_parser = parse_capacity)]
    capacity: Vec<usize>,

    /// Runs of each configuration (rounds, with --peers); the summary gives
    /// median, min and max.
    #[arg(long, default_value = "1", value_parser = parse_repeat)]
    repeat: u32,

    /// Untimed runs of each configuration before the timed ones (rounds, with
    /// --peers and the modes that alternate), not counted [default: 1; 0 for
    /// --mode sparse and timers, whose rounds take minutes].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    warmup: Option<u32>,

    /// Print one JSON object per run (one per line) instead of text.
    #[arg(long)]
    json: bool,

    /// Also save the run's JSON records, each with its environment, as
    /// results/NAME.jsonl (or to NAME itself when it ends in .jsonl), for
    /// --baseline and `driver report`.
    #[arg(long, value_name = "NAME", value_parser = crate::cli::saved::parse_save)]
    save: Option<PathBuf>,

    /// Print each figure beside the one saved as NAME (results/NAME.jsonl or a
    /// .jsonl path), with their ratio and whether they differ beyond the
    /// spread of the two.
    #[arg(long, value_name = "NAME", value_parser = crate::cli::saved::parse_baseline)]
    baseline: Option<PathBuf>,

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

    /// The wait's preset: default (spin at most about what parking costs),
    /// low-latency (spin as long as spinning pays, at any CPU cost),
    /// park-at-once. --max-spins and --yields adjust it. With --mode sparse
    /// and no preset named, rearm runs with both default and low-latency.
    #[arg(long, value_enum)]
    spin_policy: Option<PolicyArg>,

    /// Run every parker inside a fault injector (spurious returns, delays,
    /// yields at random points); the invariant must still hold.
    #[arg(long)]
    inject_faults: bool,

    /// With --mode mailbox: also a request/reply block per queue size, in
    /// which one client sends a value and waits for it to come back before
    /// it sends the next (rates in round trips per second).
    #[arg(long)]
    reply: bool,

    /// Soak: cycle through every backend, thread count and benchmark, with and
    /// without faults, for this long (600, 600s, 10m, 1h); report runs, pings
    /// and violations.
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::soak::parse_duration, allow_negative_numbers = true)]
    soak: Option<Duration>,
}

/// `--backend`: one backend by name, or all of them. Its values come from
/// [`BackendKind::ALL`], so a new backend needs nothing here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BackendArg {
    One(BackendKind),
    All,
}

impl ValueEnum for BackendArg {
    fn value_variants<'a>() -> &'a [Self] {
        static VARIANTS: std::sync::OnceLock<Vec<BackendArg>> = std::sync::OnceLock::new();
        VARIANTS.get_or_init(|| {
            BackendKind::ALL
                .iter()
                .map(|&kind| BackendArg::One(kind))
                .chain([BackendArg::All])
                .collect()
        })
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            BackendArg::One(kind) => kind.name(),
            BackendArg::All => "all",
        }))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Pingpong,
    Pummel,
    Wake,
    Idle,
    Sparse,
    Mailbox,
    Timers,
    Async,
}

/// `--arrivals`: how sparse notifications are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ArrivalsArg {
    Steady,
    Jittered,
}

/// `--spin-policy`: the core's presets, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PolicyArg {
    Default,
    LowLatency,
    ParkAtOnce,
}

impl PolicyArg {
    fn policy(self) -> SpinPolicy {
        match self {
            PolicyArg::Default => SpinPolicy::default(),
            PolicyArg::LowLatency => SpinPolicy::LOW_LATENCY,
            PolicyArg::ParkAtOnce => SpinPolicy::PARK_AT_ONCE,
        }
    }

    fn name(self) -> &'static str {
        match self {
            PolicyArg::Default => "default",
            PolicyArg::LowLatency => "low-latency",
            PolicyArg::ParkAtOnce => "park-at-once",
        }
    }
}

/// A whole number of `unit` between 1 and `max`; `limit` says where `max`
/// comes from, if anywhere.
fn count(s: &str, unit: &str, max: u64, limit: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number of {unit} between 1 and {max}"))?;
    if n == 0 || n > max {
        return Err(format!("{n} {unit}: must be between 1 and {max}{limit}"));
    }
    Ok(n)
}

fn parse_threads(s: &str) -> Result<usize, String> {
    let n = count(
        s,
        "threads",
        MAX_THREADS as u64,
        " (the main loop's capacity)",
    )?;
    Ok(n as usize)
}

fn parse_asyncs(s: &str) -> Result<usize, String> {
    let n = count(s, "asyncs", MAX_CAPACITY as u64, " (a loop's capacity)")?;
    Ok(n as usize)
}

fn parse_peer(s: &str) -> Result<Peer, String> {
    Peer::from_key(s.trim()).ok_or_else(|| {
        let keys: Vec<&str> = Peer::ALL.iter().map(|p| p.key()).collect();
        format!("'{s}' is not a peer; peers: {}", keys.join(", "))
    })
}

fn parse_gap(s: &str) -> Result<u64, String> {
    count(s, "µs", 1_000_000, " (a second)")
}

fn parse_timer_count(s: &str) -> Result<usize, String> {
    let n = count(
        s,
        "timers",
        MAX_CAPACITY as u64,
        " (one per slot of a loop)",
    )?;
    Ok(n as usize)
}

fn parse_period(s: &str) -> Result<u64, String> {
    let n = count(s, "µs", 1_000_000, " (a second)")?;
    if n < 10 {
        return Err(format!(
            "{n} µs: a period is at least 10 µs (shorter ones only measure how far behind the loop falls)"
        ));
    }
    Ok(n)
}

fn parse_timer_slack(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number of µs between 0 and 10000"))?;
    if n > 10_000 {
        return Err(format!("{n} µs: must be between 0 and 10000 (10 ms)"));
    }
    Ok(n)
}

fn parse_capacity(s: &str) -> Result<usize, String> {
    let n = count(s, "messages", 1024, "")?;
    let n = usize::try_from(n).map_err(|e| e.to_string())?;
    if mailbox::CAPACITIES.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n}: --capacity is one of {}, the sizes rearm's mailboxes are built with",
            mailbox::CAPACITIES.map(|c| c.to_string()).join(", ")
        ))
    }
}

fn parse_pings(s: &str) -> Result<u64, String> {
    count(s, "pings", MAX_PINGS, "")
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
    let n = count(s, "repeats", MAX_REPEAT.into(), "")?;
    Ok(n as u32)
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
    require_directory(s, &path)?;
    Ok(path)
}

/// Refuses an output file (`typed` as `path`) whose directory does not
/// exist, before any run starts.
pub(super) fn require_directory(typed: &str, path: &Path) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(format!("'{typed}': no directory {}", dir.display()))
    }
}

/// Every flag, by clap id and as typed, in the order `--help` lists them.
const FLAGS: [(&str, &str); 25] = [
    ("threads", "--threads"),
    ("pings", "--pings"),
    ("backend", "--backend"),
    ("mode", "--mode"),
    ("peers", "--peers"),
    ("asyncs", "--asyncs"),
    ("gaps", "--gaps"),
    ("arrivals", "--arrivals"),
    ("timers", "--timers"),
    ("periods", "--periods"),
    ("timer_slack", "--timer-slack"),
    ("capacity", "--capacity"),
    ("repeat", "--repeat"),
    ("warmup", "--warmup"),
    ("json", "--json"),
    ("save", "--save"),
    ("baseline", "--baseline"),
    ("plot", "--plot"),
    ("timeout", "--timeout"),
    ("max_spins", "--max-spins"),
    ("yields", "--yields"),
    ("spin_policy", "--spin-policy"),
    ("inject_faults", "--inject-faults"),
    ("reply", "--reply"),
    ("soak", "--soak"),
];

/// The flags of every mode that repeats and reports its runs.
const REPORTING: &[&str] = &[
    "--mode",
    "--repeat",
    "--warmup",
    "--json",
    "--save",
    "--baseline",
];

/// The flags every ping-pong or pummel run uses.
fn run_flags() -> Vec<&'static str> {
    let run = [
        "--threads",
        "--pings",
        "--backend",
        "--plot",
        "--timeout",
        "--max-spins",
        "--yields",
        "--spin-policy",
        "--inject-faults",
    ];
    [REPORTING, &run].concat()
}

fn conflict(what: &str) -> clap::Error {
    clap::Error::raw(
        clap::error::ErrorKind::ArgumentConflict,
        format!("{what}\n"),
    )
}

/// A command line as clap parsed it, with what every mode's validation reads.
struct Parsed<'a> {
    args: &'a Args,
    /// The flags typed on the command line (not those left at their defaults).
    given: Vec<&'static str>,
    /// The backends `--backend` names (every one for "all").
    backends: Vec<BackendKind>,
}

impl Parsed<'_> {
    /// A preset, adjusted by `--max-spins` and `--yields`.
    fn policy(&self, preset: PolicyArg) -> SpinPolicy {
        let base = preset.policy();
        base.with_max_spins(self.args.max_spins.unwrap_or(base.max_spins))
            .with_yields(self.args.yields.unwrap_or(base.yields))
    }

    /// A ping-pong or pummel run of `threads` contexts and `pings` each.
    fn config(&self, threads: usize, pings: u64) -> Config {
        let mut config = Config::new(threads, pings);
        config.timeout = self.args.timeout;
        config.hard_exit_after = Some(Duration::from_secs(5));
        config.inject_faults = self.args.inject_faults;
        config.spin = self.policy(self.args.spin_policy.unwrap_or(PolicyArg::Default));
        config
    }

    /// Refuses the given flags that `what` would ignore (not in `uses`),
    /// saying `why` it has no use for them.
    fn refuse_unused(&self, what: &str, why: &str, uses: &[&str]) -> Result<(), clap::Error> {
        let unused: Vec<&str> = self
            .given
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

    /// The work the mode (or `--soak`, or `--peers`) asks for.
    fn work(&self) -> Result<Work, clap::Error> {
        let args = self.args;
        if let Some(duration) = args.soak {
            return modes::soak(self, duration);
        }
        if let Some(chosen) = args.peers.as_ref().filter(|_| args.mode != ModeArg::Sparse) {
            return modes::peers(self, chosen);
        }
        match args.mode {
            ModeArg::Pingpong => modes::runs(self, Mode::PingPong),
            ModeArg::Pummel => modes::runs(self, Mode::Pummel),
            ModeArg::Wake => modes::wake(self),
            ModeArg::Idle => modes::idle(self),
            ModeArg::Mailbox => modes::mailbox(self),
            ModeArg::Async => modes::async_pingpong(self),
            ModeArg::Timers => modes::timers(self),
            ModeArg::Sparse => modes::sparse(self),
        }
    }
}

/// Parses a command line (program name first). Never panics; on bad input the
/// error says what and why, and [`clap::Error::exit`] prints it and exits with
/// status 2 (0 for `--help` and `--version`).
pub fn parse<I, T>(args: I) -> Result<Plan, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let command_line: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).is_some_and(|a| a == "report") {
        return crate::cli::render::parse(&args).map(|work| Plan {
            work: Work::Report(work),
            repeat: 1,
            json: false,
            plot: None,
            warmup: 0,
            save: None,
            baseline: None,
            command_line,
            records: RefCell::default(),
        });
    }
    let matches = Args::command().try_get_matches_from(&args)?;
    let args = Args::from_arg_matches(&matches)?;
    let parsed = Parsed {
        args: &args,
        given: FLAGS
            .iter()
            .filter(|(id, _)| matches.value_source(id) == Some(ValueSource::CommandLine))
            .map(|&(_, flag)| flag)
            .collect(),
        backends: match args.backend {
            BackendArg::One(kind) => vec![kind],
            BackendArg::All => BackendKind::ALL.to_vec(),
        },
    };
    let work = parsed.work()?;
    // Sparse and timer rounds take minutes: a warm-up round is asked for,
    // not assumed; idle and soak measure no rate that warming would change.
    let default_warmup = match &work {
        Work::Sparse(_) | Work::Timers(_) | Work::Idle(_) | Work::Soak(..) => 0,
        _ => 1,
    };
    let baseline = match &args.baseline {
        Some(path) => {
            let saved = Saved::load(path).map_err(|e| conflict(&e))?;
            let mode = work.mode_name();
            if !saved.modes().iter().any(|m| m == mode) {
                return Err(conflict(&format!(
                    "--baseline {}: it holds {} records, not {mode}: compare like with like",
                    path.display(),
                    saved.modes().join(", ")
                )));
            }
            Some(saved)
        }
        None => None,
    };
    Ok(Plan {
        work,
        repeat: args.repeat,
        json: args.json,
        plot: args.plot,
        warmup: args.warmup.unwrap_or(default_warmup),
        save: args.save,
        baseline,
        command_line,
        records: RefCell::default(),
    })
}
