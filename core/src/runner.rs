//! The loop's own thread: callbacks, the run modes, and the wait.

use crate::sync::Ordering;
use crate::wait::{CLOCK_EVERY, WaitState};
use crate::{Action, Error, Exit, Loop, Park, RunMode, SpinPolicy, State};

/// A completion's callback: runs on the loop's thread when its async was
/// notified, and says whether to stay armed.
pub type Callback<'c> = &'c mut (dyn FnMut() -> Action + 'c);

/// Drives one [`Loop`] on the current thread: holds the callbacks, runs them when
/// their asyncs are notified, and sleeps in between.
///
/// There is at most one runner per loop at a time ([`Error::AlreadyHasRunner`]
/// otherwise). Dropping it disarms every completion it armed and frees the loop
/// for another runner, on this or any thread. Callbacks are borrowed, never
/// boxed: the runner allocates nothing.
///
/// ```
/// use rearm_core::{Action, Exit, Loop, RunMode, Runner, SpinPark, State};
///
/// let lp: Loop<SpinPark, 4> = Loop::new(SpinPark::new());
/// let mut calls = 0;
/// let mut count = || { calls += 1; Action::Rearm };
/// let mut runner = Runner::new(&lp)?;
/// let slot = runner.add(&mut count)?;
///
/// lp.handle(slot)?.notify();
/// lp.handle(slot)?.notify(); // coalesces with the first
/// assert_eq!(runner.run(RunMode::NoWait), Exit::Ran);
/// runner.disarm(slot)?;
/// assert_eq!(runner.state(slot)?, State::Dead);
/// assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
/// drop(runner);
/// assert_eq!(calls, 1);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct Runner<'l, 'c, P: Park, const CAP: usize> {
    lp: &'l Loop<P, CAP>,
    callbacks: [Option<Callback<'c>>; CAP],
    active: usize,
    wait: WaitState,
    /// Whether the parker has a clock ([`Park::now_ns`]), read once: without
    /// one, no spin is capped by time.
    has_clock: bool,
    stats: WaitStats,
}

/// How a runner's waits ended, since it was made.
///
/// More ways for a wait to end may be counted later: read the fields, do not
/// build the struct.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WaitStats {
    /// Times the runner had nothing to do and waited.
    pub waits: u64,
    /// Waits that ended while spinning.
    pub spun: u64,
    /// Waits that ended while yielding.
    pub yielded: u64,
    /// Waits that parked (slept through the [`Park`]er).
    pub parked: u64,
}

/// Sums two runners' statistics (of several loops, say), field by field.
///
/// ```
/// use rearm_core::WaitStats;
///
/// let total = WaitStats::default() + WaitStats::default();
/// assert_eq!(total.waits, 0);
/// ```
impl core::ops::Add for WaitStats {
    type Output = WaitStats;

    fn add(self, other: WaitStats) -> WaitStats {
        WaitStats {
            waits: self.waits.wrapping_add(other.waits),
            spun: self.spun.wrapping_add(other.spun),
            yielded: self.yielded.wrapping_add(other.yielded),
            parked: self.parked.wrapping_add(other.parked),
        }
    }
}

