//! Saved results: the records of a run written to a file (`--save`), read
//! back, reduced to figures (a configuration's runs of one measured
//! quantity), and compared with a later run (`--baseline`).

use super::dispersion::Dispersion;
use super::report::{SCHEMA, record_line, thousands};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where `--save NAME` and `--baseline NAME` look when NAME is a plain name.
pub const RESULTS_DIR: &str = "results";

/// A name is a plain file name (letters, digits, `.`, `-`, `_`, not starting
/// with a dot), saved as `results/NAME.jsonl`; or a path ending in `.jsonl`.
fn resolve(name: &str) -> Result<PathBuf, String> {
    if name.ends_with(".jsonl") {
        return Ok(PathBuf::from(name));
    }
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !plain {
        return Err(format!(
            "'{name}': name results with letters, digits, '.', '-' and '_' (saved as {RESULTS_DIR}/NAME.jsonl), or give a path ending in .jsonl"
        ));
    }
    Ok(Path::new(RESULTS_DIR).join(format!("{name}.jsonl")))
}

/// `--save NAME`: where the records go. A plain name's folder is made when
/// saving; a path's folder must exist.
pub fn parse_save(name: &str) -> Result<PathBuf, String> {
    let path = resolve(name)?;
    if name.ends_with(".jsonl") {
        super::args::require_directory(name, &path)?;
    }
    Ok(path)
}

/// `--baseline NAME`: a saved file that exists.
pub fn parse_baseline(name: &str) -> Result<PathBuf, String> {
    let path = resolve(name)?;
    if !path.is_file() {
        return Err(format!(
            "'{name}': no saved results at {} (make them with --save {name})",
            path.display()
        ));
    }
    Ok(path)
}

