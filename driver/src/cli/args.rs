//! The argument schema, and its validation into a [`Plan`] before any thread
//! starts.

use crate::bench::mailbox::{self, Carrier};
use crate::bench::sparse::Mechanism;
use crate::bench::timers::TimerMechanism;
use crate::bench::{Config, MAX_PINGS, MAX_THREADS, Mode};
use crate::cli::render::ReportWork;
use crate::cli::saved::Saved;
use crate::harness::arrivals::Spacing;
use crate::peers::Peer;
use crate::peers::sparse::SPARSE_PEERS;
use crate::sys::BackendKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use rearm_core::{MAX_CAPACITY, SpinPolicy};
use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Write;
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
    /// thread in a condvar's timed wait and tokio intervals), async (two
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

    /// Armed asyncs per loop for --mode wake, comma-separated (1 to 4096).
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

    /// Timers on the loop for --mode timers, comma-separated (1 to 4096 each:
    /// one per slot).
    #[arg(long, value_delimiter = ',', default_value = "1,100,4096", value_parser = parse_timer_count)]
    timers: Vec<usize>,

    /// The timers' period for --mode timers, in µs, comma-separated (10 to
    /// 1,000,000 each).
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000", value_parser = parse_period)]
    periods: Vec<u64>,

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
const FLAGS: [(&str, &str); 24] = [
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
pub enum Work {
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
    /// Sparse arrivals: each mechanism at each gap.
    Sparse(SparseWork),
    /// Mailbox throughput: each carrier with each number of senders.
    Mailbox(MailboxWork),
    /// Timers: each mechanism with each number of timers at each period.
    Timers(TimerWork),
    /// Async ping-pong: each carrier between two tokio runtimes.
    Async(AsyncWork),
    /// A soak of this length, each run with this stall timeout.
    Soak(Duration, Duration),
    /// `driver report`: saved results rendered as tables.
    Report(ReportWork),
}

impl Work {
    /// The `mode` its JSON records carry.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Work::Runs(runs) => runs.first().map_or("pingpong", |(_, mode, _)| mode.name()),
            Work::Peers { .. } => "peers",
            Work::Wake { .. } => "wake",
            Work::Idle(_) => "idle",
            Work::Sparse(_) => "sparse",
            Work::Mailbox(_) => "mailbox",
            Work::Timers(_) => "timers",
            Work::Async(_) => "async",
            Work::Soak(..) => "soak",
            Work::Report(_) => "report",
        }
    }
}

/// `--mode sparse`: what to measure.
#[derive(Debug)]
pub struct SparseWork {
    /// rearm's rows and the peers', in report order.
    pub mechanisms: Vec<Mechanism>,
    /// Gaps between notifications, each steady or jittered.
    pub gaps: Vec<Spacing>,
    /// Notifications per gap; `None`: [`default_count`](crate::bench::sparse::default_count).
    pub count: Option<u64>,
    /// A consumer that receives nothing for this long has stalled.
    pub timeout: Duration,
}

/// `--mode async`: what to measure.
#[derive(Debug)]
pub struct AsyncWork {
    /// Round trips per run.
    pub round_trips: u64,
    /// A run not finished in this long has stalled.
    pub timeout: Duration,
}

/// `--mode timers`: what to measure.
#[derive(Debug)]
pub struct TimerWork {
    /// rearm's rows (one per backend) and the peers', in report order.
    pub mechanisms: Vec<TimerMechanism>,
    /// Timers per run.
    pub counts: Vec<usize>,
    /// Their periods.
    pub periods: Vec<Duration>,
}

/// `--mode mailbox`: what to measure.
#[derive(Debug)]
pub struct MailboxWork {
    /// rearm's rows (one per backend) and the channels', in report order.
    pub carriers: Vec<Carrier>,
    /// Queue sizes, each a block of the report.
    pub capacities: Vec<usize>,
    /// Sender threads per run.
    pub senders: Vec<usize>,
    /// Also request/reply, one block per queue size.
    pub reply: bool,
    /// Messages per run.
    pub messages: u64,
    /// The rearm loop's wait.
    pub policy: SpinPolicy,
    /// A run with no message received for this long has stalled.
    pub timeout: Duration,
    /// Injected faults: rearm's parkers inject them and its receiver
    /// restarts, disarms and panics as it goes (rearm's carriers only).
    pub faults: bool,
}

