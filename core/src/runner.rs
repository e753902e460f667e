//! A [`HandlerRunner`] with one closure per slot: the callback API.

use crate::completion::{Action, Exit, RunMode, SlotState};
use crate::error::Error;
use crate::event_loop::Loop;
use crate::park::Park;
use crate::slot_runner::{Handler, HandlerRunner};
use crate::timers::TimerCounts;
use crate::wait::SpinPolicy;
use crate::wait::WaitCounts;
use core::time::Duration;

/// A completion's callback: runs on the loop's thread when its slot was
/// notified, and says whether to stay armed.
///
/// # Examples
///
/// ```
/// use rearm_core::{Action, Callback};
///
/// let mut calls = 0;
/// let mut count = || {
///     calls += 1;
///     Action::Rearm
/// };
/// let callback: Callback<'_> = &mut count; // borrowed, never boxed
/// assert_eq!(callback(), Action::Rearm);
/// ```
pub type Callback<'c> = &'c mut (dyn FnMut() -> Action + 'c);

/// Drives one [`Loop`] on the current thread: holds the callbacks, runs them when
/// their slots are notified, and sleeps in between. It is a [`HandlerRunner`]
/// whose handler calls the slot's closure; where one handler told the slot
/// suits better (a runtime that owns its per-slot state), use that directly.
///
/// There is at most one runner per loop at a time ([`Error::AlreadyHasRunner`]
/// otherwise). Dropping it disarms every completion it armed and frees the loop
/// for another runner, on this or any thread. Callbacks are borrowed, never
/// boxed: the runner allocates nothing.
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode, SlotState};
///
/// let lp: Loop<SpinPark, 4> = Loop::new(SpinPark::new());
/// let mut calls = 0;
/// let mut count = || { calls += 1; Action::Rearm };
/// let mut runner = CallbackRunner::new(&lp)?;
/// let slot = runner.add(&mut count)?;
///
/// lp.handle(slot)?.notify();
/// lp.handle(slot)?.notify(); // coalesces with the first
/// assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
/// runner.disarm(slot)?;
/// assert_eq!(runner.state(slot)?, SlotState::Dead);
/// assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
/// drop(runner);
/// assert_eq!(calls, 1);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct CallbackRunner<'l, 'c, P: Park, const CAP: usize> {
    pub(crate) slots: HandlerRunner<'l, P, CAP>,
    pub(crate) callbacks: [Option<Callback<'c>>; CAP],
}

/// The callbacks as one handler: each slot's closure, dropped when it disarms.
pub(crate) struct Callbacks<'a, 'c, const CAP: usize>(
    pub(crate) &'a mut [Option<Callback<'c>>; CAP],
);

impl<const CAP: usize> Handler for Callbacks<'_, '_, CAP> {
    fn on_notify(&mut self, slot: usize) -> Action {
        // The slot runner calls this only for armed slots, which have a callback.
        let Some(callback) = self.0[slot].as_mut() else {
            return Action::Disarm;
        };
        let action = callback();
        if action == Action::Disarm {
            self.0[slot] = None;
        }
        action
    }
}

impl<'l, 'c, P: Park, const CAP: usize> CallbackRunner<'l, 'c, P, CAP> {
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
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let runner = CallbackRunner::new(&lp)?;
    /// assert_eq!(CallbackRunner::new(&lp).unwrap_err(), Error::AlreadyHasRunner); // one at a time
    /// drop(runner);
    /// let _next = CallbackRunner::new(&lp)?; // free again
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn new(lp: &'l Loop<P, CAP>) -> Result<Self, Error> {
        Ok(CallbackRunner {
            slots: HandlerRunner::new(lp)?,
            callbacks: core::array::from_fn(|_| None),
        })
    }

    /// Replaces the spin policy (and resets what it had learnt).
    #[must_use]
    pub fn with_spin_policy(mut self, policy: SpinPolicy) -> Self {
        self.slots = self.slots.with_spin_policy(policy);
        self
    }

