//! A mailbox whose receiver is a plain thread: `recv` and `recv_timeout` on a
//! `Signal`, with the std parker and the futex parker. Every value arrives
//! once and in order per producer; the close wakes a sleeping receiver; a
//! timeout returns once its time has passed and not before.
#![cfg(not(rearm_loom))]

use driver::sys::FutexPark;
use rearm_core::mailbox::{
    Mailbox, OneSenderMailbox, RecvError, RecvTimeoutError, Signal, TryRecvError,
};
use rearm_core::park::{Park, SpinPark, ThreadPark};
use std::sync::Arc;
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

const PRODUCERS: u32 = 4;
const PER_PRODUCER: u32 = 50_000;

/// `PRODUCERS` threads send `PER_PRODUCER` numbered values each into a small
/// mailbox, waiting for room; the receiver checks each producer's values
/// come in order and all come, then sees the close.
fn producers_to_a_blocking_receiver<P: Park + Send + Sync + 'static>(parker: P) {
    let mailbox: Arc<Mailbox<(u32, u32), Signal<P>, 64>> =
        Arc::new(Mailbox::new(Signal::new(parker)));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                for seq in 0..PER_PRODUCER {
                    mailbox.send_blocking((producer, seq)).unwrap();
                }
            })
        })
        .collect();
    let closer = {
        let mailbox = Arc::clone(&mailbox);
        thread::spawn(move || {
            producers.into_iter().for_each(|p| p.join().unwrap());
            mailbox.close();
        })
    };
    let mut next = [0u32; PRODUCERS as usize];
    while let Ok((producer, seq)) = mailbox.recv() {
        assert_eq!(
            seq, next[producer as usize],
            "producer {producer} out of order"
        );
        next[producer as usize] += 1;
    }
    closer.join().unwrap();
    assert_eq!(next, [PER_PRODUCER; PRODUCERS as usize]);
    assert_eq!(mailbox.recv(), Err(RecvError));
    let counts = mailbox.counts();
    assert_eq!(counts.sent, counts.received);
}

#[test]
fn every_value_arrives_once_in_order_on_the_std_parker() {
    producers_to_a_blocking_receiver(ThreadPark::new());
}

#[test]
fn every_value_arrives_once_in_order_on_the_futex_parker() {
    producers_to_a_blocking_receiver(FutexPark::new());
}

/// A receiver asleep on an empty mailbox wakes for the close.
#[test]
fn a_close_wakes_a_sleeping_receiver() {
    let mailbox: Mailbox<u32, Signal<ThreadPark>, 4> = Mailbox::new(Signal::default());
    thread::scope(|s| {
        let receiver = s.spawn(|| mailbox.recv());
        // Give the receiver time to sleep (the test passes either way; this
        // makes the sleeping path the likely one).
        while mailbox.notifier().parker().sleeps() == 0 && !receiver.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        assert!(mailbox.close());
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
    });
}

/// A value sent while the receiver sleeps wakes it.
#[test]
fn a_send_wakes_a_sleeping_receiver() {
    let mailbox: Mailbox<u32, Signal<ThreadPark>, 4> = Mailbox::new(Signal::default());
    thread::scope(|s| {
        let receiver = s.spawn(|| mailbox.recv_timeout(Duration::from_secs(60)));
        while mailbox.notifier().parker().sleeps() == 0 {
            thread::sleep(Duration::from_millis(1));
        }
        mailbox.send(42).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(42));
    });
}

/// A timeout returns `Timeout` no sooner than asked, and a value already
/// there is taken without waiting.
#[test]
fn recv_timeout_waits_its_time_then_gives_up() {
    let mailbox: Mailbox<u32, Signal<FutexPark>, 4> = Mailbox::new(Signal::new(FutexPark::new()));
    let start = Instant::now();
    assert_eq!(
        mailbox.recv_timeout(Duration::from_millis(20)),
        Err(RecvTimeoutError::Timeout)
    );
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(20),
        "gave up after {waited:?}"
    );
    mailbox.send(5).unwrap();
    assert_eq!(mailbox.recv_timeout(Duration::ZERO), Ok(5));
    mailbox.close();
    assert_eq!(
        mailbox.recv_timeout(Duration::from_secs(60)),
        Err(RecvTimeoutError::Closed)
    );
}

