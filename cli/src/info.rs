//! `info`: what an asset holds, as text or JSON.

use serde::Serialize;
use splat4d::asset::format::kind;
use splat4d::Asset;

use crate::load::{self, CliResult};
use crate::InfoArgs;

#[derive(Serialize)]
struct Info {
    path: String,
    file_bytes: u64,
    source: &'static str,
    primitives: usize,
    source_records: u32,
    dropped_records: u32,
    time_range: [f32; 2],
    frame_rate: f32,
    segment_duration: f32,
    antialiased: bool,
    sh_degree: u8,
    sh_degree_t: u8,
    motion_degree: u8,
    bounds: [[f32; 3]; 2],
    focus: [f32; 4],
    segments: Vec<Segment>,
    levels: Vec<Level>,
    sections: Vec<Section>,
    bandwidth: Bandwidth,
    cameras: Vec<Camera>,
    provenance: String,
}

/// What playing the asset at 1× streams, in whole pages of its primitives (as the streaming
/// renderer reads them): the header, tables and first segment's pages to start, then each
/// segment's pages that the one before did not have.
#[derive(Serialize)]
struct Bandwidth {
    startup_bytes: u64,
    /// Over the segments after the first (0 for one segment).
    mean_bytes_per_second: f64,
    /// The most any one segment needs over its duration.
    peak_bytes_per_second: f64,
    /// The whole file over the asset's duration (what a download ahead of playing needs).
    file_bytes_per_second: f64,
}

#[derive(Serialize)]
struct Segment {
    time: [f32; 2],
    active: u32,
    runs: u32,
}

#[derive(Serialize)]
struct Level {
    scale_floor: f32,
    primitives: u32,
    bytes: u64,
}

#[derive(Serialize)]
struct Section {
    chunk: String,
    encoding: &'static str,
    bytes: u64,
}

#[derive(Serialize)]
struct Camera {
    width: u32,
    height: u32,
    fx: f32,
    fy: f32,
    cx: f32,
    cy: f32,
    position: [f32; 3],
}

const PER_PRIMITIVE: [[u8; 4]; 7] =
    [kind::POSITION, kind::TEMPORAL, kind::ROTATION, kind::SCALE_OPACITY, kind::MOTION, kind::OMEGA, kind::SH];

fn bandwidth(asset: &Asset, per_primitive: u64) -> Bandwidth {
    let page = splat4d::renderer::PAGE as u64;
    let pages = |segment: usize| -> std::collections::BTreeSet<u64> {
        let runs = asset.segment_runs(segment).iter().filter(|r| r.count > 0);
        runs.flat_map(|r| r.first as u64 / page..=(r.first as u64 + r.count as u64 - 1) / page).collect()
    };
    let page_bytes = |p: u64| (page.min(asset.len() as u64 - p * page)) * per_primitive;
    let tables: u64 = asset.chunks().iter().filter(|c| !PER_PRIMITIVE.contains(&c.kind)).map(|c| c.size).sum();
    let segments = asset.segments();
    let mut held = if segments.is_empty() { Default::default() } else { pages(0) };
    let startup = tables + held.iter().map(|&p| page_bytes(p)).sum::<u64>();
    let (mut later, mut later_time, mut peak) = (0u64, 0f64, 0f64);
    for (n, s) in segments.iter().enumerate().skip(1) {
        let now = pages(n);
        let new: u64 = now.difference(&held).map(|&p| page_bytes(p)).sum();
        let duration = (s.time[1] - s.time[0]).max(1e-6) as f64;
        later += new;
        later_time += duration;
        peak = peak.max(new as f64 / duration);
        held = now;
    }
    let [t0, t1] = asset.info().time_range;
    let whole = (t1 - t0) as f64;
    Bandwidth {
        startup_bytes: startup,
        mean_bytes_per_second: if later_time > 0.0 { later as f64 / later_time } else { 0.0 },
        peak_bytes_per_second: peak,
        file_bytes_per_second: if whole > 0.0 { asset.file_size() as f64 / whole } else { 0.0 },
    }
}

