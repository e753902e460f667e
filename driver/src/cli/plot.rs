//! `--plot FILE.svg`: rates as a bar chart, on a log scale (rates here span
//! three orders of magnitude), with the machine described under it.

use crate::harness::machine;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One bar: its label, its value, and whether it is rearm's (drawn in a
/// colour of its own).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Shown under the bar.
    pub label: String,
    /// Its height.
    pub value: f64,
    /// rearm's bars stand out.
    pub ours: bool,
}

/// The plots' caption: where and with what they were measured.
pub(super) fn caption() -> String {
    format!(
        "{} · rearm {}",
        machine::describe(),
        env!("CARGO_PKG_VERSION")
    )
}

/// Draws `bars` into an SVG file at `path`.
pub fn bar_chart(
    path: &Path,
    title: &str,
    value_label: &str,
    caption: &str,
    bars: &[Bar],
) -> Result<(), String> {
    draw(path, title, value_label, caption, bars).map_err(|e| format!("{}: {e}", path.display()))
}

fn draw(
    path: &Path,
    title: &str,
    x_label: &str,
    caption: &str,
    bars: &[Bar],
) -> Result<(), Box<dyn std::error::Error>> {
    let values: Vec<f64> = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if values.is_empty() {
        return Err("nothing to plot".into());
    }
    let right = values.iter().copied().fold(f64::MIN, f64::max) * 4.0;
    let left = values.iter().copied().fold(f64::MAX, f64::min) / 3.0;
    let longest = bars.iter().map(|b| b.label.len()).max().unwrap_or(10) as u32;
    let width = 960;
    let height = 26 * bars.len() as u32 + 150;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (chart_area, caption_area) = root.split_vertically(height - 28);
    caption_area.draw_text(
        caption,
        &("sans-serif", 13).into_font().color(&BLACK),
        (12, 6),
    )?;

    // Horizontal bars: the labels read left to right, first bar on top.
    let n = bars.len();
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(8 * longest + 20)
        .build_cartesian_2d((left..right).log_scale(), (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_style(("sans-serif", 13))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => bars[n - 1 - i].label.clone(),
            _ => String::new(),
        })
        .x_desc(x_label)
        .x_label_formatter(&|v| crate::cli::report::thousands(v.round() as u64))
        .draw()?;
    let ours = RGBColor(200, 60, 40);
    let theirs = RGBColor(70, 110, 170);
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        let row = n - 1 - i;
        let colour = if bar.ours { ours } else { theirs };
        let mut rect = Rectangle::new(
            [
                (left, SegmentValue::Exact(row)),
                (bar.value.max(left), SegmentValue::Exact(row + 1)),
            ],
            colour.filled(),
        );
        rect.set_margin(4, 4, 0, 0);
        rect
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        Text::new(
            format!(
                " {}",
                crate::cli::report::thousands(bar.value.round() as u64)
            ),
            (bar.value.max(left), SegmentValue::CenterOf(n - 1 - i)),
            TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
        )
    }))?;
    root.present()?;
    Ok(())
}

/// One contender's line in [`gap_chart`]: per gap, `[gap µs, CPU µs per
/// wake, p50 µs, p99 µs]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GapSeries {
    /// Its name in the legend.
    pub label: String,
    /// rearm's lines are drawn warm, the peers' cool.
    pub ours: bool,
    /// The points, by gap.
    pub points: Vec<[f64; 4]>,
}

/// Two panels against the gap between notifications, both on log axes: CPU
/// per wake, and p50 (solid, dots) and p99 (thin, crosses) latency.
pub fn gap_chart(
    path: &Path,
    title: &str,
    caption: &str,
    series: &[GapSeries],
) -> Result<(), String> {
    draw_gaps(path, title, caption, series).map_err(|e| format!("{}: {e}", path.display()))
}

/// The colour of line `i`: rearm's in reds and oranges, the peers' in blues
/// and greens.
fn line_colour(ours: bool, i: usize) -> RGBColor {
    const WARM: [RGBColor; 6] = [
        RGBColor(200, 40, 30),
        RGBColor(230, 120, 20),
        RGBColor(160, 30, 110),
        RGBColor(190, 150, 0),
        RGBColor(120, 20, 20),
        RGBColor(240, 80, 120),
    ];
    const COOL: [RGBColor; 6] = [
        RGBColor(40, 90, 180),
        RGBColor(30, 150, 120),
        RGBColor(90, 60, 170),
        RGBColor(20, 120, 40),
        RGBColor(80, 140, 210),
        RGBColor(60, 60, 60),
    ];
    if ours { WARM[i % 6] } else { COOL[i % 6] }
}

fn draw_gaps(
    path: &Path,
    title: &str,
    caption: &str,
    series: &[GapSeries],
) -> Result<(), Box<dyn std::error::Error>> {
    let finite = |v: f64| v.is_finite() && v > 0.0;
    let range = |pick: &dyn Fn(&[f64; 4]) -> Vec<f64>| -> Option<(f64, f64)> {
        let values: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().flat_map(pick))
            .filter(|v| finite(*v))
            .collect();
        let lo = values.iter().copied().fold(f64::MAX, f64::min);
        let hi = values.iter().copied().fold(f64::MIN, f64::max);
        (!values.is_empty()).then_some((lo / 2.0, hi * 2.0))
    };
    let (Some(gaps), Some(cpu), Some(latency)) = (
        range(&|p| vec![p[0]]),
        range(&|p| vec![p[1]]),
        range(&|p| vec![p[2], p[3]]),
    ) else {
        return Err("nothing to plot".into());
    };
    let root = SVGBackend::new(path, (1280, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, caption_area) = root.split_vertically(600 - 28);
    caption_area.draw_text(
        caption,
        &("sans-serif", 13).into_font().color(&BLACK),
        (12, 6),
    )?;
    let top = top.titled(title, ("sans-serif", 20))?;
    let (left, right) = top.split_horizontally(640);
    let panels = [
        (&left, "loop thread CPU per wake (µs)", cpu, &[1][..]),
        (
            &right,
            "notify→callback latency (µs): p50 ●, p99 ×",
            latency,
            &[2, 3][..],
        ),
    ];
    let us_label = |v: &f64| {
        if *v >= 1.0 {
            crate::cli::report::thousands(v.round() as u64)
        } else {
            format!("{v:.2}")
        }
    };
    for (area, y_desc, (y_lo, y_hi), columns) in panels {
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((gaps.0..gaps.1).log_scale(), (y_lo..y_hi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("gap between notifications (µs)")
            .y_desc(y_desc)
            .x_label_formatter(&us_label)
            .y_label_formatter(&us_label)
            .draw()?;
        let (mut warm, mut cool) = (0, 0);
        for s in series {
            let counter = if s.ours { &mut warm } else { &mut cool };
            let colour = line_colour(s.ours, *counter);
            *counter += 1;
            for (k, &column) in columns.iter().enumerate() {
                let points: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .map(|p| (p[0], p[column]))
                    .filter(|&(x, y)| finite(x) && finite(y))
                    .collect();
                let width = if k == 0 { 2 } else { 1 };
                let drawn = chart
                    .draw_series(LineSeries::new(points.clone(), colour.stroke_width(width)))?;
                if k == 0 {
                    drawn.label(s.label.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                    });
                    chart
                        .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
                } else {
                    chart.draw_series(points.iter().map(|&p| Cross::new(p, 3, colour)))?;
                }
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
