//! Reading `.s4d` assets: validate every offset, count and size once, copy the small tables
//! (segments, runs, levels, cameras) that everything else is interpreted through, and leave the
//! per-primitive sections in the file, read as renderers upload them ([`Reader`]) or loaded
//! whole for the CPU ([`Asset::attributes`]). Nothing is mapped: a file truncated or rewritten
//! while open makes the reads that follow fail, and never signals the process.

mod attributes;
pub mod format;
#[cfg(feature = "http")]
pub mod http;
mod reader;
mod sample;

use std::path::Path;
use std::sync::OnceLock;

use bytemuck::Pod;
use glam::{Mat3, Vec3};

use attributes::Section;
pub use attributes::{Attribute, AttributeData, Attributes};
pub use reader::{Reader, Source};

use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::sh;
use format::*;

/// What `open` checks beyond the structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Structure and the CRC-32 of every chunk (reads the whole file once).
    Full,
    /// Structure and the small chunks' checksums; attribute chunks are trusted.
    Structure,
}

#[derive(Clone, Debug)]
pub struct ChunkInfo {
    pub kind: [u8; 4],
    pub encoding: u16,
    pub offset: u64,
    pub size: u64,
    pub checksum: u32,
}

impl ChunkInfo {
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.kind).into_owned()
    }
}

/// An opened, validated `.s4d` asset.
pub struct Asset {
    reader: Reader,
    info: AssetInfo,
    chunks: Vec<ChunkInfo>,
    position: ChunkInfo,
    temporal: ChunkInfo,
    rotation: ChunkInfo,
    scale_opacity: ChunkInfo,
    motion: Option<ChunkInfo>,
    omega: Option<ChunkInfo>,
    sh: ChunkInfo,
    segments: Vec<SegmentRecord>,
    runs: Vec<RunRecord>,
    levels: Vec<LevelRecord>,
    cameras: Vec<CameraRecord>,
    provenance: String,
    verify: Verify,
    attributes: OnceLock<Attributes>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Asset(msg.into())
}

/// The records of a chunk's bytes (which need not be aligned).
fn records<T: Pod>(bytes: &[u8]) -> Vec<T> {
    bytemuck::pod_collect_to_vec(bytes)
}

impl Asset {
    /// Opens and validates the file at `path`: its header and tables are read and checked now
    /// (with [`Verify::Full`], every section's checksum too); its primitives are read from the
    /// file when they are used, and a file changed since it was opened fails those reads.
    pub fn open(path: impl AsRef<Path>, verify: Verify) -> Result<Asset> {
        let path = path.as_ref();
        Asset::validate(Reader::open(path)?, verify).map_err(|e| match e {
            Error::Asset(m) => bad(format!("{}: {m}", path.display())),
            e => e,
        })
    }

    /// Validates an asset held in memory (copied once into aligned storage).
    pub fn from_bytes(bytes: &[u8], verify: Verify) -> Result<Asset> {
        Asset::validate(Reader::memory(bytes)?, verify)
    }

    /// Validates an asset read through the host's `source` (named `name` in messages), which
    /// renderers made from it keep reading: its primitives, and a streaming renderer's pages.
    pub fn from_source(source: std::sync::Arc<dyn Source>, name: &str, verify: Verify) -> Result<Asset> {
        Asset::validate(Reader::host(source, name), verify).map_err(|e| match e {
            Error::Asset(m) => bad(format!("{name}: {m}")),
            e => e,
        })
    }

    /// Opens the asset at an http:// or https:// `url` by range requests (see [`http`]): its
    /// header and tables now, and with [`Verify::Full`] every section's checksum (which fetches
    /// the whole asset once); renderers fetch what they read.
    #[cfg(feature = "http")]
    pub fn open_url(url: &str, options: http::HttpOptions, verify: Verify) -> Result<Asset> {
        let source = std::sync::Arc::new(http::HttpSource::open(url, options)?);
        Asset::from_source(source, url, verify)
    }

