//! A benchmark that meets a fault says so and ends: a lost wakeup is reported
//! as a stall naming the context and its counters, a panicking thread is
//! reported by name, and an eventfd counter near its maximum still wakes the
//! loop. Each fault comes from a parker wrapper defined here.

use driver::bench::{self, BenchError, Config, Mode};
use driver::sys::Syscalls;
use driver::sys::{EventfdPark, FutexPark};
use driver::{Backend, BackendKind};
use rearm_core::SpinPolicy;
use rearm_core::park::{Park, ParkWord};
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// These tests count calls in statics: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether a `LossyPark` has already lost its one wake.
static LOST: AtomicBool = AtomicBool::new(false);

/// A futex parker that loses exactly one wake: the first one aimed at a thread
/// that is (as far as it can tell) already asleep. Every other wake works, so
/// the watchdog's stop can still wake the loop it stranded.
#[derive(Debug)]
struct LossyPark {
    inner: FutexPark,
    asleep: AtomicBool,
}

impl Park for LossyPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        self.asleep.store(true, Ordering::SeqCst);
        self.inner.park(word, expected);
        self.asleep.store(false, Ordering::SeqCst);
    }
    fn unpark(&self, word: &ParkWord) {
        if self.asleep.load(Ordering::SeqCst) && !LOST.swap(true, Ordering::SeqCst) {
            return;
        }
        self.inner.unpark(word);
    }
}

impl Backend for LossyPark {
    const KIND: BackendKind = BackendKind::Futex;
    fn open() -> io::Result<Self> {
        Ok(LossyPark {
            inner: FutexPark::new(),
            asleep: AtomicBool::new(false),
        })
    }
    fn syscalls(&self) -> Syscalls {
        self.inner.syscalls()
    }
}

#[test]
fn a_lost_wakeup_is_reported_as_a_stall_not_a_hang() {
    let _serial = serial();
    let mut config = Config::new(2, 100_000);
    config.timeout = Duration::from_millis(500);
    // Park at once, so wakes (and the lost one) happen early and often.
    config.spin = SpinPolicy::PARK_AT_ONCE;
    // The lost wake may still be harmless, when the thread it was for had not
    // quite fallen asleep; then the run completes. It must stall within a few
    // tries, and every try must end, one way or the other.
    for attempt in 1..=5 {
        LOST.store(false, Ordering::SeqCst);
        let start = Instant::now();
        let result = bench::run_on::<LossyPark>(Mode::PingPong, &config);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "took {:?}",
            start.elapsed()
        );
        match result {
            Err(BenchError::Stalled { snapshot, .. }) => {
                assert!(snapshot.contains("STALLED"), "{snapshot}");
                assert!(snapshot.contains("main sent"), "{snapshot}");
                assert!(snapshot.contains("worker->main: notified"), "{snapshot}");
                return;
            }
            Ok(_) => eprintln!("attempt {attempt}: the lost wake was harmless"),
            Err(e) => panic!("expected a stall, got {e}"),
        }
    }
    panic!("five lost wakes, and not one stranded a loop");
}

/// Parks across all `PanickingPark`s so far.
static PARKS: AtomicU64 = AtomicU64::new(0);

/// A futex parker that panics in its 20th park, in whichever thread that is.
#[derive(Debug)]
struct PanickingPark(FutexPark);

impl Park for PanickingPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        if PARKS.fetch_add(1, Ordering::Relaxed) + 1 == 20 {
            panic!("injected parker failure");
        }
        self.0.park(word, expected);
    }
    fn unpark(&self, word: &ParkWord) {
        self.0.unpark(word);
    }
}

impl Backend for PanickingPark {
    const KIND: BackendKind = BackendKind::Futex;
    fn open() -> io::Result<Self> {
        Ok(PanickingPark(FutexPark::new()))
    }
    fn syscalls(&self) -> Syscalls {
        self.0.syscalls()
    }
}

#[test]
fn a_panicking_thread_is_reported_by_name() {
    let _serial = serial();
    for mode in [Mode::PingPong, Mode::Pummel] {
        PARKS.store(0, Ordering::Relaxed);
        let mut config = Config::new(2, 100_000);
        config.spin = SpinPolicy::PARK_AT_ONCE;
        config.timeout = Duration::from_secs(10);
        let result = bench::run_on::<PanickingPark>(mode, &config);
        match result {
            Err(BenchError::Panicked { thread, message }) => {
                assert!(message.contains("injected parker failure"), "{message}");
                assert!(!thread.is_empty());
            }
            // Pummel's notifiers never park, and its loop may never wait
            // twenty times: then nothing panicked and the run is simply good.
            Ok(_) if mode == Mode::Pummel && PARKS.load(Ordering::Relaxed) < 20 => {}
            other => panic!("{}: expected a reported panic, got {other:?}", mode.name()),
        }
    }
}

/// An eventfd parker whose counter starts 2 below its maximum, 2^64 - 2.
#[derive(Debug)]
struct NearlyFullEventfd(EventfdPark);

static FULL_WRITES: AtomicU64 = AtomicU64::new(0);

impl Park for NearlyFullEventfd {
    fn park(&self, word: &ParkWord, expected: u32) {
        self.0.park(word, expected);
    }
    fn unpark(&self, word: &ParkWord) {
        let before = self.0.full_writes();
        self.0.unpark(word);
        FULL_WRITES.fetch_add(self.0.full_writes() - before, Ordering::Relaxed);
    }
}

impl Backend for NearlyFullEventfd {
    const KIND: BackendKind = BackendKind::Eventfd;
    fn open() -> io::Result<Self> {
        let park = EventfdPark::new()?;
        // u64::MAX - 3 = 2^64 - 4.
        assert!(park.add(u64::MAX - 3)?);
        Ok(NearlyFullEventfd(park))
    }
    fn syscalls(&self) -> Syscalls {
        self.0.syscalls()
    }
}

#[test]
fn an_eventfd_near_its_maximum_still_wakes_the_loop() {
    let _serial = serial();
    let mut config = Config::new(1, 100_000);
    config.spin = SpinPolicy::PARK_AT_ONCE;
    config.timeout = Duration::from_secs(10);
    for mode in [Mode::PingPong, Mode::Pummel] {
        if let Err(e) = bench::run_on::<NearlyFullEventfd>(mode, &config) {
            panic!("{}: {e}", mode.name());
        }
    }
}

#[test]
fn a_full_eventfd_absorbs_the_write_and_stays_readable() {
    let _serial = serial();
    let park = NearlyFullEventfd::open().unwrap();
    // Fill it: (2^64 - 4) + 2 = 2^64 - 2, the maximum.
    assert!(park.0.add(2).unwrap());
    let word = ParkWord::new(2);
    let before = FULL_WRITES.load(Ordering::Relaxed);
    park.unpark(&word);
    assert_eq!(FULL_WRITES.load(Ordering::Relaxed) - before, 1);
    // Still readable: a park returns at once and drains it.
    park.park(&word, 2);
    assert!(park.0.add(1).unwrap(), "drained, so there is room again");
}
