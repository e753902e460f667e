//! The benchmarks: `asyncN` ping-pong and `async_pummel_N`, each checked on every
//! run, each watched for stalls.

pub mod async_pingpong;
pub mod idle;
pub mod mailbox;
mod pingpong;
mod pummel;
mod skeleton;
pub mod sparse;
pub mod timers;
pub mod wake_cost;

pub use pingpong::ContextReport;
pub use pummel::PummelReport;

use crate::harness::CpuUse;
use crate::sys::{self, Backend, BackendKind, OnBackend, Syscalls};
use rearm_core::{SpinPolicy, WaitCounts};
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Contexts one run can hold: the main loop's capacity.
pub const MAX_THREADS: usize = 64;

/// Most pings (or pummel callbacks) one run may ask for: beyond this a run takes
/// days, which is a typo, not a benchmark.
pub const MAX_PINGS: u64 = 1_000_000_000_000;

/// Which benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `asyncN`: N contexts, each a worker thread with its own loop playing
    /// ping-pong with the main loop.
    PingPong,
    /// `async_pummel_N`: N threads notify one async as fast as they can until the
    /// loop has run the asked-for number of callbacks.
    Pummel,
}

impl Mode {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::PingPong => "pingpong",
            Mode::Pummel => "pummel",
        }
    }

    /// The libuv name of a run with `threads` threads: `async4`, `async_pummel_2`.
    pub fn label(self, threads: usize) -> String {
        match self {
            Mode::PingPong => format!("async{threads}"),
            Mode::Pummel => format!("async_pummel_{threads}"),
        }
    }
}

/// Called at the start of every thread a run uses (main included), before the
/// timed region: lets a test find the threads (to signal them, say).
pub type ThreadHook = Arc<dyn Fn() + Send + Sync>;

/// What to run.
#[derive(Clone)]
pub struct Config {
    /// Contexts (ping-pong) or notifying threads (pummel), 1 to [`MAX_THREADS`].
    pub threads: usize,
    /// Pings per context (ping-pong) or callbacks to run (pummel), 1 to
    /// [`MAX_PINGS`].
    pub pings: u64,
    /// A run that makes no progress for this long is stopped and reported.
    pub timeout: Duration,
    /// If the threads of a stopped run have not returned this long after the
    /// stop, the process prints what it knows and exits with status 3. `None`
    /// (for tests) waits for them.
    pub hard_exit_after: Option<Duration>,
    /// The spin policy of every loop.
    pub spin: SpinPolicy,
    /// See [`ThreadHook`].
    pub thread_hook: Option<ThreadHook>,
    /// Run every parker inside a [`FaultyPark`](crate::sys::FaultyPark).
    pub inject_faults: bool,
}

impl Config {
    /// `threads` contexts of `pings` pings, a 30 s stall timeout, the default
    /// spin policy.
    pub fn new(threads: usize, pings: u64) -> Config {
        Config {
            threads,
            pings,
            timeout: Duration::from_secs(30),
            hard_exit_after: None,
            spin: SpinPolicy::default(),
            thread_hook: None,
            inject_faults: false,
        }
    }

    /// Refuses values a run cannot honour.
    pub fn validate(&self) -> Result<(), BenchError> {
        let bad = |what: String| Err(BenchError::Config(what));
        if self.threads == 0 || self.threads > MAX_THREADS {
            return bad(format!(
                "threads must be between 1 and {MAX_THREADS} (the main loop's capacity), not {}",
                self.threads
            ));
        }
        if self.pings == 0 || self.pings > MAX_PINGS {
            return bad(format!(
                "pings must be between 1 and {MAX_PINGS}, not {}",
                self.pings
            ));
        }
        if self.timeout.is_zero() {
            return bad("the stall timeout must be positive".into());
        }
        Ok(())
    }

    fn call_hook(&self) {
        if let Some(hook) = &self.thread_hook {
            hook();
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("threads", &self.threads)
            .field("pings", &self.pings)
            .field("timeout", &self.timeout)
            .field("hard_exit_after", &self.hard_exit_after)
            .field("spin", &self.spin)
            .field("thread_hook", &self.thread_hook.is_some())
            .field("inject_faults", &self.inject_faults)
            .finish()
    }
}

/// What was measured over a run's timed region: from after every thread was
/// started and ready to after all were joined.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// Wall-clock time.
    pub elapsed: Duration,
    /// CPU time of the whole process.
    pub cpu: CpuUse,
    /// Syscalls made by the parkers.
    pub syscalls: Syscalls,
    /// Allocations, when the counting allocator is installed.
    pub allocations: Option<u64>,
}

/// One run, measured and checked.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The parker.
    pub backend: BackendKind,
    /// The benchmark.
    pub mode: Mode,
    /// Contexts or notifying threads.
    pub threads: usize,
    /// Pings per context, or callbacks.
    pub pings: u64,
    /// The timed region.
    pub measure: Measure,
    /// How the main loop's waits ended.
    pub main_waits: WaitCounts,
    /// Benchmark-specific counters.
    pub detail: Detail,
}

/// The counters of one benchmark.
#[derive(Clone, Debug)]
pub enum Detail {
    /// Per context.
    PingPong(Vec<ContextReport>),
    /// The one pummelled async.
    Pummel(PummelReport),
}

impl RunReport {
    /// The libuv-style name: `async1`, `async_pummel_2`.
    pub fn label(&self) -> String {
        self.mode.label(self.threads)
    }

