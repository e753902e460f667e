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
    y_label: &str,
    caption: &str,
    bars: &[Bar],
) -> Result<(), String> {
    draw(path, title, y_label, caption, bars).map_err(|e| format!("{}: {e}", path.display()))
}

fn draw(
    path: &Path,
    title: &str,
    y_label: &str,
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
    let top = values.iter().copied().fold(f64::MIN, f64::max) * 3.0;
    let bottom = values.iter().copied().fold(f64::MAX, f64::min) / 3.0;
    let width = (70 * bars.len() as u32 + 160).max(640);
    let height = 520;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (chart_area, caption_area) = root.split_vertically(height - 28);
    caption_area.draw_text(
        caption,
        &("sans-serif", 13).into_font().color(&BLACK),
        (12, 6),
    )?;

    let mut chart = ChartBuilder::on(&chart_area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(120)
        .y_label_area_size(90)
        .build_cartesian_2d((0..bars.len()).into_segmented(), (bottom..top).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len())
        .x_label_style(
            ("sans-serif", 13)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.label.clone()).unwrap_or_default(),
            _ => String::new(),
        })
        .y_desc(y_label)
        .y_label_formatter(&|v| crate::report::thousands(v.round() as u64))
        .draw()?;
    let ours = RGBColor(200, 60, 40);
    let theirs = RGBColor(70, 110, 170);
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        let colour = if bar.ours { ours } else { theirs };
        let mut rect = Rectangle::new(
            [
                (SegmentValue::Exact(i), bottom),
                (SegmentValue::Exact(i + 1), bar.value.max(bottom)),
            ],
            colour.filled(),
        );
        rect.set_margin(0, 0, 8, 8);
        rect
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        Text::new(
            crate::report::thousands(bar.value.round() as u64),
            (SegmentValue::CenterOf(i), bar.value.max(bottom) * 1.15),
            TextStyle::from(("sans-serif", 11).into_font())
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    }))?;
    root.present()?;
    Ok(())
}
