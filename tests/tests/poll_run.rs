//! A loop run inside an async task (`poll_run` on a `WakerPark`): pinged from
//! a loop on a plain thread 100,000 times, on tokio's multi-thread runtime and
//! in futures' `block_on`; stopped from outside; yielding back to the
//! executor while work keeps coming.
#![cfg(not(rearm_loom))]

use rearm_core::park::{ThreadPark, WakerPark};
use rearm_core::{Action, CallbackRunner, Exit, HandlerRunner, Loop, OwnedSlotHandle, RunMode};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;

const PINGS: u64 = 100_000;

/// A ping-pong between a task's loop and a thread's loop: each side's
/// handler notifies the other's slot 0, `PINGS` times each way. Returns the
/// deliveries each side counted. A lost wake leaves both waiting: the test
/// then hangs, and the harness's timeout reports it.
fn ping_pong_with_a_task(
    run_task: impl FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = u64> + Send>>) -> u64,
) -> (u64, u64) {
    let task_loop: Arc<Loop<WakerPark, 1>> = Arc::new(Loop::new(WakerPark::new()));
    let thread_loop: Arc<Loop<ThreadPark, 1>> = Arc::new(Loop::new(ThreadPark::new()));
    let to_task = OwnedSlotHandle::new(Arc::clone(&task_loop), 0).unwrap();
    let to_thread = OwnedSlotHandle::new(Arc::clone(&thread_loop), 0).unwrap();
    let (armed_tx, armed_rx) = std::sync::mpsc::channel();
    let pinger = thread::spawn(move || {
        let mut runner = HandlerRunner::new(&*thread_loop).unwrap();
        runner.arm(0).unwrap();
        let mut pongs = 0;
        let mut on_pong = |_slot: usize| {
            pongs += 1;
            if pongs == PINGS {
                return Action::Disarm;
            }
            to_task.notify();
            Action::Rearm
        };
        armed_rx.recv().unwrap(); // the task's slot is armed: the first ping lands
        to_task.notify();
        assert_eq!(runner.run(RunMode::UntilDone, &mut on_pong), Exit::Done);
        pongs
    });
    let task = Box::pin(async move {
        let mut runner = HandlerRunner::new(&*task_loop).unwrap();
        runner.arm(0).unwrap();
        armed_tx.send(()).unwrap();
        let mut pings = 0;
        let mut on_ping = |_slot: usize| {
            pings += 1;
            to_thread.notify();
            if pings == PINGS {
                Action::Disarm
            } else {
                Action::Rearm
            }
        };
        assert_eq!(
            runner.run_async(RunMode::UntilDone, &mut on_ping).await,
            Exit::Done
        );
        pings
    });
    let pings = run_task(task);
    (pings, pinger.join().unwrap())
}

#[test]
fn a_task_loop_and_a_thread_loop_ping_pong_on_tokio() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let counts =
        ping_pong_with_a_task(|task| runtime.block_on(async { tokio::spawn(task).await.unwrap() }));
    assert_eq!(counts, (PINGS, PINGS));
}

#[test]
fn a_task_loop_and_a_thread_loop_ping_pong_in_block_on() {
    let counts = ping_pong_with_a_task(futures_executor::block_on);
    assert_eq!(counts, (PINGS, PINGS));
}

/// A stop from another thread wakes the pending task, which returns
/// `Stopped`; the closure runner does the same.
#[test]
fn a_stop_wakes_the_pending_task() {
    let lp: Arc<Loop<WakerPark, 2>> = Arc::new(Loop::new(WakerPark::new()));
    let stopper = {
        let lp = Arc::clone(&lp);
        thread::spawn(move || {
            while !lp.parker().is_registered() {
                thread::yield_now();
            }
            lp.stop();
        })
    };
    let mut never = || Action::Rearm;
    let mut runner = CallbackRunner::new(&*lp).unwrap();
    runner.arm(1, &mut never).unwrap();
    assert_eq!(
        futures_executor::block_on(runner.run_async(RunMode::UntilDone)),
        Exit::Stopped
    );
    stopper.join().unwrap();
}

