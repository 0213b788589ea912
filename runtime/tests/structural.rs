//! Structural mutations of real packed assets, with every checksum recomputed afterwards, so
//! that each reaches the reader's structural and semantic checks instead of stopping at a CRC:
//! counts, offsets, strides, encodings, kinds, times, runs, levels, cameras and attribute values
//! set to boundary and hostile values. Each mutated asset must be refused with an asset error or
//! open and render; none may panic. (The CRC-protected fuzz targets mostly test the CRC.)

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use splat4d::asset::format::*;
use splat4d::asset::Source;
use splat4d::camera::orbit_cameras;
use splat4d::glam::Vec3;
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::reference::{render, RenderSettings};
use splat4d::{demo, Asset, Error, Verify};

const HEADER: usize = std::mem::size_of::<FileHeader>();
const ENTRY: usize = std::mem::size_of::<ChunkEntry>();

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 16
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break assumptions: zero, one, the edges of the type, and nearby.
fn hostile_u32(rng: &mut Rng, old: u32) -> u32 {
    let choices =
        [0, 1, 2, old.wrapping_add(1), old.wrapping_sub(1), old.wrapping_mul(2), u32::MAX, u32::MAX - 1, 1 << 31];
    choices[rng.below(choices.len())]
}

fn hostile_u64(rng: &mut Rng, old: u64) -> u64 {
    let choices =
        [0, 16, old + 16, old.wrapping_sub(16), old.wrapping_mul(2), u64::MAX, u64::MAX - 15, 1 << 63, old + 1];
    choices[rng.below(choices.len())]
}

fn hostile_f32(rng: &mut Rng, old: f32) -> f32 {
    let choices =
        [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, -1.0, 1e30, -old, old * 1.0001, f32::MIN_POSITIVE];
    choices[rng.below(choices.len())]
}

/// The chunk table as far as the file holds it (an earlier mutation may have changed counts).
fn entries(bytes: &[u8]) -> Vec<ChunkEntry> {
    let h: FileHeader = bytemuck::pod_read_unaligned(&bytes[..HEADER]);
    let n = (h.chunk_count as usize).min(MAX_CHUNKS as usize).min((bytes.len() - HEADER) / ENTRY);
    (0..n).map(|i| bytemuck::pod_read_unaligned(&bytes[HEADER + i * ENTRY..HEADER + (i + 1) * ENTRY])).collect()
}

fn write_entries(bytes: &mut [u8], entries: &[ChunkEntry]) {
    bytes[HEADER..HEADER + entries.len() * ENTRY].copy_from_slice(bytemuck::cast_slice(entries));
}

/// Recomputes every chunk's checksum (where its range lies in the file) and the header's.
fn fix_checksums(bytes: &mut [u8]) {
    let h: FileHeader = bytemuck::pod_read_unaligned(&bytes[..HEADER]);
    let n = (h.chunk_count as usize).min((bytes.len() - HEADER) / ENTRY);
    let mut list: Vec<ChunkEntry> =
        (0..n).map(|i| bytemuck::pod_read_unaligned(&bytes[HEADER + i * ENTRY..HEADER + (i + 1) * ENTRY])).collect();
    for e in &mut list {
        if let Some(end) = e.offset.checked_add(e.size).filter(|&end| end <= bytes.len() as u64) {
            e.checksum = crc32fast::hash(&bytes[e.offset as usize..end as usize]);
        }
    }
    write_entries(bytes, &list);
    let mut h = h;
    h.checksum = 0;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&h));
    hasher.update(&bytes[HEADER..HEADER + n * ENTRY]);
    h.checksum = hasher.finalize();
    bytes[..HEADER].copy_from_slice(bytemuck::bytes_of(&h));
}

/// A u32 or f32 field at `at` (ignored where an earlier mutation moved it out of the file).
fn mutate_word(rng: &mut Rng, bytes: &mut [u8], at: usize, float: bool) {
    if at + 4 > bytes.len() {
        return;
    }
    let old = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let new = if float { hostile_f32(rng, f32::from_bits(old)).to_bits() } else { hostile_u32(rng, old) };
    bytes[at..at + 4].copy_from_slice(&new.to_le_bytes());
}

