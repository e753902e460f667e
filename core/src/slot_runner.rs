//! The loop's own thread: which slots are armed, the run modes, the wait,
//! and one [`Handler`] told which slot fired.

use crate::completion::{Action, Exit, RunMode, SlotState};
use crate::error::Error;
use crate::event_loop::Loop;
use crate::park::Park;
use crate::sync::Ordering;
use crate::timers::{TimerCounts, TimerSet};
use crate::wait::SpinPolicy;
use crate::wait::{ArrivalClock, WaitCounts, WaitState};
use core::time::Duration;

/// Firings between clock reads in a pass of timers (see
/// `HandlerRunner::fire_timers`): one read in 32 firings adds about one
/// percent to a firing's cost, and keeps the clock that judges skipped
/// periods at most 32 firings old.
const CLOCK_EVERY_FIRINGS: usize = 32;

/// What a loop's thread does when one of its armed slots was notified: one
/// object for every slot, told which fired. It is passed to each
/// [`HandlerRunner::run`], never stored, so a runtime can keep its runner and
/// the state the handler works on side by side in one struct it owns.
///
/// ```
/// use rearm_core::{Action, Handler};
///
/// /// Counts notifications per slot; slot 1 disarms after its third.
/// struct Counts([u32; 2]);
///
/// impl Handler for Counts {
///     fn on_notify(&mut self, slot: usize) -> Action {
///         self.0[slot] += 1;
///         if slot == 1 && self.0[1] == 3 { Action::Disarm } else { Action::Rearm }
///     }
/// }
/// ```
pub trait Handler {
    /// Slot `slot` was notified (once or more since its last run: notifications
    /// coalesce). Return whether it stays armed.
    fn on_notify(&mut self, slot: usize) -> Action;

    /// Slot `slot`'s timer fired (see [`HandlerRunner::set_timer_at`]). Return
    /// whether the slot stays armed; disarming it also ends its timer. The
    /// default treats a firing as a notification, calling
    /// [`on_notify`](Handler::on_notify).
    fn on_timer(&mut self, slot: usize) -> Action {
        self.on_notify(slot)
    }
}

/// A closure taking the slot is a handler.
impl<F: FnMut(usize) -> Action> Handler for F {
    fn on_notify(&mut self, slot: usize) -> Action {
        self(slot)
    }
}

/// Drives one [`Loop`] on the current thread: knows which slots are armed, runs
/// a [`Handler`] when they are notified, and sleeps in between. It borrows
/// nothing but the loop: the handler comes with each [`run`](HandlerRunner::run).
/// [`CallbackRunner`](crate::CallbackRunner) is the same with one closure per slot.
///
/// There is at most one runner per loop at a time ([`Error::AlreadyHasRunner`]
/// otherwise). Dropping it disarms every slot it armed and frees the loop for
/// another runner, on this or any thread. It allocates nothing.
///
/// A runtime keeps its runner and its per-slot state in one struct:
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, RunMode};
///
/// struct Timers { fired: [u32; 4] }
///
/// impl Handler for Timers {
///     fn on_notify(&mut self, slot: usize) -> Action {
///         self.fired[slot] += 1;
///         Action::Disarm
///     }
/// }
///
/// struct Runtime<'l> {
///     runner: HandlerRunner<'l, SpinPark, 4>,
///     timers: Timers,
/// }
///
/// impl Runtime<'_> {
///     fn turn(&mut self) -> Exit {
///         // Two fields, borrowed apart: no self-borrow.
///         self.runner.run(RunMode::NoWait, &mut self.timers)
///     }
/// }
///
/// static LOOP: Loop<SpinPark, 4> = Loop::new(SpinPark::new());
/// let mut rt = Runtime { runner: HandlerRunner::new(&LOOP)?, timers: Timers { fired: [0; 4] } };
/// let slot = rt.runner.add()?;
/// LOOP.handle(slot)?.notify();
/// assert_eq!(rt.turn(), Exit::Done); // the only armed slot disarmed
/// assert_eq!(rt.timers.fired[slot], 1);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct HandlerRunner<'l, P: Park, const CAP: usize> {
    lp: &'l Loop<P, CAP>,
    armed: [bool; CAP],
    active: usize,
    wait: WaitState,
    /// Whether the parker has a clock ([`Park::now_ns`]), read once: without
    /// one, no spin is capped by time.
    has_clock: bool,
    stats: WaitCounts,
    timers: TimerSet<CAP>,
    /// How late a timer may fire so that timers due close together share a
    /// wake, in nanoseconds (see [`HandlerRunner::with_timer_slack`]).
    timer_slack: u64,
}

