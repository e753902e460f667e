//! Request/reply: one client thread sends a value and waits for it to come
//! back before it sends the next; the server, on the measuring thread, takes
//! each request and sends it back. For rearm both ends are loops, each with
//! a mailbox the other sends into; for the channels, two channels, each end
//! blocking in `recv`. A round trip carries a value both ways: the rate is
//! round trips per second, and every reply is checked against its request.

use super::{
    BySize, MailPoint, MailboxContender, OnCapacity, Receiving, STOP, Sent, Tally, send_retrying,
    timed_run, verdict,
};
use crate::peers::bounded::{self, Bounded};
use crate::sys::{self, Backend};
use rearm_core::mailbox::{
    Mailbox, MailboxCounts, Notifier, OneSender, OneSenderMailbox, TrySendError,
};
use rearm_core::{Action, Exit, HandlerRunner, Loop, Notified, RunMode, SpinPolicy};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Measures `round_trips` request/reply round trips through `contender`'s
/// queues of `capacity`; rearm's loops wait per `policy`. A run without
/// progress for `timeout` is stopped and reported.
pub fn measure(
    contender: MailboxContender,
    capacity: usize,
    round_trips: u64,
    timeout: Duration,
    policy: SpinPolicy,
) -> Result<MailPoint, String> {
    let point = match contender {
        MailboxContender::Rearm(backend) | MailboxContender::RearmOneSender(backend) => {
            sys::dispatch(
                backend,
                false,
                BySize(OnRearm {
                    capacity,
                    round_trips,
                    timeout,
                    policy,
                    one_sender: contender != MailboxContender::Rearm(backend),
                }),
            )
        }
        MailboxContender::RearmOneSenderDeferred(_) => {
            return Err(format!(
                "{contender} defers its sends; a request/reply client sends one at a time"
            ));
        }
        MailboxContender::RearmRecv(backend) => sys::dispatch(
            backend,
            false,
            BySize(super::signal::OnSignal {
                capacity,
                senders: None,
                messages: round_trips,
                timeout,
            }),
        ),
        MailboxContender::Crossbeam => {
            channels::<bounded::Crossbeam>(capacity, round_trips, timeout)
        }
        MailboxContender::StdSync => channels::<bounded::StdSync>(capacity, round_trips, timeout),
        MailboxContender::Flume => channels::<bounded::Flume>(capacity, round_trips, timeout),
        MailboxContender::Kanal => channels::<bounded::Kanal>(capacity, round_trips, timeout),
        MailboxContender::Thingbuf => channels::<bounded::Thingbuf>(capacity, round_trips, timeout),
    };
    point
        .map(|point| MailPoint {
            reply: true,
            ..point
        })
        .map_err(|e| format!("{contender}, request/reply, capacity {capacity}: {e}"))
}

/// What sends into a mailbox, whichever kind.
trait Sending {
    fn send(&mut self, value: u64) -> Result<Notified, TrySendError<u64>>;
    fn counts(&self) -> MailboxCounts;
}

impl<A: Notifier, const N: usize> Sending for &Mailbox<u64, A, N> {
    fn send(&mut self, value: u64) -> Result<Notified, TrySendError<u64>> {
        Mailbox::send(self, value)
    }
    fn counts(&self) -> MailboxCounts {
        Mailbox::counts(self)
    }
}

impl<A: Notifier, const N: usize> Sending for OneSender<'_, u64, A, N> {
    fn send(&mut self, value: u64) -> Result<Notified, TrySendError<u64>> {
        OneSender::send(self, value)
    }
    fn counts(&self) -> MailboxCounts {
        OneSender::counts(self)
    }
}

struct OnRearm {
    capacity: usize,
    round_trips: u64,
    timeout: Duration,
    policy: SpinPolicy,
    one_sender: bool,
}

/// The run with mailboxes of `N`: requests into the server's loop, replies
/// into the client's.
impl OnCapacity for OnRearm {
    fn capacity(&self) -> usize {
        self.capacity
    }

    fn run_sized<B: Backend, const N: usize>(self) -> Result<MailPoint, String> {
        let server: Loop<B, 1> = Loop::new(B::open().map_err(|e| e.to_string())?);
        let client: Loop<B, 1> = Loop::new(B::open().map_err(|e| e.to_string())?);
        let to_server = server.handle(0).map_err(|e| e.to_string())?;
        let to_client = client.handle(0).map_err(|e| e.to_string())?;
        if self.one_sender {
            let mut requests: OneSenderMailbox<u64, N> = OneSenderMailbox::new();
            let mut replies: OneSenderMailbox<u64, N> = OneSenderMailbox::new();
            let (request_tx, request_rx) = requests.split(to_server);
            let (reply_tx, reply_rx) = replies.split(to_client);
            self.measure_loops(
                &server,
                &client,
                (request_tx, reply_rx),
                request_rx,
                reply_tx,
            )
        } else {
            let requests: Mailbox<u64, _, N> = Mailbox::new(to_server);
            let replies: Mailbox<u64, _, N> = Mailbox::new(to_client);
            self.measure_loops(&server, &client, (&requests, &replies), &requests, &replies)
        }
    }
}

