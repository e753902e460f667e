//! The wait itself: the loop that spins, yields and parks as the runner's
//! [`WaitState`] decides, teaches the state what each phase cost, and counts
//! how each wait ended ([`WaitCounts`]).

use super::arrivals::Prediction;
use super::{CLOCK_EVERY, WaitState};
use crate::park::Park;
use crate::ready::ReadySet;

/// How a runner's waits ended, since it was made.
///
/// More ways for a wait to end may be counted later: read the fields, do not
/// build the struct.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, CallbackRunner, Loop, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mut on_event = || Action::Disarm;
/// let mut runner = CallbackRunner::new(&lp)?;
/// runner.arm(0, &mut on_event)?;
/// std::thread::scope(|s| {
///     s.spawn(|| lp.handle(0).map(|handle| handle.notify()));
///     runner.run(RunMode::UntilDone);
/// });
/// let waits = runner.wait_counts();
/// assert_eq!(waits.waits, waits.spun + waits.yielded + waits.parked + waits.timed_out);
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WaitCounts {
    /// Times the runner had nothing to do and waited.
    pub waits: u64,
    /// Waits that ended while spinning.
    pub spun: u64,
    /// Waits that ended while yielding.
    pub yielded: u64,
    /// Waits that parked (slept through the [`Park`](crate::park::Park)er).
    pub parked: u64,
    /// Waits that ended because a run's deadline or a timer came due, in
    /// whichever phase (a park that timed out counts here and in `parked`).
    pub timed_out: u64,
    /// Waits that slept until a lead before a predicted arrival (see
    /// [`HandlerRunner::with_arrival_prediction`](crate::HandlerRunner::with_arrival_prediction));
    /// each also counts where it ended (`spun`, or `parked` when the arrival
    /// came during the sleep).
    pub predicted: u64,
    /// Times arrival prediction stood down because its predicted waits cost
    /// the thread more than two parks' CPU, on average; each time, the
    /// usual wait served the next 256 arrivals.
    pub stood_down_for_cost: u64,
    /// Times arrival prediction stood down because the lateness its sleeps
    /// must end early by (how late its timed sleeps wake past their
    /// deadlines, and twice the arrivals' deviation) exceeded four parks'
    /// cost, so that spinning it out would cost more than the sleep saves;
    /// each time, the usual wait served the next 256 arrivals.
    pub stood_down_for_lateness: u64,
}

/// Sums two runners' statistics (of several loops, say), field by field.
///
/// ```
/// use rearm_core::WaitCounts;
///
/// let total = WaitCounts::default() + WaitCounts::default();
/// assert_eq!(total.waits, 0);
/// ```
impl core::ops::Add for WaitCounts {
    type Output = WaitCounts;

    fn add(self, other: WaitCounts) -> WaitCounts {
        WaitCounts {
            waits: self.waits.wrapping_add(other.waits),
            spun: self.spun.wrapping_add(other.spun),
            yielded: self.yielded.wrapping_add(other.yielded),
            parked: self.parked.wrapping_add(other.parked),
            timed_out: self.timed_out.wrapping_add(other.timed_out),
            predicted: self.predicted.wrapping_add(other.predicted),
            stood_down_for_cost: self
                .stood_down_for_cost
                .wrapping_add(other.stood_down_for_cost),
            stood_down_for_lateness: self
                .stood_down_for_lateness
                .wrapping_add(other.stood_down_for_lateness),
        }
    }
}

impl WaitState {
    /// One wait of the loop whose ready set is `ready` and whose parker is
    /// `parker` (`has_clock`: whether it reads the time), until something is
    /// signalled or the clock reaches `wake_by` (a deadline or the next
    /// timer): spin (adaptive budget, capped by the park cost), yield, park,
    /// as this state has learnt to. Counts how it ended in `stats`. See
    /// [`SpinPolicy`](super::SpinPolicy) for why. A runner that predicts
    /// arrivals learns from when each was seen.
    #[inline]
    pub(crate) fn wait<P: Park>(
        &mut self,
        stats: &mut WaitCounts,
        ready: &ReadySet,
        parker: &P,
        has_clock: bool,
        wake_by: Option<u64>,
    ) {
        let parked = stats.parked;
        self.wait_once(stats, ready, parker, has_clock, wake_by);
        // A wait that parked saw its notification only after a wake-up.
        if self.arrivals.enabled()
            && ready.is_signalled()
            && let Some(now) = parker.now_ns()
        {
            self.arrivals.arrived(now, stats.parked == parked);
        }
    }

