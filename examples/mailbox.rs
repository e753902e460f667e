//! A work queue on a rearm loop: four producer threads send jobs through a
//! `Mailbox` bound to one slot; the loop's thread drains it in the slot's
//! handler, sleeping on a `ThreadPark` when there is nothing to do. Each
//! producer owns a clone of the mailbox's sending end, and the handler its
//! receiving end, and the mailbox notifies through an `OwnedSlotHandle`, so
//! nothing needs to be `'static`. A full mailbox hands the job back: the
//! producer yields and sends it again, never dropping one. When the last
//! producer's sender is dropped the mailbox closes, and the handler
//! disarms once it has taken what is left.
use rearm_core::mailbox::Mailbox;
use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, HandlerRunner, Loop, OwnedSlotHandle, RunMode};
use std::sync::Arc;

const PRODUCERS: u64 = 4;
const JOBS: u64 = 25_000;
const SLOT: usize = 0;

/// A job: who sent it and its number.
#[derive(Debug)]
struct Job {
    producer: u64,
    seq: u64,
}

type Jobs = Mailbox<Job, OwnedSlotHandle<ThreadPark, 1>, 256>;

fn main() {
    let lp: Arc<Loop<ThreadPark, 1>> = Arc::new(Loop::new(ThreadPark::new()));
    let to_loop = OwnedSlotHandle::new(Arc::clone(&lp), SLOT).expect("slot 0 exists");
    let (jobs, inbox) = Jobs::new(to_loop).into_owned();

    // Armed before any producer starts: a send to a dead slot would wait for
    // the next one.
    let mut runner = HandlerRunner::new(&lp).expect("a fresh loop takes a runner");
    runner.arm(SLOT).expect("a free slot");

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let jobs = jobs.clone();
            std::thread::spawn(move || {
                let mut handed_back = 0u64;
                for seq in 0..JOBS {
                    let mut job = Job { producer, seq };
                    while let Err(refused) = jobs.send(job) {
                        handed_back += 1;
                        job = refused.into_inner();
                        std::thread::yield_now();
                    }
                }
                handed_back
            })
        })
        .collect();
    // The producers hold the only senders now: the last one to finish closes.
    drop(jobs);

    // The handler drains everything there: senders skip the notify while the
    // loop has been told and has not yet found the mailbox empty.
    let mut next = [0u64; PRODUCERS as usize];
    let mut done = 0;
    let mut take = |job: Job| {
        // Each producer's jobs arrive in the order it sent them.
        assert_eq!(job.seq, next[job.producer as usize]);
        next[job.producer as usize] += 1;
        done += 1;
    };
    let mut on_jobs = |_slot: usize| {
        inbox.drain(&mut take);
        if !inbox.is_closed() {
            return Action::Rearm;
        }
        // Closed: what was sent before the close is there now.
        inbox.drain(&mut take);
        Action::Disarm
    };
    assert_eq!(runner.run(RunMode::UntilDone, &mut on_jobs), Exit::Done);
    let handed_back: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();

    let counts = inbox.counts();
    let wakes = lp.ledger(SLOT).expect("slot 0").delivered;
    println!(
        "{done} jobs from {PRODUCERS} producers in {wakes} wakes; \
         {handed_back} sends found the mailbox full and were retried"
    );
    assert_eq!(done, PRODUCERS * JOBS);
    assert_eq!((counts.sent, counts.received), (done, done));
    assert_eq!(counts.refused, handed_back);
    assert_eq!(counts.queued(), 0);
}
