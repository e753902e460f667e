//! The loop's own thread: which slots are armed, the run modes, the wait,
//! and one [`Handler`] told which slot fired.

use crate::sync::Ordering;
use crate::wait::{CLOCK_EVERY, WaitState};
use crate::{Action, Error, Exit, Loop, Park, RunMode, SpinPolicy, State};

/// What a loop's thread does when one of its armed slots was notified: one
/// object for every slot, told which fired. It is passed to each
/// [`SlotRunner::run`], never stored, so a runtime can keep its runner and
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
}

/// A closure taking the slot is a handler.
impl<F: FnMut(usize) -> Action> Handler for F {
    fn on_notify(&mut self, slot: usize) -> Action {
        self(slot)
    }
}

/// Drives one [`Loop`] on the current thread: knows which slots are armed, runs
/// a [`Handler`] when they are notified, and sleeps in between. It borrows
/// nothing but the loop: the handler comes with each [`run`](SlotRunner::run).
/// [`Runner`](crate::Runner) is the same with one closure per slot.
///
/// There is at most one runner per loop at a time ([`Error::AlreadyHasRunner`]
/// otherwise). Dropping it disarms every slot it armed and frees the loop for
/// another runner, on this or any thread. It allocates nothing.
///
/// A runtime keeps its runner and its per-slot state in one struct:
///
/// ```
/// use rearm_core::{Action, Exit, Handler, Loop, RunMode, SlotRunner, SpinPark};
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
///     runner: SlotRunner<'l, SpinPark, 4>,
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
/// let mut rt = Runtime { runner: SlotRunner::new(&LOOP)?, timers: Timers { fired: [0; 4] } };
/// let slot = rt.runner.add()?;
/// LOOP.handle(slot)?.notify();
/// assert_eq!(rt.turn(), Exit::Done); // the only armed slot disarmed
/// assert_eq!(rt.timers.fired[slot], 1);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct SlotRunner<'l, P: Park, const CAP: usize> {
    lp: &'l Loop<P, CAP>,
    armed: [bool; CAP],
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

impl<'l, P: Park, const CAP: usize> SlotRunner<'l, P, CAP> {
    /// Becomes the runner of `lp`, with the default [`SpinPolicy`].
    ///
    /// Fails with [`Error::AlreadyHasRunner`] if `lp` already has a runner.
    pub fn new(lp: &'l Loop<P, CAP>) -> Result<Self, Error> {
        // Acquire pairs with the Release in the previous runner's drop: this
        // runner sees the owner-side counters and slot states it left behind.
        lp.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| Error::AlreadyHasRunner)?;
        Ok(SlotRunner {
            lp,
            armed: [false; CAP],
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

    /// Arms `slot`: from now on, notifying it runs the handler. A
    /// notification the slot kept while it was dead (see
    /// [`Async::notify_kept`](crate::Async::notify_kept)) becomes pending: the
    /// next run runs the handler for it.
    ///
    /// Fails if the slot does not exist or is already active.
    pub fn arm(&mut self, slot: usize) -> Result<(), Error> {
        self.lp.check_slot(slot)?;
        if self.armed[slot] {
            return Err(Error::IllegalTransition {
                slot,
                from: State::Active,
                to: State::Active,
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
    /// Fails with [`Error::Full`] when every slot is active.
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
    /// [`Async::notify_kept`](crate::Async::notify_kept)), which keeps it for
    /// the slot's next arm.
    ///
    /// Fails if the slot does not exist or is already dead.
    pub fn disarm(&mut self, slot: usize) -> Result<(), Error> {
        self.lp.check_slot(slot)?;
        if !self.armed[slot] {
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
        Ok(if self.armed[slot] {
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

    /// Runs `handler` for each armed slot as it is notified, for as long as
    /// `mode` says.
    ///
    /// Every run first takes what is pending, so notifications that arrived
    /// while no run was in progress are never stranded. See [`Exit`] for why it
    /// returned.
    ///
    /// A handler that panics was not run in full: the panic goes on to the
    /// caller, the slot stays armed, and its notification stays pending, as do
    /// those taken with it and not yet handled. After catching the panic, the
    /// next run calls the handler for them (disarm the slot first if it should
    /// not run again); nothing is lost, and the ledger does not count the
    /// panicked call as delivered.
    pub fn run<H: Handler + ?Sized>(&mut self, mode: RunMode, handler: &mut H) -> Exit {
        loop {
            let (stop, ran) = self.dispatch(handler);
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
    /// file descriptor for that). Until the next [`run`](SlotRunner::run), the
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
    /// use rearm_core::{Action, Loop, RunMode, SlotRunner, SpinPark};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = |_slot: usize| Action::Rearm;
    /// let mut runner = SlotRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// assert!(runner.prepare_block()); // nothing pending: block in the reactor
    /// lp.handle(0)?.notify(); // would make the reactor's descriptor readable
    /// runner.run(RunMode::NoWait, &mut on_event); // the reactor woke: run what is ready
    /// lp.handle(0)?.notify();
    /// assert!(!runner.prepare_block()); // pending: do not block, run first
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn prepare_block(&mut self) -> bool {
        self.lp.ready.announce_park()
    }

    /// Takes the ready set once and runs the handler for the slots it names.
    /// Returns whether a stop was requested and how many slots ran.
    fn dispatch<H: Handler + ?Sized>(&mut self, handler: &mut H) -> (bool, usize) {
        let lp = self.lp;
        let armed = &mut self.armed;
        let active = &mut self.active;
        let mut ran = 0;
        let taken = lp.ready.take(
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

impl<P: Park, const CAP: usize> Drop for SlotRunner<'_, P, CAP> {
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

impl<P: Park, const CAP: usize> core::fmt::Debug for SlotRunner<'_, P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SlotRunner")
            .field("active", &self.active)
            .field("spin_budget", &self.wait.spin.budget())
            .field("wait_stats", &self.stats)
            .finish_non_exhaustive()
    }
}