impl OnRearm {
    /// Times the client (its ends `client_ends`, its loop `client`) against
    /// the server loop draining `requests` and answering through `replies`,
    /// then checks both mailboxes' counts, both ledgers and the allocations.
    fn measure_loops<B: Backend>(
        &self,
        server: &Loop<B, 1>,
        client: &Loop<B, 1>,
        client_ends: (impl Sending + Send, impl Receiving + Send),
        mut requests: impl Receiving,
        mut replies: impl Sending,
    ) -> Result<MailPoint, String> {
        let mismatched = AtomicU64::new(0);
        // Handed to the client thread, with its runner, before the timed region.
        let client_ends = Mutex::new(Some(client_ends));
        let make_client = |_: usize| {
            let (mut to_server, mut from_server) = client_ends
                .lock()
                .ok()
                .and_then(|mut ends| ends.take())
                .expect("one client thread");
            let mut runner = HandlerRunner::new(client)
                .expect("a fresh loop takes a runner")
                .with_spin_policy(self.policy);
            runner.arm(0).expect("slot 0 of a fresh loop");
            let mismatched = &mismatched;
            move |request: u64, stopped: &AtomicBool| {
                let sent = send_retrying(|value| to_server.send(value), request, stopped);
                if matches!(sent, Sent::Closed) {
                    return sent;
                }
                let Some(reply) = await_reply(&mut runner, &mut from_server, stopped) else {
                    return Sent::Closed;
                };
                if reply != request {
                    // Relaxed: read after the client thread is joined.
                    mismatched.fetch_add(1, Ordering::Relaxed);
                }
                sent
            }
        };
        let mut runner = HandlerRunner::new(server)
            .map_err(|e| e.to_string())?
            .with_spin_policy(self.policy);
        runner.arm(0).map_err(|e| e.to_string())?;
        let (mut exit, mut unanswered) = (Exit::Ran, 0_u64);
        let mut serve = |tally: &mut Tally, progress: &AtomicU64| {
            let mut on_request = |_slot: usize| {
                let mut more = true;
                requests.drain(|request| {
                    more = tally.take(request);
                    if replies.send(request).is_err() {
                        unanswered += 1;
                    }
                });
                // Relaxed: the watchdog only compares counts.
                progress.store(tally.received, Ordering::Relaxed);
                if more { Action::Rearm } else { Action::Disarm }
            };
            exit = runner.run(RunMode::UntilDone, &mut on_request);
        };
        let point = timed_run(
            self.capacity,
            1,
            self.round_trips,
            self.timeout,
            &make_client,
            &mut serve,
            &|| {
                server.stop();
                client.stop();
            },
        );
        let mut point = point.map_err(|e| {
            format!(
                "{e}; request counts {:?}, reply counts {:?}",
                requests.counts(),
                replies.counts()
            )
        })?;
        point.receiver_runs = server.ledger(0).map_err(|e| e.to_string())?.delivered;
        drop(runner);
        let mut problems = Vec::new();
        if exit != Exit::Done {
            problems.push(format!("the server's loop returned {exit:?}, not Done"));
        }
        for (what, counts) in [("request", requests.counts()), ("reply", replies.counts())] {
            if counts.sent != self.round_trips || counts.received != self.round_trips {
                problems.push(format!(
                    "{what} mailbox counts sent {} and received {}, of {} round trips",
                    counts.sent, counts.received, self.round_trips
                ));
            }
        }
        // Relaxed: the client thread was joined.
        let mismatched = mismatched.load(Ordering::Relaxed);
        if mismatched + unanswered > 0 {
            problems.push(format!(
                "{mismatched} replies differed from their request, {unanswered} were refused"
            ));
        }
        for (what, lp) in [("server", server), ("client", client)] {
            if let Err(unbalanced) = lp.ledger(0).map_err(|e| e.to_string())?.check() {
                problems.push(format!("{what}: {unbalanced}"));
            }
        }
        if let Some(allocations) = point.allocations.filter(|&n| n > 0) {
            problems.push(format!("{allocations} allocations in the timed region"));
        }
        verdict(point, problems)
    }
}

