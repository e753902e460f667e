//! Zero allocations on the rearm side of an awaited or blocking wait: a loop
//! polled in a task, a mailbox received by a task and by a blocked thread.
//! This binary installs the counting allocator and holds one test, so nothing
//! else allocates while it counts.
#![cfg(not(rearm_loom))]

use driver::harness::alloc_count::{self, CountingAlloc};
use rearm_core::mailbox::{AsyncSignal, Mailbox, Signal};
use rearm_core::park::{ThreadPark, WakerPark};
use rearm_core::{Action, HandlerRunner, Loop, RunMode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

const ROUNDS: u32 = 10_000;

/// A waker that owns an `Arc`, as executors' wakers do: cloning it (each
/// registration that is not the same waker) is a count, not an allocation.
struct Nothing;

impl Wake for Nothing {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn waiting_in_tasks_and_threads_allocates_nothing() {
    assert!(alloc_count::is_installed());
    // The per-thread count sees this thread's allocations, or its zeros below
    // would prove nothing.
    let probe = alloc_count::thread_allocations();
    drop(std::hint::black_box(Box::new(0u8)));
    assert!(alloc_count::thread_allocations() > probe);
    let waker = Waker::from(Arc::new(Nothing));
    let mut cx = Context::from_waker(&waker);

    // A loop polled in a task: pending, woken, run, pending again.
    let lp: Loop<WakerPark, 1> = Loop::new(WakerPark::new());
    let handle = lp.handle(0).unwrap();
    let mut runs = 0u32;
    let mut on_event = |_slot: usize| {
        runs += 1;
        Action::Rearm
    };
    let mut runner = HandlerRunner::new(&lp).unwrap();
    runner.arm(0).unwrap();
    // This thread's count: the test harness's own thread may still be
    // setting up its wait for this test, and that allocates.
    let before = alloc_count::thread_allocations();
    for _ in 0..ROUNDS {
        assert_eq!(
            runner.poll_run(&mut cx, RunMode::Once, &mut on_event),
            Poll::Pending
        );
        handle.notify(); // takes the registered waker and wakes it
        assert!(
            runner
                .poll_run(&mut cx, RunMode::Once, &mut on_event)
                .is_ready()
        );
    }
    assert_eq!(
        alloc_count::thread_allocations() - before,
        0,
        "poll_run allocated"
    );
    drop(runner);
    assert_eq!(runs, ROUNDS);

    // A mailbox received by a task.
    let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
    let before = alloc_count::thread_allocations();
    for value in 0..ROUNDS {
        assert_eq!(mailbox.poll_recv(&mut cx), Poll::Pending);
        mailbox.send(value).unwrap();
        assert_eq!(mailbox.poll_recv(&mut cx), Poll::Ready(Ok(value)));
    }
    assert_eq!(
        alloc_count::thread_allocations() - before,
        0,
        "poll_recv allocated"
    );

    // A mailbox received by a blocked thread, from a producer started
    // before the count (spawning allocates; sending does not). Each thread
    // counts its own: the harness's thread may allocate meanwhile.
    let mailbox: Arc<Mailbox<u32, Signal<ThreadPark>, 4>> =
        Arc::new(Mailbox::new(Signal::default()));
    let go = Arc::new(AtomicBool::new(false));
    let producer = {
        let (mailbox, go) = (Arc::clone(&mailbox), Arc::clone(&go));
        std::thread::spawn(move || {
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let before = alloc_count::thread_allocations();
            for value in 0..ROUNDS {
                mailbox.send_blocking(value).unwrap();
            }
            mailbox.close();
            alloc_count::thread_allocations() - before
        })
    };
    let before = alloc_count::thread_allocations();
    go.store(true, Ordering::Release);
    let mut expected = 0;
    while let Ok(value) = mailbox.recv() {
        assert_eq!(value, expected);
        expected += 1;
    }
    let received = alloc_count::thread_allocations() - before;
    let sent = producer.join().unwrap();
    assert_eq!(expected, ROUNDS);
    assert_eq!(received, 0, "recv allocated");
    assert_eq!(sent, 0, "send_blocking allocated");
}