    /// `stats`, the counts the waits kept, with what only this state knows:
    /// how often arrival prediction stood down, and why.
    pub(crate) fn counts(&self, stats: WaitCounts) -> WaitCounts {
        let stand_downs = self.arrivals.stand_downs();
        WaitCounts {
            stood_down_for_cost: stand_downs.cost,
            stood_down_for_lateness: stand_downs.lateness,
            ..stats
        }
    }

    /// [`wait`](Self::wait) itself.
    #[inline]
    fn wait_once<P: Park>(
        &mut self,
        stats: &mut WaitCounts,
        ready: &ReadySet,
        parker: &P,
        has_clock: bool,
        wake_by: Option<u64>,
    ) {
        stats.waits += 1;
        if self.arrivals.enabled()
            && has_clock
            && self.predicted_wait(stats, ready, parker, wake_by)
        {
            return;
        }
        let budget = self.spin.next();
        let limit_ns = self.spin_limit_ns().filter(|_| has_clock);
        let timed = limit_ns.is_some() || wake_by.is_some();
        // Set at the first clock read: a reply within CLOCK_EVERY steps (the
        // ping-pong's usual case) costs no clock read at all.
        let mut spin_end = None;
        let mut step = 0;
        loop {
            if ready.is_signalled() {
                self.spin.spun(step);
                stats.spun += 1;
                return;
            }
            if step == budget {
                break;
            }
            if timed
                && step % CLOCK_EVERY == CLOCK_EVERY - 1
                && let Some(now) = parker.now_ns()
            {
                // Time, not a notification, ended this wait: spinning did
                // not pay, as when the budget runs out, so a loop woken by
                // its timers alone soon parks to them instead of spinning.
                if wake_by.is_some_and(|by| now >= by) {
                    self.spin.spun_out();
                    stats.timed_out += 1;
                    return;
                }
                if let Some(limit) = limit_ns
                    && now >= *spin_end.get_or_insert(now.saturating_add(limit))
                {
                    break;
                }
            }
            parker.relax();
            step += 1;
        }
        self.spin.spun_out();
        for _ in 0..self.yields.yields() {
            let before = if self.yields.time_next() {
                parker.now_ns()
            } else {
                None
            };
            // The process's CPU use, only while slow yields are about.
            let busy_before = if before.is_some() && self.yields.bracket_next() {
                parker.busy_ns()
            } else {
                None
            };
            parker.yield_now();
            // Only a timed yield reads the clock, before and after.
            let slow = before.is_some_and(|before| {
                let busy =
                    busy_before.and_then(|b| parker.busy_ns().map(|after| after.saturating_sub(b)));
                parker
                    .now_ns()
                    .is_some_and(|after| self.yield_took(after.saturating_sub(before), busy))
            });
            if ready.is_signalled() {
                stats.yielded += 1;
                return;
            }
            if let Some(by) = wake_by
                && parker.now_ns().is_none_or(|now| now >= by)
            {
                stats.timed_out += 1;
                return;
            }
            if slow {
                break;
            }
        }
        stats.parked += 1;
        let before = parker.now_ns();
        let cpu_before = if self.park.sample_next() {
            parker.thread_cpu_ns()
        } else {
            None
        };
        match wake_by {
            Some(by) => {
                if ready.park_until(parker, by) {
                    stats.timed_out += 1;
                }
            }
            None => ready.park(parker),
        }
        if let Some(cpu_before) = cpu_before
            && let Some(cpu_after) = parker.thread_cpu_ns()
        {
            self.park.cpu_sample(cpu_after.saturating_sub(cpu_before));
        }
        if let Some(before) = before
            && let Some(after) = parker.now_ns()
        {
            self.park.slept(after.saturating_sub(before));
        }
    }

    /// The wait for a predicted arrival: a timed park until a lead before
    /// it, then a spin until it comes or a margin past it is spent.
    /// Returns whether the wait is over; if not (nothing predicted, or the
    /// arrival did not come), the usual wait follows. One in a few is timed
    /// with the thread's CPU clock, so prediction stands down where it costs
    /// too much.
    fn predicted_wait<P: Park>(
        &mut self,
        stats: &mut WaitCounts,
        ready: &ReadySet,
        parker: &P,
        wake_by: Option<u64>,
    ) -> bool {
        let Some(now) = parker.now_ns() else {
            return false;
        };
        let Some(prediction) = self.arrivals.predict(now, self.park.cost_ns()) else {
            return false;
        };
        // A deadline or a timer due first: the usual wait serves it.
        if wake_by.is_some_and(|by| by <= prediction.give_up) {
            return false;
        }
        stats.predicted += 1;
        let cpu_before = if self.arrivals.sample_cpu_next() {
            parker.thread_cpu_ns()
        } else {
            None
        };
        let over = self.sleep_then_spin(stats, ready, parker, prediction);
        if let Some(cpu_before) = cpu_before
            && let Some(cpu_after) = parker.thread_cpu_ns()
        {
            self.arrivals
                .cpu_sample(cpu_after.saturating_sub(cpu_before), self.park.cost_ns());
        }
        over
    }

