//! A runtime that owns its loop reference, its runner and its per-slot state in
//! one struct: a `HandlerRunner` and a `Handler` told which slot fired. No
//! `unsafe`, no allocation, no self-borrow: the handler is passed to each run.
//!
//! Three sensor threads post readings; each has a slot and a mailbox word
//! beside it (notifications coalesce, so the data travels beside them). The
//! runtime keeps a running total per sensor and stops each sensor's slot after
//! its last reading.
use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, RunMode};
use std::sync::atomic::{AtomicU64, Ordering};

const SENSORS: usize = 3;
const READINGS: u64 = 100;

/// The loop every thread shares: a `static`, so sensor threads can notify it.
static LOOP: Loop<ThreadPark, SENSORS> = Loop::new(ThreadPark::new());
/// Each sensor's latest readings, summed until the runtime takes them.
static POSTED: [AtomicU64; SENSORS] = [const { AtomicU64::new(0) }; SENSORS];
/// How many readings each sensor has posted.
static COUNT: [AtomicU64; SENSORS] = [const { AtomicU64::new(0) }; SENSORS];

/// Per-slot state, all of it in the runtime.
#[derive(Default)]
struct Sensors {
    total: [u64; SENSORS],
    wakes: [u64; SENSORS],
}

impl Handler for Sensors {
    fn on_notify(&mut self, slot: usize) -> Action {
        self.wakes[slot] += 1;
        // Acquire pairs with the sensor's Release: its readings are here.
        self.total[slot] += POSTED[slot].swap(0, Ordering::AcqRel);
        if COUNT[slot].load(Ordering::Acquire) == READINGS
            && POSTED[slot].load(Ordering::Acquire) == 0
        {
            Action::Disarm
        } else {
            Action::Rearm
        }
    }
}

/// The runtime: the runner (which borrows only the loop) and the state the
/// handler works on, side by side.
struct Runtime {
    runner: HandlerRunner<'static, ThreadPark, SENSORS>,
    sensors: Sensors,
}

impl Runtime {
    fn new() -> Result<Self, rearm_core::Error> {
        let mut runner = HandlerRunner::new(&LOOP)?;
        for slot in 0..SENSORS {
            runner.arm(slot)?;
        }
        Ok(Runtime {
            runner,
            sensors: Sensors::default(),
        })
    }

    /// Runs until every sensor's slot is disarmed.
    fn run(&mut self) -> Exit {
        self.runner.run(RunMode::UntilDone, &mut self.sensors)
    }
}

fn sensor(slot: usize) {
    let handle = LOOP.handle(slot).expect("a slot of the loop");
    for reading in 1..=READINGS {
        // Release: the runtime's Acquire sees the reading with the count.
        POSTED[slot].fetch_add(reading, Ordering::Release);
        COUNT[slot].fetch_add(1, Ordering::Release);
        handle.notify();
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

fn main() {
    let mut runtime = Runtime::new().expect("a fresh loop takes a runner");
    let threads: Vec<_> = (0..SENSORS)
        .map(|slot| std::thread::spawn(move || sensor(slot)))
        .collect();
    assert_eq!(runtime.run(), Exit::Done);
    for thread in threads {
        thread.join().expect("sensor thread");
    }
    let expected = READINGS * (READINGS + 1) / 2;
    for slot in 0..SENSORS {
        println!(
            "sensor {slot}: total {} in {} wakes",
            runtime.sensors.total[slot], runtime.sensors.wakes[slot]
        );
        assert_eq!(runtime.sensors.total[slot], expected);
    }
    assert!(LOOP.ledger_total().is_conserved());
}