    fn validate(reader: Reader, verify: Verify) -> Result<Asset> {
        let len = reader.len();
        const HEADER: usize = std::mem::size_of::<FileHeader>();
        const ENTRY: usize = std::mem::size_of::<ChunkEntry>();
        if len < HEADER as u64 {
            return Err(bad(format!("{len} bytes is shorter than the 32-byte header")));
        }
        let mut head = [0u8; HEADER];
        reader.read_at(0, &mut head)?;
        let header: FileHeader = bytemuck::pod_read_unaligned(&head);
        if header.magic != MAGIC {
            return Err(bad("wrong magic at offset 0 (not an .s4d file)"));
        }
        if header.version_major != VERSION_MAJOR {
            return Err(bad(format!(
                "unsupported version {}.{} (this runtime reads {VERSION_MAJOR}.x)",
                header.version_major, header.version_minor
            )));
        }
        if header.file_size != len {
            return Err(bad(format!(
                "header says {} bytes but the file has {len} (truncated or padded)",
                header.file_size
            )));
        }
        if header.chunk_count == 0 || header.chunk_count > MAX_CHUNKS {
            return Err(bad(format!("chunk count {} is outside 1..={MAX_CHUNKS}", header.chunk_count)));
        }
        let table_end = HEADER + header.chunk_count as usize * ENTRY;
        if table_end as u64 > len {
            return Err(bad(format!("chunk table (ends at {table_end}) runs past the end of the file")));
        }
        let mut table = vec![0u8; table_end - HEADER];
        reader.read_at(HEADER as u64, &mut table)?;
        let mut hasher = crc32fast::Hasher::new();
        let mut zeroed = header;
        zeroed.checksum = 0;
        hasher.update(bytemuck::bytes_of(&zeroed));
        hasher.update(&table);
        if hasher.finalize() != header.checksum {
            return Err(bad("header checksum mismatch (header or chunk table is corrupt)"));
        }

        let mut chunks: Vec<ChunkInfo> = Vec::with_capacity(header.chunk_count as usize);
        let mut entries = Vec::with_capacity(header.chunk_count as usize);
        for (i, raw) in table.chunks_exact(ENTRY).enumerate() {
            let e: ChunkEntry = bytemuck::pod_read_unaligned(raw);
            let name = kind_name(e.kind);
            let end = e.offset.checked_add(e.size).filter(|&end| end <= len);
            if end.is_none() || e.offset < table_end as u64 {
                return Err(bad(format!(
                    "chunk {name} (entry {i}) at offset {} size {} lies outside the data area",
                    e.offset, e.size
                )));
            }
            if e.offset % ALIGN != 0 {
                return Err(bad(format!("chunk {name} offset {} is not 16-byte aligned", e.offset)));
            }
            if chunks.iter().any(|c| c.kind == e.kind) {
                return Err(bad(format!("chunk {name} appears twice")));
            }
            chunks.push(ChunkInfo {
                kind: e.kind,
                encoding: e.encoding,
                offset: e.offset,
                size: e.size,
                checksum: e.checksum,
            });
            entries.push(e);
        }
        let mut spans: Vec<(u64, u64)> = entries.iter().map(|e| (e.offset, e.offset + e.size)).collect();
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(bad("two chunks overlap"));
        }

        let find = |k: [u8; 4]| entries.iter().find(|e| e.kind == k);
        let require = |k: [u8; 4]| find(k).ok_or_else(|| bad(format!("required chunk {} is missing", kind_name(k))));
        // A small chunk's bytes, read and checked against its checksum.
        let read = |e: &ChunkEntry| -> Result<Vec<u8>> {
            let mut bytes = crate::error::try_vec::<u8>(e.size as usize, "an asset table")?;
            reader.read_at(e.offset, &mut bytes)?;
            if crc32fast::hash(&bytes) != e.checksum {
                return Err(bad(format!("chunk {} checksum mismatch at offset {}", kind_name(e.kind), e.offset)));
            }
            Ok(bytes)
        };
        // Small chunks: always checksummed, since everything else is interpreted through them.
        let structured = |k: [u8; 4], size: usize| -> Result<Option<Vec<u8>>> {
            let Some(e) = find(k) else { return Ok(None) };
            if e.stride as usize != size || e.size % size as u64 != 0 {
                return Err(bad(format!(
                    "chunk {} has stride {} and size {}; expected stride {size}",
                    kind_name(k),
                    e.stride,
                    e.size
                )));
            }
            read(e).map(Some)
        };

        require(kind::INFO)?;
        let info_bytes = structured(kind::INFO, std::mem::size_of::<AssetInfo>())?.unwrap();
        if info_bytes.len() != std::mem::size_of::<AssetInfo>() {
            return Err(bad("INFO chunk must hold exactly one record"));
        }
        let info: AssetInfo = bytemuck::pod_read_unaligned(&info_bytes);
        validate_info(&info)?;
        let n = info.primitive_count as usize;

