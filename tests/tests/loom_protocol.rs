//! Loom models of the notify / take / park protocol: every interleaving (up to
//! the preemption bound `.ci/loom` sets) of the real core code, with a parker
//! that truly blocks, so a lost wakeup is a deadlock loom reports.
//!
//! Run with `.ci/loom` (`RUSTFLAGS="--cfg loom"`, release, its own target dir).
#![cfg(rearm_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use rearm_core::{
    Action, CallbackRunner, DIRECT_SLOTS, Exit, Fault, Ledger, Loop, RunMode, SpinPolicy,
};
use rearm_tests::loom_park::{LoomPark, TimeoutPark};
use rearm_tests::negative_control::expect_deadlock;

/// The first slot in the bitmap (group word 0), below the park word's slots.
const BITMAP: usize = DIRECT_SLOTS;
/// The first slot of group word 1: another word, the same summary bit.
const NEXT_WORD: usize = usize::BITS as usize;
/// The first slot past the ready set's own group words: its group word lives
/// in a slot's cache line, under summary bit 0 again (see the core's
/// `ready.rs`).
const SPILLED: usize = (usize::BITS * usize::BITS) as usize;
/// The first slot under summary bit 1: the eight summary bits split the
/// ready set's own slots evenly.
const NEXT_CLASS: usize = SPILLED / 8;

fn runner<const CAP: usize>(lp: &Loop<LoomPark, CAP>) -> CallbackRunner<'_, '_, LoomPark, CAP> {
    CallbackRunner::new(lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE)
}

/// Libuv's ping-pong between two threads with `PINGS` pings: every notify is
/// delivered exactly once, nothing deadlocks, and the worker's last reply is
/// the one dropped notification.
fn ping_pong(main_loop: Loop<LoomPark, 1>) {
    const PINGS: u64 = 3;
    let main_loop = Arc::new(main_loop);
    let worker_loop = Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));

    let mut main_sent = 0;
    let to_worker = worker_loop.handle(0).unwrap();
    let mut on_pong = || {
        to_worker.notify();
        main_sent += 1;
        if main_sent == PINGS {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut main_runner = runner(&main_loop);
    // Armed before the worker exists, so the kick cannot be dropped.
    main_runner.arm(0, &mut on_pong).unwrap();

    let worker = {
        let (main_loop, worker_loop) = (main_loop.clone(), worker_loop.clone());
        thread::spawn(move || {
            let to_main = main_loop.handle(0).unwrap();
            let mut sent = 0;
            let mut on_ping = || {
                to_main.notify();
                sent += 1;
                if sent == PINGS {
                    Action::Disarm
                } else {
                    Action::Rearm
                }
            };
            let mut r = runner(&worker_loop);
            r.arm(0, &mut on_ping).unwrap();
            to_main.notify(); // the kick
            assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
            drop(r);
            sent
        })
    };

    assert_eq!(main_runner.run(RunMode::UntilDone), Exit::Done);
    assert_eq!(worker.join().unwrap(), PINGS);
    // The last reply may have landed after main's last look: take it now.
    main_runner.run(RunMode::NoWait);
    drop(main_runner);
    assert_eq!(main_sent, PINGS);
    assert_eq!(
        main_loop.ledger(0).unwrap(),
        Ledger {
            notified: PINGS + 1,
            delivered: PINGS,
            coalesced: 0,
            dropped: 1,
            pending: 0
        }
    );
    assert_eq!(
        worker_loop.ledger(0).unwrap(),
        Ledger {
            notified: PINGS,
            delivered: PINGS,
            coalesced: 0,
            dropped: 0,
            pending: 0
        }
    );
}

#[test]
fn ping_pong_delivers_every_ping_exactly_once() {
    loom::model(|| ping_pong(Loop::new(LoomPark::new())));
}

/// The final-reply race: a notification lands while the callback that
/// disarms its completion is running, or just after it returned. Either way it
/// is dropped exactly once and nothing stays pending.
#[test]
fn notify_racing_the_disarming_callback_is_dropped_once() {
    loom::model(|| {
        let lp = Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
        let in_callback = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (lp, in_callback) = (lp.clone(), in_callback.clone());
            thread::spawn(move || {
                // Wait for the callback to start, then race its return.
                while !in_callback.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                lp.handle(0).unwrap().notify();
            })
        };
        let mut last = || {
            in_callback.store(true, Ordering::Release);
            Action::Disarm
        };
        let mut r = runner(&lp);
        r.arm(0, &mut last).unwrap();
        lp.handle(0).unwrap().notify();
        assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
        notifier.join().unwrap();
        r.run(RunMode::NoWait);
        drop(r);
        assert_eq!(
            lp.ledger(0).unwrap(),
            Ledger {
                notified: 2,
                delivered: 1,
                coalesced: 0,
                dropped: 1,
                pending: 0
            }
        );
    });
}

