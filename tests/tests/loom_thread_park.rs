//! Loom models of the core's `ThreadPark` (feature `std`): the real parker,
//! built on loom's mutex and condition variable, under every interleaving up
//! to the preemption bound `.ci/loom` sets. A lost wakeup is a deadlock.
#![cfg(rearm_loom)]

use loom::sync::Arc;
use loom::thread;
use rearm_core::park::{Park, ParkWord, ThreadPark};
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SpinPolicy};
use rearm_tests::negative_control::expect_deadlock;

/// The runner of `lp`, parking as soon as nothing is ready, so that every wait
/// goes through the parker.
fn parking_runner<'c>(lp: &Loop<ThreadPark, 1>) -> CallbackRunner<'_, 'c, ThreadPark, 1> {
    CallbackRunner::new(lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE)
}

/// One notification from another thread, against a loop that parks at once.
fn notified_once(parker: ThreadPark) {
    let lp = Arc::new(Loop::<ThreadPark, 1>::new(parker));
    let mut cb = || Action::Disarm;
    let mut r = parking_runner(&lp);
    r.arm(0, &mut cb).unwrap();
    let notifier = {
        let lp = lp.clone();
        thread::spawn(move || lp.handle(0).unwrap().notify())
    };
    assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
    drop(r);
    notifier.join().unwrap();
    let ledger = lp.ledger(0).unwrap();
    assert!(ledger.is_conserved() && ledger.delivered == 1, "{ledger}");
}

/// A notification from another thread wakes a loop asleep on a `ThreadPark`,
/// or is seen before it sleeps.
#[test]
fn thread_park_wakes_a_loop_notified_from_another_thread() {
    loom::model(|| notified_once(ThreadPark::new()));
}

/// Successive runners on different threads drive one loop: the parker holds
/// no thread identity, so whichever thread sleeps is the one woken.
#[test]
fn thread_park_wakes_successive_runners_on_different_threads() {
    /// A runner on the calling thread waits for one notification, which a
    /// thread spawned once the slot is armed sends (an earlier one would find
    /// the slot dead and be dropped).
    fn wait_for_one(lp: &Arc<Loop<ThreadPark, 1>>) {
        let mut cb = || Action::Disarm;
        let mut r = parking_runner(lp);
        r.arm(0, &mut cb).unwrap();
        let notifier = {
            let lp = lp.clone();
            thread::spawn(move || lp.handle(0).unwrap().notify())
        };
        assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
        notifier.join().unwrap();
    }
    loom::model(|| {
        let lp = Arc::new(Loop::<ThreadPark, 1>::new(ThreadPark::new()));
        wait_for_one(&lp);
        let other = {
            let lp = lp.clone();
            thread::spawn(move || wait_for_one(&lp))
        };
        other.join().unwrap();
        assert_eq!(lp.ledger(0).unwrap().delivered, 2);
    });
}

/// `ThreadPark` on its own, as an embedder's loop of its own might use it:
/// what a thread wrote before changing the word (Release) and unparking is
/// there when `park` returns, even when `park` saw the change before
/// `unpark` took the lock, so the lock gave no ordering (the word's Acquire
/// load does).
#[test]
fn thread_park_alone_hands_over_what_was_written_before_the_word() {
    use loom::sync::atomic::{AtomicUsize, Ordering};
    loom::model(|| {
        let parker = Arc::new(ThreadPark::new());
        let word = Arc::new(ParkWord::new(0));
        let data = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (parker, word, data) = (parker.clone(), word.clone(), data.clone());
            thread::spawn(move || {
                data.store(42, Ordering::Relaxed);
                word.store(1, Ordering::Release);
                parker.unpark(&word);
            })
        };
        parker.park(&word, 0);
        assert_eq!(data.load(Ordering::Relaxed), 42);
        writer.join().unwrap();
    });
}

/// Negative control: a `ThreadPark` whose `unpark` notifies without taking the
/// lock lets the wake fall between the sleeper's look at the word and its
/// sleep; loom must report the deadlock.
#[test]
fn negative_control_thread_park_unlocked_wake_is_caught() {
    expect_deadlock("broken_thread_park_unlocked_wake");
}

#[test]
#[ignore = "a deliberately broken parker: negative_control_thread_park_unlocked_wake_is_caught runs it and expects failure"]
fn broken_thread_park_unlocked_wake() {
    loom::model(|| notified_once(ThreadPark::with_unlocked_wake()));
}
