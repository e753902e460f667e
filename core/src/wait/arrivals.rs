//! Arrival prediction: when notifications come at a steady period, the wait
//! sleeps with a deadline until a lead before the next one is due, then
//! spins, so that it answers as a spinning wait does for little more than
//! the CPU of a park.
//!
//! The gap estimates are those of TCP's retransmission timer (RFC 6298): a
//! smoothed gap moved an eighth of the way to each new gap, and a smoothed
//! deviation a quarter of the way to each new absolute error. Arrivals count
//! as steady while the deviation is at most an eighth of the gap.
//!
//! The lead is learnt from the timed sleeps themselves: it covers how late
//! two in three of them wake past their deadlines (a stochastic quantile
//! estimate), so that most sleeps wake before the arrival and the loop
//! answers from a spin, which is what moves the median latency. Covering
//! the mean instead misses half of them, and covering the worst case spins,
//! on every wait, what the slowest wake costs. Arrivals seen only after a
//! wake-up are seen late, and would be expected late: the sleeps also learn
//! how much earlier than expected arrivals come.
//!
//! What it costs is measured, not assumed: one predicted wait in
//! [`CPU_SAMPLE_EVERY`] is timed with the thread's CPU clock, and when they
//! cost more than [`MOST_PARKS`] parks (a timed sleep that wakes very late,
//! or wakes expensively, as on a virtual machine whose idle CPUs are far
//! away), prediction stands down for [`STAND_DOWN`] arrivals and the usual
//! wait keeps its bound. Arrivals that are not steady get the usual wait.

use core::cmp::Ordering;

/// Gaps seen before any prediction: the estimates settle first.
const WARM_UP: u32 = 8;

/// Spun on top of the lead and past the expected arrival: a sleep that
/// wakes a little late still spins a little before the arrival, and an
/// arrival a little late is still caught.
const MIN_MARGIN_NS: u64 = 1_000;

/// A gap longer than this is not predicted: a park's deadline so far away
/// saves nothing worth a guess (and the estimates stay in range).
const LONGEST_GAP_NS: u64 = 1_000_000_000;

/// The lead may be at most this many parks' cost: a timed sleep that wakes
/// later than that is too slow to predict with (the spin before the arrival
/// would cost more than the park saves).
const LONGEST_LEAD_PARKS: u64 = 4;

/// Predicted waits may cost at most this many parks' CPU, on average: the
/// wait's objective is at most twice what parking at once costs.
const MOST_PARKS: u64 = 2;

/// Every this many predicted waits, one is timed with the thread's CPU clock
/// (two reads, often system calls), after the first few.
const CPU_SAMPLE_EVERY: u32 = 4;
const FIRST_CPU_SAMPLES: u32 = 4;

/// Arrivals left to the usual wait after predicted waits cost too much;
/// then prediction is tried again, from fresh CPU samples.
const STAND_DOWN: u32 = 256;

/// How late a timed sleep wakes, as the lateness that one wake in three
/// exceeds, tracked one wake at a time: an estimate moved up by two steps
/// when a wake is later than it and down by one when not settles where a
/// third of the wakes are later. The step is a quarter of the wakes' mean
/// distance from the estimate, so it follows both a spread of a few hundred
/// nanoseconds and one of tens of microseconds.
#[derive(Clone, Copy, Debug, Default)]
struct LateQuantile {
    /// The estimate; meaningful once `seen`.
    estimate: u64,
    /// The wakes' smoothed absolute distance from the estimate.
    spread: u64,
    seen: bool,
}

impl LateQuantile {
    /// The smallest step: the estimate moves even when every wake is alike.
    const MIN_STEP_NS: u64 = 50;

    fn sample(&mut self, ns: u64) {
        if !self.seen {
            // The first wake is the estimate; the spread grows from nothing.
            *self = LateQuantile {
                estimate: ns,
                spread: 0,
                seen: true,
            };
            return;
        }
        let distance = self.estimate.abs_diff(ns);
        self.spread = self.spread - self.spread / 8 + distance / 8;
        let step = (self.spread / 4).max(Self::MIN_STEP_NS);
        self.estimate = match ns.cmp(&self.estimate) {
            Ordering::Greater => self.estimate.saturating_add(2 * step).min(ns),
            Ordering::Less => self.estimate.saturating_sub(step).max(ns),
            Ordering::Equal => ns,
        };
    }
}

