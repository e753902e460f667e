//! Peers: the same `asyncN` ping-pong over other wakeup contenders, so rearm is
//! compared with what people would otherwise use, on the same machine, in the
//! same run. Peers live here, never in the core.
//!
//! Every peer follows libuv's protocol: the worker kicks main; each side's
//! handler counts `seen`, notifies the other, counts `sent`, and stops after
//! sending the asked-for number of pings. The worker's last reply is ignored by
//! main. Every run checks that all four counters of every context equal N.

pub(crate) mod async_channels;
pub mod bounded;
mod channels;
mod eventfd_epoll;
mod flags;
#[cfg(feature = "libuv")]
pub(crate) mod libuv;
mod mio_waker;
pub mod sparse;
pub mod timers;
mod tokio_notify;

use crate::harness::{CpuUse, Gate, PingCounters, Stopwatch};
use std::fmt;
use std::thread;
use std::time::Duration;

/// A wakeup contender other than rearm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Busy-spinning on an atomic per direction: the hardware's floor when every
    /// thread has a CPU of its own, and a disaster when not.
    BusySpin,
    /// Busy-spinning, yielding the CPU after every empty look: the floor when
    /// threads share CPUs.
    SpinYield,
    /// `std::thread::park` / `Thread::unpark` with an atomic mailbox.
    StdPark,
    /// `std::sync::mpsc` channels (blocking `recv`).
    StdMpsc,
    /// `crossbeam-channel` (spins with backoff, then blocks).
    Crossbeam,
    /// `tokio::sync::Notify` with a current-thread runtime per thread.
    TokioNotify,
    /// A `mio::Waker` per thread's `Poll` and an atomic mailbox per context.
    MioWaker,
    /// Raw eventfd + epoll, always sleeping: what libuv and libxev do on Linux.
    EventfdEpoll,
    /// libuv's `uv_async_t` itself (only with the `libuv` feature).
    #[cfg(feature = "libuv")]
    Libuv,
}

impl Peer {
    /// Every peer, in report order.
    pub const ALL: &'static [Peer] = &[
        Peer::BusySpin,
        Peer::SpinYield,
        Peer::StdPark,
        Peer::StdMpsc,
        Peer::Crossbeam,
        Peer::TokioNotify,
        Peer::MioWaker,
        Peer::EventfdEpoll,
        #[cfg(feature = "libuv")]
        Peer::Libuv,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Peer::BusySpin => "busy-spin",
            Peer::SpinYield => "spin+yield",
            Peer::StdPark => "std park",
            Peer::StdMpsc => "std mpsc",
            Peer::Crossbeam => "crossbeam",
            Peer::TokioNotify => "tokio Notify",
            Peer::MioWaker => "mio Waker",
            Peer::EventfdEpoll => "eventfd+epoll",
            #[cfg(feature = "libuv")]
            Peer::Libuv => "libuv",
        }
    }

    /// Its name on the command line (`--peers=std-park,crossbeam`).
    pub fn key(self) -> &'static str {
        match self {
            Peer::BusySpin => "busy-spin",
            Peer::SpinYield => "spin-yield",
            Peer::StdPark => "std-park",
            Peer::StdMpsc => "std-mpsc",
            Peer::Crossbeam => "crossbeam",
            Peer::TokioNotify => "tokio-notify",
            Peer::MioWaker => "mio-waker",
            Peer::EventfdEpoll => "eventfd-epoll",
            #[cfg(feature = "libuv")]
            Peer::Libuv => "libuv",
        }
    }

    /// The peer whose [`key`](Self::key) is `key`, among those built in.
    ///
    /// ```
    /// use driver::peers::Peer;
    /// assert_eq!(Peer::from_key("std-park"), Some(Peer::StdPark));
    /// assert_eq!(Peer::from_key("std park"), None);
    /// ```
    pub fn from_key(key: &str) -> Option<Peer> {
        Peer::ALL.iter().copied().find(|p| p.key() == key)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One peer run, measured and checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeerReport {
    /// Which peer.
    pub peer: Peer,
    /// Contexts.
    pub threads: usize,
    /// Pings per context.
    pub pings: u64,
    /// From after every thread was ready to after all were joined.
    pub elapsed: Duration,
    /// CPU of the whole process over that time.
    pub cpu: CpuUse,
}

impl PeerReport {
    /// Pings per second per context, as libuv reports.
    pub fn rate(&self) -> f64 {
        self.pings as f64 / self.elapsed.as_secs_f64()
    }
}

/// Why a peer run has no result.
#[derive(Debug)]
pub enum PeerError {
    /// It could not be set up (a runtime, an eventfd...).
    Setup(String),
    /// It finished with counters other than N.
    Violation(String),
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Setup(e) => write!(f, "setup failed: {e}"),
            PeerError::Violation(e) => write!(f, "invariant violated: {e}"),
        }
    }
}

impl std::error::Error for PeerError {}

/// Runs `peer` with `threads` contexts of `pings` pings.
pub fn run(peer: Peer, threads: usize, pings: u64) -> Result<PeerReport, PeerError> {
    if threads == 0 || pings == 0 {
        return Err(PeerError::Setup(
            "threads and pings must be positive".into(),
        ));
    }
    let contexts: Vec<PingCounters> = (0..threads).map(|_| PingCounters::default()).collect();
    let (elapsed, cpu) = match peer {
        Peer::BusySpin => flags::run(&contexts, pings, flags::Wait::Spin),
        Peer::SpinYield => flags::run(&contexts, pings, flags::Wait::Yield),
        Peer::StdPark => flags::run(&contexts, pings, flags::Wait::Park),
        Peer::StdMpsc => channels::run_std(&contexts, pings),
        Peer::Crossbeam => channels::run_crossbeam(&contexts, pings),
        Peer::TokioNotify => tokio_notify::run(&contexts, pings)?,
        Peer::MioWaker => mio_waker::run(&contexts, pings)?,
        Peer::EventfdEpoll => eventfd_epoll::run(&contexts, pings)?,
        #[cfg(feature = "libuv")]
        Peer::Libuv => libuv::run(&contexts, pings)?,
    };
    for (i, c) in contexts.iter().enumerate() {
        let counts = c.all();
        if counts != [pings; 4] {
            return Err(PeerError::Violation(format!(
                "{peer}, context {i}: main sent/seen, worker sent/seen = {counts:?}, expected {pings} each"
            )));
        }
    }
    Ok(PeerReport {
        peer,
        threads,
        pings,
        elapsed,
        cpu,
    })
}

/// Starts one worker per context, waits until each called its `ready`, runs
/// `main` (timed), joins. Worker and main bodies set themselves up before
/// `ready` / before being called, so setup stays out of the timed region.
pub(crate) fn timed<W, M>(contexts: usize, worker: W, main: M) -> (Duration, CpuUse)
where
    W: Fn(usize, &dyn Fn()) + Sync,
    M: FnOnce(),
{
    let gate = Gate::default();
    thread::scope(|s| {
        let handles: Vec<_> = (0..contexts)
            .map(|i| {
                let (gate, worker) = (&gate, &worker);
                s.spawn(move || {
                    worker(i, &|| {
                        gate.arrive_and_wait();
                    })
                })
            })
            .collect();
        gate.wait_for(contexts);
        let stopwatch = Stopwatch::start();
        gate.open(true);
        main();
        for h in handles {
            if let Err(payload) = h.join() {
                std::panic::resume_unwind(payload);
            }
        }
        let timed = stopwatch.stop();
        (timed.elapsed, timed.cpu)
    })
}