/// A deadline already passed still takes a value that is there.
#[test]
fn recv_deadline_in_the_past_takes_what_is_there() {
    let mailbox: Mailbox<u32, Signal<ThreadPark>, 4> = Mailbox::new(Signal::default());
    mailbox.send(9).unwrap();
    assert_eq!(mailbox.recv_deadline(0), Ok(9));
    assert_eq!(mailbox.recv_deadline(0), Err(RecvTimeoutError::Timeout));
}

/// Without a clock, a timed receive is refused before it takes anything.
#[test]
fn recv_timeout_without_a_clock_is_refused_and_takes_nothing() {
    let mailbox: Mailbox<u32, Signal<SpinPark>, 4> = Mailbox::new(Signal::new(SpinPark::new()));
    mailbox.send(1).unwrap();
    assert_eq!(
        mailbox.recv_timeout(Duration::from_secs(1)),
        Err(RecvTimeoutError::NoClock)
    );
    assert_eq!(
        mailbox.recv_deadline(u64::MAX),
        Err(RecvTimeoutError::NoClock)
    );
    assert_eq!(mailbox.recv(), Ok(1));
}

/// The owned ends: the last sender's drop closes, and `recv` ends.
#[test]
fn owned_receiver_receives_until_the_last_sender_goes() {
    let (sender, receiver) =
        Mailbox::<u64, Signal<ThreadPark>, 16>::new(Signal::default()).into_owned();
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let sender = sender.clone();
            thread::spawn(move || {
                for value in 0..10_000 {
                    sender.send_blocking(p * 10_000 + value).unwrap();
                }
            })
        })
        .collect();
    drop(sender);
    let mut sum = 0;
    while let Ok(value) = receiver.recv() {
        sum += value;
    }
    producers.into_iter().for_each(|p| p.join().unwrap());
    assert_eq!(sum, (0..30_000).sum::<u64>());
    assert_eq!(
        receiver.recv_timeout(Duration::ZERO),
        Err(RecvTimeoutError::Closed)
    );
}

/// The one-sender mailbox's receiver waits through `Signal::wait_for`: its
/// sender holds the signal, its receiver looks.
#[test]
fn one_sender_mailbox_waits_on_a_signal() {
    let mut mailbox: OneSenderMailbox<u32, 8> = OneSenderMailbox::new();
    let signal: Signal<FutexPark> = Signal::new(FutexPark::new());
    let (mut tx, mut rx) = mailbox.split(&signal);
    thread::scope(|s| {
        s.spawn(move || {
            for value in 0..100_000 {
                tx.send_blocking(value).unwrap();
            }
            // The sender's drop closes the mailbox.
        });
        let mut expected = 0;
        loop {
            let got = signal.wait_for(|| match rx.try_recv() {
                Ok(value) => Poll::Ready(Some(value)),
                Err(TryRecvError::Closed) => Poll::Ready(None),
                Err(TryRecvError::Empty) => Poll::Pending,
            });
            let Some(value) = got else { break };
            assert_eq!(value, expected);
            expected += 1;
        }
        assert_eq!(expected, 100_000);
    });
}

/// A parker that counts its spin steps and yields, and never sleeps.
#[derive(Default)]
struct CountingPark {
    relaxes: std::cell::Cell<u32>,
    yields: std::cell::Cell<u32>,
}

impl Park for CountingPark {
    fn park(&self, _word: &rearm_core::park::ParkWord, _expected: u32) {
        panic!("slept with a notification pending");
    }

    fn unpark(&self, _word: &rearm_core::park::ParkWord) {}

    fn relax(&self) {
        self.relaxes.set(self.relaxes.get() + 1);
    }

    fn yield_now(&self) {
        self.yields.set(self.yields.get() + 1);
    }
}

/// A notification that came after the look is seen by the spin's first
/// glance: the waiter looks again at once, with no spin step, no yield and
/// no sleep.
#[test]
fn a_notification_after_the_look_is_seen_without_spinning_or_yielding() {
    let signal: Signal<CountingPark> = Signal::new(CountingPark::default());
    let mut looks = 0;
    let done = signal.wait_for(|| {
        looks += 1;
        if looks == 1 {
            signal.notify(); // as if another thread sent just now
            Poll::Pending
        } else {
            Poll::Ready(looks)
        }
    });
    assert_eq!(done, 2);
    assert_eq!(signal.parker().relaxes.get(), 0);
    assert_eq!(signal.parker().yields.get(), 0);
}