impl<'l, 'c, P: Park, const CAP: usize> Runner<'l, 'c, P, CAP> {
    /// Becomes the runner of `lp`, with the default [`SpinPolicy`].
    ///
    /// Fails with [`Error::AlreadyHasRunner`] if `lp` already has a runner.
    pub fn new(lp: &'l Loop<P, CAP>) -> Result<Self, Error> {
        // Acquire pairs with the Release in the previous runner's drop: this
        // runner sees the owner-side counters and slot states it left behind.
        lp.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| Error::AlreadyHasRunner)?;
        Ok(Runner {
            lp,
            callbacks: core::array::from_fn(|_| None),
            active: 0,
            wait: WaitState::new(SpinPolicy::default()),
            has_clock: lp.parker.now_ns().is_some(),
            stats: WaitStats::default(),
        })
    }

    /// Replaces the spin policy (and resets what it had learnt).
    pub fn with_spin_policy(mut self, policy: SpinPolicy) -> Self {
        self.wait = WaitState::new(policy);
        self
    }

    /// The loop this runner drives.
    pub fn event_loop(&self) -> &'l Loop<P, CAP> {
        self.lp
    }

    /// Arms `slot` with `callback`: from now on, notifying the slot runs it.
    ///
    /// Fails if the slot does not exist or is already active.
    pub fn arm(&mut self, slot: usize, callback: Callback<'c>) -> Result<(), Error> {
        self.lp.check_slot(slot)?;
        let entry = &mut self.callbacks[slot];
        if entry.is_some() {
            return Err(Error::IllegalTransition {
                slot,
                from: State::Active,
                to: State::Active,
            });
        }
        *entry = Some(callback);
        self.active += 1;
        self.lp.notifiers.set_active(slot);
        Ok(())
    }

    /// Arms the lowest dead slot with `callback` and returns its index.
    ///
    /// Fails with [`Error::Full`] when every slot is active.
    pub fn add(&mut self, callback: Callback<'c>) -> Result<usize, Error> {
        let slot = self
            .callbacks
            .iter()
            .position(Option::is_none)
            .ok_or(Error::Full { capacity: CAP })?;
        self.arm(slot, callback)?;
        Ok(slot)
    }

    /// Disarms `slot` from outside its callback (a callback disarms by returning
    /// [`Action::Disarm`]). A notification still pending for it is dropped and
    /// counted when the loop next takes it.
    ///
    /// Fails if the slot does not exist or is already dead.
    pub fn disarm(&mut self, slot: usize) -> Result<(), Error> {
        self.lp.check_slot(slot)?;
        if self.callbacks[slot].is_none() {
            return Err(Error::IllegalTransition {
                slot,
                from: State::Dead,
                to: State::Dead,
            });
        }
        self.retire(slot);
        Ok(())
    }

    /// The state of `slot`.
    pub fn state(&self, slot: usize) -> Result<State, Error> {
        self.lp.check_slot(slot)?;
        Ok(if self.callbacks[slot].is_some() {
            State::Active
        } else {
            State::Dead
        })
    }

    /// How many completions are active: always the number of slots whose state
    /// is [`State::Active`].
    pub fn active(&self) -> usize {
        self.active
    }

    /// How this runner's waits ended so far.
    pub fn wait_stats(&self) -> WaitStats {
        self.stats
    }

    /// The spin budget the adaptive policy has settled on (spin steps per wait).
    pub fn spin_budget(&self) -> u32 {
        self.wait.spin.budget()
    }

    /// Runs callbacks as their asyncs are notified, for as long as `mode` says.
    ///
    /// Every run first takes what is pending, so notifications that arrived
    /// while no run was in progress are never stranded. See [`Exit`] for why it
    /// returned.
    pub fn run(&mut self, mode: RunMode) -> Exit {
        loop {
            let (stop, ran) = self.dispatch();
            if stop {
                return Exit::Stopped;
            }
            if self.active == 0 {
                return Exit::Done;
            }
            match mode {
                RunMode::NoWait => return Exit::Ran,
                RunMode::Once if ran > 0 => return Exit::Ran,
                RunMode::Once | RunMode::UntilDone => self.wait(),
            }
        }
    }

    /// Announces that this loop's thread is about to block outside the parker,
    /// in a reactor that watches it (the `driver` crate's eventfd parker has a
    /// file descriptor for that). Until the next [`run`](Runner::run), the
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
    /// use rearm_core::{Action, Loop, RunMode, Runner, SpinPark};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = Runner::new(&lp)?;
    /// runner.arm(0, &mut on_event)?;
    /// assert!(runner.prepare_block()); // nothing pending: block in the reactor
    /// lp.handle(0)?.notify(); // would make the reactor's descriptor readable
    /// runner.run(RunMode::NoWait); // the reactor woke: run what is ready
    /// lp.handle(0)?.notify();
    /// assert!(!runner.prepare_block()); // pending: do not block, run first
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn prepare_block(&mut self) -> bool {
        self.lp.ready.announce_park()
    }

    /// Takes the ready set once and runs the callbacks it names. Returns whether a
    /// stop was requested and how many callbacks ran.
    fn dispatch(&mut self) -> (bool, usize) {
        let lp = self.lp;
        let callbacks = &mut self.callbacks;
        let active = &mut self.active;
        let mut ran = 0;
        let taken = lp.ready.take(|slot| {
            let Some(callback) = callbacks[slot].as_mut() else {
                // Notified while active, disarmed before we got here.
                lp.owners.count_reaped(slot);
                return;
            };
            lp.owners.count_delivered(slot);
            ran += 1;
            if callback() == Action::Disarm {
                callbacks[slot] = None;
                *active -= 1;
                lp.notifiers.set_dead(slot);
            }
        });
        (taken.stop, ran)
    }

    fn retire(&mut self, slot: usize) {
        self.callbacks[slot] = None;
        self.active -= 1;
        self.lp.notifiers.set_dead(slot);
    }

    /// Waits until something is signalled: spin (adaptive budget, capped by
    /// the park cost), yield, park. See [`SpinPolicy`] for why.
    fn wait(&mut self) {
        let ready = &self.lp.ready;
        let parker = &self.lp.parker;
        self.stats.waits += 1;
        let budget = self.wait.spin.next();
        let limit_ns = self.wait.spin_limit_ns().filter(|_| self.has_clock);
        // Set at the first clock read: a reply within CLOCK_EVERY steps (the
        // ping-pong's usual case) costs no clock read at all.
        let mut deadline = None;
        let mut step = 0;
        loop {
            if ready.is_signalled() {
                self.wait.spin.spun(step);
                self.stats.spun += 1;
                return;
            }
            if step == budget {
                break;
            }
            if step % CLOCK_EVERY == CLOCK_EVERY - 1
                && let Some(limit) = limit_ns
                && let Some(now) = parker.now_ns()
                && now >= *deadline.get_or_insert(now.saturating_add(limit))
            {
                break;
            }
            parker.relax();
            step += 1;
        }
        self.wait.spin.spun_out();
        for _ in 0..self.wait.yields.yields() {
            let before = if self.wait.yields.time_next() {
                parker.now_ns()
            } else {
                None
            };
            // The process's CPU use, only while slow yields are about.
            let busy_before = if before.is_some() && self.wait.yields.bracket_next() {
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
                    .is_some_and(|after| self.wait.yield_took(after.saturating_sub(before), busy))
            });
            if ready.is_signalled() {
                self.stats.yielded += 1;
                return;
            }
            if slow {
                break;
            }
        }
        self.stats.parked += 1;
        let before = parker.now_ns();
        let cpu_before = if self.wait.park.sample_next() {
            parker.thread_cpu_ns()
        } else {
            None
        };
        ready.park(parker);
        if let Some(cpu_before) = cpu_before
            && let Some(cpu_after) = parker.thread_cpu_ns()
        {
            self.wait
                .park
                .cpu_sample(cpu_after.saturating_sub(cpu_before));
        }
        if let Some(before) = before
            && let Some(after) = parker.now_ns()
        {
            self.wait.park.slept(after.saturating_sub(before));
        }
    }
}

impl<P: Park, const CAP: usize> Drop for Runner<'_, '_, P, CAP> {
    fn drop(&mut self) {
        for slot in 0..CAP {
            if self.callbacks[slot].is_some() {
                self.retire(slot);
            }
        }
        // Release: hands the owner-side counters and slot states to the next
        // runner (its Acquire in `new`).
        self.lp.claimed.store(false, Ordering::Release);
    }
}

impl<P: Park, const CAP: usize> core::fmt::Debug for Runner<'_, '_, P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Runner")
            .field("active", &self.active)
            .field("spin_budget", &self.wait.spin.budget())
            .field("wait_stats", &self.stats)
            .finish_non_exhaustive()
    }
}
