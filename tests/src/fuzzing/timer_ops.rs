//! The `timer_ops` harness: timers set, cancelled and fired on a
//! [`HandlerRunner`] whose parker runs a virtual clock, checked after every
//! operation against a reference model written the obvious way (a list of
//! deadlines scanned in full, no heap).

use core::cell::Cell;
use core::time::Duration;
use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, Error, Exit, Handler, HandlerRunner, Loop, RunMode, SlotState};

/// Slots the harness's loop has.
pub const TIMER_SLOTS: usize = 8;

/// A parker on a virtual clock: time moves only when the loop sleeps to a
/// deadline, which it reaches at once. An untimed sleep would never end (no
/// other thread exists), so it panics.
#[derive(Debug, Default)]
pub struct VirtualClockPark {
    now: Cell<u64>,
}

impl VirtualClockPark {
    /// A clock at `start`.
    pub fn at(start: u64) -> Self {
        VirtualClockPark {
            now: Cell::new(start),
        }
    }

    /// Moves the clock on by `ns`.
    pub fn advance(&self, ns: u64) {
        self.now.set(self.now.get().saturating_add(ns));
    }

    /// The clock's time.
    pub fn now(&self) -> u64 {
        self.now.get()
    }
}

impl Park for VirtualClockPark {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        panic!("an untimed park with nobody to wake it: a run lost its deadline or a timer");
    }

    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        // Relaxed: one thread, and the runner re-reads the word after this.
        if word.load(core::sync::atomic::Ordering::Relaxed) != expected {
            return false;
        }
        self.now.set(self.now.get().max(deadline_ns));
        true
    }

    fn unpark(&self, _word: &ParkWord) {}

    fn now_ns(&self) -> Option<u64> {
        Some(self.now.get())
    }
}

/// One operation on the runner and the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerOp {
    /// Arm a slot.
    Arm(usize),
    /// Disarm a slot (which cancels its timer).
    Disarm(usize),
    /// Set a one-shot timer `after` nanoseconds from now.
    After(usize, u64),
    /// Set a periodic timer (a zero period must be refused).
    Every(usize, u64),
    /// Set a periodic timer whose first firing is this far from now.
    EveryFrom(usize, u64, u64),
    /// Cancel a slot's timer.
    Cancel(usize),
    /// Notify a slot.
    Notify(usize),
    /// The slot's next timer firing disarms it.
    DisarmOnTimer(usize),
    /// Move the clock on, then run once without waiting.
    Advance(u64),
    /// Run until everything is done or the deadline, this far from now.
    RunFor(u64),
}

/// The model's view of one slot.
#[derive(Clone, Copy, Debug, Default)]
struct ModelSlot {
    armed: bool,
    /// Due time and period (0: one-shot).
    timer: Option<(u64, u64)>,
    pending: bool,
    disarm_on_timer: bool,
}

/// The reference model: every slot scanned for what is due.
#[derive(Debug, Default)]
struct TimerModel {
    slots: [ModelSlot; TIMER_SLOTS],
    now: u64,
    set: u64,
    fired: u64,
    skipped: u64,
    expired: u64,
    cancelled: u64,
    /// Per slot: timer firings and notifications handled, this operation.
    timer_calls: [u32; TIMER_SLOTS],
    notify_calls: [u32; TIMER_SLOTS],
}

impl TimerModel {
    fn active(&self) -> u64 {
        self.slots.iter().filter(|s| s.timer.is_some()).count() as u64
    }

    fn armed(&self) -> usize {
        self.slots.iter().filter(|s| s.armed).count()
    }

    fn cancel(&mut self, slot: usize) -> bool {
        let had = self.slots[slot].timer.take().is_some();
        if had {
            self.cancelled += 1;
        }
        had
    }

    fn disarm(&mut self, slot: usize) {
        self.slots[slot].armed = false;
        self.slots[slot].disarm_on_timer = false;
        self.cancel(slot);
    }

    /// One pass of a run at `now`: notifications, then every timer due.
    fn pass(&mut self) -> usize {
        let mut ran = 0;
        for slot in 0..TIMER_SLOTS {
            if core::mem::take(&mut self.slots[slot].pending) && self.slots[slot].armed {
                self.notify_calls[slot] += 1;
                ran += 1;
            }
        }
        for slot in 0..TIMER_SLOTS {
            let Some((due, period)) = self.slots[slot].timer else {
                continue;
            };
            if due > self.now {
                continue;
            }
            ran += 1;
            self.timer_calls[slot] += 1;
            self.fired += 1;
            if self.slots[slot].disarm_on_timer {
                self.slots[slot].timer = None;
                self.expired += 1;
                self.slots[slot].armed = false;
                self.slots[slot].disarm_on_timer = false;
            } else if let Some(late) = (self.now - due).checked_div(period) {
                self.skipped += late;
                self.slots[slot].timer = Some((due + period * (late + 1), period));
            } else {
                // A period of zero: a one-shot timer.
                self.slots[slot].timer = None;
                self.expired += 1;
            }
        }
        ran
    }