/// What a runner has learnt of its arrivals.
#[derive(Clone, Debug, Default)]
pub(crate) struct ArrivalClock {
    enabled: bool,
    /// When the last arrival was seen, or was expected if it was seen late.
    last: Option<u64>,
    /// Smoothed gap between arrivals.
    gap: u64,
    /// Smoothed absolute error of the gap.
    deviation: u64,
    /// Gaps seen (saturating).
    gaps: u32,
    /// How late timed sleeps wake past their deadlines.
    late: LateQuantile,
    /// How much earlier than the estimates say arrivals have turned out to
    /// come: see [`woken_by_arrival`](Self::woken_by_arrival).
    early: u64,
    /// Mean CPU of a timed predicted wait, in ns; 0 before the first sample.
    cpu_mean_ns: u64,
    /// Predicted waits since the CPU samples were last reset.
    predicted: u32,
    /// Arrivals still left to the usual wait (see [`STAND_DOWN`]).
    standing_down: u32,
    /// Times prediction stood down, and why.
    stand_downs: StandDowns,
}

/// Times prediction stood down, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StandDowns {
    /// Predicted waits cost more than [`MOST_PARKS`] parks.
    pub(crate) cost: u64,
    /// The lead grew past [`LONGEST_LEAD_PARKS`] parks' cost.
    pub(crate) lateness: u64,
}

/// A predicted wait: park until `wake`, then spin until the arrival or
/// `give_up`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prediction {
    pub(crate) wake: u64,
    pub(crate) give_up: u64,
}

