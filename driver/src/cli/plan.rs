//! What a command line asks for, once validated: the [`Work`] and how to
//! run and report it ([`Plan`]).

use crate::bench::mailbox::MailboxContender;
use crate::bench::sparse::SparseContender;
use crate::bench::timers::TimerContender;
use crate::bench::{Config, Mode};
use crate::cli::render::ReportWork;
use crate::cli::saved::Saved;
use crate::harness::arrivals::Spacing;
use crate::peers::Peer;
use crate::sys::BackendKind;
use rearm_core::SpinPolicy;
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Sparse arrivals: each contender at each gap.
    Sparse(SparseWork),
    /// Mailbox throughput: each contender with each number of senders.
    Mailbox(MailboxWork),
    /// Timers: each contender with each number of timers at each period.
    Timers(TimerWork),
    /// Async ping-pong: each contender between two tokio runtimes.
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
    pub contenders: Vec<SparseContender>,
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
    pub contenders: Vec<TimerContender>,
    /// Timers per run.
    pub counts: Vec<usize>,
    /// Their periods.
    pub periods: Vec<Duration>,
}

/// `--mode mailbox`: what to measure.
#[derive(Debug)]
pub struct MailboxWork {
    /// rearm's rows (one per backend) and the channels', in report order.
    pub contenders: Vec<MailboxContender>,
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
    /// restarts, disarms and panics as it goes (rearm's contenders only).
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
