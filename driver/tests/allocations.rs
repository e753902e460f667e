//! Zero allocations in the timed region, for every backend and both
//! benchmarks: this test binary installs the counting allocator, so a count of
//! zero is a measurement, not a default.

use driver::BackendKind;
use driver::bench::mailbox::{self, MailboxContender};
use driver::bench::timers::{self, TimerContender};
use driver::bench::{self, Config, Mode};
use driver::harness::alloc_count::{self, CountingAlloc};

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// One test, not two: the count is process-wide and the harness runs tests on
/// parallel threads, so a second test's allocations (and the harness's own,
/// reporting it) once landed in a timed region: 3 allocations counted in async1
/// on futex, under AddressSanitizer.
#[test]
fn timed_regions_allocate_nothing() {
    // The counting allocator counts: a zero below is a measurement.
    assert!(alloc_count::is_installed());
    let before = alloc_count::allocations();
    let v: Vec<u64> = std::hint::black_box(Vec::with_capacity(10));
    drop(v);
    assert!(alloc_count::allocations() > before);

    for backend in BackendKind::ALL {
        for (mode, threads) in [(Mode::PingPong, 1), (Mode::PingPong, 2), (Mode::Pummel, 2)] {
            let report = bench::run(backend, mode, &Config::new(threads, 50_000))
                .unwrap_or_else(|e| panic!("{} on {backend}: {e}", mode.label(threads)));
            assert_eq!(
                report.measure.allocations,
                Some(0),
                "{} on {backend}",
                mode.label(threads)
            );
        }
    }
    // The mailbox, two senders: its own check refuses a run that
    // allocated, and here the count is known to be a measurement.
    // Drained by a loop, and received by a thread blocking in `recv`.
    for contender in BackendKind::ALL.into_iter().flat_map(|backend| {
        [
            MailboxContender::Rearm(backend),
            MailboxContender::RearmRecv(backend),
        ]
    }) {
        let point = mailbox::measure(
            contender,
            mailbox::DEFAULT_CAPACITY,
            2,
            50_000,
            std::time::Duration::from_secs(30),
            rearm_core::SpinPolicy::default(),
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(point.allocations, Some(0), "{contender}");
    }
    // Timers, on every backend whose parker has a clock.
    for backend in BackendKind::ALL {
        if backend == BackendKind::Spin {
            continue;
        }
        let point = timers::measure(
            TimerContender::Rearm(backend),
            8,
            std::time::Duration::from_micros(500),
        )
        .unwrap_or_else(|e| panic!("timers on {backend}: {e}"));
        assert!(point.firings > 0, "timers on {backend}");
        assert_eq!(point.allocations, Some(0), "timers on {backend}");
    }
}
