//! Typed errors: misuse of a loop returns one of these, it never panics and never
//! corrupts the loop's counts.

use crate::completion::SlotState;
use core::fmt;

/// What went wrong when a loop was used in a way its protocol does not allow.
///
/// New kinds of misuse may be added: match with a wildcard arm.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Error, HandlerRunner, Loop};
///
/// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
/// assert_eq!(lp.handle(2).unwrap_err(), Error::NoSuchSlot { slot: 2, capacity: 2 });
/// let _runner = HandlerRunner::new(&lp)?;
/// assert_eq!(HandlerRunner::new(&lp).unwrap_err(), Error::AlreadyHasRunner);
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// Every slot of the loop holds an active completion.
    Full {
        /// The loop's capacity (its const generic `CAP`).
        capacity: usize,
    },
    /// A slot index at or beyond the loop's capacity.
    NoSuchSlot {
        /// The index asked for.
        slot: usize,
        /// The loop's capacity.
        capacity: usize,
    },
    /// A second [`crate::CallbackRunner`] was asked for while the loop already has one.
    ///
    /// A loop is run from one place at a time: two runners would take the same
    /// ready bits and run callbacks concurrently. (Running a loop from inside one of
    /// its own callbacks cannot even be written: the runner is mutably borrowed.)
    AlreadyHasRunner,
    /// A state change the completion protocol does not allow, such as arming a
    /// slot that is already active or disarming one that is dead.
    IllegalTransition {
        /// The slot concerned.
        slot: usize,
        /// Its state when the change was asked for.
        from: SlotState,
        /// The state asked for.
        to: SlotState,
    },
    /// A deadline or a timer was asked of a loop whose parker has no clock
    /// ([`Park::now_ns`](crate::park::Park::now_ns) returns `None`): it could never
    /// tell that the time came, so the run is refused rather than left to
    /// hang. Give the parker a clock ([`SpinPark::with_clock`](crate::park::SpinPark::with_clock)).
    NoClock,
    /// A timer was set on a slot that is not armed: a fired timer runs the
    /// slot's callback, and a dead slot has none.
    NotArmed {
        /// The slot concerned.
        slot: usize,
    },
    /// A periodic timer with a period of zero, which would fire on every
    /// turn of the loop forever.
    ZeroPeriod,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Full { capacity } => {
                write!(
                    f,
                    "loop is full: all {capacity} slots hold active completions"
                )
            }
            Error::NoSuchSlot { slot, capacity } => {
                write!(
                    f,
                    "slot {slot} does not exist: the loop has {capacity} slots"
                )
            }
            Error::AlreadyHasRunner => f.write_str("this loop already has a runner"),
            Error::IllegalTransition { slot, from, to } => {
                write!(f, "slot {slot} cannot go from {from:?} to {to:?}")
            }
            Error::NoClock => f.write_str(
                "the loop's parker has no clock, so it cannot run to a deadline or fire timers",
            ),
            Error::NotArmed { slot } => {
                write!(
                    f,
                    "slot {slot} is not armed, so a timer on it has nothing to run"
                )
            }
            Error::ZeroPeriod => f.write_str("a periodic timer needs a period above zero"),
        }
    }
}

impl core::error::Error for Error {}
