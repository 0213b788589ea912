//! `report.html`: one self-contained page (inline CSS and SVG, nothing fetched) that says where
//! a profiled run's frame time went.

use std::fmt::Write;

use splat4d::profile::{Capture, FrameStats, Percentiles, StageTimes};

pub struct Report<'a> {
    pub asset: &'a str,
    pub capture: &'a Capture,
    pub budget_ms: f64,
    pub command: &'a str,
}

const WIDTH: f64 = 920.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

struct Series<'a> {
    name: &'a str,
    colour: &'a str,
    points: Vec<(f64, f64)>,
}

/// A row of the percentile table: its name and its value of a frame (NaN where absent).
pub type Row = (&'static str, fn(&FrameStats) -> f64);

pub fn rows() -> Vec<Row> {
    vec![
        ("GPU frame ms", |f| gpu(f, |g| g.total())),
        ("  slice+cull", |f| gpu(f, |g| g.slice)),
        ("  sort", |f| gpu(f, |g| g.sort)),
        ("  raster", |f| gpu(f, |g| g.raster)),
        ("  resolve", |f| gpu(f, |g| g.resolve)),
        ("CPU frame ms", |f| f.cpu.total()),
        ("  wait", |f| f.cpu.wait),
        ("  prepare", |f| f.cpu.prepare),
        ("  record", |f| f.cpu.record),
        ("  submit", |f| f.cpu.submit),
        ("splats visible", |f| if f.gpu.is_some() { f.counters.visible as f64 } else { f64::NAN }),
    ]
}

/// A GPU stage's time, NaN for a frame without GPU times.
fn gpu(f: &FrameStats, stage: fn(&StageTimes) -> f64) -> f64 {
    f.gpu.as_ref().map_or(f64::NAN, stage)
}

/// A round step for about five ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(f64::MIN_POSITIVE);
    let base = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * base).find(|&s| s >= raw).unwrap_or(10.0 * base)
}

