//! A signal storm: a do-nothing handler is installed (without `SA_RESTART`, so
//! sleeping syscalls return `EINTR`), and a thread signals every thread of the
//! run, over and over, for its whole length. Interrupted futex waits and epoll
//! waits must be re-checked, never taken for a notification or a reason to
//! give up: the invariant still holds.

use driver::BackendKind;
use driver::bench::{self, Config, Mode};
use rearm_core::SpinPolicy;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_signal(_signal: libc::c_int) {
    // Async-signal-safe: one atomic increment.
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

fn install_handler() {
    // SAFETY: an all-zero `sigaction` is a valid starting value (no flags, an
    // empty mask); the handler only touches an atomic, which is
    // async-signal-safe; the pointers passed are to live locals.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_signal as *const () as usize;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = 0; // no SA_RESTART: interrupted waits return EINTR
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
}

/// Signals thread `tid` of this process. A thread that has already exited
/// gives ESRCH; a reused id gets a harmless signal (the handler is process-wide).
fn signal_thread(tid: libc::pid_t) -> bool {
    // SAFETY: tgkill takes plain integers; no memory is shared with the kernel.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, libc::SIGUSR1) == 0 }
}

fn storm(backend: BackendKind, mode: Mode, threads: usize, spin: SpinPolicy) {
    let tids: Arc<Mutex<Vec<libc::pid_t>>> = Arc::default();
    let mut config = Config::new(threads, 200_000);
    config.timeout = Duration::from_secs(20);
    config.spin = spin;
    let hook_tids = tids.clone();
    config.thread_hook = Some(Arc::new(move || {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        hook_tids.lock().unwrap().push(tid);
    }));
    let done = AtomicBool::new(false);
    let sent = AtomicU64::new(0);
    let handled_before = HANDLED.load(Ordering::Relaxed);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let snapshot = tids.lock().unwrap().clone();
                for tid in snapshot {
                    if signal_thread(tid) {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        });
        let result = bench::run(backend, mode, &config);
        done.store(true, Ordering::Relaxed);
        result
    });
    let label = mode.label(threads);
    if let Err(e) = result {
        panic!("{label} on {backend} under a signal storm: {e}");
    }
    let handled = HANDLED.load(Ordering::Relaxed) - handled_before;
    // The storm must really have happened, or this test proves nothing.
    assert!(
        sent.load(Ordering::Relaxed) >= 100 && handled >= 100,
        "{label} on {backend}: only {} signals sent, {handled} handled",
        sent.load(Ordering::Relaxed)
    );
}

#[test]
fn invariant_holds_under_a_signal_storm() {
    install_handler();
    for backend in [BackendKind::Futex, BackendKind::Eventfd] {
        // Parking at once puts every wait in the kernel, where signals land.
        storm(backend, Mode::PingPong, 1, SpinPolicy::PARK_AT_ONCE);
        storm(backend, Mode::PingPong, 2, SpinPolicy::default());
        storm(backend, Mode::Pummel, 1, SpinPolicy::PARK_AT_ONCE);
    }
}
