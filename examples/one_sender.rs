//! A stream from one thread to a rearm loop: a producer thread sends readings
//! through a `OneSenderMailbox`, the loop's thread drains them in the slot's
//! handler and sleeps on a `ThreadPark` when there is nothing to do. The
//! mailbox lives on this thread's stack: a `thread::scope` lends its sending
//! end to the producer. Readings come in blocks of 16: the producer defers
//! each one and flushes at the end of the block, so the loop is told once
//! per block, not once per reading. A full mailbox hands the reading back
//! (and announces the ones deferred before it): the producer yields and
//! sends it again, never dropping one. When the producer is done its sender
//! is dropped, which closes the mailbox: the handler takes what is left and
//! disarms.
use rearm_core::mailbox::{OneSenderMailbox, TryRecvError};
use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode};

const READINGS: u64 = 100_000;
const BLOCK: u64 = 16;
const SLOT: usize = 0;

fn main() {
    let lp: Loop<ThreadPark, 1> = Loop::new(ThreadPark::new());
    // 256 readings in flight at most.
    let mut mailbox: OneSenderMailbox<u64, 256> = OneSenderMailbox::new();
    let (mut sender, mut receiver) = mailbox.split(lp.handle(SLOT).expect("slot 0 exists"));

    // Armed before the producer starts: a send to a dead slot would wait for
    // the next one.
    let mut runner = HandlerRunner::new(&lp).expect("a fresh loop takes a runner");
    runner.arm(SLOT).expect("a free slot");

    let (mut received, mut sum) = (0u64, 0u64);
    let handed_back = std::thread::scope(|s| {
        let producer = s.spawn(move || {
            let mut handed_back = 0u64;
            for reading in 0..READINGS {
                let mut reading = reading;
                while let Err(refused) = sender.send_deferred(reading) {
                    handed_back += 1;
                    reading = refused.into_inner();
                    std::thread::yield_now();
                }
                if reading % BLOCK == BLOCK - 1 {
                    sender.flush();
                }
            }
            // Dropped here, the sender announces a last, partial block and
            // closes the mailbox.
            drop(sender);
            handed_back
        });
        // The handler takes everything there (the sender skips the notify
        // while the loop has been told and has not yet found it empty), and
        // disarms once the mailbox is closed and empty.
        let mut on_readings = |_slot: usize| loop {
            match receiver.try_recv() {
                Ok(reading) => {
                    assert_eq!(reading, received, "readings arrive in order");
                    received += 1;
                    sum += reading;
                }
                Err(TryRecvError::Empty) => return Action::Rearm,
                Err(TryRecvError::Closed) => return Action::Disarm,
            }
        };
        assert_eq!(runner.run(RunMode::UntilDone, &mut on_readings), Exit::Done);
        producer.join().expect("the producer does not panic")
    });
    drop((runner, receiver));

    let counts = mailbox.counts();
    let wakes = lp.ledger(SLOT).expect("slot 0").delivered;
    println!(
        "{received} readings (sum {sum}) in {wakes} wakes; \
         {handed_back} sends found the mailbox full and were retried"
    );
    assert_eq!(sum, READINGS * (READINGS - 1) / 2);
    assert_eq!((counts.sent, counts.received), (READINGS, READINGS));
    assert!(mailbox.is_closed());
    assert_eq!(counts.refused, handed_back);
}