        fn counted<T: Pod>(bytes: Option<Vec<u8>>, k: [u8; 4], want: usize) -> Result<Vec<T>> {
            let records: Vec<T> = records(&bytes.unwrap_or_default());
            if records.len() != want {
                return Err(bad(format!("chunk {} holds {} records, INFO says {want}", kind_name(k), records.len())));
            }
            Ok(records)
        }
        require(kind::SEGMENTS)?;
        require(kind::LEVELS)?;
        let segments = counted(
            structured(kind::SEGMENTS, std::mem::size_of::<SegmentRecord>())?,
            kind::SEGMENTS,
            info.segment_count as usize,
        )?;
        let levels = counted(
            structured(kind::LEVELS, std::mem::size_of::<LevelRecord>())?,
            kind::LEVELS,
            info.level_count as usize,
        )?;
        let cameras: Vec<CameraRecord> = match structured(kind::CAMERAS, std::mem::size_of::<CameraRecord>())? {
            None if info.camera_count == 0 => Vec::new(),
            Some(b) if b.len() / std::mem::size_of::<CameraRecord>() == info.camera_count as usize => records(&b),
            _ => return Err(bad("CAMS chunk does not match INFO's camera count")),
        };
        require(kind::RUNS)?;
        let runs = records(&structured(kind::RUNS, std::mem::size_of::<RunRecord>())?.unwrap());
        let provenance = match find(kind::PROVENANCE) {
            Some(e) => String::from_utf8(read(e)?).map_err(|_| bad("PROV chunk is not UTF-8"))?,
            None => String::new(),
        };

        // Attribute chunks: one element of `components` numbers per primitive.
        let chunk = |e: &ChunkEntry| chunks.iter().find(|c| c.kind == e.kind).unwrap().clone();
        let attribute = |k: [u8; 4], components: usize, floats_only: bool| -> Result<ChunkInfo> {
            let e = require(k)?;
            let enc = Encoding::from_u16(e.encoding)
                .filter(|enc| !floats_only || *enc == Encoding::F32)
                .ok_or_else(|| bad(format!("chunk {} has unsupported encoding {}", kind_name(k), e.encoding)))?;
            let stride = components as u64 * enc.bytes() as u64;
            if e.stride as u64 != stride || e.size != stride * n as u64 {
                return Err(bad(format!(
                    "chunk {} is {} bytes with stride {}; {n} primitives × {components} values need {}",
                    kind_name(k),
                    e.size,
                    e.stride,
                    stride * n as u64
                )));
            }
            if verify == Verify::Full && reader.checksum(e.offset, e.size)? != e.checksum {
                return Err(bad(format!("chunk {} checksum mismatch at offset {}", kind_name(k), e.offset)));
            }
            Ok(chunk(e))
        };
        let position = attribute(kind::POSITION, 4, true)?;
        let temporal = attribute(kind::TEMPORAL, 4, true)?;
        let rotation = attribute(kind::ROTATION, 4, false)?;
        let scale_opacity = attribute(kind::SCALE_OPACITY, 4, false)?;
        let sh = attribute(kind::SH, 3 * sh::coeff_count(info.sh_degree.into(), info.sh_degree_t.into()), false)?;
        let motion = match info.motion_degree {
            0 if find(kind::MOTION).is_none() => None,
            0 => return Err(bad("MOTN chunk present but INFO's motion degree is 0")),
            d => Some(attribute(kind::MOTION, 4 * d as usize, false)?),
        };
        let omega = find(kind::OMEGA).map(|_| attribute(kind::OMEGA, 4, false)).transpose()?;