/// Two notifier threads on one loop: no wakeup is lost and every
/// notification is accounted for. Each notifier raises its flag, then notifies;
/// the loop finishes only once a callback has seen both flags. A lost wakeup
/// leaves the loop asleep with a flag unseen: a deadlock loom reports.
fn two_notifiers<const CAP: usize>(slot_a: usize, slot_b: usize) {
    let lp = Arc::new(Loop::<LoomPark, CAP>::new(LoomPark::new()));
    let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let spawn = |i: usize, slot: usize| {
        let (lp, flags) = (lp.clone(), flags.clone());
        thread::spawn(move || {
            flags[i].store(true, Ordering::Relaxed);
            lp.handle(slot).unwrap().notify();
        })
    };
    let mut r = runner(&lp);
    let mut calls = [0u64; 2];
    let seen = |i: usize| flags[i].load(Ordering::Relaxed);
    if slot_a == slot_b {
        // One slot: its notifications may coalesce.
        let mut cb = || {
            calls[0] += 1;
            if seen(0) && seen(1) {
                Action::Disarm
            } else {
                Action::Rearm
            }
        };
        r.arm(slot_a, &mut cb).unwrap();
        // Armed first: a notification of a dead slot would be dropped.
        let (a, b) = (spawn(0, slot_a), spawn(1, slot_b));
        assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
        a.join().unwrap();
        b.join().unwrap();
        r.run(RunMode::NoWait);
        drop(r);
        let l = lp.ledger(slot_a).unwrap();
        assert_eq!(
            (l.notified, l.delivered, l.pending),
            (2, calls[0], 0),
            "{l}"
        );
        assert!(l.is_conserved(), "{l}");
    } else {
        // Two slots, each disarming once its own notifier's flag is seen (the
        // flag is written before the notify, and a callback runs after it).
        let (first, second) = calls.split_at_mut(1);
        let mut cb_a = || {
            first[0] += 1;
            assert!(seen(0), "slot a ran without its notification");
            Action::Disarm
        };
        let mut cb_b = || {
            second[0] += 1;
            assert!(seen(1), "slot b ran without its notification");
            Action::Disarm
        };
        r.arm(slot_a, &mut cb_a).unwrap();
        r.arm(slot_b, &mut cb_b).unwrap();
        let (a, b) = (spawn(0, slot_a), spawn(1, slot_b));
        assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
        drop(r);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(calls, [1, 1]);
        for slot in [slot_a, slot_b] {
            let l = lp.ledger(slot).unwrap();
            assert_eq!((l.notified, l.delivered, l.pending), (1, 1, 0), "{l}");
        }
    }
}

/// Model-checks [`two_notifiers`] with the loop on a thread with a large stack:
/// a loop of hundreds of slots, or a failing assertion's unwinding beside one,
/// overflows a model thread's default stack, and loom then hangs instead of
/// reporting the failure.
fn check_two_notifiers<const CAP: usize>(slot_a: usize, slot_b: usize) {
    check_two_notifiers_with::<CAP>(loom::model::Builder::new(), slot_a, slot_b);
}

