//! Sparse arrivals: a producer that notifies a consumer at precise deadlines,
//! one gap apart, and what the consumer's thread measures of each notification
//! it receives: notify→receive latency and its own CPU time.
//!
//! Nothing here knows a wakeup contender: the caller passes how to notify and
//! how the consumer waits, and the consumer calls [`Receiver::on_wake`] each
//! time its contender wakes it.

use super::padding::CachePadded;
use hdrhistogram::Histogram;
use rearm_core::WaitCounts;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rearm_linux::{monotonic_ns as now_ns, thread_cpu_ns};

/// What producer and consumer share.
#[derive(Default)]
struct Shared {
    /// When the oldest notification not yet received was sent (monotonic ns),
    /// 0 when none is pending. The producer sets it only from 0, so a
    /// notification sent while another is pending coalesces with it, and its
    /// latency counts from the older one.
    pending_since: CachePadded<AtomicU64>,
    /// Set once the producer has sent its last notification.
    finished: AtomicBool,
    /// Notifications received (progress, for the stall check).
    received: AtomicU64,
    /// Set when the consumer is ready to be notified.
    consumer_ready: AtomicBool,
    /// The consumer thread's CPU time when it became ready.
    cpu_at_ready: AtomicU64,
    /// Set when the consumer has returned.
    consumer_done: AtomicBool,
}

/// The consumer's side: call [`ready`](Receiver::ready) once it can be
/// notified, then [`on_wake`](Receiver::on_wake) every time the contender
/// wakes it.
pub struct Receiver {
    shared: Arc<Shared>,
    latency: Histogram<u64>,
    wakes: u64,
    received: u64,
    waits: Option<WaitCounts>,
}

/// Says that the consumer is ready, from code that cannot borrow the
/// [`Receiver`] (a callback holds it): see [`Receiver::ready`].
pub struct Ready(Arc<Shared>);

impl Ready {
    /// See [`Receiver::ready`]; call it on the consumer's thread.
    pub fn signal(&self) {
        // Relaxed: read by this thread only, at its end.
        self.0
            .cpu_at_ready
            .store(thread_cpu_ns(), Ordering::Relaxed);
        // Release: the producer, which starts on seeing it, notifies a
        // consumer whose set-up (an armed slot, say) is complete.
        self.0.consumer_ready.store(true, Ordering::Release);
    }
}

impl Receiver {
    /// The consumer is set up and can be notified: the producer starts, and
    /// the consumer's CPU time counts, from here.
    pub fn ready(&self) {
        self.ready_signal().signal();
    }

    /// A way to say [`ready`](Receiver::ready) later, without the receiver.
    pub fn ready_signal(&self) -> Ready {
        Ready(Arc::clone(&self.shared))
    }

    /// Records how a rearm loop's waits ended ([`ArrivalPoint::waits`]).
    pub fn record_waits(&mut self, waits: WaitCounts) {
        self.waits = Some(waits);
    }

    /// Takes the pending notification, if any, recording its latency. Returns
    /// `true` while more are to come, `false` once the producer has finished
    /// and everything it sent was received: then the consumer should return.
    pub fn on_wake(&mut self) -> bool {
        self.wakes += 1;
        self.take();
        // Acquire pairs with the producer's Release store of `finished`: every
        // `pending_since` it set before is visible, so the second look below
        // finds the last one if the first missed it.
        if !self.shared.finished.load(Ordering::Acquire) {
            return true;
        }
        self.take();
        false
    }

    fn take(&mut self) {
        // AcqRel: the swap reads the producer's stamp (Acquire, though only
        // the value is used) and hands 0 back for its next compare-exchange.
        let since = self.shared.pending_since.0.swap(0, Ordering::AcqRel);
        if since == 0 {
            return;
        }
        let latency = now_ns().saturating_sub(since).max(1);
        // Saturating: a latency past the histogram's range (an hour) counts as
        // its highest value rather than being lost.
        self.latency.saturating_record(latency);
        self.received += 1;
        // Relaxed: only the stall check reads it, as a progress count.
        self.shared.received.store(self.received, Ordering::Relaxed);
    }
}

/// Latency percentiles, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Longest.
    pub max: u64,
}

/// How the producer spaces its notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spacing {
    /// The mean gap between two notifications.
    pub gap: Duration,
    /// Whether each gap is drawn at random between half and one and a half
    /// times `gap` (a jittered period), rather than `gap` exactly (steady).
    pub jitter: bool,
}