/// Runs the client's loop until a reply arrives from the server, or the run
/// is stopped with none waiting (`None`).
fn await_reply<B: Backend>(
    runner: &mut HandlerRunner<'_, B, 1>,
    from_server: &mut impl Receiving,
    stopped: &AtomicBool,
) -> Option<u64> {
    let mut reply = None;
    while reply.is_none() {
        // Acquire pairs with the Release store of `stopped` after the server
        // returns: its last reply, sent before that store, is then visible to
        // the final drain below. The server returns as soon as it has sent
        // the last reply, so a client that gave up at once would strand it.
        if stopped.load(Ordering::Acquire) {
            from_server.drain(|value| reply = Some(value));
            return reply;
        }
        runner.run(RunMode::Once, &mut |_slot: usize| {
            from_server.drain(|value| reply = Some(value));
            Action::Rearm
        });
    }
    reply
}

/// Times `round_trips` round trips through two channels `C` of `capacity`,
/// each end blocking in `recv`.
pub(super) fn channels<C: Bounded>(
    capacity: usize,
    round_trips: u64,
    timeout: Duration,
) -> Result<MailPoint, String> {
    let (request_tx, request_rx) = C::open(capacity)?;
    let (reply_tx, reply_rx) = C::open(capacity)?;
    let mismatched = AtomicU64::new(0);
    // Handed to the client thread before the timed region.
    let reply_rx = Mutex::new(Some(reply_rx));
    let make_client = |_: usize| {
        let from_server = reply_rx
            .lock()
            .ok()
            .and_then(|mut rx| rx.take())
            .expect("one client thread");
        let (to_server, mismatched) = (&request_tx, &mismatched);
        move |request: u64, _: &AtomicBool| {
            if !C::send(to_server, request) {
                return Sent::Closed;
            }
            match C::recv(&from_server) {
                Some(reply) => {
                    if reply != request {
                        // Relaxed: read after the client thread is joined.
                        mismatched.fetch_add(1, Ordering::Relaxed);
                    }
                    Sent::Ok
                }
                // The server is gone: the run was stopped.
                None => Sent::Closed,
            }
        }
    };
    let mut server_ends = Some((request_rx, reply_tx));
    let mut serve = |tally: &mut Tally, progress: &AtomicU64| {
        // Dropped on return: a client waiting for a reply then sees the
        // channel closed, stalled or not.
        let Some((requests, replies)) = server_ends.take() else {
            return;
        };
        while let Some(request) = C::recv(&requests) {
            if request == STOP {
                break;
            }
            let more = tally.take(request);
            // Relaxed: the watchdog only compares counts.
            progress.store(tally.received, Ordering::Relaxed);
            if !C::send(&replies, request) || !more {
                break;
            }
        }
    };
    // A stalled server waits in recv on an empty channel: the watchdog's
    // message ends the wait.
    let stall = || {
        let _ = C::try_send(&request_tx, STOP);
    };
    let point = timed_run(
        capacity,
        1,
        round_trips,
        timeout,
        &make_client,
        &mut serve,
        &stall,
    )?;
    // Relaxed: the client thread was joined.
    match mismatched.load(Ordering::Relaxed) {
        0 => Ok(point),
        n => Err(format!("{n} replies differed from their request")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::BackendKind;

    #[test]
    fn every_answering_contender_brings_every_value_back() {
        let contenders = BackendKind::ALL
            .iter()
            .flat_map(|&b| MailboxContender::rearm(b))
            .chain(MailboxContender::PEERS)
            .filter(|c| c.answers());
        for contender in contenders {
            let point = measure(
                contender,
                64,
                2_000,
                Duration::from_secs(20),
                SpinPolicy::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((point.messages, point.reply), (2_000, true));
        }
    }

    /// The server sends the last reply and returns; the harness then sets
    /// `stopped`. A client that looked at the flag before its mailbox lost
    /// that reply, and the run failed its count check (sent 2000, received
    /// 1999) when threads were slow, as under a thread sanitizer.
    #[test]
    fn a_reply_sent_before_the_stop_is_still_received() {
        let client: Loop<crate::sys::FutexPark, 1> =
            Loop::new(<crate::sys::FutexPark as Backend>::open().expect("a futex parker"));
        let replies: Mailbox<u64, _, 64> = Mailbox::new(client.handle(0).expect("slot 0"));
        let mut runner = HandlerRunner::new(&client).expect("a fresh loop takes a runner");
        runner.arm(0).expect("slot 0 of a fresh loop");
        replies.send(7).expect("room for one reply");
        let stopped = AtomicBool::new(true);
        assert_eq!(await_reply(&mut runner, &mut &replies, &stopped), Some(7));
        assert_eq!(replies.counts().received, 1);
        assert_eq!(await_reply(&mut runner, &mut &replies, &stopped), None);
    }

    #[test]
    fn a_deferring_sender_is_refused_before_it_starts() {
        let contender = MailboxContender::RearmOneSenderDeferred(BackendKind::Futex);
        assert!(!contender.answers());
        let err = measure(
            contender,
            64,
            10,
            Duration::from_secs(1),
            SpinPolicy::default(),
        )
        .unwrap_err();
        assert!(err.contains("one at a time"), "{err}");
    }
}