/// [`check_two_notifiers`] with the model checker set up by `builder`.
fn check_two_notifiers_with<const CAP: usize>(
    builder: loom::model::Builder,
    slot_a: usize,
    slot_b: usize,
) {
    builder.check(move || {
        thread::Builder::new()
            .stack_size(1 << 24)
            .spawn(move || two_notifiers::<CAP>(slot_a, slot_b))
            .unwrap()
            .join()
            .unwrap();
    });
}

// Slots below DIRECT_SLOTS live in the park word itself, the rest in the
// bitmap beneath it: words of usize::BITS slots (the first starting at
// DIRECT_SLOTS), eight words to a summary bit of the park word. Each pairing
// below takes a different path through `mark` and `take`.

#[test]
fn two_notifiers_park_word_slots_lose_no_wakeup() {
    check_two_notifiers::<2>(0, 1);
}

#[test]
fn two_notifiers_park_word_and_bitmap_slots_lose_no_wakeup() {
    check_two_notifiers::<{ NEXT_WORD + 1 }>(0, NEXT_WORD);
}

#[test]
fn two_notifiers_same_bitmap_word_lose_no_wakeup() {
    check_two_notifiers::<{ BITMAP + 2 }>(BITMAP, BITMAP + 1);
}

/// Two words under one summary bit: the loop's plain look at the other word
/// may find it empty while its notifier is between its two RMWs.
#[test]
fn two_notifiers_different_bitmap_words_lose_no_wakeup() {
    check_two_notifiers::<{ NEXT_WORD + 1 }>(BITMAP, NEXT_WORD);
}

#[test]
fn two_notifiers_different_summary_bits_lose_no_wakeup() {
    check_two_notifiers::<{ NEXT_CLASS + 1 }>(BITMAP, NEXT_CLASS);
}

/// A loop above 4096 slots: two words under one summary bit, one the ready
/// set's, one kept in a slot's line.
#[test]
fn two_notifiers_own_and_spilled_bitmap_words_lose_no_wakeup() {
    // Each execution builds a loop of 4097 slots, fifteen times what one of
    // 513 costs: at most three preemptions keep the model near a minute.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(builder.preemption_bound.map_or(3, |bound| bound.min(3)));
    check_two_notifiers_with::<{ SPILLED + 1 }>(builder, BITMAP, SPILLED);
}

#[test]
fn two_notifiers_one_slot_coalesce_and_are_counted() {
    check_two_notifiers::<1>(0, 0);
}

#[test]
fn two_notifiers_one_bitmap_slot_coalesce_and_are_counted() {
    check_two_notifiers::<{ BITMAP + 1 }>(BITMAP, BITMAP);
}

/// A parker that returns spuriously (at once, or woken with no change of
/// the word) never produces a callback without a notification, and never makes
/// `Once` return before a callback ran. The callback also sees what the
/// notifier wrote before notifying.
#[test]
fn spurious_wakeups_never_run_a_callback_without_a_notify() {
    loom::model(|| {
        let lp = Arc::new(Loop::<LoomPark, 1>::new(LoomPark::spurious(1)));
        let data = Arc::new(AtomicUsize::new(0));
        let mut calls = 0;
        let mut cb = || {
            calls += 1;
            // Relaxed on purpose: only the notify/take Release/Acquire pair
            // can make this visible.
            assert_eq!(data.load(Ordering::Relaxed), 42);
            Action::Rearm
        };
        let mut r = runner(&lp);
        r.arm(0, &mut cb).unwrap();
        let notifier = {
            let (lp, data) = (lp.clone(), data.clone());
            thread::spawn(move || {
                data.store(42, Ordering::Relaxed);
                lp.handle(0).unwrap().notify();
            })
        };
        let rogue = {
            let lp = lp.clone();
            thread::spawn(move || lp.parker().spurious_wake())
        };
        assert_eq!(r.run(RunMode::Once), Exit::Ran);
        drop(r);
        notifier.join().unwrap();
        rogue.join().unwrap();
        assert_eq!(calls, 1);
    });
}