    /// A timer was set on `slot`, due at `due` with `period` (0 for a
    /// one-shot timer set by `After`), and the runner answered `set`: check the answer and
    /// follow it.
    fn expect_set(
        &mut self,
        slot: usize,
        due: u64,
        period: u64,
        set: Result<(), Error>,
        op: TimerOp,
    ) {
        let periodic = !matches!(op, TimerOp::After(..));
        if periodic && period == 0 {
            assert_eq!(set, Err(Error::ZeroPeriod), "{op:?}");
        } else if self.slots[slot].armed {
            assert_eq!(set, Ok(()), "{op:?}");
            self.cancel(slot);
            self.set += 1;
            self.slots[slot].timer = Some((due, period));
        } else {
            assert_eq!(set, Err(Error::NotArmed { slot }), "{op:?}");
        }
    }

    fn next_due(&self) -> Option<u64> {
        self.slots.iter().filter_map(|s| s.timer).map(|t| t.0).min()
    }

    /// When a wait for the timers ends with `slack`: the latest due time
    /// within `slack` of the next one.
    fn wake_at(&self, slack: u64) -> Option<u64> {
        let limit = self.next_due()?.saturating_add(slack);
        self.slots
            .iter()
            .filter_map(|s| s.timer)
            .map(|t| t.0)
            .filter(|&due| due <= limit)
            .max()
    }

    /// `run_until(UntilDone, deadline)` on the virtual clock, timers taking
    /// `slack`.
    fn run_until(&mut self, deadline: u64, slack: u64) -> Exit {
        loop {
            self.pass();
            if self.armed() == 0 {
                return Exit::Done;
            }
            if self.now >= deadline {
                return Exit::TimedOut;
            }
            let by = self
                .wake_at(slack)
                .map_or(deadline, |due| due.min(deadline));
            self.now = self.now.max(by);
        }
    }
}

/// The handler: counts calls, and disarms on a timer when told to.
struct Counter<'a> {
    disarm_on_timer: &'a [Cell<bool>; TIMER_SLOTS],
    timer_calls: [u32; TIMER_SLOTS],
    notify_calls: [u32; TIMER_SLOTS],
}

impl Handler for Counter<'_> {
    fn on_notify(&mut self, slot: usize) -> Action {
        self.notify_calls[slot] += 1;
        Action::Rearm
    }

    fn on_timer(&mut self, slot: usize) -> Action {
        self.timer_calls[slot] += 1;
        if self.disarm_on_timer[slot].replace(false) {
            Action::Disarm
        } else {
            Action::Rearm
        }
    }
}