        let asset = Asset {
            reader,
            info,
            chunks,
            position,
            temporal,
            rotation,
            scale_opacity,
            motion,
            omega,
            sh,
            segments,
            runs,
            levels,
            cameras,
            provenance,
            verify,
            attributes: OnceLock::new(),
        };
        asset.validate_tables()?;
        Ok(asset)
    }

    /// Cross-checks segments, runs, levels and cameras against each other and the counts.
    fn validate_tables(&self) -> Result<()> {
        let n = self.info.primitive_count as u64;
        let runs = &self.runs;
        let [t0, t1] = self.info.time_range;
        let mut expect_begin = t0;
        for (i, s) in self.segments().iter().enumerate() {
            if !(s.time[0] == expect_begin && s.time[1] > s.time[0] || (t0 == t1 && s.time == [t0, t1])) {
                return Err(bad(format!("segment {i} time {:?} does not continue from {expect_begin}", s.time)));
            }
            expect_begin = s.time[1];
            let end = s.first_run as u64 + s.run_count as u64;
            let Some(seg_runs) = runs.get(s.first_run as usize..end as usize) else {
                return Err(bad(format!("segment {i} runs {}..{end} exceed the {} runs", s.first_run, runs.len())));
            };
            let mut total = 0u64;
            let mut last_end = 0u64;
            for r in seg_runs {
                let r_end = r.first as u64 + r.count as u64;
                if r_end > n || (r.first as u64) < last_end || r.count == 0 {
                    return Err(bad(format!(
                        "segment {i} has a run {}+{} that is empty, unsorted or out of range",
                        r.first, r.count
                    )));
                }
                last_end = r_end;
                total += r.count as u64;
            }
            if total != s.active_count as u64 {
                return Err(bad(format!("segment {i} says {} active but its runs hold {total}", s.active_count)));
            }
        }
        if expect_begin < t1 {
            return Err(bad(format!("segments end at {expect_begin}, before the time range ends at {t1}")));
        }
        // Levels partition the primitives in order, finest first, with rising floors.
        if self.levels().len() > crate::lod::MAX_LEVELS {
            return Err(bad(format!(
                "{} levels; at most {} are supported",
                self.levels().len(),
                crate::lod::MAX_LEVELS
            )));
        }
        let mut next = 0u64;
        let mut floor = -1.0f32;
        for (i, l) in self.levels().iter().enumerate() {
            if l.first as u64 != next || !l.scale_floor.is_finite() || l.scale_floor <= floor || l.scale_floor < 0.0 {
                return Err(bad(format!(
                    "level {i} ({}+{} at floor {}) does not follow the level before",
                    l.first, l.count, l.scale_floor
                )));
            }
            next += l.count as u64;
            floor = l.scale_floor;
        }
        if next != n {
            return Err(bad(format!("levels hold {next} primitives, INFO says {n}")));
        }
        for (i, c) in self.cameras.iter().enumerate() {
            camera_from_record(c).validate().map_err(|e| bad(format!("camera {i}: {e}")))?;
        }
        Ok(())
    }

    /// A reader of this asset's bytes that outlives it (streaming).
    pub fn reader(&self) -> Reader {
        self.reader.clone()
    }

    /// Reads `out.len()` bytes of section `kind` from `offset` within it.
    pub fn read_section(&self, kind: [u8; 4], offset: u64, out: &mut [u8]) -> Result<()> {
        let c = self.chunk(kind).ok_or_else(|| Error::InvalidArgument(format!("no {} section", kind_name(kind))))?;
        if offset.checked_add(out.len() as u64).is_none_or(|e| e > c.size) {
            return Err(Error::InvalidArgument(format!("a read past the end of section {}", kind_name(kind))));
        }
        self.reader.read_at(c.offset + offset, out)
    }

    /// The error for section `c` read back with another checksum than it was opened with.
    pub(crate) fn changed(&self, c: &ChunkInfo) -> Error {
        bad(format!(
            "{}: section {} no longer matches its checksum (the file changed after it was opened?)",
            self.reader.path(),
            c.name()
        ))
    }

    /// The chunk of `kind`, if the asset has one.
    pub fn chunk(&self, kind: [u8; 4]) -> Option<&ChunkInfo> {
        self.chunks.iter().find(|c| c.kind == kind)
    }

    /// Every primitive's attributes in memory, read (and checked again, where the asset was
    /// opened with [`Verify::Full`]) on the first call.
    pub fn attributes(&self) -> Result<&Attributes> {
        if let Some(a) = self.attributes.get() {
            return Ok(a);
        }
        let load = |c: &ChunkInfo, components: usize| -> Result<Section> {
            let (words, start) = self.reader.aligned(c.offset, c.size, "an asset's attributes")?;
            if self.verify == Verify::Full {
                let bytes = &bytemuck::cast_slice::<u64, u8>(&words)[start..start + c.size as usize];
                if crc32fast::hash(bytes) != c.checksum {
                    return Err(self.changed(c));
                }
            }
            let encoding = Encoding::from_u16(c.encoding).expect("checked at open");
            Ok(Section { words, bytes: start..start + c.size as usize, encoding, components })
        };
        let motion_degree = self.info.motion_degree as usize;
        let attributes = Attributes {
            position: load(&self.position, 4)?,
            temporal: load(&self.temporal, 4)?,
            rotation: load(&self.rotation, 4)?,
            scale_opacity: load(&self.scale_opacity, 4)?,
            motion: self.motion.as_ref().map(|m| load(m, 4 * motion_degree)).transpose()?,
            omega: self.omega.as_ref().map(|o| load(o, 4)).transpose()?,
            sh: load(&self.sh, 3 * self.sh_coeff_count())?,
            motion_degree,
            sh_coeffs: self.sh_coeff_count(),
        };
        Ok(self.attributes.get_or_init(|| attributes))
    }

    pub fn info(&self) -> &AssetInfo {
        &self.info
    }

    pub fn len(&self) -> usize {
        self.info.primitive_count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn file_size(&self) -> u64 {
        self.reader.len()
    }

    pub fn chunks(&self) -> &[ChunkInfo] {
        &self.chunks
    }

    /// Whether opacity is compensated for the 2D filter, as models trained with anti-aliasing
    /// expect ([`render_flags::ANTIALIASED`]).
    pub fn antialiased(&self) -> bool {
        self.info.render_flags & render_flags::ANTIALIASED != 0
    }

    pub fn source_kind(&self) -> SourceKind {
        SourceKind::from_u32(self.info.source_kind)
    }

    pub fn sh_coeff_count(&self) -> usize {
        sh::coeff_count(self.info.sh_degree.into(), self.info.sh_degree_t.into())
    }

    pub fn segments(&self) -> &[SegmentRecord] {
        &self.segments
    }

    /// The active primitives of segment `index` as sorted index ranges.
    pub fn segment_runs(&self, index: usize) -> &[RunRecord] {
        let s = &self.segments[index];
        &self.runs[s.first_run as usize..(s.first_run + s.run_count) as usize]
    }

    /// The segment whose time slice holds `t`; `None` outside the asset's time range.
    pub fn segment_at(&self, t: f32) -> Option<usize> {
        let segs = self.segments();
        let [t0, t1] = self.info.time_range;
        if !(t >= t0 && t <= t1) {
            return None;
        }
        let i = segs.partition_point(|s| s.time[1] <= t);
        Some(i.min(segs.len().saturating_sub(1)))
    }

    pub fn levels(&self) -> &[LevelRecord] {
        &self.levels
    }

    /// The scale floor of every level, finest first.
    pub fn level_floors(&self) -> Vec<f32> {
        self.levels().iter().map(|l| l.scale_floor).collect()
    }

    /// The level primitive `i` belongs to.
    pub fn level_of(&self, i: u32) -> u32 {
        self.levels().partition_point(|l| l.first + l.count <= i) as u32
    }

    pub fn cameras(&self) -> Vec<Camera> {
        self.cameras.iter().map(camera_from_record).collect()
    }

    /// Where the asset came from and what was dropped on import.
    pub fn provenance(&self) -> &str {
        &self.provenance
    }
}

