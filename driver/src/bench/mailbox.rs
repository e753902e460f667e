//! Mailbox throughput: M sender threads send as fast as they can into one
//! loop's mailbox until it has received every message, beside the same
//! traffic through crossbeam-channel's bounded channel and std's
//! `sync_channel`, each of the same capacity. Every run checks that each
//! message arrived once and in its sender's order, and for rearm that the
//! mailbox's counts agree with what senders and receiver saw.

mod disrupted;
pub mod reply;
pub mod signal;

use crate::harness::{CpuUse, Gate, Stopwatch, WatchdogConfig};
use crate::peers::bounded::{self, Bounded, Tried};
use crate::sys::{self, Backend, BackendKind, OnBackend};
use rearm_core::mailbox::{
    Mailbox, MailboxCounts, Notifier, OneReceiver, OneSenderMailbox, TrySendError,
};
use rearm_core::{Action, Exit, HandlerRunner, Loop, Notified, RunMode, SpinPolicy};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

/// Queue sizes a run may ask for: rearm's mailboxes are sized at compile
/// time, and these are built. The channels take any size.
pub const CAPACITIES: [usize; 2] = [64, 1024];

/// A run on rearm's mailboxes, whose size is a constant: [`BySize`] turns
/// the size asked for at run time (one of [`CAPACITIES`]) into one.
trait OnCapacity {
    /// The size asked for.
    fn capacity(&self) -> usize;

    /// The run, on parkers `B` and mailboxes of `N`.
    fn run_sized<B: Backend, const N: usize>(self) -> Result<MailPoint, String>;
}

/// A run on rearm's mailboxes, dispatched first on the backend
/// ([`sys::dispatch`]) and then on the size.
struct BySize<T>(T);

impl<T: OnCapacity> OnBackend for BySize<T> {
    type Output = Result<MailPoint, String>;

    fn run<B: Backend>(self) -> Self::Output {
        // One arm per entry of CAPACITIES.
        match self.0.capacity() {
            64 => self.0.run_sized::<B, 64>(),
            1024 => self.0.run_sized::<B, 1024>(),
            other => Err(format!(
                "no mailbox of {other} is built (sizes: {CAPACITIES:?})"
            )),
        }
    }
}

/// The queue size when none is asked for.
pub const DEFAULT_CAPACITY: usize = 1024;

/// How many messages the deferring sender enqueues between flushes: a
/// burst well under the capacity, so the loop drains one burst while the
/// next is enqueued.
pub const DEFERRED_BURST: u64 = 64;

/// Messages per run when none are asked for: libuv's million.
pub const DEFAULT_MESSAGES: u64 = 1_000_000;

/// A message's sender lives in its top bits, its sequence number below.
const SEQ_BITS: u32 = 40;

/// The watchdog's message to a receiver blocked on a stalled channel: no
/// sender's message (senders are far fewer than 2^24).
const STOP: u64 = u64::MAX;

/// What carries the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxContender {
    /// A rearm mailbox on a loop sleeping through this backend.
    Rearm(BackendKind),
    /// A rearm one-sender mailbox on a loop sleeping through this backend:
    /// measured only with one sender.
    RearmOneSender(BackendKind),
    /// The same, its sender deferring each send and flushing every
    /// [`DEFERRED_BURST`] messages: a producer that hands over bursts.
    RearmOneSenderDeferred(BackendKind),
    /// A rearm mailbox without a loop: its receiver blocks in `recv` on a
    /// `Signal` of this backend's parker, as a channel's receiver does.
    RearmRecv(BackendKind),
    /// `crossbeam_channel::bounded`.
    Crossbeam,
    /// `std::sync::mpsc::sync_channel`.
    StdSync,
    /// `flume::bounded`.
    Flume,
    /// `kanal::bounded`.
    Kanal,
    /// `thingbuf::mpsc::blocking::channel`.
    Thingbuf,
}

impl MailboxContender {
    /// The channels rearm's mailboxes are measured beside, crossbeam's first
    /// (the ratios are to it).
    pub const PEERS: [MailboxContender; 5] = [
        MailboxContender::Crossbeam,
        MailboxContender::StdSync,
        MailboxContender::Flume,
        MailboxContender::Kanal,
        MailboxContender::Thingbuf,
    ];