impl ArrivalClock {
    pub(crate) fn new(enabled: bool) -> Self {
        ArrivalClock {
            enabled,
            ..ArrivalClock::default()
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Times prediction stood down so far, and why.
    pub(crate) fn stand_downs(&self) -> StandDowns {
        self.stand_downs
    }

    /// A notification was seen at `now`; `on_time` says whether it was seen
    /// as it came (the wait ended while spinning) rather than after a
    /// sleeping thread's wake-up.
    ///
    /// A notification seen late came at most at `now`; if it was due
    /// before, it is taken to have come when due. Otherwise one slow
    /// wake-up would move the next expected arrival as late, and the next
    /// predicted wait would sleep through that arrival too.
    pub(crate) fn arrived(&mut self, now: u64, on_time: bool) {
        self.standing_down = self.standing_down.saturating_sub(1);
        let mut seen = now;
        if let Some(last) = self.last {
            if !on_time && self.gaps >= WARM_UP {
                // Seen up to half a gap after it was due: taken as due.
                let due = last.saturating_add(self.gap);
                if now.saturating_sub(due) < self.gap / 2 {
                    seen = now.min(due);
                }
            }
            let gap = seen.saturating_sub(last).min(LONGEST_GAP_NS);
            if self.gaps == 0 {
                self.gap = gap;
                self.deviation = gap / 2;
            } else {
                let error = self.gap.abs_diff(gap);
                self.deviation = self.deviation - self.deviation / 4 + error / 4;
                self.gap = self.gap - self.gap / 8 + gap / 8;
            }
            self.gaps = self.gaps.saturating_add(1);
        }
        self.last = Some(seen);
    }

    /// A timed park meant to end at a deadline ended `ns` after it.
    pub(crate) fn woke_late(&mut self, ns: u64) {
        self.late.sample(ns.min(LONGEST_GAP_NS));
    }

    /// A predicted sleep was ended by the arrival, before its deadline: the
    /// arrival came earlier than expected. Arrivals seen only after a
    /// sleeping thread's wake-up (as all are before prediction starts) are
    /// seen late by that wake-up, and so expected late; nothing else shows
    /// it. The sleeps end earlier, by a step that grows by half each time,
    /// until one wakes before the arrival and sees it come.
    pub(crate) fn woken_by_arrival(&mut self) {
        let step = (self.early / 2).max(MIN_MARGIN_NS);
        self.early = self.early.saturating_add(step).min(self.gap / 2);
    }

    /// A predicted wait saw its arrival come after spinning `ns`: the
    /// estimate was early by about that, less what the lead covers on
    /// purpose (the sleeps' lateness).
    pub(crate) fn caught_after(&mut self, ns: u64) {
        self.early = self.early.saturating_sub(ns / 4);
    }

    /// A predicted wait spun past the expected arrival, and gave up.
    pub(crate) fn missed(&mut self) {
        self.early /= 2;
    }

    /// Whether to time the predicted wait about to be made with the thread's
    /// CPU clock.
    pub(crate) fn sample_cpu_next(&mut self) -> bool {
        self.predicted = self.predicted.saturating_add(1);
        self.predicted <= FIRST_CPU_SAMPLES || self.predicted.is_multiple_of(CPU_SAMPLE_EVERY)
    }

    /// A timed predicted wait cost the thread `ns` of CPU, where a park
    /// costs it `park_cost_ns`. If predicted waits cost more than
    /// [`MOST_PARKS`] parks, prediction stands down.
    pub(crate) fn cpu_sample(&mut self, ns: u64, park_cost_ns: u64) {
        let ns = ns.min(LONGEST_GAP_NS);
        self.cpu_mean_ns = if self.cpu_mean_ns == 0 {
            ns.max(1)
        } else {
            self.cpu_mean_ns - self.cpu_mean_ns / 8 + ns / 8
        };
        if self.predicted >= FIRST_CPU_SAMPLES
            && self.cpu_mean_ns > park_cost_ns.saturating_mul(MOST_PARKS)
        {
            self.stand_down();
            self.stand_downs.cost = self.stand_downs.cost.saturating_add(1);
            self.cpu_mean_ns = 0;
            self.predicted = 0;
        }
    }

    /// Leaves the next [`STAND_DOWN`] arrivals to the usual wait. What the
    /// sleeps taught of arrivals coming early is stale by then.
    fn stand_down(&mut self) {
        self.standing_down = STAND_DOWN;
        self.early = 0;
    }

    /// How far before an arrival, expected where it is due, a predicted
    /// sleep ends: the lateness one sleep in three exceeds, twice the arrivals'
    /// deviation (an arrival may come that much early), and
    /// [`MIN_MARGIN_NS`]. What a wait spins before the arrival comes from
    /// this.
    fn spin_lead(&self) -> u64 {
        self.late
            .estimate
            .saturating_add(self.deviation.saturating_mul(2))
            .saturating_add(MIN_MARGIN_NS)
    }

    /// How far before the expected arrival a predicted sleep ends: the
    /// [`spin_lead`](Self::spin_lead), and how much earlier arrivals have
    /// come than expected.
    fn lead(&self) -> u64 {
        self.spin_lead().saturating_add(self.early)
    }

    /// How long past the expected arrival the spin waits for it.
    fn after(&self, park_cost_ns: u64) -> u64 {
        self.deviation
            .saturating_mul(2)
            .saturating_add(MIN_MARGIN_NS)
            .min(park_cost_ns)
    }

    /// How to wait at `now` for the next arrival, if arrivals are steady, a
    /// timed sleep wakes within [`LONGEST_LEAD_PARKS`] parks' cost
    /// (`park_cost_ns`) of its deadline, and prediction is not standing
    /// down.
    ///
    /// A lead too long stands prediction down too, and forgets the sleeps'
    /// lateness: with no timed sleeps it would never be seen to shrink.
    pub(crate) fn predict(&mut self, now: u64, park_cost_ns: u64) -> Option<Prediction> {
        if !self.enabled
            || self.gaps < WARM_UP
            || self.standing_down > 0
            || self.deviation > self.gap / 8
        {
            return None;
        }
        if self.spin_lead() > park_cost_ns.saturating_mul(LONGEST_LEAD_PARKS) {
            self.stand_down();
            self.stand_downs.lateness = self.stand_downs.lateness.saturating_add(1);
            self.late = LateQuantile::default();
            return None;
        }
        let expected = self.last?.saturating_add(self.gap);
        let wake = expected.checked_sub(self.lead())?;
        // Already inside the lead, or past the arrival: the usual wait.
        if wake <= now {
            return None;
        }
        Some(Prediction {
            wake,
            give_up: expected.saturating_add(self.after(park_cost_ns)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` arrivals `gap` apart from `from`, each seen as it came;
    /// returns the last one's time.
    fn steady(clock: &mut ArrivalClock, from: u64, gap: u64, count: u64) -> u64 {
        let mut at = from;
        for _ in 0..count {
            clock.arrived(at, true);
            at += gap;
        }
        at - gap
    }

    /// Steady arrivals `gap` apart after `last`, seen as they came, through
    /// a whole stand-down, which predicts nothing; then prediction is tried
    /// again.
    fn sit_out_stand_down_then_predict(clock: &mut ArrivalClock, mut last: u64, gap: u64) {
        for _ in 0..STAND_DOWN {
            assert_eq!(clock.predict(last + 1_000, 5_000), None);
            last += gap;
            clock.arrived(last, true);
        }
        assert!(clock.predict(last + 1_000, 5_000).is_some());
    }

    #[test]
    fn steady_arrivals_are_predicted_a_lead_early() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 50_000, 20);
        let lead = clock.lead();
        assert!((MIN_MARGIN_NS..2 * MIN_MARGIN_NS).contains(&lead));
        let p = clock.predict(last + 1_000, 5_000).unwrap();
        assert_eq!(p.wake, last + 50_000 - lead);
        assert_eq!(p.give_up, last + 50_000 + clock.after(5_000));
        assert!(clock.after(5_000) >= MIN_MARGIN_NS);
    }

    #[test]
    fn nothing_is_predicted_when_disabled_warming_up_or_irregular() {
        let mut off = ArrivalClock::new(false);
        let last = steady(&mut off, 0, 50_000, 20);
        assert_eq!(off.predict(last, 5_000), None);

        let mut early = ArrivalClock::new(true);
        let last = steady(&mut early, 0, 50_000, 5);
        assert_eq!(early.predict(last, 5_000), None);

        let mut irregular = ArrivalClock::new(true);
        let mut at = 0;
        for i in 0..40 {
            at += if i % 2 == 0 { 10_000 } else { 90_000 };
            irregular.arrived(at, true);
        }
        // Even where a park costs enough for any lead.
        assert_eq!(irregular.predict(at, 1_000_000), None);
    }

    #[test]
    fn the_lead_settles_where_a_third_of_the_wakes_are_later() {
        // Wakes 1 to 12 µs late, in a shuffled order: a third are later than
        // 8 µs.
        let settled = |unit: u64| {
            let mut clock = ArrivalClock::new(true);
            let mut sum = 0;
            for i in 0..4_000u64 {
                clock.woke_late(unit * (1 + (i * 7) % 12));
                if i >= 2_000 {
                    sum += clock.late.estimate;
                }
            }
            sum / 2_000
        };
        let estimate = settled(1_000);
        assert!((7_000..=9_000).contains(&estimate), "{estimate}");
        // A spread of a few hundred ns is followed as closely.
        let estimate = settled(50);
        assert!((350..=450).contains(&estimate), "{estimate}");
    }

    #[test]
    fn an_arrival_seen_after_a_wake_up_is_taken_as_due() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 50_000, 20);
        let gap = clock.gap;
        // Seen 20 µs late, after a sleeping thread woke: the next is still
        // expected one gap after the due time, not after the wake-up.
        clock.arrived(last + gap + 20_000, false);
        let p = clock.predict(last + gap + 21_000, 5_000).unwrap();
        assert_eq!(p.wake, last + 2 * gap - clock.lead());
        // Seen early, it counts where it was seen.
        clock.arrived(last + 2 * gap - 3_000, false);
        assert_eq!(clock.last, Some(last + 2 * gap - 3_000));
        // Seen half a gap late or more, it is not taken as due: that may be
        // another arrival, or a pause.
        let mut paused = ArrivalClock::new(true);
        let last = steady(&mut paused, 0, 50_000, 20);
        let (due, half) = (last + paused.gap, paused.gap / 2);
        paused.arrived(due + half, false);
        assert_eq!(paused.last, Some(due + half));
        let due = paused.last.unwrap() + paused.gap;
        assert!(30_000 > paused.gap / 2);
        paused.arrived(due + 30_000, false);
        assert_eq!(paused.last, Some(due + 30_000));
        // Seen as it came, it counts where it was seen even when late.
        let mut on_time = ArrivalClock::new(true);
        let last = steady(&mut on_time, 0, 50_000, 20);
        on_time.arrived(last + 70_000, true);
        assert_eq!(on_time.last, Some(last + 70_000));
    }

    #[test]
    fn predicted_waits_that_cost_over_two_parks_stand_down_then_try_again() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 50_000, 20);
        // Within two parks: prediction goes on.
        for _ in 0..40 {
            if clock.sample_cpu_next() {
                clock.cpu_sample(9_000, 5_000);
            }
        }
        assert!(clock.predict(last + 1_000, 5_000).is_some());
        assert_eq!(clock.stand_downs(), StandDowns::default());
        // One dear wait among cheap ones moves the mean an eighth of the
        // way: no stand-down.
        let mut once = ArrivalClock::new(true);
        for _ in 0..8 {
            once.sample_cpu_next();
            once.cpu_sample(6_000, 5_000);
        }
        once.sample_cpu_next();
        once.cpu_sample(30_000, 5_000);
        assert_eq!((once.cpu_mean_ns, once.standing_down), (9_000, 0));
        // Over two parks, on average: it stands down.
        for _ in 0..40 {
            if clock.sample_cpu_next() {
                clock.cpu_sample(14_000, 5_000);
            }
        }
        assert_eq!(clock.standing_down, STAND_DOWN);
        // Each stand-down starts the samples afresh, and these come with no
        // arrivals between to sit it out: every fourth stands it down again.
        let StandDowns { cost, lateness } = clock.stand_downs();
        assert_eq!((cost, lateness), (9, 0));
        sit_out_stand_down_then_predict(&mut clock, last, 50_000);
    }

    #[test]
    fn a_lead_over_four_parks_stands_down_and_forgets_the_lateness() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 200_000, 20);
        for _ in 0..20 {
            clock.woke_late(30_000);
        }
        // A 30 µs lead is within four parks of 10 µs, not of 5 µs.
        assert!(clock.predict(last + 1_000, 10_000).is_some());
        assert_eq!(clock.predict(last + 1_000, 5_000), None);
        assert_eq!(clock.late.estimate, 0);
        let StandDowns { cost, lateness } = clock.stand_downs();
        assert_eq!((cost, lateness), (0, 1));
        sit_out_stand_down_then_predict(&mut clock, last, 200_000);
    }

    #[test]
    fn the_lead_and_the_margin_past_the_arrival_add_up_as_documented() {
        let mut clock = ArrivalClock::new(true);
        let last = steady(&mut clock, 0, 100_000, 20);
        clock.late.estimate = 3_000;
        clock.early = 2_000;
        clock.deviation = 500;
        assert_eq!(clock.spin_lead(), 3_000 + 2 * 500 + MIN_MARGIN_NS);
        assert_eq!(clock.lead(), 5_000 + 2_000);
        // Past the arrival: twice the deviation and the margin, at most a
        // park.
        assert_eq!(clock.after(5_000), 2 * 500 + MIN_MARGIN_NS);
        assert_eq!(clock.after(1_500), 1_500);
        let expected = last + clock.gap;
        let p = clock.predict(expected - 8_000, 5_000).unwrap();
        assert_eq!(p.wake, expected - 7_000);
        assert_eq!(p.give_up, expected + 2_000);
        // At the wake time itself it is too late to sleep.
        assert_eq!(clock.predict(expected - 7_000, 5_000), None);
    }

    #[test]
    fn arrivals_that_come_early_move_the_sleeps_earlier_until_one_is_caught() {
        let mut clock = ArrivalClock::new(true);
        steady(&mut clock, 0, 50_000, 20);
        // Steps of a margin, then growing by half.
        let mut seen = [0; 5];
        for early in &mut seen {
            clock.woken_by_arrival();
            *early = clock.early;
        }
        assert_eq!(seen, [1_000, 2_000, 3_000, 4_500, 6_750]);
        // Never past half a gap.
        for _ in 0..40 {
            clock.woken_by_arrival();
        }
        assert_eq!(clock.early, clock.gap / 2);
        // A catch after spinning 8 µs takes back a quarter of that.
        clock.early = 6_000;
        clock.caught_after(8_000);
        assert_eq!(clock.early, 4_000);
        // A wait that spun past the arrival without it halves the rest.
        clock.missed();
        assert_eq!(clock.early, 2_000);
    }

    #[test]
    fn the_first_predicted_waits_then_one_in_four_are_timed() {
        let mut clock = ArrivalClock::new(true);
        let timed: [bool; 12] = core::array::from_fn(|_| clock.sample_cpu_next());
        assert_eq!(
            timed,
            [
                true, true, true, true, false, false, false, true, false, false, false, true
            ]
        );
    }

    #[test]
    fn a_stand_down_forgets_how_early_arrivals_came() {
        let mut clock = ArrivalClock::new(true);
        steady(&mut clock, 0, 50_000, 20);
        clock.early = 9_000;
        for _ in 0..FIRST_CPU_SAMPLES {
            clock.sample_cpu_next();
            clock.cpu_sample(20_000, 5_000);
        }
        assert_eq!(clock.standing_down, STAND_DOWN);
        assert_eq!(clock.early, 0);
        assert_eq!(clock.cpu_mean_ns, 0);
    }

    #[test]
    fn the_first_wake_is_the_estimate_and_later_ones_step_by_the_spread() {
        let mut late = LateQuantile::default();
        late.sample(10_000);
        assert_eq!((late.estimate, late.spread), (10_000, 0));
        // 8 µs later: the spread moves an eighth of the way there, and the
        // estimate up two steps of a quarter of the spread.
        late.sample(18_000);
        assert_eq!((late.estimate, late.spread), (10_500, 1_000));
        // Earlier: down one step, never below the wake itself.
        late.sample(2_000);
        assert_eq!(late.spread, 1_000 - 125 + 1_062);
        assert_eq!(late.estimate, 10_500 - 1_937 / 4);
        late.sample(10_030);
        assert_eq!(late.estimate, 10_030);
    }

    #[test]
    fn each_limit_lets_its_own_value_through() {
        // Eight gaps 80 µs apart, deviating by exactly an eighth of the gap,
        // with a spin lead of exactly four parks: predicted.
        let at_limits = |arrivals: u64, deviation: u64, park: u64| {
            let mut clock = ArrivalClock::new(true);
            let last = steady(&mut clock, 0, 80_000, arrivals);
            clock.deviation = deviation;
            clock.predict(last + 1_000, park)
        };
        assert!(at_limits(9, 10_000, 5_250).is_some());
        // One gap fewer, a deviation a nanosecond more, or a lead a
        // nanosecond longer than four parks: the usual wait.
        assert_eq!(at_limits(8, 0, 5_250), None);
        assert_eq!(at_limits(9, 10_001, 1_000_000), None);
        assert_eq!(at_limits(9, 10_000, 5_249), None);
        // Predicted waits costing exactly two parks go on.
        let mut clock = ArrivalClock::new(true);
        for _ in 0..20 {
            clock.sample_cpu_next();
            clock.cpu_sample(10_000, 5_000);
        }
        assert_eq!(clock.standing_down, 0);
    }
}
