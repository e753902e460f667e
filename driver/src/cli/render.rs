//! `driver report FILE... [--markdown|--csv]`: saved results (`--save`)
//! rendered as the tables of the README and `docs/results.md`, each under
//! the command, machine, time and commit that measured it.

use super::dispersion::Dispersion;
use super::saved::{Figure, Saved, compare, decimals, figures, show, show_with};
use clap::{CommandFactory, FromArgMatches, Parser};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Renders results saved with `--save` as tables: Markdown (the default) or
/// CSV.
#[derive(Debug, Parser)]
#[command(name = "driver report", bin_name = "driver report")]
struct ReportArgs {
    /// Saved results: JSON lines written by `driver ... --save`.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Markdown: per file, its provenance and a table (rearm against peers
    /// as the README's table).
    #[arg(long, conflicts_with = "csv")]
    markdown: bool,

    /// CSV: one row per figure of every file.
    #[arg(long)]
    csv: bool,

    /// Instead of tables: each file's figures beside this saved file's, with
    /// their ratio and whether they differ beyond the spread of the two.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["markdown", "csv"])]
    baseline: Option<PathBuf>,
}

/// How to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Markdown tables.
    Markdown,
    /// One CSV table.
    Csv,
}

/// `driver report`: the files, read and checked, and the format.
#[derive(Debug)]
pub struct ReportWork {
    /// The saved results, in the order given.
    pub files: Vec<Saved>,
    /// How to render them.
    pub format: Format,
    /// Compare each file with this one instead.
    pub baseline: Option<Saved>,
}