/// Writes `records` (JSON lines) to `path`, making a plain name's folder.
pub fn write(path: &Path, records: &[String]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut text = records.join("\n");
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The records of one saved file.
#[derive(Debug)]
pub struct Saved {
    /// Where they were read from.
    pub path: PathBuf,
    /// One JSON object per record, in file order.
    pub records: Vec<Value>,
}

impl Saved {
    /// Reads and checks a saved file: every line a JSON object of this
    /// driver's schema (any minor version of it), at least one.
    pub fn load(path: &Path) -> Result<Saved, String> {
        // Not a device or a pipe: a read that may never end is no result.
        if !path.is_file() {
            return Err(format!("{}: no such file", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let family = SCHEMA.split('/').next().unwrap_or(SCHEMA);
        let mut records = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{} line {}", path.display(), i + 1);
            let record: Value =
                serde_json::from_str(line).map_err(|e| format!("{}: not JSON: {e}", at()))?;
            let schema = record["schema"].as_str().unwrap_or_default();
            if schema != SCHEMA {
                return Err(if schema.starts_with(family) {
                    format!(
                        "{}: schema {schema}; this driver reads {SCHEMA}: re-measure it",
                        at()
                    )
                } else {
                    format!(
                        "{}: not a driver record (no \"schema\": \"{SCHEMA}\")",
                        at()
                    )
                });
            }
            records.push(record);
        }
        if records.is_empty() {
            return Err(format!("{}: no records", path.display()));
        }
        Ok(Saved {
            path: path.to_path_buf(),
            records,
        })
    }

    /// The modes its records came from, in first-seen order.
    pub fn modes(&self) -> Vec<String> {
        let mut modes: Vec<String> = Vec::new();
        for r in &self.records {
            let mode = r["mode"].as_str().unwrap_or("?").to_string();
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        modes
    }

    /// Where and how the first record was measured: `"command" · machine ·
    /// time · commit · rustc"`.
    pub fn provenance(&self) -> String {
        provenance(&self.records[0])
    }
}

/// A record's command, machine, time, commit and compiler, for a caption.
pub fn provenance(record: &Value) -> String {
    let env = &record["env"];
    let command = env["command_line"]
        .as_array()
        .map(|args| {
            let mut args: Vec<&str> = args.iter().filter_map(Value::as_str).collect();
            // The program as typed (a path into target/) says nothing useful.
            if !args.is_empty() {
                args[0] = "driver";
            }
            args.join(" ")
        })
        .unwrap_or_else(|| "unknown command".into());
    // Twelve digits name a commit; "-dirty" says it was not all of it.
    let commit = env["commit"].as_str().map_or("unknown".into(), |c| {
        let dirty = if c.ends_with("-dirty") { "-dirty" } else { "" };
        format!("{}{dirty}", &c[..c.len().min(12)])
    });
    format!(
        "`{command}` · {} · {} · commit {commit} · {}",
        record["machine"].as_str().unwrap_or("unknown machine"),
        env["timestamp"].as_str().unwrap_or("unknown time"),
        env["rustc"].as_str().unwrap_or("unknown rustc"),
    )
}

/// Which way a figure improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Rates.
    Higher,
    /// Costs and latencies.
    Lower,
}

/// One measured quantity of one configuration, over its runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// The mode the records came from.
    pub mode: String,
    /// The configuration: `"async1 futex"`, `"stream q1024 4 senders rearm"`.
    pub key: String,
    /// What was measured: `"rate"`, `"cpu"`, `"p99 latency"`.
    pub figure: &'static str,
    /// Its unit: `"/s"`, `"µs"`, `"ns"`.
    pub unit: &'static str,
    /// Which way is better.
    pub better: Better,
    /// One value per run.
    pub values: Vec<f64>,
}

impl Figure {
    /// The configuration and quantity: `"async1 futex rate"`.
    pub fn label(&self) -> String {
        format!("{} {}", self.key, self.figure)
    }

    /// Its runs' spread (`None` if none was finite).
    pub fn dispersion(&self) -> Option<Dispersion> {
        Dispersion::of(&self.values)
    }
}

/// A number field, or NaN.
fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// A string field, or `"?"`.
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}

/// Who a record measured, rearm or a peer: its `contender`, or in records
/// saved before the driver had one word for it, its `carrier` (mailbox,
/// async) or `mechanism` (sparse, timers); `"?"` when none is there.
fn contender(r: &Value) -> &str {
    ["contender", "carrier", "mechanism"]
        .into_iter()
        .find_map(|key| r[key].as_str())
        .unwrap_or("?")
}

/// The values of an array field, or the one number (or median) there.
fn samples(v: &Value, median: &Value) -> Vec<f64> {
    match v.as_array() {
        Some(values) => values.iter().map(num).collect(),
        None => vec![num(&median["median"])],
    }
}

/// One quantity of one configuration, in one run or more.
type Measured = (String, &'static str, &'static str, Better, Vec<f64>);

/// A run's rate (per second, higher is better) and CPU per event (in
/// `cpu_unit`, lower is better).
fn rate_and_cpu(key: String, rate: f64, cpu: f64, cpu_unit: &'static str) -> Vec<Measured> {
    vec![
        (key.clone(), "rate", "/s", Better::Higher, vec![rate]),
        (key, "cpu", cpu_unit, Better::Lower, vec![cpu]),
    ]
}

/// What one record measured: (configuration, quantity, unit, better,
/// values). Records that measure nothing comparable give nothing.
fn measured(r: &Value) -> Vec<Measured> {
    use Better::{Higher, Lower};
    let mode = text(&r["mode"]);
    match (mode, text(&r["record"])) {
        ("pingpong" | "pummel", "run") => {
            let unit = text(&r["unit"]);
            let cpu = num(&r[format!("cpu_user_us_per_{unit}")])
                + num(&r[format!("cpu_system_us_per_{unit}")]);
            let key = format!("{} {}", text(&r["benchmark"]), text(&r["backend"]));
            rate_and_cpu(key, num(&r["rate_per_second"]), cpu, "µs")
        }
        ("peers", "contender") => {
            let key = format!("{} {}", text(&r["benchmark"]), contender(r));
            let mut out = vec![(
                key.clone(),
                "rate",
                "/s",
                Higher,
                samples(&r["rates"], &r["rate_per_second"]),
            )];
            if !r["rearm_over_peer"].is_null() {
                out.push((
                    key,
                    "rearm ÷ peer",
                    "x",
                    Higher,
                    samples(&r["ratios"], &r["rearm_over_peer"]),
                ));
            }
            out
        }
        ("wake", "run") => vec![(
            format!("{} {} asyncs", text(&r["backend"]), r["asyncs"]),
            "notify+callback",
            "ns",
            Lower,
            vec![num(&r["ns_per_notify_and_callback"])],
        )],
        ("idle", "run") => vec![(
            text(&r["backend"]).to_string(),
            "cpu",
            "% of a CPU",
            Lower,
            vec![num(&r["cpu_percent_of_one_cpu"])],
        )],
        ("mailbox", "run") => {
            let key = format!(
                "{} q{} {} sender(s) {}",
                text(&r["scenario"]),
                r["capacity"],
                r["senders"],
                contender(r)
            );
            let cpu = num(&r["cpu_ns_per_message"]);
            rate_and_cpu(key, num(&r["rate_per_second"]), cpu, "ns")
        }
        ("async", "point") => {
            let key = contender(r).to_string();
            let cpu = num(&r["cpu_ns_per_round_trip"]);
            rate_and_cpu(key, num(&r["round_trips_per_sec"]), cpu, "ns")
        }
        ("sparse", "point") => {
            let key = format!(
                "{} {} {} µs",
                contender(r),
                text(&r["arrivals"]),
                num(&r["gap_us"])
            );
            vec![
                (
                    key.clone(),
                    "cpu per wake",
                    "ns",
                    Lower,
                    vec![num(&r["cpu_ns_per_wake"])],
                ),
                (
                    key.clone(),
                    "p50 latency",
                    "ns",
                    Lower,
                    vec![num(&r["latency_ns"]["p50"])],
                ),
                (
                    key,
                    "p99 latency",
                    "ns",
                    Lower,
                    vec![num(&r["latency_ns"]["p99"])],
                ),
            ]
        }
        ("timers", "point") => {
            let key = format!(
                "{} {} timers every {} µs",
                contender(r),
                r["timers"],
                num(&r["period_us"])
            );
            vec![
                (
                    key.clone(),
                    "cpu per firing",
                    "ns",
                    Lower,
                    vec![num(&r["cpu_ns_per_firing"])],
                ),
                (
                    key,
                    "p99 lateness",
                    "ns",
                    Lower,
                    vec![num(&r["lateness_ns"]["p99"])],
                ),
            ]
        }
        _ => Vec::new(),
    }
}

/// The figures of some records: each configuration's quantity with the
/// values of all its runs, in first-seen order.
pub fn figures(records: &[Value]) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::new();
    for r in records {
        let mode = text(&r["mode"]).to_string();
        for (key, figure, unit, better, values) in measured(r) {
            match out
                .iter_mut()
                .find(|f| f.mode == mode && f.key == key && f.figure == figure)
            {
                Some(f) => f.values.extend(values),
                None => out.push(Figure {
                    mode: mode.clone(),
                    key,
                    figure,
                    unit,
                    better,
                    values,
                }),
            }
        }
    }
    out
}

