//! What the benchmarks need of a parker ([`Backend`]), and the one place a
//! backend's name becomes its type ([`dispatch`]). A new backend is a file of
//! its own in `sys/` (the parker, or its `Backend` impl) and one line in the
//! `backends!` list below.

use super::{EventfdPark, FaultyPark, FutexPark, SpinBackend};
use rearm_core::park::{Park, ThreadPark};
use std::fmt;
use std::io;

/// A parker the benchmarks can open per loop and ask for its syscall count.
pub trait Backend: Park + Send + Sync + Sized + 'static {
    /// Its name on the command line and in reports.
    const KIND: BackendKind;

    /// Opens one parker (one per loop).
    fn open() -> io::Result<Self>;

    /// Syscalls it has made so far.
    fn syscalls(&self) -> Syscalls;

    /// Syscalls made so far by every parker of this type that cannot count its
    /// own (a relax strategy is a function, not an object); added once per run.
    fn shared_syscalls() -> Syscalls {
        Syscalls::default()
    }
}

/// Syscalls made by parkers, by what they were for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Syscalls {
    /// Sleeping and waking: futex waits and wakes; epoll waits, eventfd reads
    /// and writes.
    pub sleep_wake: u64,
    /// `sched_yield` calls.
    pub yields: u64,
}

impl Syscalls {
    /// All of them.
    pub fn total(self) -> u64 {
        self.sleep_wake + self.yields
    }
}

impl std::ops::Add for Syscalls {
    type Output = Syscalls;
    fn add(self, other: Syscalls) -> Syscalls {
        Syscalls {
            sleep_wake: self.sleep_wake + other.sleep_wake,
            yields: self.yields + other.yields,
        }
    }
}

impl std::ops::Sub for Syscalls {
    type Output = Syscalls;
    /// Counts since an earlier reading (never negative).
    fn sub(self, earlier: Syscalls) -> Syscalls {
        Syscalls {
            sleep_wake: self.sleep_wake.saturating_sub(earlier.sleep_wake),
            yields: self.yields.saturating_sub(earlier.yields),
        }
    }
}

impl std::iter::Sum for Syscalls {
    fn sum<I: Iterator<Item = Syscalls>>(iter: I) -> Syscalls {
        iter.fold(Syscalls::default(), |a, b| a + b)
    }
}

/// Work to do on a parker type chosen at run time: [`dispatch`] calls
/// [`run`](OnBackend::run) with the type.
pub trait OnBackend {
    /// What the work returns.
    type Output;

    /// Does the work on parkers of type `B`.
    fn run<B: Backend>(self) -> Self::Output;
}

/// Runs `task` on `B`, or on `B` inside a [`FaultyPark`] if `faults`.
fn with_faults<B: Backend, T: OnBackend>(faults: bool, task: T) -> T::Output {
    if faults {
        task.run::<FaultyPark<B>>()
    } else {
        task.run::<B>()
    }
}