/// One structural mutation of `bytes`, described.
fn mutate(rng: &mut Rng, bytes: &mut [u8]) -> String {
    let list = entries(bytes);
    if list.is_empty() {
        return "nothing (no chunk table left)".into();
    }
    let len = bytes.len() as u64;
    // A chunk's entry, its size clipped to the file, and a random number.
    let pick = |rng: &mut Rng, kind: [u8; 4]| {
        list.iter().find(|e| e.kind == kind && e.offset < len).map(|e| {
            let mut e = *e;
            e.size = e.size.min(len - e.offset);
            (0, e, rng.next())
        })
    };
    match rng.below(9) {
        0 => {
            // Header fields.
            let mut h: FileHeader = bytemuck::pod_read_unaligned(&bytes[..HEADER]);
            let what = match rng.below(4) {
                0 => {
                    h.chunk_count = hostile_u32(rng, h.chunk_count);
                    "chunk_count"
                }
                1 => {
                    h.file_size = hostile_u64(rng, h.file_size);
                    "file_size"
                }
                2 => {
                    h.version_minor = hostile_u32(rng, h.version_minor as u32) as u16;
                    "version_minor"
                }
                _ => {
                    h.flags = hostile_u32(rng, h.flags);
                    "flags"
                }
            };
            bytes[..HEADER].copy_from_slice(bytemuck::bytes_of(&h));
            format!("header {what}")
        }
        1 | 2 => {
            // One field of one chunk entry.
            let mut table = list.clone();
            let i = rng.below(table.len());
            let other = list[rng.below(list.len())].kind;
            let e = &mut table[i];
            let what = match rng.below(6) {
                0 => {
                    e.offset = hostile_u64(rng, e.offset);
                    "offset"
                }
                1 => {
                    e.size = hostile_u64(rng, e.size);
                    "size"
                }
                2 => {
                    e.stride = hostile_u32(rng, e.stride);
                    "stride"
                }
                3 => {
                    e.encoding = [0, 1, 2, 7, u16::MAX][rng.below(5)];
                    "encoding"
                }
                4 => {
                    e.kind = other;
                    "kind (a duplicate)"
                }
                _ => {
                    e.kind = *b"ZZZZ";
                    "kind (unknown: a required chunk goes missing)"
                }
            };
            let name = String::from_utf8_lossy(&list[i].kind).into_owned();
            write_entries(bytes, &table);
            format!("entry {i} ({name}) {what}")
        }
        3 => {
            // INFO: any of its 28 words.
            let Some((_, e, _)) = pick(rng, kind::INFO) else { return "no INFO".into() };
            let word = rng.below(28);
            // Words 0-3 and 5 are counts and the kind; 4 holds the degrees; 6.. are floats,
            // but for the source counts at the end.
            let float = (6..24).contains(&word);
            let at = e.offset as usize + 4 * word;
            if word == 4 && at + 4 <= bytes.len() {
                bytes[at + rng.below(3)] = [0, 3, 4, 255][rng.below(4)];
            } else {
                mutate_word(rng, bytes, at, float);
            }
            format!("INFO word {word}")
        }
        4 => {
            // One field of one segment record.
            let Some((_, e, r)) = pick(rng, kind::SEGMENTS) else { return "no SEGS".into() };
            let records = (e.size / 24) as usize;
            let (s, field) = ((r as usize) % records.max(1), rng.below(5));
            mutate_word(rng, bytes, e.offset as usize + 24 * s + 4 * field, field < 2);
            format!("segment {s} field {field}")
        }
        5 => {
            // One field of one run.
            let Some((_, e, r)) = pick(rng, kind::RUNS) else { return "no RUNS".into() };
            let records = (e.size / 8) as usize;
            if records == 0 {
                return "no runs".into();
            }
            let (s, field) = ((r as usize) % records, rng.below(2));
            mutate_word(rng, bytes, e.offset as usize + 8 * s + 4 * field, false);
            format!("run {s} field {field}")
        }
        6 => {
            // One field of one level.
            let Some((_, e, r)) = pick(rng, kind::LEVELS) else { return "no LEVL".into() };
            let records = (e.size / 16) as usize;
            let (l, field) = ((r as usize) % records.max(1), rng.below(3));
            mutate_word(rng, bytes, e.offset as usize + 16 * l + 4 * field, field == 0);
            format!("level {l} field {field}")
        }
        7 => {
            // One field of one camera.
            let Some((_, e, r)) = pick(rng, kind::CAMERAS) else { return "no CAMS".into() };
            let records = (e.size / 72) as usize;
            if records == 0 {
                return "no cameras".into();
            }
            let (c, field) = ((r as usize) % records, rng.below(18));
            mutate_word(rng, bytes, e.offset as usize + 72 * c + 4 * field, field >= 2);
            format!("camera {c} field {field}")
        }
        _ => {
            // Attribute values: NaN, infinities, huge and negative numbers where the renderer
            // reads them (f32 words, or f16 pairs read as one word: both are hostile).
            let attributes =
                [kind::POSITION, kind::TEMPORAL, kind::ROTATION, kind::SCALE_OPACITY, kind::SH, kind::MOTION];
            let kind = attributes[rng.below(attributes.len())];
            let Some((_, e, _)) = pick(rng, kind) else { return "no such attribute".into() };
            for _ in 0..1 + rng.below(64) {
                if e.size < 4 {
                    break;
                }
                let word = rng.below((e.size / 4) as usize);
                mutate_word(rng, bytes, e.offset as usize + 4 * word, true);
            }
            format!("values of {}", String::from_utf8_lossy(&kind))
        }
    }
}

