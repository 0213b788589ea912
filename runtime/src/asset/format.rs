//! The on-disk layout of `.s4d` (DESIGN §3). Little-endian, every struct `#[repr(C)]` and `Pod`
//! so that a chunk's bytes are used as they are (uploaded to the GPU, cast in memory). The writer lives in `pack`, the reader in `asset`.
//!
//! ```text
//! FileHeader (32 B) | ChunkEntry × chunk_count (32 B each) | chunks, each 16-byte aligned
//! ```
//! `FileHeader::checksum` is the CRC-32 of the header (with that field zero) and the chunk
//! table; every chunk carries the CRC-32 of its bytes. Unknown chunk kinds are skipped, so a
//! newer minor version stays readable; a different major version is refused.

use bytemuck::{Pod, Zeroable};

pub const MAGIC: [u8; 8] = *b"SPLAT4D\0";
pub const VERSION_MAJOR: u16 = 1;
/// 1: assets may hold more than one level of detail. 2: INFO's `render_flags` (a 1.1 reader
/// ignores them, so draws an anti-aliased asset without its opacity compensation).
pub const VERSION_MINOR: u16 = 2;
pub const ALIGN: u64 = 16;
/// More chunks than this is a corrupt table, not a real asset.
pub const MAX_CHUNKS: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct FileHeader {
    pub magic: [u8; 8],
    pub version_major: u16,
    pub version_minor: u16,
    pub chunk_count: u32,
    /// Total file size in bytes: a shorter file was truncated.
    pub file_size: u64,
    pub flags: u32,
    pub checksum: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct ChunkEntry {
    pub kind: [u8; 4],
    pub encoding: u16,
    pub reserved: u16,
    /// Bytes per element (per primitive for attribute chunks).
    pub stride: u32,
    pub checksum: u32,
    pub offset: u64,
    pub size: u64,
}

/// Chunk kinds. Attribute chunks hold one element per primitive, in pack order.
pub mod kind {
    /// [`super::AssetInfo`].
    pub const INFO: [u8; 4] = *b"INFO";
    /// UTF-8 text: where the asset came from and what was dropped on import.
    pub const PROVENANCE: [u8; 4] = *b"PROV";
    /// [`super::CameraRecord`] array.
    pub const CAMERAS: [u8; 4] = *b"CAMS";
    /// [`super::SegmentRecord`] array, in time order, covering the time range.
    pub const SEGMENTS: [u8; 4] = *b"SEGS";
    /// [`super::RunRecord`] array: the active primitives of every segment as index ranges.
    pub const RUNS: [u8; 4] = *b"RUNS";
    /// [`super::LevelRecord`] array, finest level first.
    pub const LEVELS: [u8; 4] = *b"LEVL";
    /// f32 × 4: x, y, z, t0.
    pub const POSITION: [u8; 4] = *b"POSN";
    /// f32 × 4: window begin, window end, σt, reserved (0).
    pub const TEMPORAL: [u8; 4] = *b"TMPR";
    /// f16|f32 × 4: unit quaternion w, x, y, z.
    pub const ROTATION: [u8; 4] = *b"ROTN";
    /// f16|f32 × 4: scale x, y, z, opacity.
    pub const SCALE_OPACITY: [u8; 4] = *b"SCOP";
    /// f16|f32 × 4·motion_degree: (v, 0), (a, 0), (j, 0). Absent when the degree is 0.
    pub const MOTION: [u8; 4] = *b"MOTN";
    /// f16|f32 × 4: rotation velocity. Absent when every primitive's is zero.
    pub const OMEGA: [u8; 4] = *b"OMGA";
    /// f16|f32 × 3·K: SH coefficients, K RGB triples (see `sh::coeff_count`).
    pub const SH: [u8; 4] = *b"SHCO";
}

/// How an attribute chunk stores its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    F32 = 0,
    F16 = 1,
}

impl Encoding {
    pub fn from_u16(v: u16) -> Option<Encoding> {
        match v {
            0 => Some(Encoding::F32),
            1 => Some(Encoding::F16),
            _ => None,
        }
    }

    pub fn bytes(self) -> u32 {
        match self {
            Encoding::F32 => 4,
            Encoding::F16 => 2,
        }
    }
}

