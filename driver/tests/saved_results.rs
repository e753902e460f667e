//! Benchmarking as benchmarkers expect it: warm-up runs not counted,
//! results saved with their environment and read back, a later run compared
//! with a saved baseline, and saved results rendered as Markdown and CSV.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn driver_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driver"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run the driver binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An empty scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rearm-saved-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make a scratch directory");
    dir
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    stdout
}

#[track_caller]
fn refused(out: &Output, says: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(says), "expected '{says}' in:\n{stderr}");
    assert!(out.stdout.is_empty(), "printed: {}", text(&out.stdout));
}

fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("the saved file")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn warm_up_runs_are_said_and_not_counted() {
    let dir = scratch("warmup");
    let args = ["--threads", "1,2", "--pings", "20000", "--repeat", "2"];
    let stdout = succeeded(&driver_in(&dir, &args));
    assert!(
        stdout.starts_with("async1: "),
        "the libuv line first: {stdout}"
    );
    assert!(
        stdout.contains("\nwarm-up: 1 run of each configuration ran first, not counted"),
        "{stdout}"
    );
    // Two timed runs of each, not three.
    assert_eq!(stdout.matches("async1: ").count(), 2, "{stdout}");
    assert_eq!(stdout.matches("async2: ").count(), 2, "{stdout}");
    let table_row = stdout
        .lines()
        .find(|l| l.starts_with("async1 "))
        .expect("the table");
    assert!(table_row.contains(" 2 "), "two runs counted: {table_row}");
    assert!(stdout.contains("mean ± σ"), "{stdout}");

    let warm = [&args[..], &["--warmup", "3", "--json"]].concat();
    let json = succeeded(&driver_in(&dir, &warm));
    assert_eq!(
        json.lines().count(),
        4,
        "warm-up runs print no records: {json}"
    );
    for line in json.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["warmup"], 3, "{record}");
        assert_eq!(record["repeat"], 2, "{record}");
    }
    let none = [&args[..], &["--warmup", "0"]].concat();
    let stdout = succeeded(&driver_in(&dir, &none));
    assert!(!stdout.contains("warm-up"), "{stdout}");

    refused(&driver_in(&dir, &["--warmup", "101"]), "--warmup");
    refused(
        &driver_in(&dir, &["--mode", "idle", "--warmup", "1"]),
        "--mode idle does not use --warmup",
    );
    refused(
        &driver_in(&dir, &["--soak", "1s", "--warmup", "1"]),
        "--soak does not use --warmup",
    );
}

/// In a mode that alternates its contenders in rounds, a warm-up is a whole
/// round, and the counted rounds are numbered from 1 after it.
#[test]
fn a_warm_up_round_is_left_out_of_an_alternating_mode() {
    let dir = scratch("warmup-rounds");
    let args = [
        "--mode", "async", "--pings", "2000", "--repeat", "2", "--warmup", "1", "--json",
    ];
    let json = succeeded(&driver_in(&dir, &args));
    let records: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let contenders = records.iter().filter(|r| r["round"] == 1).count();
    assert!(contenders >= 2, "{json}");
    assert_eq!(records.len(), 2 * contenders, "two counted rounds: {json}");
    assert!(
        records.iter().all(|r| r["round"] == 1 || r["round"] == 2),
        "{json}"
    );
}