impl<'l, P: Park, const CAP: usize> HandlerRunner<'l, P, CAP> {
    /// Becomes the runner of `lp`, with the default [`SpinPolicy`].
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyHasRunner`] when `lp` already has a runner: a loop is
    /// run from one place at a time.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let runner = HandlerRunner::new(&lp)?;
    /// assert_eq!(HandlerRunner::new(&lp).unwrap_err(), Error::AlreadyHasRunner); // one at a time
    /// drop(runner);
    /// let _next = HandlerRunner::new(&lp)?; // free again
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn new(lp: &'l Loop<P, CAP>) -> Result<Self, Error> {
        // Acquire pairs with the Release in the previous runner's drop: this
        // runner sees the owner-side counters and slot states it left behind.
        lp.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| Error::AlreadyHasRunner)?;
        Ok(HandlerRunner {
            lp,
            armed: [false; CAP],
            active: 0,
            wait: WaitState::new(SpinPolicy::default()),
            has_clock: lp.parker.now_ns().is_some(),
            stats: WaitCounts::default(),
            timers: TimerSet::new(),
            timer_slack: 0,
        })
    }

    /// Replaces the spin policy (and resets what it had learnt).
    #[must_use]
    pub fn with_spin_policy(mut self, policy: SpinPolicy) -> Self {
        let predicting = self.wait.arrivals.enabled();
        self.wait = WaitState::new(policy);
        self.wait.arrivals = ArrivalClock::new(predicting);
        self
    }

    /// Turns arrival prediction on or off (off by default). With it on, and
    /// a parker with a clock, a loop whose notifications come at a steady
    /// period sleeps with a deadline until a lead before the next one is
    /// due and spins from there: it answers about as fast as a spinning
    /// wait, for a park and a short spin. The lead is learnt from how late
    /// the timed sleeps wake, so that most wake before the arrival. What
    /// predicted waits cost is measured (one in a few, with the thread's CPU
    /// clock): where they cost more than two parks (a timed sleep that wakes
    /// very late, or costs far more than a park, as on some virtual
    /// machines), prediction stands down for a while and the wait is the
    /// usual one, as it is when arrivals are irregular;
    /// [`wait_counts`](HandlerRunner::wait_counts) says how often, and
    /// why. It needs a parker
    /// whose timed sleep ends within a few parks' cost of its deadline (the
    /// Linux parkers, with their 1 ns timer slack; not a condition variable
    /// under the kernel's default slack). It costs a clock read per wait.
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{HandlerRunner, Loop};
    ///
    /// fn uptime_ns() -> u64 { 42 } // a real clock here
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::with_clock(uptime_ns));
    /// let runner = HandlerRunner::new(&lp)?.with_arrival_prediction(true);
    /// assert_eq!(runner.wait_counts().predicted, 0);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_arrival_prediction(mut self, on: bool) -> Self {
        self.wait.arrivals = ArrivalClock::new(on);
        self
    }

    /// Lets a timer fire up to `slack` after it is due, so that timers due
    /// close together share one wake: the wait for the next timer ends when
    /// the latest timer due within `slack` of it is due, and every timer due
    /// by then fires. A timer with none due within `slack` after it still
    /// fires on time, and a timer that comes due while the loop is awake
    /// (firing others, say) fires as soon as they are done: the slack only
    /// saves wakes. As with the kernel's slack, the thread's wake-up comes
    /// on top. The default, zero, wakes for each due time.
    ///
    /// This is what the kernel's timer slack does for a thread's timed
    /// sleeps (50 µs by default on Linux, which rearm's Linux parkers turn
    /// down to 1 ns for precision), chosen here per loop: many timers a few
    /// microseconds apart then cost a wake per window, not one per timer. A
    /// periodic timer whose period is under the slack may skip periods
    /// ([`TimerCounts::skipped`]). Deadlines of
    /// [`run_until`](HandlerRunner::run_until) take no slack.
    ///
    /// ```
    /// use core::time::Duration;
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, RunMode};
    ///
    /// struct Late { now: fn() -> u64, fired_at: [u64; 2] }
    /// impl Handler for Late {
    ///     fn on_notify(&mut self, _slot: usize) -> Action { Action::Rearm }
    ///     fn on_timer(&mut self, slot: usize) -> Action {
    ///         self.fired_at[slot] = (self.now)();
    ///         Action::Disarm
    ///     }
    /// }
    /// fn uptime_ns() -> u64 {
    ///     # static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ///     # START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
    ///     // a real clock here
    /// }
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(uptime_ns));
    /// let mut runner = HandlerRunner::new(&lp)?.with_timer_slack(Duration::from_micros(100));
    /// let now = runner.now_ns().unwrap();
    /// runner.arm(0)?;
    /// runner.arm(1)?;
    /// runner.set_timer_at(0, now + 1_000_000)?;
    /// runner.set_timer_at(1, now + 1_050_000)?; // within the slack: one wake for both
    /// let mut late = Late { now: uptime_ns, fired_at: [0; 2] };
    /// assert_eq!(runner.run(RunMode::UntilDone, &mut late), Exit::Done);
    /// assert!(late.fired_at[0] >= now + 1_050_000); // waited for the second
    /// assert!(late.fired_at[1] >= now + 1_050_000); // never early
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_timer_slack(mut self, slack: Duration) -> Self {
        self.timer_slack = nanos(slack);
        self
    }

    /// The loop this runner drives.
    #[must_use]
    pub fn event_loop(&self) -> &'l Loop<P, CAP> {
        self.lp
    }

    /// Arms `slot`: from now on, notifying it runs the handler. A
    /// notification the slot kept while it was dead (see
    /// [`SlotHandle::notify_kept`](crate::SlotHandle::notify_kept)) becomes pending: the
    /// next run runs the handler for it.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more;
    /// [`Error::IllegalTransition`] when it is already active.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(1)?;
    /// assert!(runner.arm(1).is_err()); // already active
    /// lp.handle(1)?.notify();
    /// let mut fired = None;
    /// let mut on_event = |slot: usize| {
    ///     fired = Some(slot);
    ///     Action::Disarm
    /// };
    /// assert_eq!(runner.run(RunMode::UntilDone, &mut on_event), Exit::Done);
    /// assert_eq!(fired, Some(1));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn arm(&mut self, slot: usize) -> Result<(), Error> {
        self.lp.check_slot(slot)?;
        if self.armed[slot] {
            return Err(Error::IllegalTransition {
                slot,
                from: SlotState::Active,
                to: SlotState::Active,
            });
        }
        self.armed[slot] = true;
        self.active += 1;
        let lp = self.lp;
        lp.notifiers.set_active(slot, &lp.ready, &lp.parker);
        Ok(())
    }

    /// Arms the lowest dead slot and returns its index.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when every slot is active.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// assert_eq!(runner.add()?, 1); // the lowest dead slot
    /// assert_eq!(runner.add(), Err(Error::Full { capacity: 2 }));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn add(&mut self) -> Result<usize, Error> {
        let slot = self
            .armed
            .iter()
            .position(|armed| !armed)
            .ok_or(Error::Full { capacity: CAP })?;
        self.arm(slot)?;
        Ok(slot)
    }

    /// Disarms `slot` from outside the handler (the handler disarms by
    /// returning [`Action::Disarm`]). A notification still pending for it
    /// stays pending: if the slot is armed again before the loop next takes
    /// it, it runs the handler then; if the loop takes it first, it is
    /// dropped and counted, unless the slot keeps notifications (see
    /// [`SlotHandle::notify_kept`](crate::SlotHandle::notify_kept)), which keeps it for
    /// the slot's next arm.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more;
    /// [`Error::IllegalTransition`] when it is already dead.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{HandlerRunner, Loop, SlotState};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// runner.disarm(0)?;
    /// assert_eq!(runner.state(0)?, SlotState::Dead);
    /// assert!(runner.disarm(0).is_err()); // already dead
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn disarm(&mut self, slot: usize) -> Result<(), Error> {
        self.lp.check_slot(slot)?;
        if !self.armed[slot] {
            return Err(Error::IllegalTransition {
                slot,
                from: SlotState::Dead,
                to: SlotState::Dead,
            });
        }
        self.retire(slot);
        Ok(())
    }

    /// The state of `slot`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{HandlerRunner, Loop, SlotState};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// assert_eq!(runner.state(0)?, SlotState::Active);
    /// assert!(runner.state(1).is_err()); // no slot 1
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn state(&self, slot: usize) -> Result<SlotState, Error> {
        self.lp.check_slot(slot)?;
        Ok(if self.armed[slot] {
            SlotState::Active
        } else {
            SlotState::Dead
        })
    }

    /// How many completions are active: always the number of slots whose state
    /// is [`SlotState::Active`].
    #[must_use]
    pub fn active(&self) -> usize {
        self.active
    }

    /// How this runner's waits ended so far.
    #[must_use]
    pub fn wait_counts(&self) -> WaitCounts {
        self.wait.counts(self.stats)
    }

    /// The spin budget the adaptive policy has settled on (spin steps per wait).
    #[must_use]
    pub fn spin_budget(&self) -> u32 {
        self.wait.spin.budget()
    }

    /// Runs `handler` for each armed slot as it is notified or its timer
    /// fires, for as long as `mode` says.
    ///
    /// Every run first takes what is pending, so notifications that arrived
    /// while no run was in progress are never stranded. See [`Exit`] for why it
    /// returned.
    ///
    /// # Panics
    ///
    /// Only with the handler's own panic. A handler that panics was not run
    /// in full: the panic goes on to the caller, the slot stays armed, and its notification stays pending, as do
    /// those taken with it and not yet handled. After catching the panic, the
    /// next run calls the handler for them (disarm the slot first if it should
    /// not run again); nothing is lost, and the ledger does not count the
    /// panicked call as delivered. A timer whose handler panicked stays due,
    /// and fires again in the next run.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// let mut on_event = |_slot: usize| Action::Rearm;
    /// assert_eq!(runner.run(RunMode::NoWait, &mut on_event), Exit::Ran); // nothing ready
    /// std::thread::scope(|s| {
    ///     s.spawn(|| lp.handle(0).map(|handle| handle.notify()));
    ///     // Waits for the notification, then runs the handler for it.
    ///     assert_eq!(runner.run(RunMode::Once, &mut on_event), Exit::Ran);
    /// });
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn run<H: Handler + ?Sized>(&mut self, mode: RunMode, handler: &mut H) -> Exit {
        self.run_to(mode, None, handler)
    }

    /// As [`run`](HandlerRunner::run), but returns [`Exit::TimedOut`] once the
    /// parker's clock ([`now_ns`](HandlerRunner::now_ns)) reaches `deadline_ns`,
    /// if `mode` has not ended the run by then. No phase of the wait (spin,
    /// yield, park) runs past the deadline by more than its own step: a few
    /// spin-loop hints, one yield, or the parker's timed sleep's lateness.
    /// The deadline ends the waiting, not work already due: a wait that
    /// wakes past it still runs what was notified and every timer due by
    /// the clock it woke to (even one due after `deadline_ns`), then
    /// returns.
    ///
    /// # Errors
    ///
    /// [`Error::NoClock`] when the parker has no clock: it could never tell
    /// that the deadline came.
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode};
    ///
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # static NOW: AtomicU64 = AtomicU64::new(0);
    /// fn clock() -> u64 {
    ///     // A real clock here; this one runs 1 µs a look.
    ///     NOW.fetch_add(1_000, Ordering::Relaxed)
    /// }
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// let mut on_event = |_slot: usize| Action::Rearm;
    /// let deadline = runner.now_ns().unwrap() + 50_000;
    /// // Nobody notifies: the run ends at the deadline.
    /// assert_eq!(runner.run_until(RunMode::UntilDone, deadline, &mut on_event)?, Exit::TimedOut);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn run_until<H: Handler + ?Sized>(
        &mut self,
        mode: RunMode,
        deadline_ns: u64,
        handler: &mut H,
    ) -> Result<Exit, Error> {
        if !self.has_clock {
            return Err(Error::NoClock);
        }
        Ok(self.run_to(mode, Some(deadline_ns), handler))
    }

    /// As [`run_until`](HandlerRunner::run_until), with the deadline `duration`
    /// from now.
    ///
    /// # Errors
    ///
    /// [`Error::NoClock`] when the parker has no clock.
    ///
    /// ```
    /// use core::time::Duration;
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Error, HandlerRunner, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new()); // no clock
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// let mut on_event = |_slot: usize| Action::Rearm;
    /// let run = runner.run_for(RunMode::UntilDone, Duration::from_millis(1), &mut on_event);
    /// assert_eq!(run, Err(Error::NoClock)); // refused, rather than a run that never ends
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn run_for<H: Handler + ?Sized>(
        &mut self,
        mode: RunMode,
        duration: Duration,
        handler: &mut H,
    ) -> Result<Exit, Error> {
        let now = self.now_ns().ok_or(Error::NoClock)?;
        self.run_until(mode, now.saturating_add(nanos(duration)), handler)
    }

    /// The parker's clock ([`Park::now_ns`]): what deadlines and timers are
    /// given in. `None` when it has none.
    #[must_use]
    pub fn now_ns(&self) -> Option<u64> {
        if self.has_clock {
            self.lp.parker.now_ns()
        } else {
            None
        }
    }

    /// Sets `slot`'s timer to fire once when the parker's clock reaches
    /// `due_ns`, replacing any timer the slot had. A firing runs the
    /// handler's [`on_timer`](Handler::on_timer) for the slot, on the loop's
    /// thread, in the first run that finds it due; a deadline already passed
    /// fires in the next run. Disarming the slot cancels its timer.
    ///
    /// Costs O(log n) for n timers set, and allocates nothing: each slot
    /// holds at most one timer.
    ///
    /// # Errors
    ///
    /// [`Error::NoClock`] when the parker has no clock; [`Error::NoSuchSlot`];
    /// [`Error::NotArmed`] when the slot is dead.
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, RunMode};
    ///
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # static NOW: AtomicU64 = AtomicU64::new(0);
    /// fn clock() -> u64 {
    ///     // A real clock here; this one runs 1 µs a look.
    ///     NOW.fetch_add(1_000, Ordering::Relaxed)
    /// }
    /// struct Ticks(u32);
    /// impl Handler for Ticks {
    ///     fn on_notify(&mut self, _slot: usize) -> Action { Action::Rearm }
    ///     fn on_timer(&mut self, _slot: usize) -> Action {
    ///         self.0 += 1;
    ///         Action::Disarm
    ///     }
    /// }
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// let due = runner.now_ns().unwrap() + 20_000;
    /// runner.set_timer_at(0, due)?;
    /// let mut ticks = Ticks(0);
    /// assert_eq!(runner.run(RunMode::UntilDone, &mut ticks), Exit::Done);
    /// assert_eq!(ticks.0, 1);
    /// assert!(runner.timer_counts().check());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_at(&mut self, slot: usize, due_ns: u64) -> Result<(), Error> {
        self.check_timer_slot(slot)?;
        self.timers.set(slot, due_ns, 0);
        Ok(())
    }

    /// Sets `slot`'s timer to fire once, `after` from now; see
    /// [`set_timer_at`](HandlerRunner::set_timer_at).
    ///
    /// # Errors
    ///
    /// As [`set_timer_at`](HandlerRunner::set_timer_at).
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    /// use core::time::Duration;
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// runner.set_timer_after(0, Duration::from_micros(5))?;
    /// assert_eq!(runner.timer_due(0)?, Some(6_000));
    /// assert_eq!(runner.set_timer_after(1, Duration::ZERO), Err(Error::NotArmed { slot: 1 }));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_after(&mut self, slot: usize, after: Duration) -> Result<(), Error> {
        let now = self.now_ns().ok_or(Error::NoClock)?;
        self.set_timer_at(slot, now.saturating_add(nanos(after)))
    }

    /// Sets `slot`'s timer to fire every `period`, the first time one period
    /// from now, until it is cancelled or the slot disarms; see
    /// [`set_timer_at`](HandlerRunner::set_timer_at). A loop that comes late
    /// fires once for the periods it missed, and the next firing keeps the
    /// phase ([`TimerCounts::skipped`] counts the missed ones).
    ///
    /// # Errors
    ///
    /// As [`set_timer_at`](HandlerRunner::set_timer_at), and
    /// [`Error::ZeroPeriod`] for a zero `period`.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    /// use core::time::Duration;
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// runner.set_timer_every(0, Duration::from_micros(100))?; // first due one period on
    /// assert_eq!(runner.timer_due(0)?, Some(101_000));
    /// assert_eq!(runner.set_timer_every(0, Duration::ZERO), Err(Error::ZeroPeriod));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_every(&mut self, slot: usize, period: Duration) -> Result<(), Error> {
        if period.is_zero() {
            return Err(Error::ZeroPeriod);
        }
        let now = self.now_ns().ok_or(Error::NoClock)?;
        self.set_timer_every_from(slot, now.saturating_add(nanos(period)), period)
    }

    /// Sets `slot`'s timer to fire at `first_due_ns` and every `period`
    /// after it: [`set_timer_every`](HandlerRunner::set_timer_every) with the
    /// phase chosen (timers spread over a period, or one aligned to a clock
    /// tick).
    ///
    /// # Errors
    ///
    /// As [`set_timer_every`](HandlerRunner::set_timer_every).
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    /// use core::time::Duration;
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// // Due at 10 µs, then every 100 µs: 110, 210, ...
    /// runner.set_timer_every_from(0, 10_000, Duration::from_micros(100))?;
    /// assert_eq!(runner.timer_due(0)?, Some(10_000));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_every_from(
        &mut self,
        slot: usize,
        first_due_ns: u64,
        period: Duration,
    ) -> Result<(), Error> {
        let period = nanos(period);
        if period == 0 {
            return Err(Error::ZeroPeriod);
        }
        self.check_timer_slot(slot)?;
        self.timers.set(slot, first_due_ns, period);
        Ok(())
    }

    /// Cancels `slot`'s timer. Returns whether it had one.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// runner.set_timer_at(0, 5_000)?;
    /// assert_eq!(runner.cancel_timer(0)?, true);
    /// assert_eq!(runner.cancel_timer(0)?, false); // nothing left to cancel
    /// assert_eq!(runner.timer_due(0)?, None);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn cancel_timer(&mut self, slot: usize) -> Result<bool, Error> {
        self.lp.check_slot(slot)?;
        Ok(self.timers.cancel(slot))
    }

    /// When `slot`'s timer is due next, on the parker's clock, if it has one.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Error, HandlerRunner, Loop};
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// assert_eq!(runner.timer_due(0)?, None);
    /// runner.set_timer_at(0, 5_000)?;
    /// assert_eq!(runner.timer_due(0)?, Some(5_000));
    /// assert_eq!(runner.timer_due(2), Err(Error::NoSuchSlot { slot: 2, capacity: 2 }));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn timer_due(&self, slot: usize) -> Result<Option<u64>, Error> {
        self.lp.check_slot(slot)?;
        Ok(self.timers.due(slot))
    }

    /// What this runner's timers did so far; balanced at every point
    /// ([`TimerCounts::check`]).
    #[must_use]
    pub fn timer_counts(&self) -> TimerCounts {
        self.timers.counts()
    }

    /// Checks that `slot` may hold a timer: the parker has a clock, the
    /// slot exists and is armed.
    fn check_timer_slot(&self, slot: usize) -> Result<(), Error> {
        if !self.has_clock {
            return Err(Error::NoClock);
        }
        self.lp.check_slot(slot)?;
        if !self.armed[slot] {
            return Err(Error::NotArmed { slot });
        }
        Ok(())
    }

    /// The run loop, with an optional deadline (checked with the clock).
    fn run_to<H: Handler + ?Sized>(
        &mut self,
        mode: RunMode,
        deadline: Option<u64>,
        handler: &mut H,
    ) -> Exit {
        loop {
            let (stop, mut ran) = self.dispatch(handler);
            if stop {
                return Exit::Stopped;
            }
            // The clock is read only by runs that have a deadline or timers:
            // the plain ping-pong never reads it here. A clock that stopped
            // answering counts as time run out, never as a run that hangs.
            let now = (deadline.is_some() || !self.timers.is_empty())
                .then(|| self.lp.parker.now_ns().unwrap_or(u64::MAX));
            let mut fired = 0;
            if let Some(now) = now {
                fired = self.fire_timers(now, handler);
                ran += fired;
            }
            if self.active == 0 {
                return Exit::Done;
            }
            match mode {
                RunMode::NoWait => return Exit::Ran,
                RunMode::Once if ran > 0 => return Exit::Ran,
                RunMode::Once | RunMode::UntilDone => {}
            }
            if let (Some(deadline), Some(now)) = (deadline, now)
                && now >= deadline
            {
                return Exit::TimedOut;
            }
            // Timers that came due while others fired run now, before any
            // wait: the loop is awake, so waiting for a slack window's end
            // would make them later and save no wake. One clock read per
            // pass that fired.
            if fired != 0
                && let Some(next) = self.timers.next_due()
                && self.lp.parker.now_ns().is_some_and(|now| now >= next)
            {
                continue;
            }
            let wake_by = match (deadline, self.timers.wake_at(self.timer_slack)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.wait(wake_by);
        }
    }

    /// Runs the handler for every timer due at `now`; returns how many ran.
    /// Each timer fires at most once per call (a periodic one is next due
    /// after `now`), so this ends however slow the handler.
    ///
    /// Which periods a late periodic timer skipped is judged on a clock read
    /// every [`CLOCK_EVERY_FIRINGS`] firings, not on `now`: a long pass (an
    /// overloaded loop fires thousands) would otherwise count periods that
    /// passed during it as not yet missed, and fire them, later still, in
    /// the next pass.
    fn fire_timers<H: Handler + ?Sized>(&mut self, now: u64, handler: &mut H) -> usize {
        let mut ran = 0;
        let mut clock = now;
        while let Some(slot) = self.timers.due_at(now) {
            // Set only on armed slots, and a disarm cancels: the slot is armed.
            // A panic leaves the timer due, for the next run.
            let action = handler.on_timer(slot);
            ran += 1;
            if action == Action::Disarm {
                self.timers.fired_last(slot);
                self.retire(slot);
            } else {
                if ran % CLOCK_EVERY_FIRINGS == 0
                    && let Some(later) = self.lp.parker.now_ns()
                {
                    clock = clock.max(later);
                }
                self.timers.fired(slot, clock);
            }
        }
        ran
    }

    /// Announces that this loop's thread is about to block outside the parker,
    /// in a reactor that watches it (the `driver` crate's eventfd parker has a
    /// file descriptor for that). Until the next [`run`](HandlerRunner::run), the
    /// first notification, or a [`stop`](Loop::stop), calls the parker's
    /// [`unpark`](Park::unpark), which makes that descriptor readable.
    ///
    /// Returns `false`, and announces nothing, when a notification or a stop is
    /// already pending (or a block is already announced): run with
    /// [`RunMode::NoWait`] instead of blocking. After
    /// `true`, block; on waking, for whatever reason, run with `NoWait`, which
    /// also withdraws the announcement.
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, HandlerRunner, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = |_slot: usize| Action::Rearm;
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// assert!(runner.prepare_block()); // nothing pending: block in the reactor
    /// lp.handle(0)?.notify(); // would make the reactor's descriptor readable
    /// runner.run(RunMode::NoWait, &mut on_event); // the reactor woke: run what is ready
    /// lp.handle(0)?.notify();
    /// assert!(!runner.prepare_block()); // pending: do not block, run first
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[must_use = "false means work is ready: run the loop instead of blocking"]
    pub fn prepare_block(&mut self) -> bool {
        self.lp.ready.announce_park()
    }

    /// Takes the ready set once and runs the handler for the slots it names.
    /// Returns whether a stop was requested and how many slots ran.
    pub(crate) fn dispatch<H: Handler + ?Sized>(&mut self, handler: &mut H) -> (bool, usize) {
        let lp = self.lp;
        let armed = &mut self.armed;
        let active = &mut self.active;
        let timers = &mut self.timers;
        let mut ran = 0;
        let taken = lp.ready.take(
            &lp.notifiers,
            |slot| {
                if !armed[slot] {
                    // Notified while active, disarmed before we got here.
                    lp.notifiers.reap(slot, &lp.owners, &lp.ready);
                    return;
                }
                let action = handler.on_notify(slot);
                // Counted once the handler returned: one that panics leaves its
                // notification pending (the take puts the bit back).
                lp.owners.count_delivered(slot);
                ran += 1;
                if action == Action::Disarm {
                    armed[slot] = false;
                    *active -= 1;
                    timers.cancel(slot);
                    lp.notifiers.set_dead(slot);
                }
            },
            &|slot| lp.notifiers.count_merged(slot),
        );
        (taken.stop, ran)
    }

    fn retire(&mut self, slot: usize) {
        self.armed[slot] = false;
        self.active -= 1;
        self.timers.cancel(slot);
        self.lp.notifiers.set_dead(slot);
    }

    /// Waits until something is signalled, or the clock reaches `wake_by`
    /// (a deadline or the next timer), as the runner's wait policy has
    /// learnt to (see [`WaitState::wait`]).
    #[inline]
    fn wait(&mut self, wake_by: Option<u64>) {
        let lp = self.lp;
        self.wait.wait(
            &mut self.stats,
            &lp.ready,
            &lp.parker,
            self.has_clock,
            wake_by,
        );
    }
}

impl<P: Park, const CAP: usize> Drop for HandlerRunner<'_, P, CAP> {
    fn drop(&mut self) {
        for slot in 0..CAP {
            if self.armed[slot] {
                self.retire(slot);
            }
        }
        // Release: hands the owner-side counters and slot states to the next
        // runner (its Acquire in `new`).
        self.lp.claimed.store(false, Ordering::Release);
    }
}

impl<P: Park, const CAP: usize> core::fmt::Debug for HandlerRunner<'_, P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HandlerRunner")
            .field("active", &self.active)
            .field("spin_budget", &self.wait.spin.budget())
            .field("wait_counts", &self.stats)
            .finish_non_exhaustive()
    }
}

/// A duration in nanoseconds, saturating (u64 nanoseconds last 584 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