/// Negative control: the ping-pong model above, with the park announced by a plain
/// store instead of a compare-exchange. The store can overwrite a NOTIFIED
/// that just landed; loom must find that interleaving and report the deadlock.
#[test]
fn negative_control_store_instead_of_cas_is_caught() {
    expect_deadlock("broken_store_instead_of_cas");
}

#[test]
#[ignore = "a deliberately broken protocol: negative_control_store_instead_of_cas_is_caught runs it and expects failure"]
fn broken_store_instead_of_cas() {
    loom::model(|| ping_pong(Loop::with_fault(LoomPark::new(), Fault::StoreParked)));
}

/// Negative control: a parker that sleeps without first looking at the word
/// loses a wake that came before the sleep; loom must report the deadlock.
#[test]
fn negative_control_parker_without_recheck_is_caught() {
    expect_deadlock("broken_parker_without_recheck");
}

#[test]
#[ignore = "a deliberately broken parker: negative_control_parker_without_recheck_is_caught runs it and expects failure"]
fn broken_parker_without_recheck() {
    loom::model(|| {
        let lp = Arc::new(Loop::<LoomPark, 1>::new(LoomPark::without_recheck()));
        let mut cb = || Action::Disarm;
        let mut r = runner(&lp);
        r.arm(0, &mut cb).unwrap();
        let notifier = {
            let lp = lp.clone();
            thread::spawn(move || {
                lp.handle(0).unwrap().notify();
            })
        };
        r.run(RunMode::UntilDone);
        drop(r);
        notifier.join().unwrap();
    });
}

/// A stop from another thread ends a run that has nothing to do: it wakes
/// the parked loop (or is found before it parks), and `run` returns `Stopped`
/// with the completion still active. A lost stop would be a deadlock.
#[test]
fn stop_from_another_thread_ends_a_waiting_run() {
    loom::model(|| {
        let lp = Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
        let mut cb = || Action::Rearm;
        let mut r = runner(&lp);
        r.arm(0, &mut cb).unwrap();
        let written = Arc::new(AtomicUsize::new(0));
        let stopper = {
            let (lp, written) = (lp.clone(), written.clone());
            thread::spawn(move || {
                written.store(7, Ordering::Relaxed);
                lp.stop();
            })
        };
        assert_eq!(r.run(RunMode::UntilDone), Exit::Stopped);
        assert_eq!(r.active(), 1);
        // What the stopper wrote before `stop` is there once `run` returns.
        assert_eq!(written.load(Ordering::Relaxed), 7);
        drop(r);
        stopper.join().unwrap();
    });
}

/// What a notifier wrote before `notify` is there in the callback that the
/// notification leads to, written with Relaxed so that only the notify's
/// Release and the take's Acquire can carry it: whether the loop found the
/// slot on its first look or slept and was woken.
fn callback_sees_what_its_notifier_wrote<const CAP: usize>(slot: usize) {
    loom::model(move || {
        let lp = Arc::new(Loop::<LoomPark, CAP>::new(LoomPark::new()));
        let written = Arc::new(AtomicUsize::new(0));
        let mut seen = None;
        let mut cb = || {
            seen = Some(written.load(Ordering::Relaxed));
            Action::Disarm
        };
        let mut r = runner(&lp);
        r.arm(slot, &mut cb).unwrap();
        let notifier = {
            let (lp, written) = (lp.clone(), written.clone());
            thread::spawn(move || {
                written.store(42, Ordering::Relaxed);
                lp.handle(slot).unwrap().notify();
            })
        };
        assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
        drop(r);
        assert_eq!(seen, Some(42));
        notifier.join().unwrap();
    });
}

#[test]
fn callback_of_a_park_word_slot_sees_what_its_notifier_wrote() {
    callback_sees_what_its_notifier_wrote::<1>(0);
}

