//! `ThreadPark` (feature `std`): a `static` loop that sleeps between
//! notifications from three threads, on any platform std supports. Prints what
//! each slot's ledger shows, how the loop's waits ended, and (on Linux) the
//! loop thread's CPU time per wake.
use rearm_core::park::ThreadPark;
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
use std::time::Duration;

const SENDERS: usize = 3;
const NOTIFICATIONS: u32 = 50;

/// A `const fn` parker: the loop needs no lazy initialization to be a static.
static LOOP: Loop<ThreadPark, SENDERS> = Loop::new(ThreadPark::new());

fn main() {
    let loop_thread = std::thread::spawn(|| {
        let mut calls = [0u32; SENDERS];
        let (a, rest) = calls.split_at_mut(1);
        let (b, c) = rest.split_at_mut(1);
        let (mut on_a, mut on_b, mut on_c) = (
            || {
                a[0] += 1;
                Action::Rearm
            },
            || {
                b[0] += 1;
                Action::Rearm
            },
            || {
                c[0] += 1;
                Action::Rearm
            },
        );
        let mut runner = CallbackRunner::new(&LOOP).expect("the loop's only runner");
        for callback in [&mut on_a as _, &mut on_b as _, &mut on_c as _] {
            runner.add(callback).expect("a free slot");
        }
        let cpu_before = thread_cpu_ns();
        let exit = runner.run(RunMode::UntilDone); // until the stop below
        let cpu = thread_cpu_ns()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        (exit, runner.wait_counts(), cpu)
    });

    // Three senders, each notifying its own slot every millisecond.
    std::thread::scope(|s| {
        for slot in 0..SENDERS {
            s.spawn(move || {
                let to_loop = LOOP.handle(slot).expect("slot exists");
                for _ in 0..NOTIFICATIONS {
                    std::thread::sleep(Duration::from_millis(1));
                    to_loop.notify();
                }
            });
        }
    });
    // Let the last notifications land, then stop the loop from here.
    std::thread::sleep(Duration::from_millis(10));
    LOOP.stop();
    let (exit, waits, cpu) = loop_thread.join().expect("the loop thread");

    for slot in 0..SENDERS {
        println!("slot {slot}: {}", LOOP.ledger(slot).expect("slot exists"));
    }
    let park = LOOP.parker();
    println!(
        "loop: {:?}; waited {} times (spun {}, yielded {}, parked {}); slept {} times, woken {} times",
        exit,
        waits.waits,
        waits.spun,
        waits.yielded,
        waits.parked,
        park.sleeps(),
        park.wakes()
    );
    if let Some(cpu) = cpu {
        let delivered = LOOP.ledger_total().delivered;
        println!(
            "loop thread CPU: {:.1} µs per callback over {} callbacks",
            cpu as f64 / 1e3 / delivered.max(1) as f64,
            delivered
        );
    }
    assert_eq!(exit, Exit::Stopped);
    assert!(LOOP.ledger_total().is_conserved());
    assert!(
        park.sleeps() > 0,
        "the loop never slept between notifications"
    );
}

/// The calling thread's CPU time, where the platform tells it cheaply.
fn thread_cpu_ns() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64)
    }
    #[cfg(not(target_os = "linux"))]
    None
}
