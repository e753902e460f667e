//! Sparse arrivals: a producer notifies one loop every G µs, for G in a list;
//! the loop's thread reports its CPU per wake and the notify→callback latency
//! ([`arrivals`]). rearm runs here; the peers' forms
//! are in [`peers::sparse`].

use crate::harness::arrivals::{self, ArrivalPoint, Receiver, Spacing};
use crate::peers::{self, Peer};
use crate::sys::{self, Backend, BackendKind, OnBackend};
use rearm_core::mailbox::Mailbox;
use rearm_core::{Action, CallbackRunner, Loop, OwnedSlotHandle, RunMode, SpinPolicy};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The gaps measured when none are given, in microseconds.
pub const DEFAULT_GAPS_US: [u64; 8] = [1, 5, 20, 50, 100, 500, 2000, 10000];

/// Notifications per gap when none are asked for: as many as fit in a quarter
/// of a second, at least 100 (for the percentiles) and at most 20,000.
pub fn default_count(gap: Duration) -> u64 {
    let fit = Duration::from_millis(250).as_nanos() / gap.as_nanos().max(1);
    (fit as u64).clamp(100, 20_000)
}

/// A way for a loop's thread to wait for sparse notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SparseContender {
    /// A rearm loop on a backend, with a spin policy (named for reports).
    Rearm {
        /// The parker.
        backend: BackendKind,
        /// The spin policy's name in reports.
        policy_name: &'static str,
        /// The spin policy.
        policy: SpinPolicy,
        /// Each notification carries a value through a `Mailbox`, which the
        /// loop's callback drains, instead of a bare notify.
        mailbox: bool,
        /// The runner predicts steady arrivals
        /// ([`CallbackRunner::with_arrival_prediction`]).
        predict: bool,
    },
    /// A peer with a sparse form ([`peers::sparse::SPARSE_PEERS`]).
    Peer(Peer),
}

impl fmt::Display for SparseContender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SparseContender::Rearm {
                backend,
                policy_name,
                mailbox: false,
                predict: false,
                ..
            } => write!(f, "rearm {backend} ({policy_name})"),
            SparseContender::Rearm {
                backend,
                policy_name,
                predict: true,
                ..
            } => write!(f, "rearm {backend} ({policy_name}, predicting)"),
            SparseContender::Rearm {
                backend,
                policy_name,
                mailbox: true,
                ..
            } => write!(f, "rearm {backend} mailbox ({policy_name})"),
            SparseContender::Peer(peer) => write!(f, "{peer}"),
        }
    }
}

/// Measures `contender` at one gap: `count` notifications, a consumer that
/// receives nothing for `timeout` is a stall.
pub fn measure(
    contender: SparseContender,
    gap: Spacing,
    count: u64,
    timeout: Duration,
) -> Result<ArrivalPoint, String> {
    match contender {
        SparseContender::Rearm {
            backend,
            policy,
            mailbox,
            predict,
            ..
        } => sys::dispatch(
            backend,
            false,
            OnRearm {
                policy,
                gap,
                count,
                timeout,
                mailbox,
                predict,
            },
        ),
        SparseContender::Peer(peer) => peers::sparse::measure(peer, gap, count, timeout),
    }
}

struct OnRearm {
    policy: SpinPolicy,
    gap: Spacing,
    count: u64,
    timeout: Duration,
    mailbox: bool,
    predict: bool,
}

/// The mailbox of a sparse run that carries values: each notification is a
/// value, drained by the loop's callback.
type Values<B> = Mailbox<u64, OwnedSlotHandle<B, 1>, 64>;

impl OnBackend for OnRearm {
    type Output = Result<ArrivalPoint, String>;

    fn run<B: Backend>(self) -> Self::Output {
        let parker = B::open().map_err(|e| format!("{}: {e}", B::KIND))?;
        let lp: Arc<Loop<B, 1>> = Arc::new(Loop::new(parker));
        let to_loop = OwnedSlotHandle::new(Arc::clone(&lp), 0).map_err(|e| e.to_string())?;
        let values: Arc<Values<B>> = Arc::new(Mailbox::new(to_loop));
        let (sent, received) = (Arc::clone(&values), Arc::clone(&values));
        let notified = Arc::clone(&lp);
        let (policy, mailbox, predict) = (self.policy, self.mailbox, self.predict);
        arrivals::measure(
            self.gap,
            self.count,
            self.timeout,
            move |_: &std::thread::Thread| {
                move || {
                    if mailbox {
                        // Full only if the loop fell 64 values behind: then
                        // this one is not needed to wake it.
                        let _ = sent.send(0);
                    } else if let Ok(handle) = notified.handle(0) {
                        handle.notify();
                    }
                }
            },
            move |r: &mut Receiver| {
                let ready = r.ready_signal();
                let mut on_notify = || {
                    if mailbox {
                        received.drain(drop);
                    }
                    if r.on_wake() {
                        Action::Rearm
                    } else {
                        Action::Disarm
                    }
                };
                let Ok(runner) = CallbackRunner::new(&lp) else {
                    return;
                };
                let mut runner = runner
                    .with_spin_policy(policy)
                    .with_arrival_prediction(predict);
                if runner.arm(0, &mut on_notify).is_err() {
                    return;
                }
                ready.signal();
                runner.run(RunMode::UntilDone);
                let waits = runner.wait_counts();
                drop(runner);
                r.record_waits(waits);
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fill_a_quarter_second_within_bounds() {
        assert_eq!(default_count(Duration::from_micros(1)), 20_000);
        assert_eq!(default_count(Duration::from_micros(50)), 5_000);
        assert_eq!(default_count(Duration::from_millis(10)), 100);
    }

    #[test]
    fn rearm_receives_every_notification_on_every_backend() {
        for (backend, mailbox) in BackendKind::ALL
            .into_iter()
            .flat_map(|b| [(b, false), (b, true)])
        {
            let contender = SparseContender::Rearm {
                backend,
                policy_name: "default",
                policy: SpinPolicy::default(),
                mailbox,
                predict: false,
            };
            for gap_us in [1, 100] {
                let point = measure(
                    contender,
                    Spacing::steady(Duration::from_micros(gap_us)),
                    300,
                    Duration::from_secs(10),
                )
                .unwrap_or_else(|e| panic!("{contender}: {e}"));
                assert_eq!(point.received + point.coalesced, 300, "{contender}");
            }
        }
    }
}