#[test]
fn callback_of_a_bitmap_slot_sees_what_its_notifier_wrote() {
    callback_sees_what_its_notifier_wrote::<{ BITMAP + 1 }>(BITMAP);
}

/// A callback panics while another thread notifies: what the panicking
/// take had swapped out is put back (and the loop told to look again) even as
/// new notifications land, so nothing is lost and a later run finishes.
fn panicking_callback_beside_a_notifier<const CAP: usize>(exploding: usize, other: usize) {
    let lp = Arc::new(Loop::<LoomPark, CAP>::new(LoomPark::new()));
    let mut first = true;
    let mut calls = [0u32; 2];
    let (zero, one) = calls.split_at_mut(1);
    let mut explode_once = || {
        zero[0] += 1;
        if std::mem::take(&mut first) {
            panic!("injected callback failure");
        }
        Action::Disarm
    };
    let mut count = || {
        one[0] += 1;
        Action::Disarm
    };
    let mut r = runner(&lp);
    r.arm(exploding, &mut explode_once).unwrap();
    r.arm(other, &mut count).unwrap();
    lp.handle(exploding).unwrap().notify();
    let notifier = {
        let lp = lp.clone();
        thread::spawn(move || {
            lp.handle(other).unwrap().notify();
        })
    };
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.run(RunMode::NoWait)));
    assert!(unwound.is_err());
    // The exploding slot must run again to disarm: notify it; the other slot's
    // notification came from the other thread, before, during or after the panic.
    lp.handle(exploding).unwrap().notify();
    assert_eq!(r.run(RunMode::UntilDone), Exit::Done);
    drop(r);
    notifier.join().unwrap();
    assert_eq!(calls, [2, 1]);
    for slot in [exploding, other] {
        let l = lp.ledger(slot).unwrap();
        assert!(l.is_conserved() && l.pending == 0, "slot {slot}: {l}");
    }
}

#[test]
fn panicking_callback_loses_nothing_to_a_concurrent_notify() {
    loom::model(|| panicking_callback_beside_a_notifier::<2>(0, 1));
}

/// The same in the bitmap: the other slot shares the exploding slot's word,
/// whose remaining bits the unwinding take puts back while it is notified.
#[test]
fn panicking_bitmap_callback_loses_nothing_to_a_concurrent_notify() {
    loom::model(|| panicking_callback_beside_a_notifier::<{ BITMAP + 2 }>(BITMAP, BITMAP + 1));
}

/// A loop watched by another reactor: the reactor's thread runs what is ready,
/// announces the park with `prepare_block` and blocks on the parker's event
/// (as on an eventfd in its epoll set) instead of in the parker. `announce:
/// false` is the negative control: blocking unannounced loses the wake.
fn reactor_beside_a_notifier(announce: bool) {
    let lp = Arc::new(Loop::<LoomPark, 1>::new(LoomPark::new()));
    let mut cb = || Action::Disarm;
    let mut r = runner(&lp);
    r.arm(0, &mut cb).unwrap();
    let notifier = {
        let lp = lp.clone();
        thread::spawn(move || lp.handle(0).unwrap().notify())
    };
    while r.run(RunMode::NoWait) != Exit::Done {
        if !announce || r.prepare_block() {
            lp.parker().block_until_unparked();
        }
    }
    drop(r);
    notifier.join().unwrap();
    let ledger = lp.ledger(0).unwrap();
    assert!(ledger.is_conserved() && ledger.delivered == 1, "{ledger}");
}

/// A reactor that announces before it blocks is woken by the notification,
/// or finds it pending and does not block.
#[test]
fn reactor_announcing_before_it_blocks_loses_no_wakeup() {
    loom::model(|| reactor_beside_a_notifier(true));
}

/// Negative control: a reactor that blocks without announcing is never woken
/// by a notification that came after its last run; loom must report it.
#[test]
fn negative_control_reactor_blocking_unannounced_is_caught() {
    expect_deadlock("broken_reactor_blocking_unannounced");
}