impl Spacing {
    /// Notifications exactly `gap` apart.
    pub fn steady(gap: Duration) -> Self {
        Spacing { gap, jitter: false }
    }

    /// The spacing's name in reports.
    pub fn name(&self) -> &'static str {
        if self.jitter { "jittered" } else { "steady" }
    }
}

/// One measured point: a gap, a number of notifications, a contender.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArrivalPoint {
    /// Time between two notifications' deadlines.
    pub gap: Duration,
    /// Notifications sent.
    pub sent: u64,
    /// Notifications received: sent while none was pending.
    pub received: u64,
    /// Notifications sent while an older one was still pending, received with it.
    pub coalesced: u64,
    /// Times the consumer was woken (a wake may find nothing new).
    pub wakes: u64,
    /// The consumer thread's CPU time from the first deadline's start to its return.
    pub consumer_cpu: Duration,
    /// Notify→receive latency.
    pub latency: Percentiles,
    /// Wall time from the start to the consumer's return.
    pub elapsed: Duration,
    /// How a rearm loop's waits ended (predicted, spun, parked), if the
    /// consumer recorded them ([`Receiver::record_waits`]).
    pub waits: Option<WaitCounts>,
}

impl ArrivalPoint {
    /// The consumer's CPU time per notification received, in nanoseconds.
    pub fn cpu_ns_per_wake(&self) -> f64 {
        self.consumer_cpu.as_nanos() as f64 / self.received.max(1) as f64
    }
}

