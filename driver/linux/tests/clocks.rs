//! Both parkers read all three clocks the core asks for, and they move.

use rearm_core::park::Park;
use rearm_linux::{BusyClock, EventfdPark, FutexPark, thread_cpu_ns};
use std::time::{Duration, Instant};

/// Burns `ns` of this thread's CPU time, or gives up after a second of
/// std's clock if the thread clock does not move (the asserts then say
/// so, where waiting on it would hang).
fn burn_cpu(ns: u64) {
    let (start, give_up) = (thread_cpu_ns(), Instant::now());
    let mut spin = 0u64;
    while thread_cpu_ns().saturating_sub(start) < ns && give_up.elapsed().as_secs() < 1 {
        spin = std::hint::black_box(spin.wrapping_add(1));
    }
}

fn usable_cpus() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get()) as u64
}

/// A parker's three clocks: the wall clock moves across a sleep, the busy
/// and thread CPU clocks across CPU burnt on this thread.
fn clocks_advance(name: &str, park: &impl Park) {
    let (now, busy, cpu) = (park.now_ns(), park.busy_ns(), park.thread_cpu_ns());
    let (Some(now), Some(busy), Some(cpu)) = (now, busy, cpu) else {
        panic!("{name}: a clock is missing: {now:?} {busy:?} {cpu:?}");
    };
    std::thread::sleep(Duration::from_millis(2));
    let slept = park.now_ns().unwrap().saturating_sub(now);
    assert!(
        slept >= 2_000_000,
        "{name}: 2 ms of sleep read as {slept} ns"
    );
    burn_cpu(20_000_000);
    let busy = park.busy_ns().unwrap().saturating_sub(busy);
    assert!(busy >= 19_000_000 / usable_cpus(), "{name}: busy {busy} ns");
    let cpu = park.thread_cpu_ns().unwrap().saturating_sub(cpu);
    assert!(cpu >= 20_000_000, "{name}: thread CPU {cpu} ns");
}

#[test]
fn every_linux_parker_reads_all_three_clocks() {
    clocks_advance("futex", &FutexPark::new());
    clocks_advance("eventfd", &EventfdPark::new().unwrap());
}

/// The busy clock follows the process's CPU time per usable CPU: burning
/// 50 ms of CPU on this thread moves it by at least that divided by the
/// CPUs, and never by more than the wall-clock time that passed (the
/// process's threads share those CPUs).
#[test]
fn busy_clock_advances_with_the_process_cpu_time() {
    let clock = BusyClock::new();
    let cpus = usable_cpus();
    let wall = Instant::now();
    let before = clock.read();
    burn_cpu(50_000_000);
    let after = clock.read();
    let wall = wall.elapsed().as_nanos() as u64;
    let busy = after.saturating_sub(before);
    assert!(
        busy >= 49_000_000 / cpus,
        "{before} then {after} over {cpus} CPUs"
    );
    // A millisecond of slack for the clocks' granularity.
    assert!(
        busy <= wall + 1_000_000,
        "busy {busy} ns in {wall} ns of wall time over {cpus} CPUs"
    );
}
