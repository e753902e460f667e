//! Both parkers' timed sleep (`park_until`): it returns at once when the word
//! changed, reports a deadline that passed, sleeps until a deadline ahead and
//! not much past it, ends early on a wake (draining the eventfd), and sets
//! the thread's timer slack to 1 ns first.

use rearm_core::park::{Park, ParkWord};
use rearm_linux::{EventfdPark, FutexPark, monotonic_ns};
use std::time::Duration;

/// How long a timed sleep is asked to last.
const SLEEP_NS: u64 = 20_000_000;
/// How late it may end on a loaded machine and still pass.
const LATE_NS: u64 = 2_000_000_000;

/// Runs `check` on a thread of its own, which has not slept with a deadline.
fn on_fresh_thread(check: impl FnOnce() + Send) {
    std::thread::scope(|s| s.spawn(check).join().expect("the check passed"));
}

fn word_changed_returns_at_once(name: &str, park: &impl Park) {
    let word = ParkWord::new(1);
    let before = monotonic_ns();
    let timed_out = park.park_until(&word, 0, before + LATE_NS);
    assert!(!timed_out, "{name}: a changed word is not a timeout");
    assert!(
        monotonic_ns() - before < LATE_NS,
        "{name}: slept on a changed word"
    );
}

fn past_deadline_times_out(name: &str, park: &impl Park) {
    let word = ParkWord::new(0);
    let now = monotonic_ns();
    assert!(
        park.park_until(&word, 0, now.saturating_sub(1)),
        "{name}: past deadline"
    );
    assert!(
        park.park_until(&word, 0, now),
        "{name}: the deadline is now"
    );
}

fn sleeps_until_the_deadline(name: &str, park: &impl Park) {
    let word = ParkWord::new(0);
    let start = monotonic_ns();
    let deadline = start + SLEEP_NS;
    // A spurious return reports no timeout, and the core parks again, as
    // this check does. Only a signal (EINTR) may make one past the deadline,
    // and nothing signals a test thread: here, a return at or past the
    // deadline must say it timed out.
    while !park.park_until(&word, 0, deadline) {
        assert!(
            monotonic_ns() < deadline,
            "{name}: a return past the deadline that says it is not"
        );
    }
    let end = monotonic_ns();
    assert!(
        end >= deadline,
        "{name}: timed out {} ns early",
        deadline - end
    );
    assert!(
        end - deadline < LATE_NS,
        "{name}: timed out {} ns late",
        end - deadline
    );
}

fn a_wake_ends_the_sleep(name: &str, park: &(impl Park + Sync)) {
    let word = ParkWord::new(0);
    let deadline = monotonic_ns() + 10 * LATE_NS;
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(5));
            park.unpark(&word);
        });
        // The word never changes: only the wake (or a spurious return) ends
        // a sleep, and neither is a timeout.
        assert!(
            !park.park_until(&word, 0, deadline),
            "{name}: a wake is not a timeout"
        );
    });
    assert!(
        monotonic_ns() < deadline,
        "{name}: slept to the deadline through a wake"
    );
}

fn tightens_the_timer_slack(name: &str, park: &(impl Park + Sync)) {
    on_fresh_thread(|| {
        // A thread inherits its parent's slack, which an earlier timed sleep
        // on the parent may have tightened: start from the kernel's default.
        rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(50_000))
            .expect("PR_SET_TIMERSLACK");
        park.park_until(&ParkWord::new(0), 0, monotonic_ns() + 1_000_000);
        let after = rustix::thread::current_timer_slack().expect("PR_GET_TIMERSLACK");
        assert_eq!(after, 1, "{name}: the slack after a timed sleep");
    });
}

#[test]
fn futex_park_until_keeps_its_deadline() {
    let park = FutexPark::new();
    word_changed_returns_at_once("futex", &park);
    past_deadline_times_out("futex", &park);
    sleeps_until_the_deadline("futex", &park);
    a_wake_ends_the_sleep("futex", &park);
    tightens_the_timer_slack("futex", &park);
}

#[test]
fn eventfd_park_until_keeps_its_deadline() {
    let park = EventfdPark::new().expect("an eventfd");
    word_changed_returns_at_once("eventfd", &park);
    assert_eq!(park.waits(), 0, "a changed word needs no epoll_wait");
    past_deadline_times_out("eventfd", &park);
    assert_eq!(
        park.waits(),
        0,
        "a deadline that passed needs no epoll_wait"
    );
    sleeps_until_the_deadline("eventfd", &park);
    assert_eq!(park.reads(), 0, "a timeout has nothing to drain");
    a_wake_ends_the_sleep("eventfd", &park);
    assert_eq!(park.reads(), 1, "the wake's write is drained");
    tightens_the_timer_slack("eventfd", &park);
}