/// Sends `count` notifications through the notifier that `notifier` makes
/// (given the consumer's thread, for contenders that unpark it), one every
/// `gap` (each at its deadline: the producer spins to it), while `consume`
/// runs on a thread of its own: it calls [`Receiver::ready`] once it can be
/// notified (the producer waits for that), then [`Receiver::on_wake`]
/// whenever its contender wakes it, until that returns `false`. After the last
/// notification the producer notifies once
/// more, so that a consumer that took everything early still wakes to see that
/// the run is over.
///
/// A consumer that receives nothing for `timeout` (a lost wakeup) is left
/// behind, detached, and the error says what had been sent and received.
pub fn measure<M, N, C>(
    spacing: Spacing,
    count: u64,
    timeout: Duration,
    notifier: M,
    consume: C,
) -> Result<ArrivalPoint, String>
where
    M: FnOnce(&std::thread::Thread) -> N,
    N: Fn(),
    C: FnOnce(&mut Receiver) + Send + 'static,
{
    let shared = Arc::new(Shared::default());
    let mut receiver = Receiver {
        shared: Arc::clone(&shared),
        // Three significant digits from 1 ns to an hour: allocated here, so
        // recording never allocates.
        latency: Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
            .map_err(|e| format!("latency histogram: {e}"))?,
        wakes: 0,
        received: 0,
        waits: None,
    };
    let consumer = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("sparse-consumer".into())
            .spawn(move || {
                consume(&mut receiver);
                let before = shared.cpu_at_ready.load(Ordering::Relaxed);
                let cpu = thread_cpu_ns().saturating_sub(before);
                // Release: the producer reads the results after seeing it.
                shared.consumer_done.store(true, Ordering::Release);
                (receiver, cpu)
            })
            .map_err(|e| format!("cannot start the consumer thread: {e}"))?
    };
    let notify = notifier(consumer.thread());
    // Acquire pairs with `ready`'s Release.
    let waiting = Instant::now();
    while !shared.consumer_ready.load(Ordering::Acquire) {
        if shared.consumer_done.load(Ordering::Acquire) || waiting.elapsed() >= timeout {
            return Err("the consumer never became ready to be notified".into());
        }
        std::thread::yield_now();
    }
    let gap = spacing.gap;
    let gap_ns = u64::try_from(gap.as_nanos()).unwrap_or(u64::MAX).max(1);
    let began = Instant::now();
    let mut coalesced = 0;
    let mut deadline = now_ns();
    // xorshift64, seeded by the clock: the jitter needs no quality.
    let mut random = deadline | 1;
    for _ in 0..count {
        // A late producer (preempted) keeps at least half a gap between its
        // notifications rather than sending a burst to catch up.
        let this_gap = if spacing.jitter {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            gap_ns / 2 + random % gap_ns.max(1)
        } else {
            gap_ns
        };
        deadline = deadline.saturating_add(this_gap);
        let mut now = now_ns();
        while now < deadline {
            std::hint::spin_loop();
            now = now_ns();
        }
        deadline = deadline.max(now.saturating_sub(gap_ns / 2));
        // Release: the consumer that takes the stamp sees it; a failure means
        // an older notification is still pending and this one joins it.
        if shared
            .pending_since
            .0
            .compare_exchange(0, now, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            coalesced += 1;
        }
        notify();
    }
    // Release: publishes every stamp set above to the consumer's Acquire.
    shared.finished.store(true, Ordering::Release);
    notify();
    // Wait for the consumer, watching its progress.
    let (mut last_received, mut last_progress) = (u64::MAX, Instant::now());
    while !shared.consumer_done.load(Ordering::Acquire) {
        let received = shared.received.load(Ordering::Relaxed);
        if received != last_received {
            (last_received, last_progress) = (received, Instant::now());
        } else if last_progress.elapsed() >= timeout {
            return Err(format!(
                "stalled: the consumer received nothing for {:.1} s after {} of {count} \
                 notifications ({coalesced} coalesced); gap {} µs",
                timeout.as_secs_f64(),
                received,
                gap.as_micros()
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = began.elapsed();
    let (receiver, cpu) = consumer
        .join()
        .map_err(|_| "the consumer thread panicked".to_string())?;
    if receiver.received + coalesced != count {
        return Err(format!(
            "notifications lost: {count} sent, {} received, {coalesced} coalesced",
            receiver.received
        ));
    }
    let h = &receiver.latency;
    Ok(ArrivalPoint {
        gap,
        sent: count,
        received: receiver.received,
        coalesced,
        wakes: receiver.wakes,
        consumer_cpu: Duration::from_nanos(cpu),
        latency: Percentiles {
            p50: h.value_at_quantile(0.5),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        },
        elapsed,
        waits: receiver.waits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// A contender made of one flag, polled with a yield.
    type Notifier = Box<dyn Fn()>;

    fn flag_pair() -> (
        impl FnOnce(&std::thread::Thread) -> Notifier,
        impl FnOnce(&mut Receiver) + Send + 'static,
    ) {
        let flag = Arc::new(AtomicU32::new(0));
        let notifier = Arc::clone(&flag);
        (
            move |_: &std::thread::Thread| -> Notifier {
                Box::new(move || {
                    notifier.fetch_add(1, Ordering::Release);
                })
            },
            move |r: &mut Receiver| {
                r.ready();
                let mut seen = 0;
                loop {
                    let now = flag.load(Ordering::Acquire);
                    if now != seen {
                        seen = now;
                        if !r.on_wake() {
                            return;
                        }
                    }
                    std::thread::yield_now();
                }
            },
        )
    }

    #[test]
    fn every_notification_is_received_or_coalesced() {
        let (notify, consume) = flag_pair();
        let point = measure(
            Spacing::steady(Duration::from_micros(20)),
            500,
            Duration::from_secs(10),
            notify,
            consume,
        )
        .unwrap();
        assert_eq!(point.sent, 500);
        assert_eq!(point.received + point.coalesced, 500);
        assert!(point.received > 0);
        assert!(point.latency.p50 <= point.latency.p99);
        assert!(point.latency.p99 <= point.latency.max);
        // 500 gaps of 20 µs cannot take less than 10 ms.
        assert!(point.elapsed >= Duration::from_millis(10), "{point:?}");
    }

    #[test]
    fn a_consumer_that_never_wakes_is_reported_as_stalled() {
        // Negative control: notifications that reach nobody.
        let result = measure(
            Spacing::steady(Duration::from_micros(10)),
            10,
            Duration::from_millis(50),
            |_: &std::thread::Thread| || {},
            |r: &mut Receiver| {
                r.ready();
                std::thread::park();
            },
        );
        let error = result.unwrap_err();
        assert!(error.contains("stalled"), "{error}");
        assert!(error.contains("after 0 of 10"), "{error}");
    }

    #[test]
    fn a_consumer_that_returns_early_loses_notifications() {
        // Negative control: one that stops after its first wake.
        let (notify, _) = flag_pair();
        let result = measure(
            Spacing::steady(Duration::from_micros(10)),
            100,
            Duration::from_secs(5),
            notify,
            |r: &mut Receiver| r.ready(),
        );
        let error = result.unwrap_err();
        assert!(error.contains("notifications lost"), "{error}");
    }

    #[test]
    fn a_consumer_that_never_gets_ready_is_reported() {
        let result = measure(
            Spacing::steady(Duration::from_micros(10)),
            10,
            Duration::from_millis(50),
            |_: &std::thread::Thread| || {},
            |_: &mut Receiver| {},
        );
        assert!(result.unwrap_err().contains("never became ready"));
    }
}
