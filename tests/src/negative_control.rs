//! Running a deliberately broken loom model and requiring that loom rejects it.

/// Runs the `#[ignore]`d model `inner` of the calling test binary in a child
/// process and requires loom to report a deadlock there. (In-process, loom's
/// deadlock panic is followed by a panic while unwinding its threads, which
/// aborts.)
pub fn expect_deadlock(inner: &str) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            inner,
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the test binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "loom accepted the broken model {inner}"
    );
    assert!(
        stderr.contains("deadlock"),
        "{inner} failed, but not with a deadlock:\n{stderr}"
    );
}