#[test]
fn saved_results_read_back_and_a_later_run_compares_with_them() {
    let dir = scratch("baseline");
    let args = ["--threads", "1", "--pings", "20000", "--repeat", "3"];
    let out = driver_in(&dir, &[&args[..], &["--save", "before"]].concat());
    succeeded(&out);
    assert!(text(&out.stderr).contains("3 record(s) saved to results/before.jsonl"));
    let saved = records(&dir.join("results/before.jsonl"));
    assert_eq!(saved.len(), 3);
    for record in &saved {
        assert_eq!(record["schema"], "rearm-driver/1");
        assert_eq!(record["benchmark"], "async1");
        assert!(record["env"]["timestamp"].is_string(), "{record}");
        let args = record["env"]["command_line"].as_array().unwrap();
        assert!(args.iter().any(|a| a == "before"), "{record}");
    }

    // A path ending in .jsonl is used as it is, and --json still prints.
    let out = driver_in(
        &dir,
        &[&args[..], &["--save", "after.jsonl", "--json"]].concat(),
    );
    assert_eq!(succeeded(&out).lines().count(), 3);
    assert_eq!(records(&dir.join("after.jsonl")).len(), 3);

    let stdout = succeeded(&driver_in(
        &dir,
        &[&args[..], &["--baseline", "before"]].concat(),
    ));
    let from = stdout
        .find("against baseline results/before.jsonl")
        .expect(&stdout);
    let comparison = &stdout[from..];
    assert!(comparison.contains("--save before"), "{comparison}");
    for figure in ["async1 futex rate", "async1 futex cpu"] {
        let row = comparison
            .lines()
            .find(|l| l.starts_with(figure))
            .unwrap_or_else(|| panic!("{figure} in {comparison}"));
        assert!(row.contains("(3)"), "runs shown: {row}");
        assert!(
            ["better, beyond", "worse, beyond", "within the spread"]
                .iter()
                .any(|v| row.contains(v)),
            "a verdict: {row}"
        );
    }

    let json = succeeded(&driver_in(
        &dir,
        &[&args[..], &["--baseline", "after.jsonl", "--json"]].concat(),
    ));
    let baseline: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["record"] == "baseline")
        .collect();
    assert_eq!(baseline.len(), 2, "rate and cpu: {json}");
    for b in &baseline {
        assert_eq!(b["schema"], "rearm-driver/1", "{b}");
        assert!(b["env"]["timestamp"].is_string(), "{b}");
        assert_eq!(b["now"]["runs"], 3);
        assert_eq!(b["then"]["runs"], 3);
        let ratio = b["now_over_then"].as_f64().unwrap();
        let (now, then) = (
            b["now"]["median"].as_f64().unwrap(),
            b["then"]["median"].as_f64().unwrap(),
        );
        assert!((ratio - now / then).abs() < 1e-9, "{b}");
    }

    refused(
        &driver_in(&dir, &["--baseline", "never-saved"]),
        "no saved results at results/never-saved.jsonl",
    );
    refused(
        &driver_in(&dir, &["--mode", "pummel", "--baseline", "before"]),
        "it holds pingpong records, not pummel",
    );
    refused(
        &driver_in(&dir, &["--save", "../escape"]),
        "name results with letters",
    );
    refused(
        &driver_in(&dir, &["--save", "missing/dir.jsonl"]),
        "no directory missing",
    );
    std::fs::write(dir.join("broken.jsonl"), "{\"schema\":\"other/1\"}\n").unwrap();
    refused(
        &driver_in(&dir, &["--baseline", "broken.jsonl"]),
        "not a driver record",
    );
}

/// Two saved files whose figures are made up: one clearly faster, with a
/// spread that does not overlap the other's.
#[test]
fn the_baseline_verdict_on_two_made_up_files() {
    let dir = scratch("verdict");
    let record = |rate: f64| {
        serde_json::json!({
            "schema": "rearm-driver/1", "mode": "pingpong", "record": "run",
            "benchmark": "async1", "backend": "futex", "unit": "ping",
            "rate_per_second": rate, "cpu_user_us_per_ping": 0.5,
            "cpu_system_us_per_ping": 0.0, "machine": "test machine",
        })
        .to_string()
    };
    let file = |name: &str, rates: &[f64]| {
        let lines: Vec<String> = rates.iter().map(|&r| record(r)).collect();
        std::fs::write(dir.join(name), lines.join("\n") + "\n").unwrap();
    };
    file("slow.jsonl", &[1.0e6, 1.1e6, 1.2e6]);
    file("fast.jsonl", &[2.0e6, 2.1e6, 2.2e6]);
    let csv = succeeded(&driver_in(
        &dir,
        &["report", "slow.jsonl", "fast.jsonl", "--csv"],
    ));
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("file,mode,configuration,figure,unit,runs,median,min,max,mean,sd"));
    assert!(
        rows[1].starts_with(
            "slow.jsonl,pingpong,async1 futex,rate,/s,3,1100000,1000000,1200000,1100000,100000"
        ),
        "{csv}"
    );
    assert!(
        rows[3].starts_with("fast.jsonl,pingpong,async1 futex,rate,/s,3,2100000,"),
        "{csv}"
    );
    assert_eq!(rows.len(), 5, "rate and cpu per file: {csv}");

    let row = |now: &str, then: &str, figure: &str| {
        let out = succeeded(&driver_in(&dir, &["report", now, "--baseline", then]));
        assert!(out.contains(&format!("against baseline {then}")), "{out}");
        out.lines()
            .find(|l| l.starts_with(figure))
            .unwrap_or_else(|| panic!("{figure} in {out}"))
            .to_string()
    };
    let rate = "async1 futex rate";
    let faster = row("fast.jsonl", "slow.jsonl", rate);
    assert!(faster.contains("1.909"), "{faster}");
    assert!(
        faster.contains("better, beyond the spread of both"),
        "{faster}"
    );
    let slower = row("slow.jsonl", "fast.jsonl", rate);
    assert!(slower.contains("0.524"), "{slower}");
    assert!(
        slower.contains("worse, beyond the spread of both"),
        "{slower}"
    );
    file("wide.jsonl", &[0.9e6, 1.6e6, 2.3e6]);
    assert!(row("wide.jsonl", "fast.jsonl", rate).contains("within the spread"));
    file("once.jsonl", &[3.0e6]);
    assert!(row("once.jsonl", "slow.jsonl", rate).contains("one run"));
    // The CPU figure is the same in both.
    let cpu = row("fast.jsonl", "slow.jsonl", "async1 futex cpu");
    assert!(
        cpu.contains("1.000") && cpu.contains("within the spread"),
        "{cpu}"
    );
}

