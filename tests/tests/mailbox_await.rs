//! A mailbox whose receiver awaits (`AsyncSignal`), on real executors: tokio's
//! multi-thread runtime under 8 producers, futures' `block_on`, and a minimal
//! executor in the bare-metal shape (poll, then wait for a wake flag). Every
//! value arrives once and in order per producer, the close ends the receive,
//! and the stream ends with it.
#![cfg(not(rearm_loom))]

use futures_core::Stream;
use rearm_core::mailbox::{AsyncSignal, Mailbox, RecvError, TrySendError};
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// How long the minimal executor waits for a wake before calling it lost.
const LOST_WAKE: Duration = Duration::from_secs(20);

const PRODUCERS: u32 = 8;
const PER_PRODUCER: u32 = 100_000;

type Shared = Mailbox<(u32, u32), AsyncSignal, 1024>;

/// Sends `value`, yielding to the runtime while the mailbox is full.
async fn send_yielding(mailbox: &Shared, mut value: (u32, u32)) {
    loop {
        match mailbox.send(value) {
            Ok(_) => return,
            Err(TrySendError::Full(back)) => {
                value = back;
                tokio::task::yield_now().await;
            }
            Err(TrySendError::Closed(_)) => panic!("closed while sending"),
        }
    }
}

/// Awaits every value, checking each producer's order; returns how many
/// came from each.
async fn receive_in_order(mailbox: &Shared) -> Vec<u32> {
    let mut next = vec![0u32; PRODUCERS as usize];
    while let Ok((producer, seq)) = mailbox.recv().await {
        assert_eq!(
            seq, next[producer as usize],
            "producer {producer} out of order"
        );
        next[producer as usize] += 1;
    }
    next
}