/// What the command line asked for, validated.
#[derive(Debug)]
pub struct Plan {
    /// The work.
    pub work: Work,
    /// Runs (or rounds) of each configuration.
    pub repeat: u32,
    /// JSON output.
    pub json: bool,
    /// Where to draw the chart.
    pub plot: Option<PathBuf>,
    /// Untimed runs (or rounds) of each configuration before the timed ones.
    pub warmup: u32,
    /// Where to save the run's records (`--save`).
    pub save: Option<PathBuf>,
    /// Saved records to compare each figure with (`--baseline`).
    pub baseline: Option<Saved>,
    /// The command line, for the environment every record carries.
    pub command_line: Vec<String>,
    /// The records made so far, kept for `--save` and `--baseline`.
    pub records: RefCell<Vec<String>>,
}

impl Plan {
    /// Whether the records are kept (for `--save` or `--baseline`).
    pub fn keeps_records(&self) -> bool {
        self.save.is_some() || self.baseline.is_some()
    }

    /// Emits one JSON record: printed to `out` with `--json`, kept for
    /// `--save` and `--baseline`. Made only when one of them wants it.
    pub fn record(&self, out: &mut dyn Write, make: impl FnOnce() -> String) {
        if !self.json && !self.keeps_records() {
            return;
        }
        let line = make();
        if self.json {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
        if self.keeps_records() {
            self.records.borrow_mut().push(line);
        }
    }

    /// Whether round `round` (counted from 0, warm-up first) is a warm-up.
    pub fn warming_up(&self, round: u32) -> bool {
        round < self.warmup
    }

    /// Warm-up and timed rounds together.
    pub fn rounds(&self) -> u32 {
        self.warmup + self.repeat
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
    // The flags typed on the command line (not those left at their defaults).
    let given: Vec<&str> = FLAGS
        .iter()
        .filter(|(id, _)| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|&(_, flag)| flag)
        .collect();
    let backends: Vec<BackendKind> = match args.backend {
        BackendArg::One(kind) => vec![kind],
        BackendArg::All => BackendKind::ALL.to_vec(),
    };
    // A preset, adjusted by --max-spins and --yields.
    let policy = |preset: PolicyArg| {
        let base = preset.policy();
        SpinPolicy {
            max_spins: args.max_spins.unwrap_or(base.max_spins),
            yields: args.yields.unwrap_or(base.yields),
            ..base
        }
    };
    let config = |threads: usize, pings: u64| {
        let mut config = Config::new(threads, pings);
        config.timeout = args.timeout;
        config.hard_exit_after = Some(Duration::from_secs(5));
        config.inject_faults = args.inject_faults;
        config.spin = policy(args.spin_policy.unwrap_or(PolicyArg::Default));
        config
    };
    let work = if let Some(duration) = args.soak {
        refuse_unused(
            "--soak",
            "it cycles through every backend, benchmark and thread count itself",
            &given,
            &["--soak", "--timeout"],
        )?;
        Work::Soak(duration, args.timeout)
    } else if let Some(chosen) = args.peers.as_ref().filter(|_| args.mode != ModeArg::Sparse) {
        if args.mode != ModeArg::Pingpong {
            return Err(conflict(
                "--peers compares the ping-pong, or with --mode sparse the sparse arrivals: it cannot take another --mode",
            ));
        }
        if args.backend == BackendArg::All {
            return Err(conflict(
                "--peers runs rearm on one backend: name it (futex, eventfd, spin or thread), not all",
            ));
        }
        let uses = [&run_flags()[..], &["--peers"]].concat();
        refuse_unused("--peers", "asyncs are for --mode wake", &given, &uses)?;
        // Each peer once, in report order; none named means all of them.
        let peers: Vec<Peer> = Peer::ALL
            .iter()
            .copied()
            .filter(|p| chosen.is_empty() || chosen.contains(p))
            .collect();
        Work::Peers {
            // With "all", rearm is represented by its default backend.
            backend: backends[0],
            peers,
            threads: args.threads.clone(),
            config: config(1, args.pings.unwrap_or(DEFAULT_PEER_PINGS)),
        }
    } else {
        match args.mode {
            ModeArg::Pingpong | ModeArg::Pummel => {
                let (mode, name) = if args.mode == ModeArg::Pingpong {
                    (Mode::PingPong, "--mode pingpong")
                } else {
                    (Mode::Pummel, "--mode pummel")
                };
                refuse_unused(name, "asyncs are for --mode wake", &given, &run_flags())?;
                let pings = args.pings.unwrap_or(DEFAULT_PINGS);
                let mut runs = Vec::new();
                for &backend in &backends {
                    for &threads in &args.threads {
                        runs.push((backend, mode, config(threads, pings)));
                    }
                }
                Work::Runs(runs)
            }
            ModeArg::Wake => {
                refuse_unused(
                    "--mode wake",
                    "it times notify and callback on one thread that parks at once",
                    &given,
                    &[REPORTING, &["--backend", "--asyncs", "--pings", "--plot"]].concat(),
                )?;
                Work::Wake {
                    backends,
                    asyncs: args.asyncs.clone(),
                    rounds: args.pings.unwrap_or(DEFAULT_WAKE_ROUNDS),
                }
            }
            ModeArg::Idle => {
                refuse_unused(
                    "--mode idle",
                    "it times one loop with nothing to do, with the default wait",
                    &given,
                    &[
                        "--mode",
                        "--backend",
                        "--repeat",
                        "--json",
                        "--save",
                        "--baseline",
                    ],
                )?;
                Work::Idle(backends)
            }
            ModeArg::Mailbox => {
                let flags: Vec<&str> = run_flags()
                    .into_iter()
                    .chain(["--capacity", "--reply"])
                    .collect();
                refuse_unused(
                    "--mode mailbox",
                    "its carriers are fixed (rearm's mailboxes, crossbeam, std, flume, kanal, thingbuf)",
                    &given,
                    &flags,
                )?;
                if args.reply && args.inject_faults {
                    return Err(conflict(
                        "--reply does not take --inject-faults (the disrupted receiver \
                         drains a stream; its request/reply server is not written): \
                         leave one out",
                    ));
                }
                let senders = if given.contains(&"--threads") {
                    args.threads.clone()
                } else {
                    vec![1, 2, 4]
                };
                // Faults go into rearm's parkers and receiver: the channels
                // have neither, so they sit out.
                let peers = if args.inject_faults {
                    Vec::new()
                } else {
                    Carrier::PEERS.to_vec()
                };
                let carriers = backends
                    .iter()
                    .flat_map(|&backend| Carrier::rearm(backend))
                    .filter(|carrier| !args.inject_faults || carrier.takes_faults())
                    .chain(peers)
                    .collect();
                Work::Mailbox(MailboxWork {
                    carriers,
                    capacities: args.capacity.clone(),
                    senders,
                    reply: args.reply,
                    messages: args.pings.unwrap_or(mailbox::DEFAULT_MESSAGES),
                    policy: policy(args.spin_policy.unwrap_or(PolicyArg::Default)),
                    timeout: args.timeout,
                    faults: args.inject_faults,
                })
            }
            ModeArg::Async => {
                refuse_unused(
                    "--mode async",
                    "two tokio runtimes pass one value back and forth through each carrier",
                    &given,
                    &[REPORTING, &["--pings", "--timeout"]].concat(),
                )?;
                Work::Async(AsyncWork {
                    round_trips: args
                        .pings
                        .unwrap_or(crate::bench::async_pingpong::DEFAULT_ROUND_TRIPS),
                    timeout: args.timeout,
                })
            }
            ModeArg::Timers => {
                refuse_unused(
                    "--mode timers",
                    "one loop runs its timers with the default wait, beside std and tokio",
                    &given,
                    &[REPORTING, &["--backend", "--timers", "--periods"]].concat(),
                )?;
                if backends.contains(&BackendKind::Spin) && args.backend != BackendArg::All {
                    return Err(conflict(
                        "--mode timers: the spin backend's parker has no clock, so it runs no                          timers; name futex, eventfd or thread",
                    ));
                }
                // "all": every backend whose parker has a clock.
                let mechanisms = backends
                    .iter()
                    .filter(|&&b| b != BackendKind::Spin)
                    .map(|&b| TimerMechanism::Rearm(b))
                    .chain(TimerMechanism::PEERS)
                    .collect();
                Work::Timers(TimerWork {
                    mechanisms,
                    counts: args.timers.clone(),
                    periods: args
                        .periods
                        .iter()
                        .map(|&us| Duration::from_micros(us))
                        .collect(),
                })
            }
            ModeArg::Sparse => {
                // A ping-pong run's flags but the thread count and the faults,
                // and the peers and gaps.
                let sparse_flags: Vec<&str> = run_flags()
                    .into_iter()
                    .filter(|flag| !["--threads", "--inject-faults"].contains(flag))
                    .chain(["--peers", "--gaps", "--arrivals"])
                    .collect();
                refuse_unused(
                    "--mode sparse",
                    "one producer notifies one loop; it runs no ping-pong and injects no faults",
                    &given,
                    &sparse_flags,
                )?;
                let presets = match args.spin_policy {
                    Some(preset) => vec![preset],
                    None => vec![PolicyArg::Default, PolicyArg::LowLatency],
                };
                // Every backend unless one is named; the low-latency row on the first
                // backend only: it shows what the cap costs and saves.
                let backends = if given.contains(&"--backend") {
                    backends
                } else {
                    BackendKind::ALL.to_vec()
                };
                let mut mechanisms = Vec::new();
                for (i, &preset) in presets.iter().enumerate() {
                    for &backend in backends.iter().take(if i == 0 { usize::MAX } else { 1 }) {
                        mechanisms.push(Mechanism::Rearm {
                            backend,
                            policy_name: preset.name(),
                            policy: policy(preset),
                            mailbox: false,
                            predict: false,
                        });
                    }
                }
                // The first preset, predicting steady arrivals, on the first
                // backend: what the prediction gains and costs.
                mechanisms.push(Mechanism::Rearm {
                    backend: backends[0],
                    policy_name: presets[0].name(),
                    policy: policy(presets[0]),
                    mailbox: false,
                    predict: true,
                });
                // The first preset again with a value carried through a
                // mailbox, on every backend: what a mailbox adds to a wake.
                for &backend in &backends {
                    mechanisms.push(Mechanism::Rearm {
                        backend,
                        policy_name: presets[0].name(),
                        policy: policy(presets[0]),
                        mailbox: true,
                        predict: false,
                    });
                }
                let chosen = args.peers.clone().unwrap_or_default();
                for peer in SPARSE_PEERS {
                    if chosen.is_empty() || chosen.contains(&peer) {
                        mechanisms.push(Mechanism::Peer(peer));
                    }
                }
                if let Some(other) = chosen.iter().find(|p| !SPARSE_PEERS.contains(p)) {
                    return Err(conflict(&format!(
                        "--mode sparse: {} has no sparse form (it never sleeps); the sparse peers are {}",
                        other.key(),
                        SPARSE_PEERS.map(Peer::key).join(", ")
                    )));
                }
                Work::Sparse(SparseWork {
                    mechanisms,
                    gaps: args
                        .arrivals
                        .iter()
                        .flat_map(|&arrivals| {
                            args.gaps.iter().map(move |&us| Spacing {
                                gap: Duration::from_micros(us),
                                jitter: arrivals == ArrivalsArg::Jittered,
                            })
                        })
                        .collect(),
                    count: args.pings,
                    timeout: args.timeout,
                })
            }
        }
    };
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
