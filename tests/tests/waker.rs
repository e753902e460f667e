//! No wake is lost through `OwnedSlotHandle::waker`: many futures, each completed
//! by many decrements from many threads, each decrement followed by a wake of
//! the waker the future last registered; the loop's thread polls a future when
//! its slot fires, and every future completes. A lost wake leaves a future
//! pending forever: a watchdog then stops the loop and the test fails.
#![cfg(not(rearm_loom))]

use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, HandlerRunner, Loop, OwnedSlotHandle, RunMode};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const FUTURES: usize = 64;
const WAKING_THREADS: usize = 8;
const STEPS: u64 = 400;

/// What a countdown's wakers share with it.
struct Countdown {
    left: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Countdown {
    /// One step down, then a wake of whoever waits: the waker is taken after
    /// the step, so a poll that registered before it sees the step or is woken.
    fn step(&self) -> bool {
        let stepped = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        if stepped && let Some(waker) = self.waker.lock().unwrap().as_ref() {
            waker.wake_by_ref();
        }
        stepped
    }
}

/// Ready once its countdown reaches zero.
struct UntilZero(Arc<Countdown>);

impl Future for UntilZero {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Register first, then look: a step after the look wakes this waker.
        *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.0.left.load(Ordering::Acquire) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn many_futures_woken_from_many_threads_all_complete() {
    let lp: Arc<Loop<ThreadPark, FUTURES>> = Arc::new(Loop::new(ThreadPark::new()));
    let countdowns: Vec<Arc<Countdown>> = (0..FUTURES)
        .map(|_| {
            Arc::new(Countdown {
                left: AtomicU64::new(STEPS),
                waker: Mutex::new(None),
            })
        })
        .collect();
    let mut futures: Vec<Option<Pin<Box<UntilZero>>>> = countdowns
        .iter()
        .map(|c| Some(Box::pin(UntilZero(Arc::clone(c)))))
        .collect();
    let wakers: Vec<Waker> = (0..FUTURES)
        .map(|slot| OwnedSlotHandle::new(Arc::clone(&lp), slot).unwrap().waker())
        .collect();
    let mut runner = HandlerRunner::new(&lp).unwrap();
    for slot in 0..FUTURES {
        runner.arm(slot).unwrap();
        lp.handle(slot).unwrap().notify();
    }
    let mut polls = 0u64;
    let finished = AtomicBool::new(false);
    let exit = std::thread::scope(|s| {
        for t in 0..WAKING_THREADS {
            let countdowns = &countdowns;
            s.spawn(move || {
                // Each thread walks the futures from its own starting point
                // until every countdown is at zero.
                let mut any = true;
                while any {
                    any = false;
                    for i in 0..FUTURES {
                        any |= countdowns[(i + t * 7) % FUTURES].step();
                    }
                }
            });
        }
        let (lp, finished) = (&lp, &finished);
        s.spawn(move || {
            let start = Instant::now();
            while !finished.load(Ordering::Acquire) {
                // A lost wake leaves the loop asleep for ever: stop it and
                // fail. The run takes milliseconds; 20 s also keeps the
                // failure well inside mutation testing's 60 s test timeout,
                // so a mutant that loses wakes is reported caught.
                if start.elapsed() > Duration::from_secs(20) {
                    lp.stop();
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let mut poll_slot = |slot: usize| {
            polls += 1;
            let Some(future) = futures[slot].as_mut() else {
                return Action::Disarm;
            };
            match future
                .as_mut()
                .poll(&mut Context::from_waker(&wakers[slot]))
            {
                Poll::Ready(()) => {
                    futures[slot] = None;
                    Action::Disarm
                }
                Poll::Pending => Action::Rearm,
            }
        };
        let exit = runner.run(RunMode::UntilDone, &mut poll_slot);
        finished.store(true, Ordering::Release);
        exit
    });
    let pending = futures.iter().filter(|f| f.is_some()).count();
    assert_eq!(
        exit,
        Exit::Done,
        "{pending} futures never completed (a lost wake)"
    );
    assert_eq!(pending, 0);
    assert!(
        countdowns
            .iter()
            .all(|c| c.left.load(Ordering::Acquire) == 0)
    );
    // Wakes coalesce: far fewer polls than steps, at least one per future.
    assert!(polls >= FUTURES as u64, "{polls} polls");
    assert!(lp.ledger_total().is_conserved(), "{}", lp.ledger_total());
}

#[test]
fn a_waker_of_a_dead_slot_is_dropped_and_counted() {
    let lp: Arc<Loop<ThreadPark, 2>> = Arc::new(Loop::new(ThreadPark::new()));
    let waker = OwnedSlotHandle::new(Arc::clone(&lp), 1).unwrap().waker();
    waker.wake_by_ref();
    waker.wake();
    assert_eq!(lp.ledger(1).unwrap().dropped, 2);
    // The handle reads its own slot's ledger, not another's.
    let handle = OwnedSlotHandle::new(Arc::clone(&lp), 1).unwrap();
    assert_eq!(handle.ledger(), lp.ledger(1).unwrap());
    assert_ne!(handle.ledger(), lp.ledger(0).unwrap());
    assert!(OwnedSlotHandle::new(Arc::clone(&lp), 2).is_err());
}