    /// The predicted wait itself, untimed: see
    /// [`predicted_wait`](Self::predicted_wait).
    fn sleep_then_spin<P: Park>(
        &mut self,
        stats: &mut WaitCounts,
        ready: &ReadySet,
        parker: &P,
        prediction: Prediction,
    ) -> bool {
        if !ready.park_until(parker, prediction.wake) {
            // A notification (or a stop) came during the sleep: before its
            // deadline, or after it while the sleeper had yet to run (a
            // futex woken then returns as woken, so the parker cannot tell
            // either). A wake past the deadline is a lateness to learn, or
            // the sleeps that beat their arrivals alone would teach the
            // lead; and the arrival may have come early, which only moving
            // the sleeps earlier shows (an arrival expected late by a
            // wake-up would otherwise keep ending the sleeps early).
            if let Some(woke) = parker.now_ns()
                && woke >= prediction.wake
            {
                self.arrivals.woke_late(woke - prediction.wake);
            }
            self.arrivals.woken_by_arrival();
            stats.parked += 1;
            return true;
        }
        let Some(woke) = parker.now_ns() else {
            return false;
        };
        self.arrivals
            .woke_late(woke.saturating_sub(prediction.wake));
        let mut step = 0u32;
        loop {
            if ready.is_signalled() {
                // The spin says by how much the lead was too long. (An
                // arrival during the sleep, even past its deadline, ended
                // it above: the park could not be withdrawn.)
                if let Some(now) = parker.now_ns() {
                    self.arrivals.caught_after(now.saturating_sub(woke));
                }
                stats.spun += 1;
                return true;
            }
            if step % CLOCK_EVERY == CLOCK_EVERY - 1
                && parker.now_ns().is_none_or(|now| now >= prediction.give_up)
            {
                self.arrivals.missed();
                return false;
            }
            parker.relax();
            step = step.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalClock, SpinPolicy};
    use super::*;
    use crate::park::ParkWord;
    use core::cell::Cell;

    /// A thread's CPU for a park that a notification ends.
    const PARK_CPU: u64 = 5_000;
    /// Virtual time (and CPU) a spin step takes.
    const STEP: u64 = 50;

    /// A parker on a virtual clock, with one arrival scripted: it signals
    /// `ready` when the clock reaches `arrival`. A sleep that the arrival
    /// ends wakes `wake_up` after it; a timed sleep that it does not ends
    /// `late` past its deadline and costs `timed_cpu`.
    struct Scripted<'a> {
        ready: &'a ReadySet,
        now: &'a Cell<u64>,
        cpu: &'a Cell<u64>,
        arrival: u64,
        wake_up: u64,
        late: u64,
        timed_cpu: u64,
    }

