//! Exports of a capture: Chrome trace-event JSON (Perfetto UI, chrome://tracing) and CSV.
//!
//! The trace has one process with two tracks: "CPU" (each frame's phases, nested in a
//! "frame" slice) and "GPU" (each frame's stages, nested likewise), and counter tracks. GPU
//! timestamps are on the GPU's clock; they are moved onto the CPU's by the one offset that puts
//! every frame's GPU start at or after the CPU finished submitting it, so the tracks line up
//! to within a frame's submission latency (clock drift over a capture is far below that).

use serde_json::{json, Value};

use super::{Capture, FrameStats, MAX_LEVELS};

const PID: u32 = 1;
const CPU_TRACK: u32 = 1;
const GPU_TRACK: u32 = 2;

/// Every event name the trace uses: slices on the CPU track, slices on the GPU track, and
/// counters.
pub const TRACE_NAMES: [&[&str]; 3] = [
    &["frame", "wait", "prepare", "record", "submit"],
    &["frame", "slice+cull", "sort", "raster", "resolve"],
    &["splats", "gpu ms", "cpu ms", "memory bytes", "upload", "playback time", "level of detail", "splats per level"],
];

fn ms_to_ns(ms: f64) -> i128 {
    (ms * 1e6).round() as i128
}

/// Microseconds, as trace events count time.
fn us(ns: i128) -> f64 {
    ns as f64 / 1000.0
}

struct Slice<'a> {
    name: &'a str,
    start: i128,
    end: i128,
}

fn slice(events: &mut Vec<Value>, track: u32, s: &Slice, origin: i128, args: Value) {
    events.push(json!({
        "name": s.name, "cat": "splat4d", "ph": "X", "pid": PID, "tid": track,
        "ts": us(s.start - origin), "dur": us(s.end - s.start), "args": args,
    }));
}

fn counter(events: &mut Vec<Value>, name: &str, ts: i128, origin: i128, args: Value) {
    events.push(json!({ "name": name, "ph": "C", "pid": PID, "tid": 0, "ts": us(ts - origin), "args": args }));
}

/// A frame's phases (or stages) laid end to end from `start`, in nanoseconds.
fn phases<'a>(start: i128, parts: &[(&'a str, f64)]) -> Vec<Slice<'a>> {
    let mut at = start;
    parts
        .iter()
        .map(|&(name, ms)| {
            let s = Slice { name, start: at, end: at + ms_to_ns(ms) };
            at = s.end;
            s
        })
        .collect()
}

fn cpu_phases(f: &FrameStats) -> Vec<Slice<'static>> {
    let c = &f.cpu;
    let parts = [("wait", c.wait), ("prepare", c.prepare), ("record", c.record), ("submit", c.submit)];
    phases(c.start_ns as i128, &parts)
}

pub fn chrome_trace(capture: &Capture) -> String {
    let frames: Vec<&FrameStats> = capture.frames().collect();
    // GPU clock to CPU clock: no frame starts on the GPU before it was submitted.
    let offset = frames
        .iter()
        .filter_map(|f| f.gpu.map(|g| f.cpu.start_ns as i128 + ms_to_ns(f.cpu.total()) - g.start_ns as i128))
        .max()
        .unwrap_or(0);
    let origin = frames
        .iter()
        .flat_map(|f| [Some(f.cpu.start_ns as i128), f.gpu.map(|g| g.start_ns as i128 + offset)])
        .flatten()
        .min()
        .unwrap_or(0);

    let d = &capture.device;
    let mut events = vec![
        json!({ "name": "process_name", "ph": "M", "pid": PID, "tid": 0,
                "args": { "name": format!("splat4d on {}", d.name) } }),
        json!({ "name": "thread_name", "ph": "M", "pid": PID, "tid": CPU_TRACK, "args": { "name": "CPU" } }),
        json!({ "name": "thread_name", "ph": "M", "pid": PID, "tid": GPU_TRACK, "args": { "name": "GPU" } }),
        json!({ "name": "thread_sort_index", "ph": "M", "pid": PID, "tid": CPU_TRACK, "args": { "sort_index": 0 } }),
        json!({ "name": "thread_sort_index", "ph": "M", "pid": PID, "tid": GPU_TRACK, "args": { "sort_index": 1 } }),
    ];
    // Per track in time order: the CPU track first, then the GPU track, then the counters.
    for f in &frames {
        let parts = cpu_phases(f);
        let whole = Slice { name: "frame", start: parts[0].start, end: parts[parts.len() - 1].end };
        let args = json!({ "frame": f.frame, "time": f.time, "segment": f.counters.segment });
        slice(&mut events, CPU_TRACK, &whole, origin, args);
        for p in &parts {
            slice(&mut events, CPU_TRACK, p, origin, json!({}));
        }
    }
    for f in &frames {
        let Some(g) = f.gpu else { continue };
        let parts = [("slice+cull", g.slice), ("sort", g.sort), ("raster", g.raster), ("resolve", g.resolve)];
        let parts = phases(g.start_ns as i128 + offset, &parts);
        let whole = Slice { name: "frame", start: parts[0].start, end: parts[parts.len() - 1].end };
        slice(&mut events, GPU_TRACK, &whole, origin, json!({ "frame": f.frame, "time": f.time }));
        for p in &parts {
            slice(&mut events, GPU_TRACK, p, origin, json!({}));
        }
    }
    for f in &frames {
        let at = f.cpu.start_ns as i128;
        let c = &f.counters;
        counter(&mut events, "cpu ms", at, origin, json!({ "cpu": f.cpu.total() }));
        counter(&mut events, "playback time", at, origin, json!({ "seconds": f.time }));
        counter(
            &mut events,
            "upload",
            at,
            origin,
            json!({
                "bytes": c.upload_bytes,
                "pages": c.page_uploads,
                "missed pages": c.page_misses,
                "pages apart": c.pages_apart
            }),
        );
        let lod = json!({ "gamma": f.lod.gamma, "finest": f.lod.finest, "coarsest": f.lod.coarsest });
        counter(&mut events, "level of detail", at, origin, lod);
        let Some(g) = f.gpu else { continue };
        let gpu_at = g.start_ns as i128 + offset;
        counter(&mut events, "gpu ms", gpu_at, origin, json!({ "gpu": g.total() }));
        let splats = json!({ "active": c.active, "visible": c.visible, "drawn left": c.drawn[0],
                             "drawn right": c.drawn[1] });
        counter(&mut events, "splats", gpu_at, origin, splats);
        let memory = json!({ "resident": c.resident_bytes, "gpu allocations": c.gpu_memory_bytes });
        counter(&mut events, "memory bytes", gpu_at, origin, memory);
        let levels: serde_json::Map<String, Value> =
            c.levels.iter().enumerate().map(|(l, n)| (format!("level {l}"), json!(n))).collect();
        counter(&mut events, "splats per level", gpu_at, origin, Value::Object(levels));
    }
    let metadata = json!({
        "device": d.name, "driver": d.driver, "vulkan": d.api,
        "vendor_id": format!("{:#06x}", d.vendor_id), "device_id": format!("{:#06x}", d.device_id),
        "views": capture.views, "size": capture.size, "frames": frames.len(), "dropped_frames": capture.dropped(),
    });
    json!({ "traceEvents": events, "displayTimeUnit": "ms", "metadata": metadata }).to_string()
}