    /// rearm's contenders on `backend`: its two mailboxes drained by a loop,
    /// the one-sender mailbox sending deferred, and the mailbox received by
    /// a thread blocking in `recv`.
    pub fn rearm(backend: BackendKind) -> [MailboxContender; 4] {
        [
            MailboxContender::Rearm(backend),
            MailboxContender::RearmOneSender(backend),
            MailboxContender::RearmOneSenderDeferred(backend),
            MailboxContender::RearmRecv(backend),
        ]
    }

    /// Its name in JSON.
    pub fn key(self) -> &'static str {
        match self {
            MailboxContender::Rearm(_) => "rearm",
            MailboxContender::RearmOneSender(_) => "rearm-one-sender",
            MailboxContender::RearmOneSenderDeferred(_) => "rearm-one-sender-deferred",
            MailboxContender::RearmRecv(_) => "rearm-recv",
            MailboxContender::Crossbeam => "crossbeam",
            MailboxContender::StdSync => "std-sync-channel",
            MailboxContender::Flume => "flume",
            MailboxContender::Kanal => "kanal",
            MailboxContender::Thingbuf => "thingbuf",
        }
    }

    /// The backend its loop sleeps through, if it is rearm's.
    pub fn backend(self) -> Option<BackendKind> {
        match self {
            MailboxContender::Rearm(backend)
            | MailboxContender::RearmOneSender(backend)
            | MailboxContender::RearmOneSenderDeferred(backend)
            | MailboxContender::RearmRecv(backend) => Some(backend),
            MailboxContender::Crossbeam
            | MailboxContender::StdSync
            | MailboxContender::Flume
            | MailboxContender::Kanal
            | MailboxContender::Thingbuf => None,
        }
    }

    /// Whether it carries messages from `senders` threads: the one-sender
    /// mailbox takes one.
    pub fn takes(self, senders: usize) -> bool {
        !self.one_sender() || senders == 1
    }

    /// Whether it can run with injected faults: a loop's mailboxes can (the
    /// faults go into the loop's parker and its receiver); a mailbox
    /// received without a loop, like the channels, has neither.
    pub fn takes_faults(self) -> bool {
        matches!(
            self,
            MailboxContender::Rearm(_)
                | MailboxContender::RearmOneSender(_)
                | MailboxContender::RearmOneSenderDeferred(_)
        )
    }

    /// Whether it takes part in request/reply: a deferring sender does not
    /// (its client sends one value at a time).
    pub fn answers(self) -> bool {
        !matches!(self, MailboxContender::RearmOneSenderDeferred(_))
    }

    fn one_sender(self) -> bool {
        matches!(
            self,
            MailboxContender::RearmOneSender(_) | MailboxContender::RearmOneSenderDeferred(_)
        )
    }
}

impl fmt::Display for MailboxContender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailboxContender::Rearm(backend) => write!(f, "rearm mailbox ({backend})"),
            MailboxContender::RearmOneSender(backend) => {
                write!(f, "rearm one-sender mailbox ({backend})")
            }
            MailboxContender::RearmOneSenderDeferred(backend) => write!(
                f,
                "rearm one-sender mailbox, flushed every {DEFERRED_BURST} ({backend})"
            ),
            MailboxContender::RearmRecv(backend) => {
                write!(f, "rearm mailbox, blocking recv ({backend})")
            }
            MailboxContender::Crossbeam => f.write_str("crossbeam bounded"),
            MailboxContender::StdSync => f.write_str("std sync_channel"),
            MailboxContender::Flume => f.write_str("flume bounded"),
            MailboxContender::Kanal => f.write_str("kanal bounded"),
            MailboxContender::Thingbuf => f.write_str("thingbuf blocking"),
        }
    }
}