#[test]
fn report_renders_the_readme_peers_table_and_refuses_bad_files() {
    let dir = scratch("report");
    let out = driver_in(
        &dir,
        &[
            "--peers=spin-yield,std-park",
            "--threads",
            "1,2",
            "--pings",
            "2000",
            "--repeat",
            "2",
            "--save",
            "peers",
        ],
    );
    succeeded(&out);
    let markdown = succeeded(&driver_in(&dir, &["report", "results/peers.jsonl"]));
    assert!(
        markdown.starts_with("Measured with `driver --peers=spin-yield,std-park"),
        "{markdown}"
    );
    assert!(
        markdown.contains("2 CPUs") || markdown.contains("CPUs ("),
        "{markdown}"
    );
    let table: Vec<&str> = markdown.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        table[0], "| | async1 | rearm ÷ peer | async2 | rearm ÷ peer |",
        "{markdown}"
    );
    assert_eq!(
        table.len(),
        2 + 3,
        "header, rule, rearm and two peers: {markdown}"
    );
    assert!(
        table[2].starts_with("| **rearm (futex)** | **"),
        "{markdown}"
    );
    for row in &table[3..] {
        // Every peer has its ratio as median (min–max) over the two rounds.
        assert_eq!(row.matches(" (").count(), 2, "{row}");
    }
    let same = succeeded(&driver_in(
        &dir,
        &["report", "results/peers.jsonl", "--markdown"],
    ));
    assert_eq!(same, markdown, "--markdown is the default");

    let out = driver_in(&dir, &["report"]);
    assert_eq!(out.status.code(), Some(2));
    let out = driver_in(&dir, &["report", "missing.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.jsonl: no such file"),
        "{}",
        text(&out.stderr)
    );
    let out = driver_in(
        &dir,
        &["report", "results/peers.jsonl", "--markdown", "--csv"],
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(dir.join("empty.jsonl"), "\n").unwrap();
    let out = driver_in(&dir, &["report", "empty.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no records"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_lists_the_new_flags_and_the_report_command() {
    let dir = scratch("help");
    let help = succeeded(&driver_in(&dir, &["--help"]));
    for flag in ["--warmup", "--save", "--baseline"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    assert!(help.contains("driver report FILE..."), "{help}");
    let help = succeeded(&driver_in(&dir, &["report", "--help"]));
    assert!(
        help.contains("Usage: driver report [OPTIONS] <FILE>..."),
        "{help}"
    );
    assert!(
        help.contains("--markdown") && help.contains("--csv"),
        "{help}"
    );
}

/// The README's table and the saved tables of `docs/results.md` are what
/// `driver report` prints from the committed files, to the character.
#[test]
fn the_documented_tables_are_what_report_prints_from_the_committed_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files: Vec<String> = std::fs::read_dir(root.join("docs/results"))
        .expect("docs/results")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".jsonl"))
        .map(|name| format!("docs/results/{name}"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let args: Vec<&str> = ["report"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let all = succeeded(&driver_in(&root, &args));
    let results = std::fs::read_to_string(root.join("docs/results.md")).unwrap();
    assert!(
        results.contains(&all),
        "docs/results.md does not hold what `driver report {}` prints:\n{all}",
        files.join(" ")
    );
    let peers = succeeded(&driver_in(&root, &["report", "docs/results/peers.jsonl"]));
    let table = &peers[peers.find("| |").expect(&peers)..];
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(table),
        "the README's table is not:\n{table}"
    );
}
