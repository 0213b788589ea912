//! Reading `.s4d` assets: map the file, validate every offset, count and size once, then hand
//! out typed slices of the mapped bytes. Nothing is parsed into objects or copied.

pub mod format;

use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytemuck::Pod;
use glam::{Mat3, Vec3, Vec4};
use half::f16;

use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::primitive::Primitive;
use crate::sh;
use format::*;

enum Storage {
    /// The map, and the file for [`Reader`]s.
    Mapped(memmap2::Mmap, Arc<File>),
    /// Copied from a host's memory into 8-byte aligned storage, so the casts below hold.
    Owned { words: Arc<Vec<u64>>, len: usize },
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::Mapped(m, _) => m,
            Storage::Owned { words, len } => &bytemuck::cast_slice(words)[..*len],
        }
    }
}

/// Reads ranges of an asset's bytes after the asset is gone, for streaming. A mapped asset's
/// ranges are read from its file with `pread`, not through the map: a file cut short while
/// playing is then an error instead of a SIGBUS.
#[derive(Clone)]
pub struct Reader {
    source: ReaderSource,
    path: String,
}

#[derive(Clone)]
enum ReaderSource {
    File(Arc<File>),
    Memory { words: Arc<Vec<u64>>, len: usize },
}

impl Reader {
    /// Fills `out` with the bytes at `offset`.
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()> {
        let end = offset + out.len() as u64;
        let truncated = || bad(format!("{}: ends before byte {end} (truncated while open?)", self.path));
        match &self.source {
            ReaderSource::File(file) => {
                use std::os::unix::fs::FileExt;
                file.read_exact_at(out, offset).map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => truncated(),
                    _ => Error::io(Path::new(&self.path), e),
                })
            }
            ReaderSource::Memory { words, len } => {
                let bytes = &bytemuck::cast_slice::<u64, u8>(words)[..*len];
                if end > *len as u64 {
                    return Err(truncated());
                }
                out.copy_from_slice(&bytes[offset as usize..end as usize]);
                Ok(())
            }
        }
    }
}

/// A numeric attribute array stored as f32 or f16, `components` numbers per primitive.
#[derive(Clone, Copy)]
pub enum AttributeData<'a> {
    F32(&'a [f32]),
    F16(&'a [f16]),
}

#[derive(Clone, Copy)]
pub struct Attribute<'a> {
    pub data: AttributeData<'a>,
    pub components: usize,
}

impl Attribute<'_> {
    pub fn get(&self, primitive: usize, component: usize) -> f32 {
        let i = primitive * self.components + component;
        match self.data {
            AttributeData::F32(v) => v[i],
            AttributeData::F16(v) => v[i].to_f32(),
        }
    }

    pub fn vec4(&self, primitive: usize, first: usize) -> Vec4 {
        Vec4::from_array(std::array::from_fn(|c| self.get(primitive, first + c)))
    }

    pub fn encoding(&self) -> Encoding {
        match self.data {
            AttributeData::F32(_) => Encoding::F32,
            AttributeData::F16(_) => Encoding::F16,
        }
    }
}

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
}

impl ChunkInfo {
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.kind).into_owned()
    }
}

/// An opened, validated `.s4d` asset.
pub struct Asset {
    storage: Storage,
    /// Where it came from, for messages (`<memory>` for one held in memory).
    path: String,
    info: AssetInfo,
    chunks: Vec<ChunkInfo>,
    position: Range<usize>,
    temporal: Range<usize>,
    rotation: (Range<usize>, Encoding),
    scale_opacity: (Range<usize>, Encoding),
    motion: Option<(Range<usize>, Encoding)>,
    omega: Option<(Range<usize>, Encoding)>,
    sh: (Range<usize>, Encoding),
    segments: Range<usize>,
    runs: Range<usize>,
    levels: Range<usize>,
    cameras: Range<usize>,
    provenance: Range<usize>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Asset(msg.into())
}