fn kind_name(k: [u8; 4]) -> String {
    String::from_utf8_lossy(&k).into_owned()
}

fn validate_info(info: &AssetInfo) -> Result<()> {
    let [t0, t1] = info.time_range;
    let problems = [
        (info.sh_degree > 3, "SH degree above 3"),
        (info.sh_degree_t > 3, "time harmonic degree above 3"),
        (info.motion_degree > 3, "motion degree above 3"),
        (!(t0.is_finite() && t1.is_finite() && t0 <= t1), "time range is not finite and ordered"),
        (!(info.frame_rate.is_finite() && info.frame_rate > 0.0), "frame rate is not positive"),
        (!(info.segment_duration.is_finite() && info.segment_duration > 0.0), "segment duration is not positive"),
        (!(info.sh_time_period.is_finite() && info.sh_time_period > 0.0), "SH time period is not positive"),
        (info.segment_count == 0, "no segments"),
        (info.level_count == 0, "no levels"),
        (info.render_flags & !render_flags::KNOWN != 0, "render flags this runtime does not know (a newer asset)"),
    ];
    match problems.iter().find(|(bad, _)| *bad) {
        Some((_, what)) => Err(bad(format!("INFO: {what}"))),
        None => Ok(()),
    }
}

pub(crate) fn camera_from_record(c: &CameraRecord) -> Camera {
    let r = c.rotation;
    Camera {
        width: c.width,
        height: c.height,
        fx: c.fx,
        fy: c.fy,
        cx: c.cx,
        cy: c.cy,
        rotation: Mat3::from_cols_array(&r).transpose(),
        position: Vec3::from_array(c.position),
    }
}