/// Applies `ops` to a real runner on a virtual clock, its timers taking
/// `slack` nanoseconds of slack, and to the model, comparing calls, slot
/// states, due times and counts after each; panics at the first difference.
pub fn timer_ops(slack: u64, ops: impl IntoIterator<Item = TimerOp>) {
    let lp: Loop<VirtualClockPark, TIMER_SLOTS> = Loop::new(VirtualClockPark::at(1_000));
    let Ok(runner) = HandlerRunner::new(&lp) else {
        panic!("a fresh loop must take a runner");
    };
    let mut runner = runner.with_timer_slack(Duration::from_nanos(slack));
    let flags: [Cell<bool>; TIMER_SLOTS] = Default::default();
    let mut model = TimerModel {
        now: 1_000,
        ..TimerModel::default()
    };
    for op in ops {
        let mut counter = Counter {
            disarm_on_timer: &flags,
            timer_calls: [0; TIMER_SLOTS],
            notify_calls: [0; TIMER_SLOTS],
        };
        model.timer_calls = [0; TIMER_SLOTS];
        model.notify_calls = [0; TIMER_SLOTS];
        match op {
            TimerOp::Arm(slot) => {
                let ok = runner.arm(slot).is_ok();
                assert_eq!(ok, !model.slots[slot].armed, "{op:?}");
                model.slots[slot].armed = true;
            }
            TimerOp::Disarm(slot) => {
                let ok = runner.disarm(slot).is_ok();
                assert_eq!(ok, model.slots[slot].armed, "{op:?}");
                flags[slot].set(false);
                model.disarm(slot);
            }
            TimerOp::After(slot, after) => {
                let set = runner.set_timer_after(slot, Duration::from_nanos(after));
                model.expect_set(slot, model.now + after, 0, set, op);
            }
            TimerOp::Every(slot, period) => {
                let set = runner.set_timer_every(slot, Duration::from_nanos(period));
                model.expect_set(slot, model.now + period, period, set, op);
            }
            TimerOp::EveryFrom(slot, first, period) => {
                let due = model.now + first;
                let set = runner.set_timer_every_from(slot, due, Duration::from_nanos(period));
                model.expect_set(slot, due, period, set, op);
            }
            TimerOp::Cancel(slot) => {
                assert_eq!(runner.cancel_timer(slot), Ok(model.cancel(slot)), "{op:?}");
            }
            TimerOp::Notify(slot) => {
                // The runner drops a dead slot's notification at once.
                let _ = lp.handle(slot).map(|h| h.notify());
                if model.slots[slot].armed {
                    model.slots[slot].pending = true;
                }
            }
            TimerOp::DisarmOnTimer(slot) => {
                if model.slots[slot].armed {
                    flags[slot].set(true);
                    model.slots[slot].disarm_on_timer = true;
                }
            }
            TimerOp::Advance(ns) => {
                lp.parker().advance(ns);
                model.now += ns;
                let exit = runner.run(RunMode::NoWait, &mut counter);
                model.pass();
                let want = if model.armed() == 0 {
                    Exit::Done
                } else {
                    Exit::Ran
                };
                assert_eq!(exit, want, "{op:?}");
            }
            TimerOp::RunFor(ns) => {
                let deadline = model.now + ns;
                let exit = runner.run_until(RunMode::UntilDone, deadline, &mut counter);
                assert_eq!(exit, Ok(model.run_until(deadline, slack)), "{op:?}");
            }
        }
        assert_eq!(lp.parker().now(), model.now, "clock after {op:?}");
        assert_eq!(
            counter.timer_calls, model.timer_calls,
            "timers after {op:?}"
        );
        assert_eq!(
            counter.notify_calls, model.notify_calls,
            "notifications after {op:?}"
        );
        for slot in 0..TIMER_SLOTS {
            let state = if model.slots[slot].armed {
                SlotState::Active
            } else {
                SlotState::Dead
            };
            assert_eq!(runner.state(slot), Ok(state), "slot {slot} after {op:?}");
            let due = model.slots[slot].timer.map(|t| t.0);
            assert_eq!(runner.timer_due(slot), Ok(due), "slot {slot} after {op:?}");
        }
        let counts = runner.timer_counts();
        assert!(counts.check(), "{counts:?} after {op:?}");
        assert_eq!(
            (counts.set, counts.fired, counts.skipped),
            (model.set, model.fired, model.skipped),
            "after {op:?}"
        );
        assert_eq!(
            (counts.expired, counts.cancelled, counts.active),
            (model.expired, model.cancelled, model.active()),
            "after {op:?}"
        );
    }
}

/// The fuzz target's entry: each operation from two bytes (what, then
/// which slot and how far), at most 256 of them; an odd byte at the end
/// gives the timers' slack, in steps of 100 ns.
pub fn timer_bytes(data: &[u8]) {
    let slack = if data.len() % 2 == 1 {
        data.last().map_or(0, |&b| u64::from(b) * 100)
    } else {
        0
    };
    let ops = data.chunks_exact(2).take(256).map(|pair| {
        let (what, arg) = (pair[0], pair[1]);
        let slot = usize::from(arg) % TIMER_SLOTS;
        // Times in steps of 100 ns, up to 25.5 µs: deadlines often tie.
        let ns = u64::from(arg) * 100;
        match what % 9 {
            0 => TimerOp::Arm(slot),
            1 => TimerOp::Disarm(slot),
            2 => TimerOp::After(slot, u64::from(what / 9) * 100),
            3 => TimerOp::Every(slot, u64::from(what / 9) * 100),
            4 => TimerOp::Cancel(slot),
            5 => TimerOp::Notify(slot),
            6 => TimerOp::DisarmOnTimer(slot),
            7 => TimerOp::Advance(ns),
            _ => TimerOp::RunFor(ns),
        }
    });
    timer_ops(slack, ops);
}