/// One run's measurements, its checks passed.
#[derive(Clone, Copy, Debug)]
pub struct MailPoint {
    /// Messages the queue held at most.
    pub capacity: usize,
    /// Sender threads (one client, for request/reply).
    pub senders: usize,
    /// Request/reply: `messages` counts round trips, each a value sent and
    /// the same value sent back ([`reply::measure`]).
    pub reply: bool,
    /// Messages received (every one sent).
    pub messages: u64,
    /// From the senders' start to the last message received.
    pub elapsed: Duration,
    /// The whole process's CPU time over that region.
    pub cpu: CpuUse,
    /// Allocations in that region, when the counting allocator is installed.
    pub allocations: Option<u64>,
    /// Sends that found the queue full: each refused try of a rearm
    /// sender, each `try_send` of a channel sender that then blocked.
    pub full: u64,
    /// Times the receiver ran: rearm's callbacks (each drains a batch); for
    /// the channels, one per message.
    pub receiver_runs: u64,
}

impl MailPoint {
    /// Messages per run of the receiver.
    pub fn batch(&self) -> f64 {
        self.messages as f64 / self.receiver_runs.max(1) as f64
    }

    /// Messages per second.
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU (every thread's) per message, in nanoseconds.
    pub fn cpu_ns_per_message(&self) -> f64 {
        self.cpu.total().as_nanos() as f64 / self.messages as f64
    }
}

/// The messages sender `i` of `senders` sends: an even share, the first
/// ones taking the remainder.
fn share(messages: u64, senders: usize, i: usize) -> u64 {
    let n = senders as u64;
    messages / n + u64::from((i as u64) < messages % n)
}

/// What a send did.
enum Sent {
    /// In the queue at the first try.
    Ok,
    /// In the queue after this many tries found it full.
    AfterFull(u64),
    /// The receiver is gone (the run was stopped): stop sending.
    Closed,
}

/// The receiver's check: every message once, each sender's in order.
struct Tally {
    next: Vec<u64>,
    received: u64,
    expected: u64,
    problem: Option<String>,
}

impl Tally {
    fn new(senders: usize, expected: u64) -> Self {
        Tally {
            next: vec![0; senders],
            received: 0,
            expected,
            problem: None,
        }
    }

    /// Records one message; whether more are to come.
    fn take(&mut self, message: u64) -> bool {
        let (sender, seq) = (
            (message >> SEQ_BITS) as usize,
            message & ((1 << SEQ_BITS) - 1),
        );
        match self.next.get_mut(sender) {
            Some(next) if *next == seq => *next += 1,
            _ => {
                self.problem.get_or_insert_with(|| {
                    format!("message {seq} of sender {sender} arrived out of order or unknown")
                });
            }
        }
        self.received += 1;
        self.received < self.expected
    }