fn describe(path: String, asset: &Asset) -> Info {
    let i = asset.info();
    let per_primitive: u64 = asset
        .chunks()
        .iter()
        .filter(|c| PER_PRIMITIVE.contains(&c.kind))
        .map(|c| c.size / asset.len().max(1) as u64)
        .sum();
    Info {
        path,
        file_bytes: asset.file_size(),
        source: asset.source_kind().name(),
        primitives: asset.len(),
        source_records: i.source_records,
        dropped_records: i.dropped_records,
        time_range: i.time_range,
        frame_rate: i.frame_rate,
        segment_duration: i.segment_duration,
        antialiased: asset.antialiased(),
        sh_degree: i.sh_degree,
        sh_degree_t: i.sh_degree_t,
        motion_degree: i.motion_degree,
        bounds: [i.bounds_min, i.bounds_max],
        focus: i.focus,
        segments: asset
            .segments()
            .iter()
            .map(|s| Segment { time: s.time, active: s.active_count, runs: s.run_count })
            .collect(),
        levels: asset
            .levels()
            .iter()
            .map(|l| Level { scale_floor: l.scale_floor, primitives: l.count, bytes: l.count as u64 * per_primitive })
            .collect(),
        sections: asset
            .chunks()
            .iter()
            .map(|c| Section {
                chunk: c.name(),
                encoding: if !PER_PRIMITIVE.contains(&c.kind) {
                    "struct"
                } else if c.encoding == 1 {
                    "f16"
                } else {
                    "f32"
                },
                bytes: c.size,
            })
            .collect(),
        bandwidth: bandwidth(asset, per_primitive),
        cameras: asset
            .cameras()
            .iter()
            .map(|c| Camera {
                width: c.width,
                height: c.height,
                fx: c.fx,
                fy: c.fy,
                cx: c.cx,
                cy: c.cy,
                position: c.position.to_array(),
            })
            .collect(),
        provenance: asset.provenance().trim_end().to_string(),
    }
}

pub fn run(args: &InfoArgs) -> CliResult {
    let asset = load::open(&args.asset, &args.source)?;
    let info = describe(args.asset.display().to_string(), &asset);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("{}: {} bytes, source {}", info.path, info.file_bytes, info.source);
    println!(
        "primitives   {} (of {} source records; {} dropped)",
        info.primitives, info.source_records, info.dropped_records
    );
    println!(
        "time         {} .. {} s at {} fps, segments of {:.3} s",
        info.time_range[0], info.time_range[1], info.frame_rate, info.segment_duration
    );
    println!("colour       SH degree {}, time harmonics {}", info.sh_degree, info.sh_degree_t);
    if info.antialiased {
        println!("opacity      anti-aliased (compensated for the 2D filter, as trained)");
    }
    println!("motion       degree {}", info.motion_degree);
    println!("bounds       {:?} .. {:?}", info.bounds[0], info.bounds[1]);
    println!("segments     {}", info.segments.len());
    for (n, s) in info.segments.iter().enumerate() {
        println!("  {n:4}  {:9.4} .. {:9.4}  {:9} active in {} runs", s.time[0], s.time[1], s.active, s.runs);
    }
    println!("levels       {}", info.levels.len());
    for (n, l) in info.levels.iter().enumerate() {
        println!("  {n:4}  floor {:<10.4e} {:9} primitives  {:10} bytes", l.scale_floor, l.primitives, l.bytes);
    }
    println!("sections");
    for s in &info.sections {
        println!("  {}  {:6} {:10} bytes", s.chunk, s.encoding, s.bytes);
    }
    let b = &info.bandwidth;
    let mb = |v: f64| v / 1e6;
    println!(
        "streaming    {:.2} MB to start, then {:.2} MB/s at 1x (peak {:.2} MB/s in a segment; the whole file over its \
         duration {:.2} MB/s)",
        mb(b.startup_bytes as f64),
        mb(b.mean_bytes_per_second),
        mb(b.peak_bytes_per_second),
        mb(b.file_bytes_per_second)
    );
    println!("cameras      {}", info.cameras.len());
    for (n, c) in info.cameras.iter().enumerate().take(8) {
        println!("  {n:4}  {}x{}  f {:.1},{:.1}  at {:?}", c.width, c.height, c.fx, c.fy, c.position);
    }
    if info.cameras.len() > 8 {
        println!("  … {} more", info.cameras.len() - 8);
    }
    // The asset's own text, which a file can fill with anything: shown, never obeyed.
    let lines: Vec<_> = info.provenance.lines().map(splat4d::error::printable).collect();
    println!("provenance   {}", lines.join("\n             "));
    Ok(())
}