/// How a figure compares with its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Better, and the two runs' ranges do not overlap.
    Better,
    /// Worse, and the two runs' ranges do not overlap.
    Worse,
    /// The ranges overlap: the difference is within the spread.
    WithinSpread,
    /// One side has a single run: no spread to judge by.
    TooFewRuns,
}

impl Verdict {
    /// As the comparison prints it.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Better => "better, beyond the spread of both",
            Verdict::Worse => "worse, beyond the spread of both",
            Verdict::WithinSpread => "within the spread",
            Verdict::TooFewRuns => "one run: use --repeat 2 or more on both",
        }
    }
}

/// Compares `now` with `then`: their medians' ratio, and whether the runs'
/// ranges (min–max) are apart.
pub fn verdict(now: &Dispersion, then: &Dispersion, better: Better) -> Verdict {
    if now.runs < 2 || then.runs < 2 {
        return Verdict::TooFewRuns;
    }
    let higher = now.min > then.max;
    let lower = now.max < then.min;
    match (higher, lower, better) {
        (true, _, Better::Higher) | (_, true, Better::Lower) => Verdict::Better,
        (true, _, Better::Lower) | (_, true, Better::Higher) => Verdict::Worse,
        _ => Verdict::WithinSpread,
    }
}

/// Decimals that show a figure of this size in this unit well: none for
/// rates and anything from 100 up, one from 10, two below.
pub fn decimals(value: f64, unit: &str) -> usize {
    match value.abs() {
        _ if unit == "/s" => 0,
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    }
}

/// A figure's value with `decimals` decimals, whole numbers grouped in
/// thousands; `-` when not finite.
pub fn show_with(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        "-".into()
    } else if decimals == 0 && value >= 0.0 {
        thousands(value.round() as u64)
    } else {
        format!("{value:.decimals$}")
    }
}

/// A figure's value for a table, as many decimals as its size calls for.
pub fn show(value: f64, unit: &str) -> String {
    show_with(value, decimals(value, unit))
}