#[test]
#[ignore = "a deliberately broken reactor: negative_control_reactor_blocking_unannounced_is_caught runs it and expects failure"]
fn broken_reactor_blocking_unannounced() {
    loom::model(|| reactor_beside_a_notifier(false));
}

/// A loop's runner dropped on one thread and a new one claimed on another:
/// the new runner sees what the old one counted and armed (the claim's
/// Acquire against the drop's Release), so the slot's ledger, read by the
/// new runner's thread, balances and counts the delivery.
#[test]
fn a_runner_claimed_on_another_thread_sees_what_the_last_one_left() {
    loom::model(|| {
        let lp: Arc<Loop<LoomPark, 1>> = Arc::new(Loop::new(LoomPark::new()));
        let mut first = runner(&lp);
        let mut delivered = 0;
        let mut on_notify = || {
            delivered += 1;
            Action::Disarm
        };
        first.arm(0, &mut on_notify).unwrap();
        let next = {
            let lp = Arc::clone(&lp);
            thread::spawn(move || {
                // Spawned after the first runner's claim: this thread takes
                // the loop only once that runner is dropped.
                let second = loop {
                    match CallbackRunner::new(&lp) {
                        Ok(second) => break second,
                        Err(_) => thread::yield_now(),
                    }
                };
                let ledger = lp.ledger(0).unwrap();
                drop(second);
                ledger
            })
        };
        lp.handle(0).unwrap().notify();
        assert_eq!(first.run(RunMode::UntilDone), Exit::Done);
        drop(first);
        assert_eq!(delivered, 1);
        let ledger = next.join().unwrap();
        assert_eq!((ledger.notified, ledger.delivered), (1, 1), "{ledger}");
        assert!(ledger.is_conserved(), "{ledger}");
    });
}

/// A notification racing a timed park's timeout: the run either runs the
/// callback or times out, and after a timeout the notification is pending
/// (or still to land), so an untimed run takes it. With `fault`
/// [`Fault::TimeoutStoresEmpty`] the timeout wipes a notification that
/// landed after the parker gave up, and the untimed run sleeps forever.
fn notify_racing_a_timeout(fault: Fault) {
    let lp = Arc::new(Loop::<TimeoutPark, 1>::with_fault(
        TimeoutPark::new(),
        fault,
    ));
    let mut calls = 0;
    let mut on_notify = || {
        calls += 1;
        Action::Rearm
    };
    let mut runner = CallbackRunner::new(&*lp)
        .unwrap()
        .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
    runner.arm(0, &mut on_notify).unwrap();
    let notifier = {
        let lp = lp.clone();
        thread::spawn(move || {
            lp.handle(0).unwrap().notify();
        })
    };
    match runner.run_until(RunMode::Once, 1_000).unwrap() {
        Exit::Ran => {}
        Exit::TimedOut => assert_eq!(runner.run(RunMode::Once), Exit::Ran),
        other => panic!("a deadline run ended {other:?}"),
    }
    notifier.join().unwrap();
    drop(runner);
    assert_eq!(calls, 1);
    let ledger = lp.ledger(0).unwrap();
    assert!(ledger.check().is_ok(), "{ledger}");
}

#[test]
fn notify_racing_a_timed_parks_timeout_is_never_lost() {
    loom::model(|| notify_racing_a_timeout(Fault::None));
}

/// Negative control: the timeout withdraws the park with a plain store, and
/// wipes a notification that landed after the parker gave up; loom must
/// report the untimed run that then sleeps forever.
#[test]
fn negative_control_timeout_storing_empty_is_caught() {
    expect_deadlock("broken_timeout_storing_empty");
}

#[test]
#[ignore = "a deliberately broken protocol: negative_control_timeout_storing_empty_is_caught runs it and expects failure"]
fn broken_timeout_storing_empty() {
    loom::model(|| notify_racing_a_timeout(Fault::TimeoutStoresEmpty));
}