#[test]
fn tokio_eight_producers_every_value_once_and_in_order() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let mailbox: Arc<Shared> = Arc::new(Mailbox::new(AsyncSignal::new()));
    let received = runtime.block_on(async {
        let receiver = tokio::spawn({
            let mailbox = Arc::clone(&mailbox);
            async move { receive_in_order(&mailbox).await }
        });
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let mailbox = Arc::clone(&mailbox);
                tokio::spawn(async move {
                    for seq in 0..PER_PRODUCER {
                        send_yielding(&mailbox, (producer, seq)).await;
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.await.unwrap();
        }
        mailbox.close();
        receiver.await.unwrap()
    });
    assert_eq!(received, vec![PER_PRODUCER; PRODUCERS as usize]);
    let counts = mailbox.counts();
    assert_eq!(counts.sent, counts.received);
}

/// `producers` plain threads send `per_producer` numbered values each,
/// yielding while the mailbox is full; the returned thread joins them and
/// closes the mailbox.
fn threads_send_then_close(
    mailbox: &Arc<Shared>,
    producers: u32,
    per_producer: u32,
) -> thread::JoinHandle<()> {
    let senders: Vec<_> = (0..producers)
        .map(|producer| {
            let mailbox = Arc::clone(mailbox);
            thread::spawn(move || {
                for seq in 0..per_producer {
                    let mut value = (producer, seq);
                    while let Err(back) = mailbox.send(value) {
                        value = back.into_inner();
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let mailbox = Arc::clone(mailbox);
    thread::spawn(move || {
        senders.into_iter().for_each(|p| p.join().unwrap());
        mailbox.close();
    })
}

/// A receive whose polls spin before `Pending` (`AsyncSignal::with_spin`),
/// on tokio's multi-thread runtime, from producers on plain threads.
#[test]
fn spinning_polls_receive_every_value_once_and_in_order() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mailbox: Arc<Shared> = Arc::new(Mailbox::new(AsyncSignal::with_spin(128)));
    let closer = threads_send_then_close(&mailbox, 4, 50_000);
    let received = runtime.block_on({
        let mailbox = Arc::clone(&mailbox);
        async move {
            tokio::spawn(async move { receive_in_order(&mailbox).await })
                .await
                .unwrap()
        }
    });
    closer.join().unwrap();
    assert_eq!(&received[..4], &[50_000; 4]);
}

/// Producers on plain threads, the receiver in `futures::executor::block_on`
/// (which parks its thread until woken).
#[test]
fn futures_block_on_receives_from_threads() {
    let mailbox: Arc<Shared> = Arc::new(Mailbox::new(AsyncSignal::new()));
    let closer = threads_send_then_close(&mailbox, 4, 20_000);
    let received = futures_executor::block_on(receive_in_order(&mailbox));
    closer.join().unwrap();
    assert_eq!(&received[..4], &[20_000; 4]);
}

/// A wake flag: the waker of a minimal executor.
struct Flag {
    woken: AtomicBool,
    wakes: AtomicU64,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        // Release: the poll after the flag is seen sees what the waker saw.
        self.woken.store(true, Ordering::Release);
    }
}

/// The bare-metal executor's shape: poll; while pending, wait until the
/// flag is set (a core would sleep until an interrupt), clear it, poll again.
/// Returns the output and how many polls it took.
fn poll_until_ready<F: Future>(future: F) -> (F::Output, u64) {
    let flag = Arc::new(Flag {
        woken: AtomicBool::new(false),
        wakes: AtomicU64::new(0),
    });
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        let waiting = Instant::now();
        while !flag.woken.swap(false, Ordering::Acquire) {
            assert!(
                waiting.elapsed() < LOST_WAKE,
                "pending {LOST_WAKE:?} without a wake"
            );
            std::hint::spin_loop();
        }
    }
}

#[test]
fn minimal_executor_is_woken_for_every_value_it_waits_for() {
    let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
    thread::scope(|s| {
        s.spawn(|| {
            for value in 0..50_000 {
                let mut value = value;
                while let Err(back) = mailbox.send(value) {
                    value = back.into_inner();
                    thread::yield_now();
                }
            }
            mailbox.close();
        });
        let ((sum, count), polls) = poll_until_ready(async {
            let (mut sum, mut count) = (0u64, 0u32);
            while let Ok(value) = mailbox.recv().await {
                sum += u64::from(value);
                count += 1;
            }
            (sum, count)
        });
        assert_eq!(count, 50_000);
        assert_eq!(sum, (0..50_000u64).sum());
        assert!(
            polls >= 2,
            "the receive never waited: the test did not test waking"
        );
    });
}

/// A pending receive registered the task: a send wakes it, exactly once.
#[test]
fn a_send_wakes_a_pending_receive_once() {
    let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
    let flag = Arc::new(Flag {
        woken: AtomicBool::new(false),
        wakes: AtomicU64::new(0),
    });
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    assert_eq!(mailbox.poll_recv(&mut cx), Poll::Pending);
    assert_eq!(flag.wakes.load(Ordering::Relaxed), 0);
    mailbox.send(1).unwrap();
    mailbox.send(2).unwrap(); // told already: no second wake
    assert_eq!(flag.wakes.load(Ordering::Relaxed), 1);
    assert_eq!(mailbox.poll_recv(&mut cx), Poll::Ready(Ok(1)));
    assert_eq!(mailbox.poll_recv(&mut cx), Poll::Ready(Ok(2)));
    assert_eq!(mailbox.poll_recv(&mut cx), Poll::Pending);
    mailbox.close();
    assert_eq!(flag.wakes.load(Ordering::Relaxed), 2);
    assert_eq!(mailbox.poll_recv(&mut cx), Poll::Ready(Err(RecvError)));
}

/// A receive future dropped while pending takes no value with it.
#[test]
fn a_dropped_receive_loses_no_value() {
    let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut pending = pin!(mailbox.recv());
        assert_eq!(pending.as_mut().poll(&mut cx), Poll::Pending);
    }
    mailbox.send(3).unwrap();
    let mut next = pin!(mailbox.recv());
    assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
}

/// The stream yields every value, then ends at the close; so does the owned
/// receiver's.
#[test]
fn the_stream_ends_at_the_close() {
    let mailbox: Mailbox<u32, AsyncSignal, 8> = Mailbox::new(AsyncSignal::new());
    let mut cx = Context::from_waker(Waker::noop());
    let mut stream = &mailbox;
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Pending);
    for value in 0..5 {
        mailbox.send(value).unwrap();
    }
    assert_eq!(stream.size_hint(), (5, None));
    mailbox.close();
    let mut got = Vec::new();
    while let Poll::Ready(Some(value)) = Pin::new(&mut stream).poll_next(&mut cx) {
        got.push(value);
    }
    assert_eq!(got, [0, 1, 2, 3, 4]);
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));

    let (sender, mut receiver) =
        Mailbox::<u32, AsyncSignal, 8>::new(AsyncSignal::new()).into_owned();
    sender.send(7).unwrap();
    drop(sender);
    assert_eq!(
        Pin::new(&mut receiver).poll_next(&mut cx),
        Poll::Ready(Some(7))
    );
    assert_eq!(
        Pin::new(&mut receiver).poll_next(&mut cx),
        Poll::Ready(None)
    );
}

/// A signal notifies no slot: as a `Notifier` it says slot 0, which a
/// mailbox's `Debug` shows; a kept notification is an ordinary one.
#[test]
fn signals_name_slot_zero_and_keep_like_they_notify() {
    use rearm_core::Notified;
    use rearm_core::mailbox::{Notifier, Signal};
    use rearm_core::park::SpinPark;
    let awaited = AsyncSignal::new();
    assert_eq!(Notifier::slot(&awaited), 0);
    assert_eq!(Notifier::notify_kept(&awaited), Notified::Queued);
    assert_eq!(Notifier::notify(&awaited), Notified::Coalesced);
    let blocking: Signal<SpinPark> = Signal::new(SpinPark::new());
    assert_eq!(Notifier::slot(&blocking), 0);
    assert_eq!(Notifier::notify_kept(&blocking), Notified::Queued);
    assert_eq!(Notifier::notify(&blocking), Notified::Coalesced);
    let mailbox: Mailbox<u8, AsyncSignal, 2> = Mailbox::new(AsyncSignal::new());
    assert!(format!("{mailbox:?}").contains("slot: 0"), "{mailbox:?}");
}