    fn done(&self) -> bool {
        self.received >= self.expected
    }
}

/// Runs `senders` threads, each calling the send `sender(i)` made for it
/// (before the timed region) for its share of `messages`, and `receive` on
/// this thread, timed from the senders' start until `receive` returns.
/// `receive` gets the tally and a progress counter a watchdog reads; the
/// watchdog calls `stall` when it sees no progress for `timeout`, after which
/// senders stop at their next full queue.
fn timed_run<S: FnMut(u64, &AtomicBool) -> Sent>(
    capacity: usize,
    senders: usize,
    messages: u64,
    timeout: Duration,
    sender: &(dyn Fn(usize) -> S + Sync),
    receive: &mut dyn FnMut(&mut Tally, &AtomicU64),
    stall: &(dyn Fn() + Sync),
) -> Result<MailPoint, String> {
    let gate = Gate::default();
    let stopped = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let progress = AtomicU64::new(0);
    let mut tally = Tally::new(senders, messages);
    // The harness's watchdog: one context, whose progress is the count
    // received. On a stall it gives senders up and stops the receiver.
    let (progress_ref, stopped_ref) = (&progress, &stopped);
    let watch_progress = move |_: usize| {
        // Relaxed: a progress count orders nothing.
        Some(progress_ref.load(Ordering::Relaxed))
    };
    let describe = move || {
        let received = progress_ref.load(Ordering::Relaxed);
        format!("{received} of {messages} received")
    };
    let stop_all = move || {
        // Relaxed: a flag senders give up on, ordering nothing.
        stopped_ref.store(true, Ordering::Relaxed);
        stall();
    };
    let watchdog = WatchdogConfig {
        progress: &watch_progress,
        contexts: 1,
        describe: &describe,
        stop_all: &stop_all,
        done: &finished,
        timeout,
        hard_exit_after: None,
    };
    // Allocated here, before the timed region the watchdog runs in.
    let last = Vec::with_capacity(1);
    let (timed, full, stalled) = thread::scope(|s| {
        let threads: Vec<_> = (0..senders)
            .map(|i| {
                let (gate, stopped) = (&gate, &stopped);
                s.spawn(move || {
                    let mut full = 0;
                    let mut send = sender(i);
                    if !gate.arrive_and_wait() {
                        return full;
                    }
                    for seq in 0..share(messages, senders, i) {
                        match send((i as u64) << SEQ_BITS | seq, stopped) {
                            Sent::Ok => {}
                            Sent::AfterFull(tries) => full += tries,
                            Sent::Closed => break,
                        }
                    }
                    full
                })
            })
            .collect();
        let watchdog = s.spawn(|| watchdog.watch(last));
        gate.wait_for(senders);
        let stopwatch = Stopwatch::start();
        gate.open(true);
        receive(&mut tally, &progress);
        let timed = stopwatch.stop();
        // Release pairs with the watchdog's Acquire of `done`.
        finished.store(true, Ordering::Release);
        // Release: a sender still retrying a full queue gives up, and a
        // request/reply client that sees the flag (Acquire) also sees the
        // last reply `receive` sent before returning.
        stopped.store(true, Ordering::Release);
        watchdog.thread().unpark();
        let full: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
        let stalled = watchdog.join().unwrap_or(None);
        (timed, full, stalled)
    });
    if let Some(snapshot) = stalled.filter(|_| !tally.done()) {
        return Err(format!(
            "stalled: no message for {} s, {snapshot}",
            timeout.as_secs_f64()
        ));
    }
    if !tally.done() {
        return Err(format!(
            "the receiver returned with {} of {messages} received",
            tally.received
        ));
    }
    if let Some(problem) = tally.problem.take() {
        return Err(problem);
    }
    Ok(MailPoint {
        capacity,
        senders,
        reply: false,
        messages: tally.received,
        elapsed: timed.elapsed,
        cpu: timed.cpu,
        allocations: timed.allocations,
        full,
        receiver_runs: tally.received,
    })
}

/// Measures `contender` with `senders` threads and `messages` messages; the
/// rearm loop waits per `policy`. A run without progress for `timeout` is
/// stopped and reported.
#[allow(clippy::too_many_arguments)] // one run's settings, each a report column
pub fn measure(
    contender: MailboxContender,
    capacity: usize,
    senders: usize,
    messages: u64,
    timeout: Duration,
    policy: SpinPolicy,
    faults: bool,
) -> Result<MailPoint, String> {
    if !contender.takes(senders) {
        return Err(format!("{contender} takes one sender, not {senders}"));
    }
    if !CAPACITIES.contains(&capacity) {
        return Err(format!(
            "no mailbox of {capacity} is built (sizes: {CAPACITIES:?})"
        ));
    }
    let point = match contender {
        MailboxContender::Rearm(backend)
        | MailboxContender::RearmOneSender(backend)
        | MailboxContender::RearmOneSenderDeferred(backend) => sys::dispatch(
            backend,
            faults,
            BySize(OnRearm {
                capacity,
                senders,
                messages,
                timeout,
                policy,
                contender,
                faults,
            }),
        ),
        _ if faults && !contender.takes_faults() => {
            return Err(format!("{contender} takes no injected faults"));
        }
        MailboxContender::RearmRecv(backend) => sys::dispatch(
            backend,
            false,
            BySize(signal::OnSignal {
                capacity,
                senders: Some(senders),
                messages,
                timeout,
            }),
        ),
        MailboxContender::Crossbeam => {
            channel::<bounded::Crossbeam>(capacity, senders, messages, timeout)
        }
        MailboxContender::StdSync => {
            channel::<bounded::StdSync>(capacity, senders, messages, timeout)
        }
        MailboxContender::Flume => channel::<bounded::Flume>(capacity, senders, messages, timeout),
        MailboxContender::Kanal => channel::<bounded::Kanal>(capacity, senders, messages, timeout),
        MailboxContender::Thingbuf => {
            channel::<bounded::Thingbuf>(capacity, senders, messages, timeout)
        }
    };
    point.map_err(|e| format!("{contender}, {senders} sender(s), capacity {capacity}: {e}"))
}

struct OnRearm {
    capacity: usize,
    senders: usize,
    messages: u64,
    timeout: Duration,
    policy: SpinPolicy,
    contender: MailboxContender,
    /// The parker injects faults, and the receiver disrupts itself
    /// (`disrupted`).
    faults: bool,
}

/// What the loop's callback drains a mailbox with, whichever kind.
trait Receiving {
    fn drain(&mut self, each: impl FnMut(u64)) -> usize;
    fn counts(&self) -> MailboxCounts;
}

impl<A: Notifier, const N: usize> Receiving for &Mailbox<u64, A, N> {
    fn drain(&mut self, each: impl FnMut(u64)) -> usize {
        Mailbox::drain(self, each)
    }
    fn counts(&self) -> MailboxCounts {
        Mailbox::counts(self)
    }
}

impl<const N: usize> Receiving for OneReceiver<'_, u64, N> {
    fn drain(&mut self, each: impl FnMut(u64)) -> usize {
        OneReceiver::drain(self, each)
    }
    fn counts(&self) -> MailboxCounts {
        OneReceiver::counts(self)
    }
}

