//! Deadlines and timers: "an event or 5 ms", then a heartbeat every 2 ms
//! that stops itself after ten beats. The clock is the parker's own
//! (`ThreadPark` has std's); nothing is allocated.
use rearm_core::park::ThreadPark;
use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
use std::time::Duration;

static LOOP: Loop<ThreadPark, 2> = Loop::new(ThreadPark::new());

fn main() {
    let mut events = 0;
    let mut on_event = || {
        events += 1;
        Action::Rearm
    };
    let mut beats = 0;
    let mut on_beat = || {
        beats += 1;
        if beats == 10 {
            Action::Disarm // also ends its timer
        } else {
            Action::Rearm
        }
    };
    let mut runner = CallbackRunner::new(&LOOP).expect("the loop's only runner");
    let event = runner.add(&mut on_event).expect("a free slot");

    // Nobody notifies: the run gives up at its deadline.
    let waited = runner.run_for(RunMode::Once, Duration::from_millis(5));
    assert_eq!(waited, Ok(Exit::TimedOut));

    // Someone does: the run ends with the callback, long before the deadline.
    let notifier = std::thread::spawn(move || LOOP.handle(event).unwrap().notify());
    let waited = runner.run_for(RunMode::Once, Duration::from_secs(10));
    assert_eq!(waited, Ok(Exit::Ran));
    notifier.join().unwrap();
    runner.disarm(event).expect("armed");

    // A periodic timer on a slot of its own: its callback runs every 2 ms
    // until it disarms, and the run ends when nothing is armed.
    let beat = runner.add(&mut on_beat).expect("a free slot");
    runner
        .set_timer_every(beat, Duration::from_millis(2))
        .expect("the parker has a clock");
    let start = std::time::Instant::now();
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    let (took, counts) = (start.elapsed(), runner.timer_counts());
    drop(runner);
    println!(
        "1 event, then {beats} beats in {:.1} ms; timers: {} set, {} fired",
        took.as_secs_f64() * 1e3,
        counts.set,
        counts.fired
    );
    assert!(events == 1 && beats == 10 && counts.check());
    assert!(took >= Duration::from_millis(20), "no beat came early");
}
