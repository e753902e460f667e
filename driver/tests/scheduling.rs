//! Hostile scheduling, from outside the process: the benchmark completes with
//! its invariant intact while it is repeatedly frozen and resumed
//! (SIGSTOP/SIGCONT), and when all its threads share one CPU (`taskset -c 0`),
//! for every backend.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn driver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_driver"))
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill takes plain integers; the pid is our own child, not yet
    // reaped (we wait for it only after the last signal).
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

#[test]
fn frozen_and_resumed_runs_keep_the_invariant() {
    for backend in ["futex", "eventfd", "spin", "thread"] {
        let mut child = driver()
            .args([
                "--backend",
                backend,
                "--threads",
                "1,2",
                "--pings",
                "300000",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the driver");
        let start = Instant::now();
        let mut freezes = 0;
        while child.try_wait().expect("poll the child").is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{backend}: no end in sight"
            );
            std::thread::sleep(Duration::from_millis(15));
            signal(child.id(), libc::SIGSTOP);
            freezes += 1;
            std::thread::sleep(Duration::from_millis(10));
            signal(child.id(), libc::SIGCONT);
        }
        let out = child.wait_with_output().expect("collect the output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{backend} after {freezes} freezes: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout.matches("ledger ok").count(),
            2,
            "{backend}: {stdout}"
        );
        assert!(
            freezes >= 3,
            "{backend}: only {freezes} freezes; the test proved little"
        );
    }
}

#[test]
fn all_threads_on_one_cpu_keep_the_invariant() {
    let out = Command::new("taskset")
        .args(["-c", "0"])
        .arg(env!("CARGO_BIN_EXE_driver"))
        .args(["--backend", "all", "--threads", "1,2,4", "--pings", "20000"])
        .output()
        .expect("run taskset (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backends = driver::BackendKind::ALL.len();
    assert_eq!(
        stdout.matches("ledger ok").count(),
        3 * backends,
        "{stdout}"
    );
    for label in ["async1:", "async2:", "async4:"] {
        assert_eq!(
            stdout.matches(label).count(),
            backends,
            "{label} in {stdout}"
        );
    }
}

/// Regression: two pummel notifiers that never let go of the one CPU left the
/// loop one callback per scheduler time slice, and the run went on for hours.
#[test]
fn pinned_pummel_with_two_notifiers_ends() {
    let mut child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(env!("CARGO_BIN_EXE_driver"))
        .args(["--mode", "pummel", "--threads", "2", "--pings", "200000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run taskset (util-linux)");
    let start = Instant::now();
    while child.try_wait().expect("poll the child").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("pummel --threads 2 on one CPU still running after 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("collect the output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("async_pummel_2: 200,000 callbacks"),
        "{stdout}"
    );
    assert!(stdout.contains("ledger ok"), "{stdout}");
}