/// Sends `message` with `try_send`; while the mailbox hands it back (full),
/// lets the receiver run and tries again, until `stopped`.
fn send_retrying(
    mut try_send: impl FnMut(u64) -> Result<Notified, TrySendError<u64>>,
    message: u64,
    stopped: &AtomicBool,
) -> Sent {
    let Err(refusal) = try_send(message) else {
        return Sent::Ok;
    };
    let mut back = refusal.into_inner();
    let mut refused = 1;
    loop {
        // Relaxed: a flag to give up on, ordering nothing.
        if stopped.load(Ordering::Relaxed) {
            return Sent::Closed;
        }
        thread::yield_now();
        match try_send(back) {
            Ok(_) => return Sent::AfterFull(refused),
            Err(again) => {
                back = again.into_inner();
                refused += 1;
            }
        }
    }
}

impl OnCapacity for OnRearm {
    fn capacity(&self) -> usize {
        self.capacity
    }

    fn run_sized<B: Backend, const N: usize>(self) -> Result<MailPoint, String> {
        let parker = B::open().map_err(|e| e.to_string())?;
        let lp: Loop<B, 1> = Loop::new(parker);
        let to_loop = lp.handle(0).map_err(|e| e.to_string())?;
        if self.contender.one_sender() {
            let deferred = matches!(self.contender, MailboxContender::RearmOneSenderDeferred(_));
            let mut mailbox: OneSenderMailbox<u64, N> = OneSenderMailbox::new();
            let (sender, receiver) = mailbox.split(to_loop);
            // Handed to the one sender thread before the timed region.
            let sender = Mutex::new(Some(sender));
            let make_send = |_: usize| {
                let mut sender = sender
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take())
                    .expect("one sender thread");
                let mut in_burst = 0;
                // The last burst is announced when the sender thread drops
                // this closure, and with it the sender.
                move |message, stopped: &AtomicBool| {
                    if !deferred {
                        return send_retrying(|value| sender.send(value), message, stopped);
                    }
                    let sent = send_retrying(
                        |value| sender.send_deferred(value).map(|()| Notified::Coalesced),
                        message,
                        stopped,
                    );
                    in_burst += 1;
                    if in_burst == DEFERRED_BURST {
                        in_burst = 0;
                        sender.flush();
                    }
                    sent
                }
            };
            self.measure_loop(&lp, &make_send, receiver)
        } else {
            let mailbox: Mailbox<u64, _, N> = Mailbox::new(to_loop);
            let make_send = |_: usize| {
                |message, stopped: &AtomicBool| {
                    send_retrying(|value| mailbox.send(value), message, stopped)
                }
            };
            self.measure_loop(&lp, &make_send, &mailbox)
        }
    }
}