/// The backends: each line names one, its command-line name and its parker
/// type, and makes the enum variant, its name and its dispatch.
macro_rules! backends {
    ($($(#[$doc:meta])* $kind:ident = $name:literal => $parker:ty,)*) => {
        /// The backends, by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum BackendKind {
            $($(#[$doc])* $kind,)*
        }

        impl BackendKind {
            /// Every backend, in report order.
            pub const ALL: [BackendKind; [$($name),*].len()] = [$(BackendKind::$kind),*];

            /// The name used on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self {
                    $(BackendKind::$kind => $name,)*
                }
            }
        }

        /// Runs `task` on the parker type of `kind`, inside a [`FaultyPark`] if
        /// `faults`.
        pub fn dispatch<T: OnBackend>(kind: BackendKind, faults: bool, task: T) -> T::Output {
            match kind {
                $(BackendKind::$kind => with_faults::<$parker, T>(faults, task),)*
            }
        }
    };
}

backends! {
    /// Private futexes on the park word ([`FutexPark`]); the default.
    Futex = "futex" => FutexPark,
    /// An eventfd per loop, slept on with epoll ([`EventfdPark`]).
    Eventfd = "eventfd" => EventfdPark,
    /// The core's busy-waiting `SpinPark`, yielding the CPU between looks
    /// ([`SpinBackend`]): no sleep, and no syscall but `sched_yield`.
    Spin = "spin" => SpinBackend,
    /// The core's portable [`ThreadPark`] (std's mutex and condition variable).
    Thread = "thread" => ThreadPark,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, Syscalls};
    use crate::sys::{CountedYield, EventfdPark, FaultyPark, FutexPark, SpinBackend};
    use rearm_core::park::{Park, ParkWord, ThreadPark};
    use rearm_core::relax::Relax;

    /// The fault injector counts what its inner parker counts: its own
    /// faults are not syscalls of the parker's, and the spin backend's
    /// shared yield count passes through.
    #[test]
    fn a_faulty_backend_reports_its_inner_parkers_syscalls() {
        let word = ParkWord::new(1);
        let faulty = FaultyPark::new(FutexPark::new());
        // Every unpark and yield reaches the inner parker, faulted or not.
        (0..3).for_each(|_| faulty.unpark(&word));
        faulty.yield_now();
        assert_eq!(
            faulty.syscalls(),
            Syscalls {
                sleep_wake: 3,
                yields: 1
            }
        );
        // Other tests may yield through the spin backend meanwhile: the
        // shared count only grows.
        let before = SpinBackend::shared_syscalls();
        CountedYield::relax();
        let through_faults = FaultyPark::<SpinBackend>::shared_syscalls();
        assert!(
            through_faults.yields > before.yields,
            "{before:?} then {through_faults:?}"
        );
    }

    /// Each parker's syscall count is the sum of its own counters: after
    /// counts chosen so that a sum differs from a product or a difference.
    #[test]
    fn every_backend_reports_the_sum_of_its_counters_as_syscalls() {
        let word = ParkWord::new(1);

        let futex = FutexPark::new();
        futex.park(&word, 0); // returns at once: the word is not 0
        (0..3).for_each(|_| futex.unpark(&word));
        futex.yield_now();
        assert_eq!(
            futex.syscalls(),
            Syscalls {
                sleep_wake: 1 + 3,
                yields: 1
            }
        );

        let eventfd = EventfdPark::new().unwrap();
        (0..3).for_each(|_| eventfd.unpark(&word));
        eventfd.park(&word, 1); // readable: one wait, one read
        eventfd.drain();
        (0..2).for_each(|_| eventfd.yield_now());
        assert_eq!(
            eventfd.syscalls(),
            Syscalls {
                sleep_wake: 1 + 2 + 3,
                yields: 2
            }
        );

        // ThreadPark sleeps for real: another thread changes the word and
        // wakes it.
        let thread = ThreadPark::new();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                word.store(2, std::sync::atomic::Ordering::Release);
                thread.unpark(&word);
            });
            thread.park(&word, 1);
        });
        (0..2).for_each(|_| thread.unpark(&word));
        thread.yield_now();
        assert!(thread.sleeps() >= 1);
        assert_eq!(thread.wakes(), 3);
        assert_eq!(
            thread.syscalls(),
            Syscalls {
                sleep_wake: thread.sleeps() + 3,
                yields: 1
            }
        );
    }

    #[test]
    fn syscall_counts_add_subtract_sum_and_total_field_by_field() {
        let a = Syscalls {
            sleep_wake: 3,
            yields: 2,
        };
        let b = Syscalls {
            sleep_wake: 4,
            yields: 5,
        };
        let sum = a + b;
        assert_eq!((sum.sleep_wake, sum.yields), (7, 7));
        assert_eq!(sum.total(), 14);
        assert_eq!([a, b, a].into_iter().sum::<Syscalls>(), sum + a);
        assert_eq!(sum - a, b);
        // A reading never goes below an earlier one: no negative counts.
        assert_eq!(
            a - b,
            Syscalls {
                sleep_wake: 0,
                yields: 0,
            }
        );
    }
}