fn fmt_tick(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A line chart (or, `stacked`, areas stacked in series order) with an optional dashed line.
fn chart(x_label: &str, y_label: &str, series: &[Series], line: Option<(f64, &str)>, stacked: bool) -> String {
    let mut series: Vec<Series> = series.iter().map(|s| Series { points: s.points.clone(), ..*s }).collect();
    if stacked {
        for i in 1..series.len() {
            let below = series[i - 1].points.clone();
            for (p, b) in series[i].points.iter_mut().zip(&below) {
                p.1 += b.1;
            }
        }
    }
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (x0, x1) = if x0.is_finite() && x1 > x0 { (x0, x1) } else { (0.0, 1.0) };
    let y_max = all().map(|p| p.1).chain(line.map(|l| l.0)).fold(0.0, f64::max);
    let step = tick_step(if y_max > 0.0 { y_max * 1.05 } else { 1.0 });
    let y1 = (y_max * 1.05 / step).ceil().max(1.0) * step;
    let (pw, ph) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| TOP + ph - y / y1 * ph;
    let mut svg = format!(r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">"#);
    let mut y = 0.0;
    while y <= y1 + step * 0.01 {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            sy(y) + 4.0,
            fmt_tick(y),
            py = sy(y),
        );
        y += step;
    }
    let xstep = tick_step(x1 - x0);
    let mut x = (x0 / xstep).ceil() * xstep;
    while x <= x1 {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="tick">{}</text>"#,
            sx(x),
            HEIGHT - BOTTOM + 16.0,
            fmt_tick(x)
        );
        x += xstep;
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle" class="axis">{x_label}</text><text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle" class="axis">{y_label}</text>"#,
        LEFT + pw / 2.0,
        HEIGHT - 6.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    // Stacked areas are drawn top series first so each lower one paints over the rest.
    let order: Vec<usize> = if stacked { (0..series.len()).rev().collect() } else { (0..series.len()).collect() };
    for &i in &order {
        let s = &series[i];
        let path: String = s.points.iter().map(|p| format!("{:.1},{:.1} ", sx(p.0), sy(p.1))).collect();
        if stacked && !s.points.is_empty() {
            let (first, last) = (s.points[0].0, s.points[s.points.len() - 1].0);
            let _ = write!(
                svg,
                r#"<polygon points="{:.1},{:.1} {path}{:.1},{:.1}" fill="{}" stroke="none"><title>{}</title></polygon>"#,
                sx(first),
                sy(0.0),
                sx(last),
                sy(0.0),
                s.colour,
                s.name
            );
        } else {
            let _ = write!(
                svg,
                r#"<polyline points="{path}" fill="none" stroke="{}" stroke-width="1.5"><title>{}</title></polyline>"#,
                s.colour, s.name
            );
        }
    }
    if let Some((value, label)) = line {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#c00" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" text-anchor="end" class="budget">{label}</text>"##,
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            sy(value) - 4.0,
            py = sy(value)
        );
    }
    let mut lx = LEFT;
    for s in &series {
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="8" width="12" height="12" fill="{}"/><text x="{}" y="18" class="legend">{}</text>"#,
            s.colour,
            lx + 16.0,
            s.name
        );
        lx += 24.0 + 7.5 * s.name.len() as f64;
    }
    svg.push_str("</svg>");
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn html(r: &Report) -> String {
    let c = r.capture;
    let frames: Vec<&FrameStats> = c.frames().collect();
    let series = |name, colour, value: fn(&FrameStats) -> Option<f64>| Series {
        name,
        colour,
        points: frames.iter().filter_map(|f| value(f).map(|v| (f.frame as f64, v))).collect(),
    };
    let budget = (r.budget_ms, "budget");
    let frame_time = chart(
        "frame",
        "milliseconds",
        &[series("GPU", "#1f77b4", |f| f.gpu.map(|g| g.total())), series("CPU", "#ff7f0e", |f| Some(f.cpu.total()))],
        Some((budget.0, &format!("budget {:.2} ms", budget.0))),
        false,
    );
    let stages = chart(
        "frame",
        "GPU milliseconds",
        &[
            series("slice+cull", "#2ca02c", |f| f.gpu.map(|g| g.slice)),
            series("sort", "#9467bd", |f| f.gpu.map(|g| g.sort)),
            series("raster", "#1f77b4", |f| f.gpu.map(|g| g.raster)),
            series("resolve", "#8c564b", |f| f.gpu.map(|g| g.resolve)),
        ],
        None,
        true,
    );
    let by_time = |name, colour, value: fn(&FrameStats) -> f64| {
        let mut points: Vec<(f64, f64)> =
            frames.iter().filter(|f| f.gpu.is_some()).map(|f| (f.time as f64, value(f))).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Series { name, colour, points }
    };
    let mut splat_series = vec![
        by_time("active", "#7f7f7f", |f| f.counters.active as f64),
        by_time("visible", "#1f77b4", |f| f.counters.visible as f64),
        by_time("drawn, left eye", "#2ca02c", |f| f.counters.drawn[0] as f64),
    ];
    if c.views > 1 {
        splat_series.push(by_time("drawn, right eye", "#d62728", |f| f.counters.drawn[1] as f64));
    }
    let splats = chart("playback time (s)", "splats", &splat_series, None, false);

    let mut table =
        String::from("<table><tr><th></th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>mean</th></tr>");
    for (name, value) in rows() {
        let cells = match Percentiles::of(frames.iter().map(|f| value(f))) {
            Some(p) => [p.p50, p.p95, p.p99, p.max, p.mean].map(|v| {
                if name.starts_with("splats") {
                    format!("<td>{v:.0}</td>")
                } else {
                    format!("<td>{v:.3}</td>")
                }
            }),
            None => std::array::from_fn(|_| "<td>n/a</td>".to_string()),
        };
        let _ = write!(table, "<tr><th>{}</th>{}</tr>", escape(name.trim()), cells.concat());
    }
    table.push_str("</table>");
    let over = frames.iter().filter(|f| f.gpu.is_some_and(|g| g.total() > r.budget_ms)).count();
    let timed = frames.iter().filter(|f| f.gpu.is_some()).count();
    let last = frames.last().map(|f| f.counters).unwrap_or_default();
    let d = &c.device;
    let rows_of = |pairs: &[(&str, String)]| -> String {
        pairs.iter().map(|(k, v)| format!("<tr><th>{k}</th><td>{}</td></tr>", escape(v))).collect()
    };
    let summary = rows_of(&[
        ("asset", r.asset.to_string()),
        ("views", format!("{} × {}×{}", c.views, c.size[0], c.size[1])),
        ("frames", format!("{} ({} with GPU times, {} dropped from the ring)", frames.len(), timed, c.dropped())),
        ("over budget", format!("{over} of {timed} frames above {:.2} GPU ms", r.budget_ms)),
        (
            "resident",
            format!(
                "{:.1} MiB of primitives, {:.1} MiB of GPU allocations",
                mib(last.resident_bytes),
                mib(last.gpu_memory_bytes)
            ),
        ),
        ("command", r.command.to_string()),
    ]);
    let device = rows_of(&[
        ("device", d.name.clone()),
        ("driver", d.driver.clone()),
        ("Vulkan", d.api.clone()),
        ("vendor / device id", format!("{:#06x} / {:#06x}", d.vendor_id, d.device_id)),
    ]);
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>splat4d profile: {title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 960px; color: #222; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; }} th, td {{ padding: 3px 12px; text-align: right; }}
th:first-child {{ text-align: left; }} tr:nth-child(even) {{ background: #f6f6f6; }}
.kv th {{ text-align: left; }} .kv td {{ text-align: left; }}
svg {{ background: #fff; border: 1px solid #eee; }} .tick {{ font-size: 11px; fill: #555; }}
.axis {{ font-size: 12px; fill: #333; }} .legend {{ font-size: 12px; }} .budget {{ font-size: 12px; fill: #c00; }}
</style></head><body>
<h1>splat4d profile: {title}</h1>
<section id="summary"><h2>Summary</h2><table class="kv">{summary}</table></section>
<section id="frame-time"><h2>Frame time</h2><p>GPU time (timestamps) and CPU time (wait, prepare, record, submit) of each frame; the dashed line is the budget.</p>{frame_time}</section>
<section id="stages"><h2>GPU stages</h2><p>Each frame's GPU time, stacked by stage.</p>{stages}</section>
<section id="splats"><h2>Splats over playback time</h2><p>Primitives of the active segment, those that survive the temporal and frustum culls, and those drawn into each eye.</p>{splats}</section>
<section id="percentiles"><h2>Percentiles</h2>{table}</section>
<section id="device"><h2>Device and driver</h2><table class="kv">{device}</table></section>
</body></html>
"#,
        title = escape(r.asset),
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