fn render_tiny(asset: &Asset) -> splat4d::Result<()> {
    let f = asset.info().focus;
    let camera = orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 1, 12, 8)[0];
    let [t0, t1] = asset.info().time_range;
    for t in [t0, 0.5 * (t0 + t1), t1, t1 + 1.0] {
        render(asset, t, &camera, &RenderSettings::default())?;
    }
    Ok(())
}

#[test]
fn structural_mutations_with_valid_checksums_are_refused_or_render() {
    let sources = [
        ("demo", common::pack_bytes(&demo::scene(), false)),
        ("sam, 3 levels", {
            let options = PackOptions { levels: 3, ..Default::default() };
            pack(&common::import("4d/technicolor-sam.splatv"), &options, &NoProgress).unwrap()
        }),
        ("fruit, full precision", common::pack_bytes(&common::import("3d/fruit-drops-sh3.ply"), true)),
    ];
    let mut rng = Rng(0x5eed_0f57_11c7);
    let (mut refused, mut opened) = (0, 0);
    for (name, original) in &sources {
        for round in 0..400 {
            let mut bytes = original.clone();
            let what: Vec<String> = (0..1 + rng.below(3)).map(|_| mutate(&mut rng, &mut bytes)).collect();
            fix_checksums(&mut bytes);
            let outcome = catch_unwind(AssertUnwindSafe(|| match Asset::from_bytes(&bytes, Verify::Full) {
                Ok(asset) => render_tiny(&asset).map(|()| true),
                Err(e) => Err(e),
            }));
            match outcome {
                Ok(Ok(_)) => opened += 1,
                Ok(Err(Error::Asset(m))) => {
                    assert!(!m.is_empty());
                    refused += 1;
                }
                Ok(Err(e)) => panic!("{name} round {round} ({what:?}): not an asset error: {e}"),
                Err(_) => panic!("{name} round {round} ({what:?}): panicked"),
            }
        }
    }
    // Both outcomes happen: the mutations reach past the checks, and the checks catch them.
    eprintln!("{refused} refused, {opened} opened and rendered");
    assert!(refused > 600 && opened > 100, "{refused} refused, {opened} opened");
}

/// Bytes from a host's [`Source`]: counted, and failing on demand.
struct HostBytes {
    bytes: Vec<u8>,
    reads: std::sync::atomic::AtomicUsize,
    fail: std::sync::atomic::AtomicBool,
}

impl Source for HostBytes {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<(), String> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.fail.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("the host's storage is gone".into());
        }
        out.copy_from_slice(&self.bytes[offset as usize..offset as usize + out.len()]);
        Ok(())
    }
}

/// An asset read through the host's source is the asset its bytes are (the same tables, the
/// same image), and a source that stops reading fails the reads with IO, naming the asset.
#[test]
fn an_asset_read_through_a_host_source_is_the_asset_its_bytes_are() {
    let bytes = pack(&demo::scene(), &PackOptions::default(), &NoProgress).unwrap();
    let source =
        std::sync::Arc::new(HostBytes { bytes: bytes.clone(), reads: Default::default(), fail: Default::default() });
    let hosted = Asset::from_source(source.clone(), "host.s4d", Verify::Full).unwrap();
    let held = Asset::from_bytes(&bytes, Verify::Full).unwrap();
    assert!(source.reads.load(std::sync::atomic::Ordering::Relaxed) > 0);
    assert_eq!(hosted.len(), held.len());
    assert_eq!(hosted.segments().len(), held.segments().len());
    let camera = held.cameras()[0].resized(48, 32);
    let settings = RenderSettings::default();
    let a = render(&hosted, 0.5, &camera, &settings).unwrap();
    let b = render(&held, 0.5, &camera, &settings).unwrap();
    assert_eq!(a.pixels, b.pixels, "the hosted asset renders otherwise");
    assert!(a.pixels.iter().any(|p| p[3] > 0.1), "nothing drawn");

    source.fail.store(true, std::sync::atomic::Ordering::Relaxed);
    let e = Asset::from_source(source, "host.s4d", Verify::Full).err().expect("a failing source opens");
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("host.s4d"), "{e}");
    assert!(e.to_string().contains("the host's storage is gone"), "{e}");
}
