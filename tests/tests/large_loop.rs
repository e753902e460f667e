//! Loops above 4096 slots (on 64-bit targets): the ready set holds the group
//! words of the first 4096 and the slots' own cache lines hold the rest.
//! Notifications of every part of such a loop, from other threads, reach
//! their handler and are counted, and ten thousand timers on one loop fire
//! once each, in order.
#![cfg(all(target_pointer_width = "64", not(rearm_loom)))]

use driver::harness::on_large_stack;
use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, MAX_CAPACITY, RunMode};
use rearm_tests::fuzzing::VirtualClockPark;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Slots from every part of the largest loop: the park word (0, 21), the
/// ready set's first and last group words (22, 4095), the first spilled
/// group word at both edges (4096, 4159) and the next (4160), the first
/// spilled word of class 1 (4608), class 0's second spilled run (8192), and
/// the last slot.
const SLOTS: [usize; 10] = [
    0,
    21,
    22,
    4095,
    4096,
    4159,
    4160,
    4608,
    8192,
    MAX_CAPACITY - 1,
];

/// Notifications each notifier thread sends each slot.
const ROUNDS: u64 = 2_000;

/// Counts each slot's calls.
struct Counting {
    calls: Vec<u64>,
}

impl Handler for Counting {
    fn on_notify(&mut self, slot: usize) -> Action {
        self.calls[slot] += 1;
        Action::Rearm
    }
}

#[test]
fn notifications_of_every_part_of_the_largest_loop_reach_their_slots() {
    on_large_stack(|| {
        let lp: Box<Loop<ThreadPark, MAX_CAPACITY>> = Box::new(Loop::new(ThreadPark::new()));
        let mut runner = HandlerRunner::new(&*lp).unwrap();
        for slot in SLOTS {
            runner.arm(slot).unwrap();
        }
        let mut counting = Counting {
            calls: vec![0; MAX_CAPACITY],
        };
        let finished = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for first in 0..2 {
                let (lp, finished) = (&*lp, &finished);
                s.spawn(move || {
                    // The two threads go through the slots in opposite
                    // orders, so that they race on every group word.
                    for round in 0..ROUNDS {
                        for i in 0..SLOTS.len() {
                            let i = if (round + first) % 2 == 0 {
                                i
                            } else {
                                SLOTS.len() - 1 - i
                            };
                            lp.handle(SLOTS[i]).unwrap().notify();
                        }
                    }
                    // Relaxed: the stop request carries the ordering.
                    if finished.fetch_add(1, Ordering::Relaxed) == 1 {
                        lp.stop();
                    }
                });
            }
            assert_eq!(runner.run(RunMode::UntilDone, &mut counting), Exit::Stopped);
        });
        // Whatever landed after the stop was taken.
        runner.run(RunMode::NoWait, &mut counting);
        drop(runner);
        for slot in SLOTS {
            let l = lp.ledger(slot).unwrap();
            assert!(l.is_conserved() && l.pending == 0, "slot {slot}: {l}");
            assert_eq!(l.notified, 2 * ROUNDS, "slot {slot}: {l}");
            assert_eq!(l.delivered, counting.calls[slot], "slot {slot}: {l}");
            assert!(l.delivered >= 1, "slot {slot} never ran: {l}");
        }
        assert_eq!(
            counting.calls.iter().sum::<u64>(),
            lp.ledger_total().delivered,
            "a slot ran that nobody notified"
        );
    });
}

/// Timers on ten thousand slots.
const TIMERS: usize = 10_000;

/// Records the order timers fire in, checking each against its due time.
struct InOrder<'p> {
    parker: &'p VirtualClockPark,
    due: Vec<u64>,
    fired: Vec<usize>,
}

impl Handler for InOrder<'_> {
    fn on_notify(&mut self, slot: usize) -> Action {
        panic!("slot {slot} was notified; nobody notifies here");
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        let now = self.parker.now();
        assert!(now >= self.due[slot], "slot {slot} fired early");
        self.fired.push(slot);
        Action::Disarm
    }
}

#[test]
fn ten_thousand_timers_on_one_loop_fire_once_each_in_order() {
    on_large_stack(|| {
        let lp: Box<Loop<VirtualClockPark, TIMERS>> =
            Box::new(Loop::new(VirtualClockPark::at(1_000)));
        let mut runner = HandlerRunner::new(&*lp).unwrap();
        // Due times scattered by a multiplicative hash (ties included), so
        // that each set lands anywhere in the heap.
        let due: Vec<u64> = (0..TIMERS as u64)
            .map(|i| 2_000 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 50))
            .collect();
        for (slot, &at) in due.iter().enumerate() {
            runner.arm(slot).unwrap();
            runner.set_timer_at(slot, at).unwrap();
        }
        // Every third cancelled: those slots run nothing, and the run ends
        // when the last timer disarmed its slot.
        for slot in (0..TIMERS).step_by(3) {
            assert_eq!(runner.cancel_timer(slot), Ok(true));
            runner.disarm(slot).unwrap();
        }
        let mut in_order = InOrder {
            parker: lp.parker(),
            due,
            fired: Vec::with_capacity(TIMERS),
        };
        assert_eq!(runner.run(RunMode::UntilDone, &mut in_order), Exit::Done);
        let expected: Vec<usize> = (0..TIMERS).filter(|slot| slot % 3 != 0).collect();
        let mut fired = in_order.fired.clone();
        fired.sort_unstable();
        assert_eq!(fired, expected, "a timer was lost or fired twice");
        assert!(
            in_order
                .fired
                .windows(2)
                .all(|w| in_order.due[w[0]] <= in_order.due[w[1]]),
            "timers fired out of order"
        );
        let counts = runner.timer_counts();
        assert!(counts.check(), "{counts:?}");
        let cancelled = TIMERS.div_ceil(3) as u64;
        assert_eq!(
            (counts.set, counts.fired, counts.cancelled, counts.active),
            (TIMERS as u64, TIMERS as u64 - cancelled, cancelled, 0)
        );
    });
}