pub fn csv(capture: &Capture) -> String {
    let mut out = String::from(
        "frame,time,views,cpu_start_ms,cpu_wait_ms,cpu_prepare_ms,cpu_record_ms,cpu_submit_ms,cpu_ms,\
         gpu_slice_ms,gpu_sort_ms,gpu_raster_ms,gpu_resolve_ms,gpu_ms,active,visible,drawn_left,drawn_right,\
         segment,resident_bytes,gpu_memory_bytes,upload_bytes,page_uploads,page_misses,pages_apart,lod_finest,lod_coarsest,lod_gamma",
    );
    for l in 0..MAX_LEVELS {
        out += &format!(",level{l}_visible");
    }
    out.push('\n');
    for f in capture.frames() {
        let c = &f.cpu;
        out += &format!(
            "{},{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},",
            f.frame,
            f.time,
            f.views,
            c.start_ns as f64 * 1e-6,
            c.wait,
            c.prepare,
            c.record,
            c.submit,
            c.total()
        );
        // Empty GPU cells where there were no timestamps: absent, not zero.
        out += &match f.gpu {
            Some(g) => format!("{:.4},{:.4},{:.4},{:.4},{:.4},", g.slice, g.sort, g.raster, g.resolve, g.total()),
            None => ",,,,,".into(),
        };
        let n = &f.counters;
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            n.active,
            n.visible,
            n.drawn[0],
            n.drawn[1],
            n.segment,
            n.resident_bytes,
            n.gpu_memory_bytes,
            n.upload_bytes,
            n.page_uploads,
            n.page_misses,
            n.pages_apart,
            f.lod.finest,
            f.lod.coarsest,
            f.lod.gamma
        );
        for l in n.levels {
            out += &format!(",{l}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{CpuTimes, DeviceInfo, StageTimes};
    use super::*;

    fn capture() -> Capture {
        let mut c = Capture::new(8, DeviceInfo { name: "GPU \"quoted\"".into(), ..Default::default() }, 2, [4, 4]);
        for n in 1..=3u64 {
            let cpu = CpuTimes { start_ns: n * 10_000_000, wait: 1.0, prepare: 0.5, record: 0.25, submit: 0.25 };
            // GPU clock far from the CPU's, and the second frame without timestamps.
            let gpu = (n != 2).then_some(StageTimes {
                frame: n,
                start_ns: 5_000_000_000 + n * 10_000_000,
                slice: 0.5,
                sort: 0.5,
                raster: 2.0,
                resolve: 0.5,
            });
            c.push(FrameStats { frame: n, time: n as f32 * 0.1, views: 2, cpu, gpu, ..Default::default() });
        }
        c
    }

    #[test]
    fn gpu_slices_start_after_their_submission() {
        let trace: Value = serde_json::from_str(&capture().chrome_trace()).unwrap();
        let events = trace["traceEvents"].as_array().unwrap();
        let frames = |tid: u64| -> Vec<(f64, f64)> {
            events
                .iter()
                .filter(|e| e["name"] == "frame" && e["tid"] == tid)
                .map(|e| (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap()))
                .collect()
        };
        let (cpu, gpu) = (frames(CPU_TRACK as u64), frames(GPU_TRACK as u64));
        assert_eq!((cpu.len(), gpu.len()), (3, 2));
        // Frame 1 and 3 on the GPU: each begins when (or after) its CPU frame ends.
        assert_eq!(gpu[0].0, cpu[0].0 + cpu[0].1);
        assert_eq!(gpu[1].0, cpu[2].0 + cpu[2].1);
        assert_eq!(gpu[0].1, 3500.0);
        assert_eq!(trace["metadata"]["device"], "GPU \"quoted\"");
    }

    #[test]
    fn csv_has_a_row_per_frame_and_leaves_missing_gpu_times_empty() {
        let text = capture().csv();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        let columns = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == columns));
        assert!(lines[2].contains(",,,,,"), "{}", lines[2]);
        assert!(lines[1].starts_with("1,0.1,2,10.0000,1.0000,"), "{}", lines[1]);
    }
}
