//! Replays every committed fuzz input (the minimized corpus and the named
//! regressions under `fuzz/`) through the same harnesses the fuzz targets
//! call, so `cargo test` checks them on stable Rust, without cargo-fuzz.
#![cfg(not(rearm_loom))]

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

fn replay(target: &str, harness: fn(&[u8])) {
    let files = inputs(target);
    // An empty corpus would make this test pass without testing anything.
    assert!(
        files.len() >= 5,
        "{target}: only {} committed inputs",
        files.len()
    );
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| harness(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
}

#[test]
fn loop_ops_corpus_replays() {
    replay("loop_ops", rearm_tests::fuzzing::loop_ops);
}

#[test]
fn notify_interleave_corpus_replays() {
    replay("notify_interleave", rearm_tests::fuzzing::notify_interleave);
}

#[test]
fn cli_args_corpus_replays() {
    replay("cli_args", driver::cli::fuzzing::cli_args);
}

#[test]
fn mailbox_ops_corpus_replays() {
    replay("mailbox_ops", rearm_tests::fuzzing::mailbox_bytes);
}

#[test]
fn timer_ops_corpus_replays() {
    replay("timer_ops", rearm_tests::fuzzing::timer_bytes);
}

#[test]
fn receive_ops_corpus_replays() {
    replay("receive_ops", rearm_tests::fuzzing::receive_bytes);
}
