//! `--png`: the latency distributions as percentile curves (the HDR histogram's usual picture):
//! end-to-end latency per scenario above, the bot's overhead per turn kind below. The x axis is
//! in "nines" (0, 90, 99, 99.9 %), the y axis in milliseconds (logarithmic when the curves span
//! more than a factor of 20).
//!
//! Drawn like the bot's /stats chart: plotters' bitmap backend, the bundled DejaVu Sans (no
//! system fonts), PNG encoding with the `png` crate.

use std::sync::OnceLock;

use hdrhistogram::Histogram;
use plotters::prelude::*;
use plotters::style::FontStyle;

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 800;

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
const COLORS: [RGBColor; 6] = [
    RGBColor(0x3b, 0x82, 0xc4),
    RGBColor(0xd9, 0x48, 0x2b),
    RGBColor(0x2e, 0x9e, 0x5b),
    RGBColor(0x8e, 0x5c, 0xc2),
    RGBColor(0xe0, 0x9b, 0x1a),
    RGBColor(0x55, 0x55, 0x55),
];

/// A scenario keeps its colour in both panels.
fn color_of(name: &str, i: usize) -> RGBColor {
    match name {
        "voice" => COLORS[0],
        "text" => COLORS[1],
        "settings" => COLORS[2],
        "stats" => COLORS[3],
        "onboarding" => COLORS[4],
        _ => COLORS[(5 + i) % COLORS.len()],
    }
}

/// One named percentile curve: (nines, milliseconds).
pub type Curve = (String, Vec<(f64, f64)>);

/// The curve of a histogram: x = −log10(1 − q) from 0 up to the last quantile its samples
/// resolve (at most 99.999 %), then its maximum.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let top = (h.len() as f64).log10().clamp(0.0, 5.0);
    let steps = (top / 0.02).ceil() as usize;
    let mut points: Vec<(f64, f64)> = (0..=steps)
        .map(|i| {
            let x = (i as f64 * 0.02).min(top);
            (x, h.value_at_quantile(1.0 - 10f64.powf(-x)).max(1) as f64)
        })
        .collect();
    points.push((top, h.max().max(1) as f64));
    points
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("chart: {e}")
}

fn font_ready() -> anyhow::Result<()> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    anyhow::ensure!(ok, "the bundled font does not load");
    Ok(())
}

fn nines(x: &f64) -> String {
    if (x - x.round()).abs() > 1e-6 {
        return String::new();
    }
    match x.round() as i32 {
        0 => "0%".into(),
        1 => "90%".into(),
        n => format!("99.{}%", "9".repeat((n - 2).max(0) as usize)).replace("99.%", "99%"),
    }
}

/// Both panels as a [`WIDTH`]×[`HEIGHT`] PNG.
pub fn png(end_to_end: &[Curve], overhead: &[Curve], title: &str) -> anyhow::Result<Vec<u8>> {
    font_ready()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(title, (FAMILY, 20)).map_err(err)?;
        let (top, bottom) = root.split_vertically((HEIGHT - 30) / 2);
        panel(&top, end_to_end, "End-to-end latency by scenario (update offered → last reply)")?;
        panel(
            &bottom,
            overhead,
            "Bot overhead per turn (end-to-end − STT − LLM − TTS as the bot timed them)",
        )?;
        root.present().map_err(err)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(err)?;
    writer.write_image_data(&rgb).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// One panel: a logarithmic y axis when the curves span more than a factor of 20, else linear
/// (plotters labels only the powers of ten of a narrow logarithmic axis).
fn panel(area: &Area<'_>, curves: &[Curve], caption: &str) -> anyhow::Result<()> {
    let ys = || curves.iter().flat_map(|(_, p)| p.iter().map(|(_, y)| *y));
    let x_max =
        curves.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x)).fold(1.0f64, f64::max).ceil();
    let (lo, hi) = (ys().fold(f64::INFINITY, f64::min), ys().fold(1.0f64, f64::max));
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, (FAMILY, 16))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(32)
        .y_label_area_size(64);
    if lo.is_finite() && hi / lo > 20.0 {
        let y_min = (lo / 1.5).max(1.0);
        let chart =
            builder.build_cartesian_2d(0f64..x_max, (y_min..hi * 1.5).log_scale()).map_err(err)?;
        fill(chart, curves, x_max)
    } else {
        let chart =
            builder.build_cartesian_2d(0f64..x_max, 0f64..(hi * 1.1).max(10.0)).map_err(err)?;
        fill(chart, curves, x_max)
    }
}

fn fill<'a, Y>(
    mut chart: ChartContext<
        'a,
        BitMapBackend<'a>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, Y>,
    >,
    curves: &[Curve],
    x_max: f64,
) -> anyhow::Result<()>
where
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_labels(x_max as usize + 1)
        .x_label_formatter(&nines)
        .x_desc("percentile")
        .y_desc("ms")
        .y_labels(12)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .draw()
        .map_err(err)?;
    if curves.iter().all(|(_, p)| p.is_empty()) {
        return Ok(());
    }
    for (i, (name, points)) in curves.iter().enumerate().filter(|(_, (_, p))| !p.is_empty()) {
        let color = color_of(name, i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(3)));
        // The maximum, marked: a scenario with one sample is a single point.
        let last = points.last().copied().into_iter();
        chart.draw_series(last.map(|p| Circle::new(p, 4, color.filled()))).map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FAMILY, 13))
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: impl IntoIterator<Item = u64>) -> Histogram<u64> {
        let mut h = Histogram::new_with_bounds(1, 3_600_000, 3).unwrap();
        for v in values {
            h.record(v).unwrap();
        }
        h
    }

    #[test]
    fn the_curve_rises_to_the_maximum() {
        let c = curve(&hist(1..=1000));
        assert_eq!(c.first().unwrap().0, 0.0);
        assert!((c.last().unwrap().0 - 3.0).abs() < 1e-9, "1,000 samples resolve 99.9 %");
        assert_eq!(c.last().unwrap().1, 1000.0);
        assert!(c.windows(2).all(|w| w[0].1 <= w[1].1), "percentiles never decrease");
        assert!(curve(&hist([])).is_empty());
    }

    #[test]
    fn axis_labels_count_nines() {
        assert_eq!(
            [0.0, 1.0, 2.0, 3.0, 4.0].iter().map(nines).collect::<Vec<_>>(),
            ["0%", "90%", "99%", "99.9%", "99.99%"]
        );
    }

    #[test]
    fn the_chart_is_a_png_with_the_curves_drawn() {
        let e2e = vec![
            ("voice".to_owned(), curve(&hist(100..2000))),
            ("stats".to_owned(), curve(&hist(1..50))),
        ];
        let overhead =
            vec![("voice".to_owned(), curve(&hist(5..80))), ("text".to_owned(), Vec::new())];
        let bytes = png(&e2e, &overhead, "mluvme-load: 10 learners").unwrap();
        let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        let c = COLORS[0];
        assert!(pixels.chunks(3).any(|p| p == [c.0, c.1, c.2]), "the first curve is drawn");
        assert!(png(&[], &[], "empty run").is_ok(), "a run without samples still draws its axes");
    }
}
