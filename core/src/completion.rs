//! The completion vocabulary, after libxev: what a callback returns, how long a
//! run lasts, and the two public states a completion can be in.

/// What a completion's callback tells the loop when it returns.
///
/// Callbacks build it, the loop reads it; new actions may come (a rearm
/// after a delay, say), so code that matches on it needs a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Keep the completion armed: the next notification runs the callback again.
    Rearm,
    /// Retire the completion (its state becomes [`SlotState::Dead`]); the loop forgets
    /// the callback, and later notifications of its async are dropped and counted.
    Disarm,
}

/// How long [`crate::CallbackRunner::run`] keeps going.
///
/// New modes may come: code that matches on it needs a wildcard arm.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotState {
    /// No callback is registered: notifications aimed here are dropped and counted.
    Dead,
    /// A callback is registered and runs when its async is notified.
    Active,
}

/// Why [`crate::CallbackRunner::run`] returned.
///
/// New run modes may bring new reasons: match with a wildcard arm.
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