impl OnRearm {
    /// Times the senders `make_send` makes against `lp`'s loop draining
    /// through `receiving` in slot 0's callback (disrupted with faults), then
    /// checks the mailbox's counts, the slot's ledger and the allocations.
    fn measure_loop<B: Backend, S: FnMut(u64, &AtomicBool) -> Sent>(
        &self,
        lp: &Loop<B, 1>,
        make_send: &(dyn Fn(usize) -> S + Sync),
        mut receiving: impl Receiving,
    ) -> Result<MailPoint, String> {
        let mut runner = Some(
            HandlerRunner::new(lp)
                .map_err(|e| e.to_string())?
                .with_spin_policy(self.policy),
        )
        .filter(|_| !self.faults);
        if let Some(runner) = runner.as_mut() {
            runner.arm(0).map_err(|e| e.to_string())?;
        }
        let mut exit = Exit::Ran;
        let mut receive = |tally: &mut Tally, progress: &AtomicU64| {
            let Some(runner) = runner.as_mut() else {
                exit = disrupted::receive(lp, self.policy, &mut receiving, tally, progress);
                return;
            };
            let mut on_mail = |_slot: usize| {
                let mut more = true;
                receiving.drain(|message| more = tally.take(message));
                // Relaxed: the watchdog only compares counts. Once a drain,
                // where the channels' loops store once a message.
                progress.store(tally.received, Ordering::Relaxed);
                if more { Action::Rearm } else { Action::Disarm }
            };
            exit = runner.run(RunMode::UntilDone, &mut on_mail);
        };
        let point = timed_run(
            self.capacity,
            self.senders,
            self.messages,
            self.timeout,
            make_send,
            &mut receive,
            &|| lp.stop(),
        );
        let mut point =
            point.map_err(|e| format!("{e}; mailbox counts {:?}", receiving.counts()))?;
        point.receiver_runs = lp.ledger(0).map_err(|e| e.to_string())?.delivered;
        drop(runner);
        let left = receiving.drain(|_| {});
        let counts = receiving.counts();
        let mut problems = Vec::new();
        if exit != Exit::Done {
            problems.push(format!("the loop returned {exit:?}, not Done"));
        }
        if left != 0 {
            problems.push(format!("{left} messages were left in the mailbox"));
        }
        if counts.sent != self.messages || counts.received != self.messages {
            problems.push(format!(
                "mailbox counts sent {} and received {}, of {} messages",
                counts.sent, counts.received, self.messages
            ));
        }
        if counts.refused != point.full {
            problems.push(format!(
                "mailbox counts {} refused sends, senders saw {}",
                counts.refused, point.full
            ));
        }
        if let Err(unbalanced) = lp.ledger(0).map_err(|e| e.to_string())?.check() {
            problems.push(unbalanced.to_string());
        }
        // Under faults, each injected panic allocates its payload and the
        // unwinder's exception: the mailbox's own zero is checked in the
        // runs without faults.
        if !self.faults && point.allocations.is_some_and(|n| n > 0) {
            problems.push(format!(
                "{} allocations in the timed region",
                point.allocations.unwrap_or(0)
            ));
        }
        verdict(point, problems)
    }
}

/// The run's point if its checks found no problem, else the problems.
fn verdict(point: MailPoint, problems: Vec<String>) -> Result<MailPoint, String> {
    if problems.is_empty() {
        Ok(point)
    } else {
        Err(problems.join("; "))
    }
}