/// Bits of [`AssetInfo::render_flags`].
pub mod render_flags {
    /// Opacity compensated for the 2D filter as the INRIA rasteriser's `antialiasing` does.
    pub const ANTIALIASED: u8 = 1;
    pub const KNOWN: u8 = ANTIALIASED;
}

/// Which importer produced an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Unknown = 0,
    FourDgsPly = 1,
    Splatv = 2,
    InriaPly = 3,
    DotSplat = 4,
    FrameSequence = 5,
    Procedural = 6,
    Spz = 7,
    CompressedPly = 8,
    Sog = 9,
    Gltf = 10,
    Ksplat = 11,
}

impl SourceKind {
    pub fn from_u32(v: u32) -> SourceKind {
        match v {
            1 => SourceKind::FourDgsPly,
            2 => SourceKind::Splatv,
            3 => SourceKind::InriaPly,
            4 => SourceKind::DotSplat,
            5 => SourceKind::FrameSequence,
            6 => SourceKind::Procedural,
            7 => SourceKind::Spz,
            8 => SourceKind::CompressedPly,
            9 => SourceKind::Sog,
            10 => SourceKind::Gltf,
            11 => SourceKind::Ksplat,
            _ => SourceKind::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Unknown => "unknown",
            SourceKind::FourDgsPly => "4dgs-ply",
            SourceKind::Splatv => "splatv",
            SourceKind::InriaPly => "3dgs-ply",
            SourceKind::DotSplat => "splat",
            SourceKind::FrameSequence => "frame-sequence",
            SourceKind::Procedural => "procedural",
            SourceKind::Spz => "spz",
            SourceKind::CompressedPly => "compressed-ply",
            SourceKind::Sog => "sog",
            SourceKind::Gltf => "gltf",
            SourceKind::Ksplat => "ksplat",
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct AssetInfo {
    pub primitive_count: u32,
    pub segment_count: u32,
    pub level_count: u32,
    pub camera_count: u32,
    pub sh_degree: u8,
    /// Number of time-cosine harmonics beyond the constant one (4DGS `sh_degree_t`).
    pub sh_degree_t: u8,
    pub motion_degree: u8,
    /// How the primitives are drawn: [`render_flags`] bits (zero before version 1.2; a reader
    /// refuses bits it does not know).
    pub render_flags: u8,
    pub source_kind: u32,
    /// Seconds on the asset's own axis (normalised [0, 1] for `.splatv`).
    pub time_range: [f32; 2],
    pub frame_rate: f32,
    /// Length of the segments' time slices (the last one may be shorter).
    pub segment_duration: f32,
    /// Period `D` of the time-cosine colour terms.
    pub sh_time_period: f32,
    /// Axis-aligned bounds of the primitives' centres at `t0`.
    pub bounds_min: [f32; 3],
    pub bounds_max: [f32; 3],
    /// A sphere around the bulk of the scene (centre, radius), for default cameras.
    pub focus: [f32; 4],
    /// Records the importer read from the source, and how many of them it dropped (the
    /// provenance text says why).
    pub source_records: u32,
    pub dropped_records: u32,
    pub reserved: [u32; 5],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq)]
pub struct SegmentRecord {
    /// `[begin, end)` in asset time.
    pub time: [f32; 2],
    /// Range of this segment's entries in the RUNS chunk.
    pub first_run: u32,
    pub run_count: u32,
    /// Number of primitives active in the segment (the sum of its runs' counts).
    pub active_count: u32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq, Eq)]
pub struct RunRecord {
    pub first: u32,
    pub count: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq)]
pub struct LevelRecord {
    /// FLoD spatial scale floor of the level (0 for the finest).
    pub scale_floor: f32,
    pub first: u32,
    pub count: u32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq)]
pub struct CameraRecord {
    pub width: u32,
    pub height: u32,
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    /// Camera-to-world rotation, row-major.
    pub rotation: [f32; 9],
    pub position: [f32; 3],
}

const _: () = {
    assert!(std::mem::size_of::<FileHeader>() == 32);
    assert!(std::mem::size_of::<ChunkEntry>() == 32);
    assert!(std::mem::size_of::<AssetInfo>() == 112);
    assert!(std::mem::size_of::<SegmentRecord>() == 24);
    assert!(std::mem::size_of::<CameraRecord>() == 72);
};
