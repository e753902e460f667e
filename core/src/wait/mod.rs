//! How a loop waits: spin, then yield, then park; what each costs, how the
//! wait learns which to do, and the wait itself (`run`).

mod arrivals;
mod park_cost;
mod run;
mod spin;
mod yields;

pub(crate) use arrivals::ArrivalClock;
use park_cost::ParkCost;
pub use run::WaitCounts;
use spin::SpinBudget;
use yields::YieldGate;

/// How a loop with nothing to do waits: spin, then yield, then park.
///
/// # The objective
///
/// A wait whose notification comes soon is cheapest and quickest spent
/// spinning; one whose notification is far off is cheapest spent asleep. Which
/// it will be is not known in advance. The default keeps the loop thread's CPU
/// spent per wait within about **twice** what the better choice in hindsight
/// would have spent, whatever the gap between notifications: it spins for at
/// most about what parking costs this loop (the classic spin-then-block rule,
/// Karlin, Manasse, McGeoch and Owicki, SOSP '91). A wait that ends while
/// spinning spent no more than parking would have; one that spins out spent
/// the parking cost twice at most. Two exceptions, both below, spin a little
/// longer where that buys much: the shortest cap, and after a near miss. Parkers that cannot tell their thread's CPU
/// time or the time of day are not bounded this way (see
/// [`SpinBound::ParkCost`]).
///
/// # The mechanisms, and what each serves
///
/// - **The park cost** ([`SpinBound::ParkCost`]): one park in eight is timed
///   with the parker's thread CPU clock
///   ([`Park::thread_cpu_ns`](crate::park::Park::thread_cpu_ns)); a running mean of
///   those samples is what blocking costs, and caps every spin (read with
///   [`Park::now_ns`](crate::park::Park::now_ns) every 16 spin steps, from the 16th
///   on, so a reply within a few steps costs no clock read). The cap is never
///   below 8 µs, about a sleeping thread's wake-up: a loop notified every few
///   microseconds answers within one by spinning, and would wait a wake-up
///   by parking. And the one wait after a near miss (a park that slept less
///   than three park costs) may spin three park costs: two loops that answer
///   each other would otherwise fall into parking in turn, each waiting out
///   the other's wake-up, at a few percent of their spinning rate.
/// - **The spin budget** (steps, at most `max_spins`): within that cap,
///   spinning adapts to whether it pays. A wait that ends while spinning after
///   `i` steps raises the budget by an eighth and to at least `2 * i`; one that
///   spins out halves it. Where spinning keeps failing (one CPU, notifications
///   far apart) the budget falls to nothing and waits park at once, which is
///   cheaper than the bound. While the budget is small, one wait now and then
///   spins the full cap as a probe, the interval doubling after each failed
///   probe (16 to 4096 waits), so a peer that became reachable is found again.
/// - **Yields** (`yields`, between spinning and parking): with the notifier on
///   the same CPU, giving it the CPU is cheaper than sleeping and being woken.
///   Beside other busy processes a yield can cost a whole time slice, so one
///   yield in eight is timed: one slower than a time slice, or a running mean
///   above both a sleep-and-wake and what parked waits lately slept, makes the
///   next waits park without yielding (16 waits at first, doubling to 4096,
///   halving with each fast yield). A slow yield during which the process kept
///   its CPUs busy ([`Park::busy_ns`](crate::park::Park::busy_ns)) went to the
///   loop's own threads, which needed it, and counts for neither.
///
/// What each choice was measured to gain or cost is in the repository's
/// `docs/results.md`.
///
/// # Presets
///
/// - `SpinPolicy::default()`: the bounded wait above.
/// - [`SpinPolicy::LOW_LATENCY`]: the lowest latency at any CPU cost: the same
///   adaptive budget without the park-cost cap, so a loop whose notifications
///   come every few tens of microseconds spins through the gaps and answers
///   within a microsecond, burning its CPU meanwhile.
/// - [`SpinPolicy::PARK_AT_ONCE`]: never spin or yield.
///
/// ```
/// use rearm_core::{SpinBound, SpinPolicy};
///
/// let bounded = SpinPolicy::default();
/// assert_eq!(bounded.bound, SpinBound::ParkCost);
/// let eager = SpinPolicy::LOW_LATENCY.with_yields(0);
/// assert_eq!(eager.bound, SpinBound::Unbounded);
/// ```
///
/// Its fields are read, not built: a policy starts from a preset and changes
/// with the `with_` methods, so a new knob is not a breaking change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpinPolicy {
    /// Upper bound on spin steps ([`Park::relax`](crate::park::Park::relax) calls) per wait.
    pub max_spins: u32,
    /// Yields between spinning and parking.
    pub yields: u32,
    /// Whether spinning is also capped by what parking costs.
    pub bound: SpinBound,
}