    impl Scripted<'_> {
        fn advance(&self, ns: u64) {
            self.now.set(self.now.get() + ns);
            self.cpu.set(self.cpu.get() + ns);
            if self.now.get() >= self.arrival {
                self.ready.request_stop(self);
            }
        }
    }

    impl Park for Scripted<'_> {
        fn park(&self, _: &ParkWord, _: u32) {
            self.now
                .set(self.now.get().max(self.arrival + self.wake_up));
            self.cpu.set(self.cpu.get() + PARK_CPU);
            self.ready.request_stop(self);
        }

        fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
            if self.arrival <= deadline_ns {
                self.park(word, expected);
                return false;
            }
            self.now.set(deadline_ns + self.late);
            self.cpu.set(self.cpu.get() + self.timed_cpu);
            if self.now.get() >= self.arrival {
                self.ready.request_stop(self);
            }
            true
        }

        fn unpark(&self, _: &ParkWord) {}

        fn relax(&self) {
            self.advance(STEP);
        }

        fn now_ns(&self) -> Option<u64> {
            Some(self.now.get())
        }

        fn thread_cpu_ns(&self) -> Option<u64> {
            Some(self.cpu.get())
        }
    }

    /// What `arrivals` steady arrivals `gap` apart did to a predicting
    /// wait, whose timed sleeps wake `late(i)` past their deadlines and
    /// cost `timed_cpu`: the counts of the second half's waits, and how
    /// many of its arrivals were seen within 1 µs.
    fn steady(gap: u64, late: impl Fn(u64) -> u64, timed_cpu: u64) -> (WaitCounts, u64) {
        let arrivals = 2_000;
        let mut state = WaitState::new(SpinPolicy::default());
        state.arrivals = ArrivalClock::new(true);
        let (now, cpu) = (Cell::new(0), Cell::new(0));
        let mut stats = WaitCounts::default();
        let mut half = WaitCounts::default();
        let mut at_once = 0;
        for i in 1..=arrivals {
            let ready = ReadySet::new();
            let parker = Scripted {
                ready: &ready,
                now: &now,
                cpu: &cpu,
                arrival: i * gap,
                wake_up: 6_000,
                late: late(i),
                timed_cpu,
            };
            // Until the arrival: a wait may end at a predicted sleep's
            // deadline with nothing come yet.
            while !ready.is_signalled() {
                state.wait(&mut stats, &ready, &parker, true, None);
            }
            let seen = now.get();
            if i == arrivals / 2 {
                half = state.counts(stats);
            } else if i > arrivals / 2 && seen - i * gap <= 1_000 {
                at_once += 1;
            }
            // The callback and the pass take a microsecond.
            parker.advance(1_000);
        }
        // Every wait ended one way.
        assert_eq!(stats.waits, stats.spun + stats.yielded + stats.parked);
        let stats = state.counts(stats);
        let second = WaitCounts {
            waits: stats.waits - half.waits,
            spun: stats.spun - half.spun,
            parked: stats.parked - half.parked,
            predicted: stats.predicted - half.predicted,
            stood_down_for_cost: stats.stood_down_for_cost - half.stood_down_for_cost,
            stood_down_for_lateness: stats.stood_down_for_lateness - half.stood_down_for_lateness,
            ..WaitCounts::default()
        };
        (second, at_once)
    }

    #[test]
    fn a_predicting_wait_answers_steady_arrivals_from_a_spin() {
        for gap in [50_000, 200_000] {
            // Sleeps that wake 3, 5, 7 or 9 µs late in turn.
            let (waits, at_once) = steady(gap, |i| 3_000 + 2_000 * (i % 4), PARK_CPU);
            assert!(waits.predicted >= 990, "gap {gap}: {waits:?}");
            // The lead covers two wakes in three: the 9 µs ones wake after
            // the arrival, by half a microsecond.
            assert!(waits.spun >= 700, "gap {gap}: {waits:?}");
            assert!(at_once >= 900, "gap {gap}: {at_once} of 1000, {waits:?}");
            assert_eq!(
                (waits.stood_down_for_cost, waits.stood_down_for_lateness),
                (0, 0),
                "gap {gap}: {waits:?}"
            );
        }
    }

    #[test]
    fn a_sleep_that_wakes_long_after_its_arrival_does_not_delay_the_next() {
        // One sleep in four wakes 25 µs late, long after its arrival: that
        // arrival is seen late, and counts as arriving when due, so the
        // three after it are still caught.
        let (waits, _) = steady(
            200_000,
            |i| [3_000, 5_000, 7_000, 25_000][i as usize % 4],
            PARK_CPU,
        );
        assert!(waits.spun >= 700, "{waits:?}");
    }

    #[test]
    fn predicted_sleeps_that_cost_three_parks_stand_prediction_down() {
        let (waits, at_once) = steady(200_000, |i| 3_000 + 2_000 * (i % 4), 3 * PARK_CPU);
        // One try every 256 arrivals, of four timed waits.
        assert!(waits.predicted <= 40, "{waits:?}");
        assert!(at_once <= 40, "{at_once}");
        // Counted, and for its reason: 1000 arrivals hold about four tries
        // (each a stand-down of 256 and the waits that show the cost again).
        assert!((3..=4).contains(&waits.stood_down_for_cost), "{waits:?}");
        assert_eq!(waits.stood_down_for_lateness, 0, "{waits:?}");
    }

    #[test]
    fn sleeps_that_wake_later_than_four_parks_stand_prediction_down() {
        let (waits, _) = steady(200_000, |_| 30_000, PARK_CPU);
        assert!(waits.predicted <= 40, "{waits:?}");
        assert!(
            (3..=4).contains(&waits.stood_down_for_lateness),
            "{waits:?}"
        );
        assert_eq!(waits.stood_down_for_cost, 0, "{waits:?}");
    }
}