/// Modes: `NoWait` returns after one pass, `Once` after a pass that ran
/// something, pending in between; a loop whose slots all disarm is done.
#[test]
fn poll_run_keeps_run_modes() {
    let lp: Loop<WakerPark, 2> = Loop::new(WakerPark::new());
    let mut cx = Context::from_waker(Waker::noop());
    let mut runs = 0;
    let mut on_event = |slot: usize| {
        runs += 1;
        if slot == 1 {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    runner.arm(1).unwrap();
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::NoWait, &mut on_event),
        Poll::Ready(Exit::Ran)
    );
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::Once, &mut on_event),
        Poll::Pending
    );
    lp.handle(0).unwrap().notify();
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::Once, &mut on_event),
        Poll::Ready(Exit::Ran)
    );
    lp.handle(1).unwrap().notify();
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::UntilDone, &mut on_event),
        Poll::Pending
    );
    runner.disarm(0).unwrap();
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::UntilDone, &mut on_event),
        Poll::Ready(Exit::Done)
    );
    drop(runner);
    assert_eq!(runs, 2);
}

/// A handler that notifies its own slot keeps the loop busy for ever; the
/// poll still hands the thread back, waking its task so it is polled again.
#[test]
fn a_busy_loop_yields_to_the_executor() {
    let lp: Loop<WakerPark, 1> = Loop::new(WakerPark::new());
    let again = lp.handle(0).unwrap();
    let mut runs = 0u32;
    let mut on_event = |_slot: usize| {
        runs += 1;
        again.notify();
        Action::Rearm
    };
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    again.notify();
    let flag = Arc::new(WakeCount::default());
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::UntilDone, &mut on_event),
        Poll::Pending
    );
    assert_eq!(
        flag.0.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "woke itself once"
    );
    drop(runner);
    assert!(runs > 1);
}

#[derive(Default)]
struct WakeCount(std::sync::atomic::AtomicU64);

impl std::task::Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `WakerPark::park` (which only a blocking run calls) waits until the word
/// changes: it does not return while the word still holds the value.
#[test]
fn waker_park_park_waits_for_the_word_to_change() {
    use rearm_core::park::{Park, ParkWord};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let parker = WakerPark::new();
    let word = ParkWord::new(1);
    let start = Instant::now();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(20));
            word.store(0, Ordering::Release);
        });
        parker.park(&word, 1);
        assert_eq!(
            word.load(Ordering::Acquire),
            0,
            "returned before the change"
        );
    });
    assert!(start.elapsed() >= Duration::from_millis(20));
}

/// A handler that panics inside `poll_run` leaves its notification pending:
/// the next poll runs it. A runner dropped while its task was pending, and
/// made again, takes the notification that came meanwhile.
#[test]
fn a_panicking_handler_and_a_remade_runner_lose_nothing() {
    let lp: Loop<WakerPark, 1> = Loop::new(WakerPark::new());
    let mut cx = Context::from_waker(Waker::noop());
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    lp.handle(0).unwrap().notify();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut boom = |_slot: usize| -> Action { panic!("handler fails") };
        runner.poll_run(&mut cx, RunMode::Once, &mut boom)
    }));
    assert!(panicked.is_err());
    let mut runs = 0;
    let mut count = |_slot: usize| {
        runs += 1;
        Action::Rearm
    };
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::Once, &mut count),
        Poll::Ready(Exit::Ran)
    );
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::Once, &mut count),
        Poll::Pending
    );
    drop(runner); // the task goes away while pending
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    lp.handle(0).unwrap().notify();
    assert_eq!(
        runner.poll_run(&mut cx, RunMode::Once, &mut count),
        Poll::Ready(Exit::Ran)
    );
    drop(runner);
    assert_eq!(runs, 2);
}