/// Times `senders` threads sending `messages` through a channel `C` of
/// `capacity`, received with its blocking `recv`.
pub(super) fn channel<C: Bounded>(
    capacity: usize,
    senders: usize,
    messages: u64,
    timeout: Duration,
) -> Result<MailPoint, String> {
    let (tx, rx) = C::open(capacity)?;
    let send = |_: usize| {
        |message: u64, _: &AtomicBool| match C::try_send(&tx, message) {
            Tried::Sent => Sent::Ok,
            Tried::Full if C::send(&tx, message) => Sent::AfterFull(1),
            Tried::Full | Tried::Closed => Sent::Closed,
        }
    };
    let mut rx = Some(rx);
    let mut receive = |tally: &mut Tally, progress: &AtomicU64| {
        // Dropped on return: senders blocked on a full channel then see it
        // closed, stalled or not.
        let Some(rx) = rx.take() else { return };
        // A blocking recv, as users write it (recv_timeout reads the clock
        // on every call, which would slow the channel down).
        while let Some(message) = C::recv(&rx) {
            if message == STOP {
                break;
            }
            let more = tally.take(message);
            // Relaxed: the watchdog only compares counts.
            progress.store(tally.received, Ordering::Relaxed);
            if !more {
                break;
            }
        }
    };
    // A stalled receiver waits in recv on an empty channel: the watchdog's
    // message ends the wait.
    let stall = || {
        let _ = C::try_send(&tx, STOP);
    };
    timed_run(
        capacity,
        senders,
        messages,
        timeout,
        &send,
        &mut receive,
        &stall,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        for senders in 1..=7 {
            let total: u64 = (0..senders).map(|i| share(1000, senders, i)).sum();
            assert_eq!(total, 1000);
        }
    }

    #[test]
    fn tally_catches_a_reordered_sender() {
        let mut tally = Tally::new(2, 3);
        assert!(tally.take(1 << SEQ_BITS)); // sender 1, message 0
        assert!(tally.take(1)); // sender 0, message 1: 0 never came
        assert!(!tally.take(0));
        assert!(tally.problem.is_some());
    }

    /// A receiver that never takes anything is a stall: the watchdog stops
    /// it, the senders give up, and the error says what was received.
    #[test]
    fn a_receiver_that_takes_nothing_is_reported_as_a_stall() {
        let stop = AtomicBool::new(false);
        let send = |_: usize| {
            |_: u64, stopped: &AtomicBool| {
                while !stopped.load(Ordering::Relaxed) {
                    thread::yield_now();
                }
                Sent::Closed
            }
        };
        let mut receive = |_: &mut Tally, _: &AtomicU64| {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(1));
            }
        };
        let stall = || stop.store(true, Ordering::Relaxed);
        let err = timed_run(
            DEFAULT_CAPACITY,
            2,
            10,
            Duration::from_millis(50),
            &send,
            &mut receive,
            &stall,
        )
        .unwrap_err();
        assert!(
            err.contains("stalled") && err.contains("0 of 10 received"),
            "{err}"
        );
    }

    #[test]
    fn the_one_sender_mailbox_refuses_more_senders_before_it_starts() {
        for contender in [
            MailboxContender::RearmOneSender(BackendKind::Futex),
            MailboxContender::RearmOneSenderDeferred(BackendKind::Futex),
        ] {
            assert!(contender.takes(1) && !contender.takes(2));
            let err = measure(
                contender,
                DEFAULT_CAPACITY,
                2,
                10,
                Duration::from_secs(1),
                SpinPolicy::default(),
                false,
            )
            .unwrap_err();
            assert!(err.contains("takes one sender, not 2"), "{err}");
        }
        assert!(MailboxContender::Rearm(BackendKind::Futex).takes(2));
        for peer in MailboxContender::PEERS {
            let err = measure(
                peer,
                DEFAULT_CAPACITY,
                1,
                10,
                Duration::from_secs(1),
                SpinPolicy::default(),
                true,
            )
            .unwrap_err();
            assert!(err.contains("takes no injected faults"), "{err}");
        }
    }

    #[test]
    fn every_contender_delivers_every_message() {
        let contenders = BackendKind::ALL
            .iter()
            .flat_map(|&b| MailboxContender::rearm(b))
            .chain(MailboxContender::PEERS);
        for contender in contenders {
            for senders in [1, 3].into_iter().filter(|&n| contender.takes(n)) {
                // rearm's contenders also with faults: the parker's, and a
                // receiver that restarts, disarms and panics as it goes.
                let faults = [false, contender.takes_faults()];
                for faults in faults
                    .into_iter()
                    .collect::<std::collections::BTreeSet<_>>()
                {
                    let point = measure(
                        contender,
                        64,
                        senders,
                        20_000,
                        Duration::from_secs(20),
                        SpinPolicy::default(),
                        faults,
                    )
                    .unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(point.messages, 20_000);
                }
            }
        }
    }
}