    /// Pings per second per context (ping-pong), callbacks per second (pummel).
    pub fn rate(&self) -> f64 {
        self.pings as f64 / self.measure.elapsed.as_secs_f64()
    }

    /// The unit events a per-event figure divides by: every ping of every
    /// context, or every callback.
    pub fn events(&self) -> u64 {
        match self.mode {
            Mode::PingPong => self.pings * self.threads as u64,
            Mode::Pummel => self.pings,
        }
    }

    /// CPU microseconds per event, user and system.
    pub fn cpu_us_per_event(&self) -> (f64, f64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.events() as f64;
        (per(self.measure.cpu.user), per(self.measure.cpu.system))
    }

    /// Parker syscalls per event, all kinds.
    pub fn syscalls_per_event(&self) -> f64 {
        self.measure.syscalls.total() as f64 / self.events() as f64
    }

    /// Parker syscalls per event that sleep or wake a thread (futex, epoll,
    /// eventfd), leaving out yields.
    pub fn sleep_wake_per_event(&self) -> f64 {
        self.measure.syscalls.sleep_wake as f64 / self.events() as f64
    }
}

/// Why a run has no trustworthy result.
#[derive(Debug)]
pub enum BenchError {
    /// The configuration was refused before any thread started.
    Config(String),
    /// A parker or thread could not be set up.
    Setup(io::Error),
    /// No progress for the timeout: what every context and loop had done.
    Stalled {
        /// The stall timeout.
        after: Duration,
        /// Counters and ledgers at the moment the stall was declared.
        snapshot: String,
    },
    /// A thread panicked (a callback, or the harness itself).
    Panicked {
        /// Which thread.
        thread: String,
        /// The panic message.
        message: String,
    },
    /// The run finished but its counters break the benchmark's invariant.
    Violation {
        /// Each broken rule, with the numbers.
        problems: Vec<String>,
        /// Everything measured.
        report: Box<RunReport>,
    },
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Config(what) => write!(f, "invalid configuration: {what}"),
            BenchError::Setup(e) => write!(f, "setup failed: {e}"),
            BenchError::Stalled { after, snapshot } => write!(
                f,
                "stalled: no progress for {:.1} s\n{snapshot}",
                after.as_secs_f64()
            ),
            BenchError::Panicked { thread, message } => {
                write!(f, "thread '{thread}' panicked: {message}")
            }
            BenchError::Violation { problems, report } => {
                write!(
                    f,
                    "{} on {}: invariant violated:",
                    report.label(),
                    report.backend
                )?;
                for problem in problems {
                    write!(f, "\n  {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for BenchError {}

impl From<io::Error> for BenchError {
    fn from(e: io::Error) -> Self {
        BenchError::Setup(e)
    }
}

impl From<rearm_core::Error> for BenchError {
    fn from(e: rearm_core::Error) -> Self {
        BenchError::Config(e.to_string())
    }
}

/// Runs one benchmark on one backend (inside a fault-injecting wrapper if the
/// config asks for it).
pub fn run(backend: BackendKind, mode: Mode, config: &Config) -> Result<RunReport, BenchError> {
    struct Bench<'a>(Mode, &'a Config);
    impl OnBackend for Bench<'_> {
        type Output = Result<RunReport, BenchError>;
        fn run<B: Backend>(self) -> Self::Output {
            run_on::<B>(self.0, self.1)
        }
    }
    sys::dispatch(backend, config.inject_faults, Bench(mode, config))
}

/// Runs one benchmark on the parker `B` (any [`Backend`], including one a test
/// defines).
pub fn run_on<B: Backend>(mode: Mode, config: &Config) -> Result<RunReport, BenchError> {
    config.validate()?;
    match mode {
        Mode::PingPong => pingpong::run::<B>(config),
        Mode::Pummel => pummel::run::<B>(config),
    }
}

/// Times the wake cost with `asyncs` armed asyncs on one backend; see
/// [`wake_cost::run`].
pub fn wake_cost_on(
    backend: BackendKind,
    asyncs: usize,
    rounds: u64,
) -> Result<wake_cost::WakeCost, BenchError> {
    struct Wake(usize, u64);
    impl OnBackend for Wake {
        type Output = io::Result<Option<wake_cost::WakeCost>>;
        fn run<B: Backend>(self) -> Self::Output {
            wake_cost::run::<B>(self.0, self.1)
        }
    }
    let cost = sys::dispatch(backend, false, Wake(asyncs, rounds))?;
    cost.ok_or_else(|| {
        BenchError::Config(format!(
            "{asyncs} asyncs and {rounds} rounds: out of range, or callbacks went missing"
        ))
    })
}

/// Measures an idle loop on one backend; see [`idle::run`].
pub fn idle_on(
    backend: BackendKind,
    spin: SpinPolicy,
    settle: Duration,
    window: Duration,
    watch: idle::StopWatch,
) -> Result<idle::Idle, BenchError> {
    struct Idle(SpinPolicy, Duration, Duration, idle::StopWatch);
    impl OnBackend for Idle {
        type Output = Result<idle::Idle, BenchError>;
        fn run<B: Backend>(self) -> Self::Output {
            idle::run::<B>(self.0, self.1, self.2, self.3)
        }
    }
    sys::dispatch(backend, false, Idle(spin, settle, window, watch))
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