/// The comparison of this run's records with a baseline: a text table, or
/// JSON lines with `--json`.
pub fn compare(now: &[Value], baseline: &Saved, json: bool) -> String {
    let then = figures(&baseline.records);
    let mut out = String::new();
    if !json {
        let _ = writeln!(
            out,
            "\nagainst baseline {} ({}); medians (runs), now ÷ then:",
            baseline.path.display(),
            baseline.provenance()
        );
    }
    let mut missing = 0;
    let rows: Vec<(Figure, Dispersion, Figure, Dispersion)> = figures(now)
        .into_iter()
        .filter_map(|f| {
            let old = then
                .iter()
                .find(|t| t.mode == f.mode && t.key == f.key && t.figure == f.figure);
            let pair = old.and_then(|t| Some((f.dispersion()?, t.clone(), t.dispersion()?)));
            if pair.is_none() {
                missing += 1;
            }
            pair.map(|(d, t, td)| (f, d, t, td))
        })
        .collect();
    let width = rows
        .iter()
        .map(|(f, ..)| f.label().chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    if !json {
        let _ = writeln!(
            out,
            "{:<width$}  {:>20}  {:>20}  {:>10}  verdict",
            "figure", "now", "then", "now÷then"
        );
    }
    for (f, now, t, then) in &rows {
        let ratio = now.median / then.median;
        let v = verdict(now, then, f.better);
        if json {
            let fields = json!({
                "baseline": baseline.path.display().to_string(),
                "configuration": f.key,
                "figure": f.figure,
                "unit": f.unit,
                "now": {"median": now.median, "min": now.min, "max": now.max, "runs": now.runs},
                "then": {"median": then.median, "min": then.min, "max": then.max, "runs": then.runs},
                "now_over_then": ratio,
                "verdict": format!("{v:?}"),
            });
            let _ = writeln!(out, "{}", record_line(&f.mode, "baseline", fields));
        } else {
            let cell =
                |d: &Dispersion, unit: &str| format!("{} ({})", show(d.median, unit), d.runs);
            let _ = writeln!(
                out,
                "{:<width$}  {:>20}  {:>20}  {:>10.3}  {}",
                f.label(),
                cell(now, f.unit),
                cell(then, t.unit),
                ratio,
                v.describe()
            );
        }
    }
    if !json && missing > 0 {
        let _ = writeln!(
            out,
            "{missing} figure(s) of this run are not in the baseline"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(values: &[f64]) -> Dispersion {
        Dispersion::of(values).unwrap()
    }

    #[test]
    fn verdicts_follow_the_ranges_and_the_direction() {
        let low = d(&[1.0, 1.1, 1.2]);
        let high = d(&[2.0, 2.1, 2.2]);
        let wide = d(&[0.5, 1.5, 2.5]);
        assert_eq!(verdict(&high, &low, Better::Higher), Verdict::Better);
        assert_eq!(verdict(&high, &low, Better::Lower), Verdict::Worse);
        assert_eq!(verdict(&low, &high, Better::Lower), Verdict::Better);
        assert_eq!(verdict(&low, &high, Better::Higher), Verdict::Worse);
        assert_eq!(verdict(&wide, &low, Better::Higher), Verdict::WithinSpread);
        assert_eq!(
            verdict(&d(&[9.0]), &low, Better::Higher),
            Verdict::TooFewRuns
        );
    }

    /// Records saved before the driver had one word for rearm-or-a-peer
    /// name it `carrier` or `mechanism`; they still compare with new ones.
    #[test]
    fn records_that_name_a_carrier_or_a_mechanism_key_as_their_contender() {
        let point = |key: &str| {
            json!({ "mode": "async", "record": "point", key: "tokio-notify",
                    "round_trips_per_sec": 1.0, "cpu_ns_per_round_trip": 2.0 })
        };
        let keys = |r: &Value| measured(r).into_iter().map(|m| m.0).collect::<Vec<_>>();
        assert_eq!(keys(&point("carrier")), keys(&point("contender")));
        assert_eq!(keys(&point("contender"))[0], "tokio-notify");
        let sparse = json!({ "mode": "sparse", "record": "point", "mechanism": "std park",
                             "arrivals": "steady", "gap_us": 50.0 });
        assert!(keys(&sparse)[0].starts_with("std park steady 50"));
    }

    /// The saved results the docs' tables come from still name who they
    /// measured.
    #[test]
    fn every_saved_record_in_the_docs_names_its_contender() {
        for file in [
            include_str!("../../../docs/results/async.jsonl"),
            include_str!("../../../docs/results/mailbox.jsonl"),
            include_str!("../../../docs/results/timers.jsonl"),
        ] {
            for line in file.lines() {
                let record: Value = serde_json::from_str(line).unwrap();
                if matches!(text(&record["record"]), "run" | "point") {
                    assert_ne!(contender(&record), "?", "{line}");
                }
            }
        }
    }

    #[test]
    fn names_resolve_under_results_or_as_paths() {
        assert_eq!(
            resolve("before").unwrap(),
            Path::new("results/before.jsonl")
        );
        assert_eq!(resolve("a/b.jsonl").unwrap(), Path::new("a/b.jsonl"));
        for bad in ["", ".hidden", "a/b", "x y"] {
            assert!(resolve(bad).is_err(), "{bad}");
        }
    }
}