/// Parses `driver report ...` (program name first), reading every file
/// before anything is printed.
pub fn parse(args: &[OsString]) -> Result<ReportWork, clap::Error> {
    let matches = ReportArgs::command().try_get_matches_from(&args[1..])?;
    let args = ReportArgs::from_arg_matches(&matches)?;
    let invalid =
        |e: String| clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e}\n"));
    let files = args
        .files
        .iter()
        .map(|path| Saved::load(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(Saved::load)
        .transpose()
        .map_err(invalid)?;
    Ok(ReportWork {
        files,
        baseline,
        format: if args.csv {
            Format::Csv
        } else {
            Format::Markdown
        },
    })
}

/// The report, whole.
pub fn render(work: &ReportWork) -> String {
    if let Some(baseline) = &work.baseline {
        return work
            .files
            .iter()
            .map(|saved| {
                format!(
                    "{} ({}):{}",
                    saved.path.display(),
                    saved.provenance(),
                    compare(&saved.records, baseline, false)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    match work.format {
        Format::Markdown => work
            .files
            .iter()
            .map(markdown)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Csv => csv(&work.files),
    }
}

/// `"1,234,567 (1,000,000–1,500,000)"`, `"0.63 (0.59–0.78)"`: the three
/// with the decimals the median calls for.
fn median_range(d: &Dispersion, unit: &str) -> String {
    let places = decimals(d.median, unit);
    if d.runs < 2 {
        return show_with(d.median, places);
    }
    format!(
        "{} ({}–{})",
        show_with(d.median, places),
        show_with(d.min, places),
        show_with(d.max, places)
    )
}

/// `"2,972,047 ± 363,152"`, `"0.67 ± 0.08"`.
fn mean_sd(d: &Dispersion, unit: &str) -> String {
    let places = decimals(d.mean, unit);
    format!(
        "{} ± {}",
        show_with(d.mean, places),
        show_with(d.sd, places)
    )
}

/// One file: its provenance, then its table.
fn markdown(saved: &Saved) -> String {
    let mut out = format!(
        "Measured with {}; from `{}`.\n\n",
        saved.provenance(),
        saved.path.display()
    );
    let figures = figures(&saved.records);
    if saved.modes() == ["peers"] {
        out.push_str(&peers_table(&figures));
    } else {
        out.push_str(&figures_table(&figures));
    }
    out
}

/// A row per configuration: its runs, each quantity's median (min–max), and
/// the first quantity's (the rate's) mean ± σ.
fn figures_table(figures: &[Figure]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    let mut columns: Vec<(&str, &str)> = Vec::new();
    for f in figures {
        if !keys.contains(&f.key.as_str()) {
            keys.push(&f.key);
        }
        if !columns.contains(&(f.figure, f.unit)) {
            columns.push((f.figure, f.unit));
        }
    }
    let Some(&(first, first_unit)) = columns.first() else {
        return String::new();
    };
    let mut out = String::from("| configuration | runs |");
    for (figure, unit) in &columns {
        let _ = write!(out, " {figure}, {unit} |");
    }
    let _ = writeln!(out, " {first} mean ± σ |");
    out.push('|');
    out.push_str(&" --- |".repeat(columns.len() + 3));
    out.push('\n');
    let find = |key: &str, figure: &str| {
        figures
            .iter()
            .find(|f| f.key == key && f.figure == figure)
            .and_then(Figure::dispersion)
    };
    for key in keys {
        let runs = find(key, first).map_or(0, |d| d.runs);
        let _ = write!(out, "| {key} | {runs} |");
        for (figure, unit) in &columns {
            let cell = find(key, figure).map_or("-".into(), |d| median_range(&d, unit));
            let _ = write!(out, " {cell} |");
        }
        let spread = find(key, first).map_or("-".into(), |d| mean_sd(&d, first_unit));
        let _ = writeln!(out, " {spread} |");
    }
    out
}

/// rearm against peers, as the README shows it: a row per contender, per
/// benchmark its median rate and the median (min–max) of rearm ÷ peer.
fn peers_table(figures: &[Figure]) -> String {
    // Keys are "async1 contender": the benchmark, then the contender.
    let split = |f: &Figure| {
        let (bench, contender) = f.key.split_once(' ').unwrap_or((&f.key, ""));
        (bench.to_string(), contender.to_string())
    };
    let mut benches: Vec<String> = Vec::new();
    let mut contenders: Vec<String> = Vec::new();
    for f in figures {
        let (bench, contender) = split(f);
        if !benches.contains(&bench) {
            benches.push(bench);
        }
        if !contenders.contains(&contender) {
            contenders.push(contender);
        }
    }
    let cell = |bench: &str, contender: &str, figure: &str| {
        figures
            .iter()
            .find(|f| f.figure == figure && split(f) == (bench.to_string(), contender.to_string()))
            .and_then(Figure::dispersion)
    };
    let mut out = String::from("|");
    for bench in &benches {
        let _ = write!(out, " | {bench} | rearm ÷ peer");
    }
    out.push_str(" |\n|");
    out.push_str(&" --- |".repeat(1 + 2 * benches.len()));
    out.push('\n');
    for contender in &contenders {
        let ours = contender.starts_with("rearm");
        let bold = |s: String| if ours { format!("**{s}**") } else { s };
        let _ = write!(out, "| {}", bold(contender.clone()));
        for bench in &benches {
            let rate = cell(bench, contender, "rate").map_or("-".into(), |d| show(d.median, "/s"));
            let ratio = cell(bench, contender, "rearm ÷ peer")
                .map_or(String::new(), |d| median_range(&d, "x"));
            let _ = write!(out, " | {} | {ratio}", bold(rate));
        }
        out.push_str(" |\n");
    }
    out
}

/// A CSV field, quoted when it holds a comma, quote or newline.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Every figure of every file, one row each.
fn csv(files: &[Saved]) -> String {
    let mut out = String::from(
        "file,mode,configuration,figure,unit,runs,median,min,max,mean,sd,machine,timestamp,commit\n",
    );
    for saved in files {
        let first = &saved.records[0];
        let env = |k: &str| first["env"][k].as_str().unwrap_or_default().to_string();
        for f in figures(&saved.records) {
            let Some(d) = f.dispersion() else { continue };
            let cells = [
                saved.path.display().to_string(),
                f.mode.clone(),
                f.key.clone(),
                f.figure.to_string(),
                f.unit.to_string(),
                d.runs.to_string(),
                d.median.to_string(),
                d.min.to_string(),
                d.max.to_string(),
                d.mean.to_string(),
                d.sd.to_string(),
                first["machine"].as_str().unwrap_or_default().to_string(),
                env("timestamp"),
                env("commit"),
            ];
            let row: Vec<String> = cells.iter().map(|c| field(c)).collect();
            let _ = writeln!(out, "{}", row.join(","));
        }
    }
    out
}