fn cast<'a, T: Pod>(bytes: &'a [u8], range: &Range<usize>) -> &'a [T] {
    // Validation established alignment and size; a failure here is a bug, not bad input.
    bytemuck::cast_slice(&bytes[range.clone()])
}

impl Asset {
    /// Maps and validates the file at `path`.
    ///
    /// The mapping assumes nobody truncates or rewrites the file while it is open.
    pub fn open(path: impl AsRef<Path>, verify: Verify) -> Result<Asset> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only; the caller keeps the file unchanged while it is open
        // (documented above), which is what makes handing out slices of it sound.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let mut asset = Asset::validate(Storage::Mapped(map, Arc::new(file)), verify).map_err(|e| {
            if let Error::Asset(m) = e {
                bad(format!("{}: {m}", path.display()))
            } else {
                e
            }
        })?;
        asset.path = path.display().to_string();
        Ok(asset)
    }

    /// Validates an asset held in memory (copied once into aligned storage).
    pub fn from_bytes(bytes: &[u8], verify: Verify) -> Result<Asset> {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        Asset::validate(Storage::Owned { words: Arc::new(words), len: bytes.len() }, verify)
    }

    fn validate(storage: Storage, verify: Verify) -> Result<Asset> {
        let bytes = storage.bytes();
        let len = bytes.len() as u64;
        const HEADER: usize = std::mem::size_of::<FileHeader>();
        const ENTRY: usize = std::mem::size_of::<ChunkEntry>();
        if bytes.len() < HEADER {
            return Err(bad(format!("{len} bytes is shorter than the 32-byte header")));
        }
        let header: FileHeader = bytemuck::pod_read_unaligned(&bytes[..HEADER]);
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
        if table_end > bytes.len() {
            return Err(bad(format!("chunk table (ends at {table_end}) runs past the end of the file")));
        }
        let mut hasher = crc32fast::Hasher::new();
        let mut zeroed = header;
        zeroed.checksum = 0;
        hasher.update(bytemuck::bytes_of(&zeroed));
        hasher.update(&bytes[HEADER..table_end]);
        if hasher.finalize() != header.checksum {
            return Err(bad("header checksum mismatch (header or chunk table is corrupt)"));
        }

        let mut chunks = Vec::with_capacity(header.chunk_count as usize);
        let mut entries = Vec::with_capacity(header.chunk_count as usize);
        for i in 0..header.chunk_count as usize {
            let at = HEADER + i * ENTRY;
            let e: ChunkEntry = bytemuck::pod_read_unaligned(&bytes[at..at + ENTRY]);
            let name = String::from_utf8_lossy(&e.kind).into_owned();
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
            if chunks.iter().any(|c: &ChunkInfo| c.kind == e.kind) {
                return Err(bad(format!("chunk {name} appears twice")));
            }
            chunks.push(ChunkInfo { kind: e.kind, encoding: e.encoding, offset: e.offset, size: e.size });
            entries.push(e);
        }
        let mut spans: Vec<(u64, u64)> = entries.iter().map(|e| (e.offset, e.offset + e.size)).collect();
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(bad("two chunks overlap"));
        }

        let find = |k: [u8; 4]| entries.iter().find(|e| e.kind == k);
        let require = |k: [u8; 4]| find(k).ok_or_else(|| bad(format!("required chunk {} is missing", kind_name(k))));
        let check_crc = |e: &ChunkEntry| -> Result<()> {
            let r = e.offset as usize..(e.offset + e.size) as usize;
            if crc32fast::hash(&bytes[r]) != e.checksum {
                return Err(bad(format!("chunk {} checksum mismatch at offset {}", kind_name(e.kind), e.offset)));
            }
            Ok(())
        };

        // Small chunks: always checksummed, since everything else is interpreted through them.
        let structured = |k: [u8; 4], size: usize| -> Result<Option<(Range<usize>, usize)>> {
            let Some(e) = find(k) else { return Ok(None) };
            if e.stride as usize != size || e.size % size as u64 != 0 {
                return Err(bad(format!(
                    "chunk {} has stride {} and size {}; expected stride {size}",
                    kind_name(k),
                    e.stride,
                    e.size
                )));
            }
            check_crc(e)?;
            Ok(Some((e.offset as usize..(e.offset + e.size) as usize, (e.size / size as u64) as usize)))
        };

        require(kind::INFO)?;
        let (info_range, info_n) = structured(kind::INFO, std::mem::size_of::<AssetInfo>())?.unwrap();
        if info_n != 1 {
            return Err(bad("INFO chunk must hold exactly one record"));
        }
        let info: AssetInfo = bytemuck::pod_read_unaligned(&bytes[info_range]);
        validate_info(&info)?;
        let n = info.primitive_count as usize;

        let counted = |k: [u8; 4], size: usize, want: usize| -> Result<Range<usize>> {
            require(k)?;
            let (r, count) = structured(k, size)?.unwrap();
            if count != want {
                return Err(bad(format!("chunk {} holds {count} records, INFO says {want}", kind_name(k))));
            }
            Ok(r)
        };
        let segments = counted(kind::SEGMENTS, std::mem::size_of::<SegmentRecord>(), info.segment_count as usize)?;
        let levels = counted(kind::LEVELS, std::mem::size_of::<LevelRecord>(), info.level_count as usize)?;
        let cameras = match structured(kind::CAMERAS, std::mem::size_of::<CameraRecord>())? {
            Some((r, c)) if c == info.camera_count as usize => r,
            None if info.camera_count == 0 => 0..0,
            _ => return Err(bad("CAMS chunk does not match INFO's camera count")),
        };
        require(kind::RUNS)?;
        let (runs, _) = structured(kind::RUNS, std::mem::size_of::<RunRecord>())?.unwrap();
        let provenance = match find(kind::PROVENANCE) {
            Some(e) => {
                check_crc(e)?;
                let r = e.offset as usize..(e.offset + e.size) as usize;
                std::str::from_utf8(&bytes[r.clone()]).map_err(|_| bad("PROV chunk is not UTF-8"))?;
                r
            }
            None => 0..0,
        };

        // Attribute chunks: one element of `components` numbers per primitive.
        let attribute = |k: [u8; 4], components: usize, floats_only: bool| -> Result<(Range<usize>, Encoding)> {
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
            if verify == Verify::Full {
                check_crc(e)?;
            }
            Ok((e.offset as usize..(e.offset + e.size) as usize, enc))
        };
        let (position, _) = attribute(kind::POSITION, 4, true)?;
        let (temporal, _) = attribute(kind::TEMPORAL, 4, true)?;
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
            storage,
            path: "<memory>".into(),
        };
        asset.validate_tables()?;
        Ok(asset)
    }

    /// Cross-checks segments, runs, levels and cameras against each other and the counts.
    fn validate_tables(&self) -> Result<()> {
        let n = self.info.primitive_count as u64;
        let runs = self.runs_all();
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
        for (i, c) in self.camera_records().iter().enumerate() {
            camera_from_record(c).validate().map_err(|e| bad(format!("camera {i}: {e}")))?;
        }
        Ok(())
    }

    /// The whole file, for uploading chunks as they are.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    /// A reader of this asset's bytes that outlives it (streaming).
    pub fn reader(&self) -> Reader {
        let source = match &self.storage {
            Storage::Mapped(_, file) => ReaderSource::File(file.clone()),
            Storage::Owned { words, len } => ReaderSource::Memory { words: words.clone(), len: *len },
        };
        Reader { source, path: self.path.clone() }
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
        self.bytes().len() as u64
    }

    pub fn chunks(&self) -> &[ChunkInfo] {
        &self.chunks
    }

    pub fn source_kind(&self) -> SourceKind {
        SourceKind::from_u32(self.info.source_kind)
    }

    /// x, y, z, t0 per primitive.
    pub fn positions(&self) -> &[[f32; 4]] {
        cast(self.bytes(), &self.position)
    }

    /// window begin, window end, σt, 0 per primitive.
    pub fn temporal(&self) -> &[[f32; 4]] {
        cast(self.bytes(), &self.temporal)
    }

    fn attribute(&self, (range, enc): &(Range<usize>, Encoding), components: usize) -> Attribute<'_> {
        let data = match enc {
            Encoding::F32 => AttributeData::F32(cast(self.bytes(), range)),
            Encoding::F16 => AttributeData::F16(cast(self.bytes(), range)),
        };
        Attribute { data, components }
    }

    pub fn rotations(&self) -> Attribute<'_> {
        self.attribute(&self.rotation, 4)
    }

    pub fn scale_opacity(&self) -> Attribute<'_> {
        self.attribute(&self.scale_opacity, 4)
    }

    pub fn motion(&self) -> Option<Attribute<'_>> {
        let d = self.info.motion_degree as usize;
        self.motion.as_ref().map(|m| self.attribute(m, 4 * d))
    }

    pub fn omega(&self) -> Option<Attribute<'_>> {
        self.omega.as_ref().map(|o| self.attribute(o, 4))
    }

    /// SH coefficients: `3 · sh_coeff_count()` numbers per primitive, RGB triples.
    pub fn sh(&self) -> Attribute<'_> {
        self.attribute(&self.sh, 3 * self.sh_coeff_count())
    }

    pub fn sh_coeff_count(&self) -> usize {
        sh::coeff_count(self.info.sh_degree.into(), self.info.sh_degree_t.into())
    }

    pub fn segments(&self) -> &[SegmentRecord] {
        cast(self.bytes(), &self.segments)
    }

    fn runs_all(&self) -> &[RunRecord] {
        cast(self.bytes(), &self.runs)
    }

    /// The active primitives of segment `index` as sorted index ranges.
    pub fn segment_runs(&self, index: usize) -> &[RunRecord] {
        let s = &self.segments()[index];
        &self.runs_all()[s.first_run as usize..(s.first_run + s.run_count) as usize]
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
        cast(self.bytes(), &self.levels)
    }

    /// The scale floor of every level, finest first.
    pub fn level_floors(&self) -> Vec<f32> {
        self.levels().iter().map(|l| l.scale_floor).collect()
    }

    /// The level primitive `i` belongs to.
    pub fn level_of(&self, i: u32) -> u32 {
        self.levels().partition_point(|l| l.first + l.count <= i) as u32
    }

    fn camera_records(&self) -> &[CameraRecord] {
        cast(self.bytes(), &self.cameras)
    }

    pub fn cameras(&self) -> Vec<Camera> {
        self.camera_records().iter().map(camera_from_record).collect()
    }

    pub fn provenance(&self) -> &str {
        // Checked to be UTF-8 by `validate`.
        std::str::from_utf8(&self.bytes()[self.provenance.clone()]).unwrap_or_default()
    }

    /// Decodes primitive `i` (panics if `i >= len()`, like slice indexing).
    pub fn primitive(&self, i: usize) -> Primitive {
        let [x, y, z, t0] = self.positions()[i];
        let [begin, end, sigma_t, _] = self.temporal()[i];
        let so = self.scale_opacity().vec4(i, 0);
        let mut motion = [Vec3::ZERO; 3];
        if let Some(m) = self.motion() {
            for (order, v) in motion.iter_mut().enumerate().take(self.info.motion_degree as usize) {
                *v = m.vec4(i, 4 * order).truncate();
            }
        }
        Primitive {
            position: Vec3::new(x, y, z),
            t0,
            sigma_t,
            window: [begin, end],
            motion,
            rotation: self.rotations().vec4(i, 0),
            omega: self.omega().map_or(Vec4::ZERO, |o| o.vec4(i, 0)),
            scale: so.truncate(),
            opacity: so.w,
        }
    }

    /// Writes primitive `i`'s SH coefficients into `out` (`sh_coeff_count()` long).
    pub fn sh_coeffs(&self, i: usize, out: &mut [[f32; 3]]) {
        let sh = self.sh();
        for (k, c) in out.iter_mut().enumerate().take(self.sh_coeff_count()) {
            *c = std::array::from_fn(|ch| sh.get(i, 3 * k + ch));
        }
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
