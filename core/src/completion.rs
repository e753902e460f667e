//! The completion vocabulary, after libxev: what a callback returns, how long a
//! run lasts, and the two public states a completion can be in.

/// What a completion's callback tells the loop when it returns.
///
/// Callbacks build it, the loop reads it; new actions may come (a rearm
/// after a delay, say), so code that matches on it needs a wildcard arm.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mut left = 3;
/// let mut three_times = || {
///     left -= 1;
///     if left == 0 { Action::Disarm } else { Action::Rearm }
/// };
/// let mut runner = CallbackRunner::new(&lp)?;
/// runner.arm(0, &mut three_times)?;
/// for _ in 0..3 {
///     lp.handle(0)?.notify();
///     runner.run(RunMode::NoWait);
/// }
/// assert_eq!(runner.run(RunMode::UntilDone), Exit::Done); // disarmed by the third
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Keep the completion armed: the next notification runs the callback again.
    Rearm,
    /// Retire the completion (its state becomes [`SlotState::Dead`]); the loop forgets
    /// the callback, and later notifications of its slot are dropped and counted.
    Disarm,
}

/// How long [`crate::CallbackRunner::run`] keeps going.
///
/// New modes may come: code that matches on it needs a wildcard arm.
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
/// assert_eq!(runner.run(RunMode::NoWait), Exit::Ran); // nothing ready: back at once
/// lp.handle(0)?.notify();
/// assert_eq!(runner.run(RunMode::Once), Exit::Ran); // ran the callback
/// lp.stop();
/// assert_eq!(runner.run(RunMode::UntilDone), Exit::Stopped); // the slot stays armed
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunMode {
    /// Run the callbacks that are ready now, then return without waiting.
    NoWait,
    /// Wait until at least one callback has run (or nothing is active, or a stop
    /// was requested), then return.
    Once,
    /// Run until no completion is active or [`crate::Loop::stop`] is called.
    UntilDone,
}

/// The public state of a completion slot.
///
/// A slot has more states inside (a dead slot that keeps its notifications,
/// for one) that may become public: match with a wildcard arm.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{HandlerRunner, Loop, SlotState};
///
/// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
/// let mut runner = HandlerRunner::new(&lp)?;
/// runner.arm(1)?;
/// assert_eq!(lp.state(0)?, SlotState::Dead);
/// assert_eq!(lp.state(1)?, SlotState::Active);
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotState {
    /// No callback is registered: notifications aimed here are dropped and counted.
    Dead,
    /// A callback is registered and runs when its slot is notified.
    Active,
}

/// Why [`crate::CallbackRunner::run`] returned.
///
/// New run modes may bring new reasons: match with a wildcard arm.
///
/// # Examples
///
/// ```
/// use rearm_core::Exit;
///
/// fn describe(exit: Exit) -> &'static str {
///     match exit {
///         Exit::Done => "nothing is armed any more",
///         Exit::Stopped => "asked to stop",
///         _ => "more may come", // Ran, TimedOut, and what later versions add
///     }
/// }
/// assert_eq!(describe(Exit::Ran), "more may come");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exit {
    /// No completion is active, so nothing could ever run: the normal end of
    /// [`RunMode::UntilDone`].
    Done,
    /// A stop was requested with [`crate::Loop::stop`]; the request is consumed.
    Stopped,
    /// [`RunMode::NoWait`] finished its pass, or [`RunMode::Once`] ran at least one
    /// callback, and completions remain active.
    Ran,
    /// A run with a deadline ([`HandlerRunner::run_until`](crate::HandlerRunner::run_until),
    /// [`CallbackRunner::run_for`](crate::CallbackRunner::run_for)) reached it before its mode
    /// ended it: completions remain active, and nothing pending was left
    /// behind by the run (the next run takes it).
    TimedOut,
}
