//! The `/stats` picture: the last 30 days as a PNG, drawn in-process with plotters — turns per
//! day as bars, the day's average score as a line.
//!
//! Text is drawn with a font shipped in the binary (DejaVu Sans, `assets/fonts`, which covers
//! Cyrillic and Czech diacritics), so the chart looks the same on any machine and needs no
//! system fonts.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::progress::history::Day;

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 400;

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
const BAR: RGBColor = RGBColor(0x3b, 0x82, 0xc4);
const LINE: RGBColor = RGBColor(0xd9, 0x48, 0x2b);
const SHADOW: RGBColor = RGBColor(0x2e, 0x9e, 0x5b);

/// The chart's words, in the learner's language (plain text).
pub struct Labels<'a> {
    pub title: &'a str,
    pub turns: &'a str,
    pub score: &'a str,
    /// The shadowing series (`/shadow`): the day's mean share of the phrases' words said.
    pub shadowing: &'a str,
}

#[derive(Debug, thiserror::Error)]
#[error("chart rendering failed: {0}")]
pub struct ChartError(String);

impl ChartError {
    /// The drawing task died (a panic inside plotters): no chart, but no lost reply either.
    pub fn from_panic(e: impl std::fmt::Display) -> ChartError {
        ChartError(format!("drawing panicked: {e}"))
    }
}

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// Registers the bundled font once; every chart after a failure fails the same way.
fn font_ready() -> Result<(), ChartError> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError("the bundled font does not load".into())) }
}

/// Draws `days` (oldest first) as a [`WIDTH`]×[`HEIGHT`] PNG, with `shadowing` (one entry per
/// day, 0–100, `None` on days without an attempt) as a second line on the score's axis when any
/// day has one.
pub fn progress_png(
    days: &[Day],
    shadowing: &[Option<f64>],
    labels: &Labels,
) -> Result<Vec<u8>, ChartError> {
    font_ready()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    draw(&mut rgb, days, shadowing, labels)?;
    encode_png(&rgb)
}

fn draw(
    rgb: &mut [u8],
    days: &[Day],
    shadowing: &[Option<f64>],
    labels: &Labels,
) -> Result<(), ChartError> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let n = days.len().max(1) as f64;
    let most = days.iter().map(|d| d.turns).max().unwrap_or(0);
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.title, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(44)
        .right_y_label_area_size(52)
        .build_cartesian_2d(-0.5..n - 0.5, 0u32..most + 1)
        .map_err(err)?
        .set_secondary_coord(-0.5..n - 0.5, 0f64..100f64);
    let date_of = |x: &f64| {
        days.get(x.round().max(0.0) as usize)
            .map(|d| d.day.format("%d.%m").to_string())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(7)
        .x_label_formatter(&date_of)
        .y_desc(labels.turns)
        .label_style((FAMILY, 13))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc(labels.score)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .draw()
        .map_err(err)?;
    let bars = days.iter().enumerate().map(|(i, d)| {
        Rectangle::new([(i as f64 - 0.35, 0), (i as f64 + 0.35, d.turns)], BAR.filled())
    });
    chart
        .draw_series(bars)
        .map_err(err)?
        .label(labels.turns)
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], BAR.filled()));
    let scores: Vec<(f64, f64)> =
        days.iter().enumerate().filter_map(|(i, d)| Some((i as f64, d.average_score()?))).collect();
    chart
        .draw_secondary_series(LineSeries::new(scores.iter().copied(), LINE.stroke_width(3)))
        .map_err(err)?
        .label(labels.score)
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], LINE.stroke_width(3)));
    chart
        .draw_secondary_series(scores.iter().map(|p| Circle::new(*p, 4, LINE.filled())))
        .map_err(err)?;
    let shadowed: Vec<(f64, f64)> =
        shadowing.iter().enumerate().filter_map(|(i, s)| Some((i as f64, (*s)?))).collect();
    if !shadowed.is_empty() {
        chart
            .draw_secondary_series(LineSeries::new(
                shadowed.iter().copied(),
                SHADOW.stroke_width(2),
            ))
            .map_err(err)?
            .label(labels.shadowing)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], SHADOW.stroke_width(2)));
        chart
            .draw_secondary_series(shadowed.iter().map(|p| Circle::new(*p, 3, SHADOW.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FAMILY, 13))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(err)?;
    writer.write_image_data(rgb).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Days, NaiveDate};

    fn month() -> Vec<Day> {
        let start = NaiveDate::from_ymd_opt(2026, 10, 30).unwrap();
        (0..30u32)
            .map(|i| Day {
                day: start + Days::new(i.into()),
                turns: i % 7,
                words: i * 3,
                score_sum: u64::from(i % 7) * 80,
                scored_turns: i % 7,
                challenge_done: i % 7 >= 5,
            })
            .collect()
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(png_bytes).read_info().expect("a valid PNG");
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).expect("one frame");
        (info.width, info.height, pixels)
    }

    #[test]
    fn the_chart_is_a_valid_png_of_the_expected_size() {
        let labels = Labels {
            title: "Последние 30 дней — poslední dny",
            turns: "ходы",
            score: "средний балл",
            shadowing: "шэдоуинг, % слов",
        };
        let shadowing: Vec<Option<f64>> =
            (0..30).map(|i| (i % 3 == 0).then_some(60.0 + i as f64)).collect();
        let bytes = progress_png(&month(), &shadowing, &labels).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
        let (w, h, pixels) = decode(&bytes);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        assert!(pixels.chunks(3).any(|p| p == [BAR.0, BAR.1, BAR.2]), "the bars are drawn");
        assert!(pixels.chunks(3).any(|p| p == [LINE.0, LINE.1, LINE.2]), "the score line is drawn");
        assert!(pixels.chunks(3).any(|p| p == [SHADOW.0, SHADOW.1, SHADOW.2]), "and shadowing");
        let without = decode(&progress_png(&month(), &[], &labels).unwrap()).2;
        assert!(!without.chunks(3).any(|p| p == [SHADOW.0, SHADOW.1, SHADOW.2]), "none: no line");
    }

    #[test]
    fn a_learner_without_turns_still_gets_a_chart() {
        let empty: Vec<Day> =
            month().into_iter().map(|d| Day { day: d.day, ..Day::default() }).collect();
        let labels = Labels {
            title: "Last 30 days",
            turns: "turns",
            score: "average score",
            shadowing: "shadowing",
        };
        let (w, h, _) = decode(&progress_png(&empty, &[], &labels).unwrap());
        assert_eq!((w, h), (WIDTH, HEIGHT));
        assert!(progress_png(&[], &[], &labels).is_ok(), "no days at all is no reason to fail");
    }
}
