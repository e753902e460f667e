//! `--plot FILE.svg`: rates as a bar chart, on a log scale (rates here span
//! three orders of magnitude), with the machine described under it.

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