/// What caps a wait's spinning besides [`SpinPolicy::max_spins`].
///
/// New bounds may come: match with a wildcard arm.
///
/// # Examples
///
/// ```
/// use rearm_core::{SpinBound, SpinPolicy};
///
/// assert_eq!(SpinPolicy::default().bound, SpinBound::ParkCost);
/// assert_eq!(SpinPolicy::LOW_LATENCY.bound, SpinBound::Unbounded);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpinBound {
    /// Spin for at most about what parking costs this loop's thread, learnt
    /// from the parker's thread CPU clock
    /// ([`Park::thread_cpu_ns`](crate::park::Park::thread_cpu_ns)); a parker without
    /// one is assumed to cost what a futex sleep and wake typically costs the
    /// sleeping thread on Linux. Needs the parker's
    /// [`now_ns`](crate::park::Park::now_ns): without a clock, only `max_spins` caps
    /// the spinning.
    ParkCost,
    /// Only `max_spins` caps the spinning: the lowest latency, at any CPU cost.
    Unbounded,
}

impl SpinPolicy {
    /// Never spin, never yield: park as soon as nothing is ready. For model
    /// checking, and for loops that must not use a CPU they do not need.
    pub const PARK_AT_ONCE: SpinPolicy = SpinPolicy {
        max_spins: 0,
        yields: 0,
        bound: SpinBound::ParkCost,
    };

    /// The lowest latency at any CPU cost: the default's budget and yields,
    /// without the park-cost cap.
    pub const LOW_LATENCY: SpinPolicy = SpinPolicy {
        max_spins: 4096,
        yields: 2,
        bound: SpinBound::Unbounded,
    };

    /// This policy with at most `max_spins` spin steps per wait.
    ///
    /// ```
    /// use rearm_core::SpinPolicy;
    ///
    /// assert_eq!(SpinPolicy::default().with_max_spins(64).max_spins, 64);
    /// ```
    #[must_use]
    pub const fn with_max_spins(self, max_spins: u32) -> Self {
        SpinPolicy { max_spins, ..self }
    }

    /// This policy with `yields` yields between spinning and parking.
    ///
    /// ```
    /// use rearm_core::SpinPolicy;
    ///
    /// assert_eq!(SpinPolicy::LOW_LATENCY.with_yields(0).yields, 0);
    /// ```
    #[must_use]
    pub const fn with_yields(self, yields: u32) -> Self {
        SpinPolicy { yields, ..self }
    }

    /// This policy with its spinning capped by `bound`.
    ///
    /// ```
    /// use rearm_core::{SpinBound, SpinPolicy};
    ///
    /// let capped = SpinPolicy::LOW_LATENCY.with_bound(SpinBound::ParkCost);
    /// assert_eq!(capped, SpinPolicy::default());
    /// ```
    #[must_use]
    pub const fn with_bound(self, bound: SpinBound) -> Self {
        SpinPolicy { bound, ..self }
    }
}

impl Default for SpinPolicy {
    /// `max_spins` = 4096 spin-loop hints, `yields` = 2, spinning capped by
    /// the park cost.
    fn default() -> Self {
        SpinPolicy {
            bound: SpinBound::ParkCost,
            ..SpinPolicy::LOW_LATENCY
        }
    }
}

/// A timed yield or a parked wait counts in a running mean as at most this
/// long: a stopped process makes one of them last as long as the stop, and
/// one such sample must not outweigh hundreds of others.
const LONGEST_SAMPLE_NS: u64 = 4_000_000;

/// `mean` moved a sixteenth of the way to `sample` (capped at
/// [`LONGEST_SAMPLE_NS`]): a cost seen once in thirty samples shows in it,
/// and stays for tens of samples.
fn running_mean(mean: u64, sample: u64) -> u64 {
    mean - (mean >> 4) + (sample.min(LONGEST_SAMPLE_NS) >> 4)
}

/// Spin steps between two clock reads while a spin is capped by time.
pub(crate) const CLOCK_EVERY: u32 = 16;

/// What one runner's waits have learnt: the spin budget, when to yield, and
/// what parking costs.
#[derive(Clone, Debug)]
pub(crate) struct WaitState {
    pub(crate) arrivals: ArrivalClock,
    pub(crate) spin: SpinBudget,
    pub(crate) yields: YieldGate,
    pub(crate) park: ParkCost,
    bound: SpinBound,
}

impl WaitState {
    pub(crate) fn new(policy: SpinPolicy) -> Self {
        WaitState {
            arrivals: ArrivalClock::new(false),
            spin: SpinBudget::new(policy.max_spins),
            yields: YieldGate::new(policy.yields),
            park: ParkCost::new(),
            bound: policy.bound,
        }
    }

    /// How long the next wait may spin, in nanoseconds, if time caps it.
    pub(crate) fn spin_limit_ns(&mut self) -> Option<u64> {
        match self.bound {
            SpinBound::ParkCost => Some(self.park.spin_limit_ns()),
            SpinBound::Unbounded => None,
        }
    }

    /// A timed yield took `ns`, during which the process's CPUs did `busy_ns`
    /// (if read). Returns whether the wait should park now.
    pub(crate) fn yield_took(&mut self, ns: u64, busy_ns: Option<u64>) -> bool {
        self.yields.took(ns, busy_ns, self.park.sleep_mean_ns())
    }
}
