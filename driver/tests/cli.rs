//! The command line, run as a user runs it: bad input is refused with a clear
//! message and exit status 2 before anything runs; good input prints the libuv
//! line, or JSON that parses.

use std::process::{Command, Output};

fn driver(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driver"))
        .args(args)
        .output()
        .expect("run the driver binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_refused(args: &[&str], says: &str) {
    let out = driver(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(says),
        "{args:?}: expected '{says}' in:\n{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed results: {}",
        text(&out.stdout)
    );
}

#[test]
fn zero_threads_is_refused() {
    assert_refused(&["--threads", "0"], "must be between 1 and 64");
}

#[test]
fn more_threads_than_the_main_loop_holds_are_refused() {
    assert_refused(&["--threads", "1,65"], "must be between 1 and 64");
}

#[test]
fn zero_pings_are_refused() {
    assert_refused(&["--pings", "0"], "must be between 1 and");
}

#[test]
fn pings_beyond_u64_are_refused() {
    assert_refused(
        &["--pings", "18446744073709551616"],
        "is not a whole number",
    );
}

#[test]
fn absurd_pings_are_refused() {
    assert_refused(&["--pings", "1000000000000000"], "must be between 1 and");
}

#[test]
fn a_non_number_is_refused() {
    assert_refused(&["--pings", "lots"], "is not a whole number");
    assert_refused(&["--threads", "two"], "is not a whole number of threads");
    assert_refused(&["--timeout", "soon"], "is not a duration");
}

#[test]
fn an_unknown_backend_is_refused() {
    assert_refused(&["--backend", "kqueue"], "invalid value 'kqueue'");
}

#[test]
fn an_unknown_mode_is_refused() {
    assert_refused(&["--mode", "pingpang"], "invalid value 'pingpang'");
}

#[test]
fn a_non_positive_timeout_or_repeat_is_refused() {
    assert_refused(&["--timeout", "0"], "must be at least 1 ms");
    assert_refused(&["--timeout", "NaN"], "is not a duration");
    // Regression: positive, but a zero Duration once converted.
    assert_refused(&["--timeout", "0.000000000001"], "must be at least 1 ms");
    assert_refused(&["--soak", "0.0000000001"], "at least 1 second");
    assert_refused(&["--repeat", "0"], "--repeat");
}

#[test]
fn spin_policy_flags_are_checked() {
    assert_refused(&["--max-spins", "-1"], "unexpected argument '-1'");
    assert_refused(&["--max-spins", "2000000"], "--max-spins");
    assert_refused(&["--yields", "many"], "--yields");
    let out = driver(&["--max-spins", "0", "--yields", "0", "--pings", "20000"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Never spinning, never yielding: a wait ends at its first look or parks.
    let stdout = text(&out.stdout);
    assert!(stdout.contains("yielded 0.0%"), "{stdout}");
    assert!(!stdout.contains("parked 0.0%"), "{stdout}");
}

#[test]
fn an_unknown_or_empty_peer_is_refused() {
    assert_refused(
        &["--peers=libxev"],
        "'libxev' is not a peer; peers: busy-spin",
    );
    assert_refused(&["--peers="], "'' is not a peer");
    assert_refused(&["--peers=std-park,"], "'' is not a peer");
    // A list needs the '=': a bare word after --peers is not taken as one.
    assert_refused(&["--peers", "std-park"], "unexpected argument 'std-park'");
}

#[test]
fn named_peers_run_once_each_in_report_order() {
    let out = driver(&["--peers=crossbeam,std-park,crossbeam", "--pings", "2000"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("against 2 peer(s)"), "{stdout}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("async1")).collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert!(rows[0].contains("rearm (futex)"), "{stdout}");
    assert!(rows[1].contains(" std park "), "{stdout}");
    assert!(rows[2].contains(" crossbeam "), "{stdout}");
}

#[test]
fn an_unknown_flag_is_refused() {
    assert_refused(&["--fast"], "unexpected argument '--fast'");
}

#[test]
fn no_arguments_runs_async1_with_a_million_pings() {
    let out = driver(&[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let first = stdout.lines().next().unwrap_or_default();
    // async1: 0.42 sec (2,380,952/sec)
    let rest = first.strip_prefix("async1: ").expect(first);
    let (secs, rate) = rest.split_once(" sec (").expect(first);
    assert!(secs.parse::<f64>().is_ok(), "{first}");
    let rate = rate.strip_suffix("/sec)").expect(first);
    assert!(
        rate.chars().all(|c| c.is_ascii_digit() || c == ','),
        "{first}"
    );
    assert!(stdout.contains("futex"), "{stdout}");
    assert!(stdout.contains("0 allocations"), "{stdout}");
    assert!(stdout.contains("main loop waited "), "{stdout}");
    assert!(stdout.contains("worker loops waited "), "{stdout}");
    assert!(
        stdout.contains("worker->main notified 1,000,001 = delivered 1,000,000 + coalesced 0 + dropped 1 + pending 0"),
        "{stdout}"
    );
}

#[test]
fn json_output_is_one_parseable_object_per_run() {
    let out = driver(&[
        "--json",
        "--pings",
        "20000",
        "--threads",
        "1,2",
        "--backend",
        "all",
        "--repeat",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let runs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(runs.len(), driver::BackendKind::ALL.len() * 2 * 2);
    for run in &runs {
        assert_common_fields(run, "pingpong");
        assert_eq!(run["unit"], "ping", "{run}");
        for key in [
            "backend",
            "threads",
            "pings",
            "seconds",
            "rate_per_second",
            "cpu_user_us_per_ping",
            "cpu_system_us_per_ping",
            "syscalls_per_ping",
            "allocations",
            "main_waits",
            "worker_waits",
            "ledger",
        ] {
            assert!(run.get(key).is_some(), "{key} missing from {run}");
        }
        // Every wait ended one way: spinning, yielding or parked.
        for who in ["main_waits", "worker_waits"] {
            let w = &run[who];
            let ended = ["spun", "yielded", "parked"].map(|k| w[k].as_u64().expect(who));
            assert_eq!(
                Some(ended.iter().sum()),
                w["waits"].as_u64(),
                "{who}: {run}"
            );
        }
        // Each worker waits for main's reply between its pings: a worker loop
        // that never waited in 20,000 round trips means the stats were not kept.
        assert!(run["worker_waits"]["waits"].as_u64() > Some(0), "{run}");
        assert_eq!(run["pings"], 20000);
        assert_eq!(run["allocations"], 0, "{run}");
        let to_main = &run["ledger"]["worker_to_main"];
        assert_eq!(to_main["balanced"], true, "{run}");
        assert_eq!(to_main["dropped"], run["threads"], "{run}");
    }
}

#[test]
fn pummel_prints_the_libuv_line_and_a_table_for_several_runs() {
    let out = driver(&[
        "--mode",
        "pummel",
        "--pings",
        "50000",
        "--threads",
        "1,2",
        "--backend",
        "eventfd",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("async_pummel_1: 50,000 callbacks in "),
        "{stdout}"
    );
    assert!(
        stdout.contains("async_pummel_2: 50,000 callbacks in "),
        "{stdout}"
    );
    assert!(stdout.contains("coalesced"), "{stdout}");
    assert!(stdout.contains("median/s"), "no summary table:\n{stdout}");
}

#[test]
fn wake_mode_prints_each_cost_and_the_locked_instruction_floor() {
    let args = [
        "--mode", "wake", "--asyncs", "1,64", "--pings", "20000", "--repeat", "2",
    ];
    let out = driver(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for h in ["   1 asyncs armed: ", "  64 asyncs armed: "] {
        assert!(stdout.contains(&format!("wake futex: {h}")), "{stdout}");
    }
    assert!(stdout.contains("(min "), "no spread:\n{stdout}");
    assert!(
        stdout.contains("floor: one uncontended read-modify-write "),
        "{stdout}"
    );

    let out = driver(&[&["--json"][..], &args].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let runs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of = |kind: &str| runs.iter().filter(|r| r["record"] == kind).count();
    assert_eq!((of("run"), of("locked_rmw_floor"), runs.len()), (4, 2, 6));
    for run in &runs {
        let ns = run["ns_per_notify_and_callback"]
            .as_f64()
            .or(run["ns_per_rmw"].as_f64())
            .unwrap_or_else(|| panic!("no cost in {run}"));
        assert!(ns > 0.0 && ns.is_finite(), "{run}");
    }
}

#[test]
fn help_exits_zero() {
    let out = driver(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("--backend"));
}

/// A scratch path of this test's own under the system's temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("rearm-cli-{}-{name}", std::process::id()))
}

#[test]
fn plot_written_goes_to_stderr_so_json_lines_stay_json() {
    let path = scratch("json.svg");
    let path_arg = path.to_str().expect("a UTF-8 temp path");
    let out = driver(&["--pings", "1000", "--json", "--plot", path_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for line in text(&out.stdout).lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("stdout is not JSON Lines ({e}): {line}"));
    }
    assert!(text(&out.stderr).contains("plot written to"));
    assert!(path.exists());
    let _ = std::fs::remove_file(path);
}

#[test]
fn plot_into_a_missing_directory_is_refused_before_any_run() {
    assert_refused(
        &["--pings", "1000", "--plot", "/nonexistent/dir/x.svg"],
        "no directory /nonexistent/dir",
    );
}

#[test]
fn plot_not_named_svg_is_refused() {
    assert_refused(&["--pings", "1000", "--plot", "x.png"], "name a .svg file");
}

#[test]
fn flags_a_mode_would_ignore_are_refused() {
    assert_refused(
        &["--mode", "idle", "--plot", "z.svg"],
        "--mode idle does not use --plot",
    );
    assert_refused(
        &[
            "--mode",
            "idle",
            "--pings",
            "5",
            "--threads",
            "8",
            "--inject-faults",
        ],
        "--mode idle does not use --threads, --pings, --inject-faults",
    );
    assert_refused(
        &["--soak", "2", "--repeat", "5"],
        "--soak does not use --repeat",
    );
    assert_refused(
        &["--peers=crossbeam", "--backend", "all"],
        "--peers runs rearm on one backend",
    );
    assert_refused(
        &["--mode", "wake", "--threads", "2", "--max-spins", "5"],
        "--mode wake does not use --threads, --max-spins",
    );
    assert_refused(&["--asyncs", "5"], "--mode pingpong does not use --asyncs");
}

#[test]
fn timeout_takes_the_soak_duration_syntax_and_states_its_range() {
    assert_refused(
        &["--timeout", "-1"],
        "must be at least 1 ms and at most a day",
    );
    assert_refused(&["--timeout", "2d"], "unknown unit 'd'");
    let out = driver(&["--pings", "1000", "--timeout", "2m"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn zero_repeats_are_refused_in_the_words_of_the_other_flags() {
    assert_refused(&["--repeat", "0"], "0 repeats: must be between 1 and 1000");
}

#[test]
fn ledger_and_wake_lines_read_as_prose() {
    let out = driver(&["--pings", "20000"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("notified 20,001 = delivered 20,000 + coalesced 0 + dropped 1"),
        "{stdout}"
    );
    let out = driver(&["--mode", "wake", "--asyncs", "1", "--pings", "1000"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(", 1 run)") && !stdout.contains("1 runs"),
        "{stdout}"
    );
}

#[test]
fn peers_table_columns_line_up_with_their_headers() {
    let out = driver(&["--peers=spin-yield", "--threads", "1", "--pings", "2000"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("bench"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(table.len() >= 3, "{stdout}");
    // Every row is as wide as the header, and its last column ends where the
    // header's does: nothing overflowed its column and shifted the rest.
    let width = table[0].chars().count();
    for row in &table[1..] {
        assert_eq!(
            row.chars().count(),
            width,
            "misaligned:\n{}",
            table.join("\n")
        );
    }
}

/// Parses every line of stdout as a JSON object.
fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// What every JSON object carries, whatever the mode.
#[track_caller]
fn assert_common_fields(object: &serde_json::Value, mode: &str) {
    assert_eq!(object["schema"], "rearm-driver/1", "{object}");
    assert_eq!(object["mode"], mode, "{object}");
    assert_eq!(object["version"], env!("CARGO_PKG_VERSION"), "{object}");
    assert!(object["record"].is_string(), "{object}");
    let machine = object["machine"].as_str().unwrap_or_default();
    assert!(machine.contains("CPUs"), "{object}");
    // The environment a saved result is compared under.
    let env = &object["env"];
    let timestamp = env["timestamp"].as_str().unwrap_or_default();
    assert!(
        timestamp.len() == 20 && timestamp.starts_with("20") && timestamp.ends_with('Z'),
        "{object}"
    );
    assert!(
        env["rustc"]
            .as_str()
            .is_some_and(|v| v.starts_with("rustc ")),
        "{object}"
    );
    assert!(
        env["features"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f == "bench")),
        "{object}"
    );
    let args = env["command_line"].as_array().expect("the command line");
    assert!(args.iter().any(|a| a == "--json"), "{object}");
    assert!(env["cpus"].as_u64() >= Some(1), "{object}");
    assert!(env["usable_cpus"].as_u64() >= Some(1), "{object}");
    assert!(
        env["cpu_model"].is_string() && env["kernel"].is_string(),
        "{object}"
    );
    // A copy of the sources outside a checkout has no commit to name.
    if let Some(commit) = env["commit"].as_str() {
        let hash = commit.strip_suffix("-dirty").unwrap_or(commit);
        assert!(
            hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{object}"
        );
    } else {
        assert!(env["commit"].is_null(), "{object}");
    }
    assert!(object["repeat"].as_u64() >= Some(1), "{object}");
    assert!(object["warmup"].is_u64(), "{object}");
}

#[test]
fn every_mode_writes_json_of_one_schema() {
    // Pummel counts callbacks, not pings.
    let pummel = json_lines(&driver(&["--mode", "pummel", "--pings", "20000", "--json"]));
    assert_eq!(pummel.len(), 1);
    let run = &pummel[0];
    assert_common_fields(run, "pummel");
    assert_eq!(run["unit"], "callback", "{run}");
    assert_eq!(run["callbacks"], 20000, "{run}");
    assert!(run.get("pings").is_none(), "{run}");
    assert!(run["cpu_user_us_per_callback"].is_number(), "{run}");
    assert_eq!(run["ledger"]["balanced"], true, "{run}");
    assert!(run["worker_waits"].is_null(), "{run}");

    let wake = json_lines(&driver(&[
        "--mode", "wake", "--asyncs", "1,64", "--pings", "1000", "--json",
    ]));
    assert_eq!(wake.len(), 3, "two costs and the floor: {wake:?}");
    for object in &wake {
        assert_common_fields(object, "wake");
    }
    assert_eq!(wake[1]["asyncs"], 64);
    assert!(wake[0]["ns_per_notify_and_callback"].as_f64() > Some(0.0));
    assert_eq!(wake[2]["record"], "locked_rmw_floor");
    assert!(wake[2]["ns_per_rmw"].as_f64() > Some(0.0));

    let idle = json_lines(&driver(&["--mode", "idle", "--json"]));
    assert_eq!(idle.len(), 1);
    assert_common_fields(&idle[0], "idle");
    assert!(idle[0]["cpu_percent_of_one_cpu"].is_number(), "{}", idle[0]);

    let peers = json_lines(&driver(&[
        "--peers=spin-yield",
        "--threads",
        "1",
        "--pings",
        "2000",
        "--json",
    ]));
    assert_eq!(peers.len(), 2, "rearm and one peer: {peers:?}");
    for object in &peers {
        assert_common_fields(object, "peers");
        assert_eq!(object["benchmark"], "async1");
        assert!(object["rate_per_second"]["median"].as_f64() > Some(0.0));
    }
    assert!(peers[0]["rearm_over_peer"].is_null());
    assert!(peers[1]["rearm_over_peer"]["median"].as_f64() > Some(0.0));
}

#[test]
fn sparse_refuses_what_it_would_ignore_and_peers_that_never_sleep() {
    assert_refused(
        &["--mode", "sparse", "--threads", "2", "--inject-faults"],
        "--mode sparse does not use --threads, --inject-faults",
    );
    assert_refused(
        &["--mode", "sparse", "--asyncs", "4"],
        "--mode sparse does not use --asyncs",
    );
    assert_refused(
        &["--mode", "sparse", "--peers=busy-spin"],
        "busy-spin has no sparse form",
    );
    assert_refused(
        &["--mode", "sparse", "--gaps", "0"],
        "0 µs: must be between 1",
    );
    assert_refused(
        &["--mode", "sparse", "--gaps", "2000000"],
        "must be between 1 and 1000000 (a second)",
    );
    assert_refused(&["--gaps", "5"], "--mode pingpong does not use --gaps");
    assert_refused(
        &["--mode", "pummel", "--spin-policy", "fastest"],
        "invalid value 'fastest'",
    );
}

#[test]
fn mailbox_refuses_what_it_would_ignore() {
    assert_refused(
        &["--mode", "mailbox", "--capacity", "100"],
        "--capacity is one of 64, 1024",
    );
    assert_refused(
        &["--mode", "pingpong", "--capacity", "64"],
        "--mode pingpong does not use --capacity",
    );
    assert_refused(
        &["--mode", "mailbox", "--gaps", "5", "--asyncs", "4"],
        "--mode mailbox does not use --asyncs, --gaps",
    );
    assert_refused(
        &["--mode", "mailbox", "--peers=crossbeam"],
        "--peers compares the ping-pong",
    );
    assert_refused(&["--mode", "mailbox", "--threads", "0"], "0 threads");
    assert_refused(&["--reply"], "--mode pingpong does not use --reply");
    assert_refused(
        &["--mode", "mailbox", "--reply", "--inject-faults"],
        "--reply does not take --inject-faults",
    );
}

/// Request/reply: a block per queue size after the senders' blocks, every
/// contender but the deferring sender in it, each run checking that every
/// value came back to its client.
#[test]
fn mailbox_reply_adds_a_request_reply_block_per_queue_size() {
    let runs = json_lines(&driver(&[
        "--mode",
        "mailbox",
        "--reply",
        "--threads",
        "1",
        "--capacity",
        "64",
        "--pings",
        "5000",
        "--json",
    ]));
    let replies: Vec<_> = runs
        .iter()
        .filter(|run| run["scenario"] == "reply")
        .collect();
    let contenders: Vec<_> = replies.iter().map(|run| run["contender"].clone()).collect();
    assert_eq!(
        contenders,
        [
            "rearm",
            "rearm-one-sender",
            "rearm-recv",
            "crossbeam",
            "std-sync-channel",
            "flume",
            "kanal",
            "thingbuf"
        ],
        "{runs:?}"
    );
    for run in &replies {
        assert_eq!(run["unit"], "round trip");
        assert_eq!(run["messages"], 5000);
        assert_eq!(run["capacity"], 64);
    }
    assert_eq!(runs.len(), replies.len() + 9, "{runs:?}");

    let out = driver(&[
        "--mode",
        "mailbox",
        "--reply",
        "--threads",
        "1",
        "--pings",
        "5000",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("\nrequest/reply (rates and CPU per round trip), a queue of 1024\n"),
        "{stdout}"
    );
}

/// With injected faults only rearm's contenders run (the channels have no
/// parker to fault), on the fault-injecting parkers, with a receiver that
/// restarts, disarms and panics as it goes; every message still arrives once
/// and in order, and the run says so by succeeding.
#[test]
fn mailbox_with_injected_faults_runs_rearm_alone_and_loses_nothing() {
    let out = driver(&[
        "--mode",
        "mailbox",
        "--inject-faults",
        "--threads",
        "1,3",
        "--pings",
        "30000",
        "--backend",
        "all",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("rearm mailbox (futex)"), "{stdout}");
    assert!(
        stdout.contains("rearm one-sender mailbox (thread)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("crossbeam bounded") && !stdout.contains("std sync_channel"),
        "{stdout}"
    );
}

#[test]
fn mailbox_prints_every_contender_per_sender_count_and_writes_json_and_a_plot() {
    let out = driver(&["--mode", "mailbox", "--threads", "1,3", "--pings", "20000"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("\n1 sender, a queue of 1024\n")
            && stdout.contains("\n3 senders, a queue of 1024\n"),
        "{stdout}"
    );
    // Every contender in both blocks, but the one-sender mailbox (sending
    // each message told or deferred): in the one-sender block only.
    for (row, blocks) in [
        ("rearm mailbox (futex)", 2),
        ("rearm mailbox, blocking recv (futex)", 2),
        ("crossbeam bounded", 2),
        ("std sync_channel", 2),
        ("rearm one-sender mailbox (futex)", 1),
        ("rearm one-sender mailbox, flushed every 64 (futex)", 1),
    ] {
        let rows = stdout
            .lines()
            .filter(|line| line.trim_start().starts_with(row))
            .count();
        assert_eq!(rows, blocks, "{row}:\n{stdout}");
    }
    let one_sender = json_lines(&driver(&[
        "--mode",
        "mailbox",
        "--threads",
        "1",
        "--pings",
        "10000",
        "--json",
    ]));
    let contenders: Vec<_> = one_sender
        .iter()
        .map(|run| run["contender"].clone())
        .collect();
    assert_eq!(
        contenders,
        [
            "rearm",
            "rearm-one-sender",
            "rearm-one-sender-deferred",
            "rearm-recv",
            "crossbeam",
            "std-sync-channel",
            "flume",
            "kanal",
            "thingbuf"
        ],
        "{one_sender:?}"
    );
    assert_eq!(one_sender[1]["backend"], "futex");
    assert_eq!(one_sender[2]["backend"], "futex");
    let plot = scratch("mailbox.svg");
    let runs = json_lines(&driver(&[
        "--mode",
        "mailbox",
        "--backend",
        "all",
        "--threads",
        "2",
        "--pings",
        "10000",
        "--json",
        "--plot",
        plot.to_str().unwrap(),
    ]));
    // Every backend's many-sender mailbox, drained by a loop and received
    // by a blocking thread (the one-sender mailbox does not take two
    // senders), then the five channels.
    assert_eq!(
        runs.len(),
        2 * driver::BackendKind::ALL.len() + 5,
        "{runs:?}"
    );
    for run in &runs {
        assert_common_fields(run, "mailbox");
        assert_eq!(run["senders"], 2, "{run}");
        assert_eq!(run["messages"], 10_000, "{run}");
        assert_eq!(run["capacity"], 1024, "{run}");
        assert!(run["rate_per_second"].as_f64() > Some(0.0), "{run}");
        assert!(run["cpu_ns_per_message"].as_f64() > Some(0.0), "{run}");
    }
    assert_eq!(runs[0]["contender"], "rearm");
    assert_eq!(runs[0]["backend"], "futex");
    let peers: Vec<_> = runs[runs.len() - 5..]
        .iter()
        .map(|run| run["contender"].clone())
        .collect();
    assert_eq!(
        peers,
        [
            "crossbeam",
            "std-sync-channel",
            "flume",
            "kanal",
            "thingbuf"
        ]
    );
    assert!(runs[runs.len() - 1]["backend"].is_null());
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("crossbeam bounded, 2 senders, a queue of 1024"),
        "{svg:.200}"
    );
}

#[test]
fn sparse_prints_a_block_per_gap_with_every_contender_and_writes_json_and_a_plot() {
    let out = driver(&[
        "--mode",
        "sparse",
        "--gaps",
        "2,200",
        "--pings",
        "200",
        "--peers=std-park",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("gap 2 µs") && stdout.contains("gap 200 µs"),
        "{stdout}"
    );
    for row in [
        "rearm futex (default)",
        "rearm eventfd (default)",
        "rearm spin (default)",
        "rearm thread (default)",
        "rearm futex (low-latency)",
        "std park",
    ] {
        let rows = stdout
            .lines()
            .filter(|line| line.trim_start().starts_with(row))
            .count();
        assert_eq!(rows, 2, "{row}:\n{stdout}");
    }
    // Each block says how the predicting row's waits ended.
    let said = stdout
        .lines()
        .filter(|line| {
            line.contains("(default, predicting): of ")
                && line.contains(" predicted; ")
                && line.contains(" for lateness")
        })
        .count();
    assert_eq!(said, 2, "{stdout}");
    assert!(!stdout.contains("crossbeam"), "{stdout}");
    // Only the named preset, on the named backend.
    let plot = scratch("sparse.svg");
    let points = json_lines(&driver(&[
        "--mode",
        "sparse",
        "--backend",
        "futex",
        "--spin-policy",
        "low-latency",
        "--gaps",
        "10",
        "--pings",
        "100",
        "--peers=tokio-notify",
        "--json",
        "--plot",
        plot.to_str().unwrap(),
    ]));
    // The preset on the backend, bare, predicting and carrying values, and
    // the peer.
    assert_eq!(points.len(), 4, "{points:?}");
    for point in &points {
        assert_common_fields(point, "sparse");
        assert_eq!(point["gap_us"], 10.0);
        let received = point["received"].as_u64().unwrap();
        let coalesced = point["coalesced"].as_u64().unwrap();
        assert_eq!(received + coalesced, 100, "{point}");
        assert!(point["latency_ns"]["p50"].as_u64() <= point["latency_ns"]["max"].as_u64());
        assert!(point["cpu_ns_per_wake"].as_f64() > Some(0.0), "{point}");
    }
    assert_eq!(points[0]["spin_policy"], "low-latency");
    assert_eq!(points[0]["carries"], "notify");
    assert_eq!(points[0]["predicts"], false);
    assert_eq!(points[1]["predicts"], true);
    assert_eq!(points[2]["carries"], "mailbox");
    assert_eq!(points[3]["peer"], "tokio-notify");
    assert!(points.iter().all(|p| p["arrivals"] == "steady"));
    // rearm's rows say how their waits ended; a peer's has nothing to say.
    for point in &points[..3] {
        let waits = &point["waits"];
        let ended: u64 = ["spun", "yielded", "parked", "timed_out"]
            .iter()
            .map(|k| waits[k].as_u64().unwrap())
            .sum();
        assert_eq!(waits["waits"].as_u64(), Some(ended), "{point}");
        assert!(waits["predicted"].as_u64() <= waits["waits"].as_u64());
        // Only a predicting loop stands prediction down.
        for why in ["stood_down_for_cost", "stood_down_for_lateness"] {
            let times = waits[why].as_u64().unwrap();
            assert!(times == 0 || point["predicts"] == true, "{point}");
        }
    }
    assert!(points[3]["waits"].is_null());
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("CPU per wake") && svg.contains("latency"),
        "{svg:.200}"
    );
}

#[test]
fn timers_refuse_what_they_would_ignore_and_a_parker_without_a_clock() {
    assert_refused(
        &["--mode", "timers", "--threads", "2"],
        "--mode timers does not use --threads",
    );
    // One sentence on one line: the message once carried a line break and a
    // run of spaces from the source's indentation.
    assert_refused(
        &["--mode", "timers", "--backend", "spin"],
        "the spin backend's parker has no clock, so it runs no timers; name futex, eventfd or thread",
    );
    assert_refused(
        &["--mode", "timers", "--timers", "0"],
        "between 1 and 32768",
    );
    assert_refused(
        &["--mode", "timers", "--timers", "32769"],
        "between 1 and 32768",
    );
    assert_refused(&["--mode", "timers", "--periods", "5"], "at least 10 µs");
    assert_refused(
        &["--mode", "timers", "--timer-slack", "10001"],
        "between 0 and 10000",
    );
    assert_refused(&["--mode", "timers", "--timer-slack", "x"], "whole number");
    assert_refused(
        &["--mode", "sparse", "--timer-slack", "50"],
        "--mode sparse does not use --timer-slack",
    );
}

#[test]
fn timers_write_one_json_line_per_contender_with_rearm_allocating_nothing() {
    let all = json_lines(&driver(&[
        "--mode",
        "timers",
        "--timers",
        "3",
        "--periods",
        "1000",
        "--json",
    ]));
    let (lines, costs): (Vec<_>, Vec<_>) = all.into_iter().partition(|l| l["record"] == "point");
    // Set + cancel beside 0, 100, 1,000 and 10,000 timers.
    assert_eq!(costs.len(), 4, "{costs:?}");
    for cost in &costs {
        assert_common_fields(cost, "timers");
        assert_eq!(cost["record"], "set_and_cancel");
        assert!(
            cost["ns_per_operation"]["median"].as_f64() > Some(0.0),
            "{cost}"
        );
    }
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l["contender"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "rearm futex",
            "rearm futex, 50 µs slack",
            "std condvar",
            "std condvar, 1 ns slack",
            "tokio interval"
        ]
    );
    assert_eq!(lines[0]["timer_slack_us"], 0.0, "{}", lines[0]);
    assert_eq!(lines[1]["timer_slack_us"], 50.0, "{}", lines[1]);
    assert_eq!(lines[1]["backend"], "futex", "{}", lines[1]);
    for line in &lines {
        assert_common_fields(line, "timers");
        assert_eq!(line["timers"], 3, "{line}");
        assert!(line["firings"].as_u64() > Some(0), "{line}");
        assert!(line["lateness_ns"]["p50"].is_number(), "{line}");
        assert!(line["cpu_ns_per_firing"].as_f64() > Some(0.0), "{line}");
    }
    // The driver installs the counting allocator: rearm's zero is measured.
    assert_eq!(lines[0]["allocations"], 0, "{}", lines[0]);
    assert_eq!(lines[1]["allocations"], 0, "{}", lines[1]);
    // rearm's rows say how their loop waited; the peers' have nothing to say.
    for line in &lines[..2] {
        let waits = &line["waits"];
        assert!(waits["waits"].as_u64() > Some(0), "{line}");
        assert!(
            waits["parked"].as_u64() <= waits["waits"].as_u64(),
            "{line}"
        );
    }
    assert!(lines[2..].iter().all(|l| l["waits"].is_null()), "{lines:?}");
}

#[test]
fn timers_leave_the_slack_row_out_at_zero_slack() {
    let lines = json_lines(&driver(&[
        "--mode",
        "timers",
        "--timers",
        "2",
        "--periods",
        "1000",
        "--timer-slack",
        "0",
        "--json",
    ]));
    let names: Vec<&str> = lines
        .iter()
        .filter(|l| l["record"] == "point")
        .map(|l| l["contender"].as_str().unwrap_or_default())
        .collect();
    assert!(names.contains(&"rearm futex"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("rearm futex,")),
        "{names:?}"
    );
}

#[test]
fn async_refuses_what_it_would_ignore() {
    assert_refused(
        &["--mode", "async", "--backend", "futex"],
        "--mode async does not use --backend",
    );
    assert_refused(
        &["--mode", "async", "--threads", "2"],
        "--mode async does not use --threads",
    );
    assert_refused(&["--mode", "async", "--pings", "0"], "between 1 and");
}

#[test]
fn async_writes_one_json_line_per_contender_with_rearm_allocating_nothing() {
    let lines = json_lines(&driver(&["--mode", "async", "--pings", "2000", "--json"]));
    let contenders: Vec<&str> = lines
        .iter()
        .map(|l| l["contender"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        contenders,
        [
            "rearm",
            "rearm-spinning",
            "tokio-notify",
            "tokio-mpsc",
            "async-channel"
        ]
    );
    for line in &lines {
        assert_common_fields(line, "async");
        assert_eq!(line["round_trips"], 2000, "{line}");
        assert!(line["round_trips_per_sec"].as_f64() > Some(0.0), "{line}");
        assert!(line["cpu_ns_per_round_trip"].as_f64() > Some(0.0), "{line}");
    }
    // The driver installs the counting allocator: rearm's zeros are measured.
    assert_eq!(lines[0]["allocations"], 0, "{}", lines[0]);
    assert_eq!(lines[1]["allocations"], 0, "{}", lines[1]);
}