    /// Turns arrival prediction on or off; see
    /// [`HandlerRunner::with_arrival_prediction`].
    #[must_use]
    pub fn with_arrival_prediction(mut self, on: bool) -> Self {
        self.slots = self.slots.with_arrival_prediction(on);
        self
    }

    /// Lets a timer fire up to `slack` late so that timers due close
    /// together share one wake; see [`HandlerRunner::with_timer_slack`].
    ///
    /// ```
    /// use core::time::Duration;
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{CallbackRunner, Loop};
    ///
    /// fn uptime_ns() -> u64 { 42 } // a real clock here
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::with_clock(uptime_ns));
    /// let runner = CallbackRunner::new(&lp)?.with_timer_slack(Duration::from_micros(50));
    /// assert_eq!(runner.active(), 0);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_timer_slack(mut self, slack: Duration) -> Self {
        self.slots = self.slots.with_timer_slack(slack);
        self
    }

    /// The loop this runner drives.
    #[must_use]
    pub fn event_loop(&self) -> &'l Loop<P, CAP> {
        self.slots.event_loop()
    }

    /// Arms `slot` with `callback`: from now on, notifying the slot runs it.
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
    /// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut calls = 0;
    /// let mut count = || {
    ///     calls += 1;
    ///     Action::Disarm
    /// };
    /// let mut other = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut count)?;
    /// assert!(runner.arm(0, &mut other).is_err()); // already active
    /// lp.handle(0)?.notify();
    /// assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    /// drop(runner);
    /// assert_eq!(calls, 1);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn arm(&mut self, slot: usize, callback: Callback<'c>) -> Result<(), Error> {
        self.slots.arm(slot)?;
        self.callbacks[slot] = Some(callback);
        Ok(())
    }

    /// Arms the lowest dead slot with `callback` and returns its index.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when every slot is active.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    /// let (mut a, mut b, mut c) = (|| Action::Rearm, || Action::Rearm, || Action::Rearm);
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// assert_eq!(runner.add(&mut a)?, 0);
    /// assert_eq!(runner.add(&mut b)?, 1);
    /// assert_eq!(runner.add(&mut c), Err(Error::Full { capacity: 2 }));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn add(&mut self, callback: Callback<'c>) -> Result<usize, Error> {
        let slot = self.slots.add()?;
        self.callbacks[slot] = Some(callback);
        Ok(slot)
    }

    /// Disarms `slot` from outside its callback (a callback disarms by returning
    /// [`Action::Disarm`]); see [`HandlerRunner::disarm`] for what becomes of a
    /// notification still pending for it.
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
    /// use rearm_core::{Action, CallbackRunner, Loop, SlotState};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// runner.disarm(0)?;
    /// assert_eq!(runner.state(0)?, SlotState::Dead);
    /// assert!(runner.disarm(0).is_err()); // already dead
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn disarm(&mut self, slot: usize) -> Result<(), Error> {
        self.slots.disarm(slot)?;
        self.callbacks[slot] = None;
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
    /// use rearm_core::{Action, CallbackRunner, Loop, SlotState};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// assert_eq!(runner.state(0)?, SlotState::Active);
    /// assert!(runner.state(1).is_err()); // no slot 1
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn state(&self, slot: usize) -> Result<SlotState, Error> {
        self.slots.state(slot)
    }

    /// How many completions are active: always the number of slots whose state
    /// is [`SlotState::Active`].
    #[must_use]
    pub fn active(&self) -> usize {
        self.slots.active()
    }

    /// How this runner's waits ended so far.
    #[must_use]
    pub fn wait_counts(&self) -> WaitCounts {
        self.slots.wait_counts()
    }

    /// The spin budget the adaptive policy has settled on (spin steps per wait).
    #[must_use]
    pub fn spin_budget(&self) -> u32 {
        self.slots.spin_budget()
    }

    /// Runs callbacks as their slots are notified, for as long as `mode` says.
    ///
    /// Every run first takes what is pending, so notifications that arrived
    /// while no run was in progress are never stranded. See [`Exit`] for why it
    /// returned.
    ///
    /// # Panics
    ///
    /// Only with a callback's own panic, which goes on to the caller; the
    /// loop stays usable and loses nothing (see [`HandlerRunner::run`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// assert_eq!(runner.run(RunMode::NoWait), Exit::Ran); // nothing ready: returns at once
    /// std::thread::scope(|s| {
    ///     s.spawn(|| lp.handle(0).map(|handle| handle.notify()));
    ///     assert_eq!(runner.run(RunMode::Once), Exit::Ran); // waits for the notification
    /// });
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn run(&mut self, mode: RunMode) -> Exit {
        self.slots.run(mode, &mut Callbacks(&mut self.callbacks))
    }

    /// As [`run`](CallbackRunner::run), but returns [`Exit::TimedOut`] once the
    /// parker's clock reaches `deadline_ns`; see [`HandlerRunner::run_until`].
    ///
    /// # Errors
    ///
    /// [`Error::NoClock`] when the parker has no clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Exit, Loop, RunMode};
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # static NOW: AtomicU64 = AtomicU64::new(0);
    ///
    /// fn clock() -> u64 {
    ///     // A real clock here; this one runs 1 µs a look.
    ///     NOW.fetch_add(1_000, Ordering::Relaxed)
    /// }
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// let deadline = runner.now_ns().ok_or(Error::NoClock)? + 50_000;
    /// assert_eq!(runner.run_until(RunMode::UntilDone, deadline)?, Exit::TimedOut);
    ///
    /// let no_clock: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut refused = CallbackRunner::new(&no_clock)?;
    /// assert_eq!(refused.run_until(RunMode::UntilDone, 0), Err(Error::NoClock));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn run_until(&mut self, mode: RunMode, deadline_ns: u64) -> Result<Exit, Error> {
        self.slots
            .run_until(mode, deadline_ns, &mut Callbacks(&mut self.callbacks))
    }

    /// As [`run_until`](CallbackRunner::run_until), with the deadline `duration` from
    /// now.
    ///
    /// # Errors
    ///
    /// [`Error::NoClock`] when the parker has no clock.
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use core::time::Duration;
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
    ///
    /// fn clock() -> u64 {
    ///     // A real clock here; this one runs 1 µs a look.
    ///     static NOW: AtomicU64 = AtomicU64::new(0);
    ///     NOW.fetch_add(1_000, Ordering::Relaxed)
    /// }
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut ticks = 0;
    /// let mut tick = || { ticks += 1; Action::Rearm };
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// let slot = runner.add(&mut tick)?;
    /// runner.set_timer_every(slot, Duration::from_millis(2))?;
    /// // Ticks every 2 ms until the run's 15 ms are up.
    /// assert_eq!(runner.run_for(RunMode::UntilDone, Duration::from_millis(15))?, Exit::TimedOut);
    /// drop(runner);
    /// assert!((1..=7).contains(&ticks)); // never early; late ones are skipped, not bunched
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn run_for(&mut self, mode: RunMode, duration: Duration) -> Result<Exit, Error> {
        self.slots
            .run_for(mode, duration, &mut Callbacks(&mut self.callbacks))
    }

    /// The parker's clock; see [`HandlerRunner::now_ns`].
    #[must_use]
    pub fn now_ns(&self) -> Option<u64> {
        self.slots.now_ns()
    }

    /// Sets `slot`'s timer to run its callback once at `due_ns`; see
    /// [`HandlerRunner::set_timer_at`].
    ///
    /// # Errors
    ///
    /// As [`HandlerRunner::set_timer_at`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_timer = || Action::Disarm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_timer)?;
    /// runner.set_timer_at(0, 5_000)?;
    /// assert_eq!(runner.timer_due(0)?, Some(5_000));
    /// assert_eq!(runner.set_timer_at(1, 5_000), Err(Error::NotArmed { slot: 1 }));
    ///
    /// let no_clock: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_timer = || Action::Disarm;
    /// let mut refused = CallbackRunner::new(&no_clock)?;
    /// refused.arm(0, &mut on_timer)?;
    /// assert_eq!(refused.set_timer_at(0, 5_000), Err(Error::NoClock));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_at(&mut self, slot: usize, due_ns: u64) -> Result<(), Error> {
        self.slots.set_timer_at(slot, due_ns)
    }

    /// Sets `slot`'s timer to run its callback once, `after` from now.
    ///
    /// # Errors
    ///
    /// As [`HandlerRunner::set_timer_at`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    /// use core::time::Duration;
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// runner.set_timer_after(0, Duration::from_micros(5))?;
    /// assert_eq!(runner.timer_due(0)?, Some(6_000));
    /// assert_eq!(runner.set_timer_after(1, Duration::ZERO), Err(Error::NotArmed { slot: 1 }));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_after(&mut self, slot: usize, after: Duration) -> Result<(), Error> {
        self.slots.set_timer_after(slot, after)
    }

    /// Sets `slot`'s timer to run its callback every `period`; see
    /// [`HandlerRunner::set_timer_every`].
    ///
    /// # Errors
    ///
    /// As [`HandlerRunner::set_timer_every`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    /// use core::time::Duration;
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// runner.set_timer_every(0, Duration::from_micros(100))?; // first due one period on
    /// assert_eq!(runner.timer_due(0)?, Some(101_000));
    /// assert_eq!(runner.set_timer_every(0, Duration::ZERO), Err(Error::ZeroPeriod));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn set_timer_every(&mut self, slot: usize, period: Duration) -> Result<(), Error> {
        self.slots.set_timer_every(slot, period)
    }

    /// Sets `slot`'s timer to run its callback at `first_due_ns` and every
    /// `period` after; see [`HandlerRunner::set_timer_every_from`].
    ///
    /// # Errors
    ///
    /// As [`HandlerRunner::set_timer_every`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    /// use core::time::Duration;
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
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
        self.slots.set_timer_every_from(slot, first_due_ns, period)
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
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// runner.set_timer_at(0, 5_000)?;
    /// assert_eq!(runner.cancel_timer(0)?, true);
    /// assert_eq!(runner.cancel_timer(0)?, false); // nothing left to cancel
    /// assert_eq!(runner.timer_due(0)?, None);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn cancel_timer(&mut self, slot: usize) -> Result<bool, Error> {
        self.slots.cancel_timer(slot)
    }

    /// When `slot`'s timer is due next, if it has one.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Error, Loop};
    ///
    /// fn clock() -> u64 { 1_000 } // a real clock here
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::with_clock(clock));
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// assert_eq!(runner.timer_due(0)?, None);
    /// runner.set_timer_at(0, 5_000)?;
    /// assert_eq!(runner.timer_due(0)?, Some(5_000));
    /// assert_eq!(runner.timer_due(2), Err(Error::NoSuchSlot { slot: 2, capacity: 2 }));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn timer_due(&self, slot: usize) -> Result<Option<u64>, Error> {
        self.slots.timer_due(slot)
    }

    /// What this runner's timers did so far.
    #[must_use]
    pub fn timer_counts(&self) -> TimerCounts {
        self.slots.timer_counts()
    }

    /// See [`HandlerRunner::prepare_block`].
    #[must_use = "false means work is ready: run the loop instead of blocking"]
    pub fn prepare_block(&mut self) -> bool {
        self.slots.prepare_block()
    }
}

impl<P: Park, const CAP: usize> core::fmt::Debug for CallbackRunner<'_, '_, P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CallbackRunner")
            .field("slots", &self.slots)
            .finish_non_exhaustive()
    }
}
