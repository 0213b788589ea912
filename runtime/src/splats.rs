//! Splats in memory, normalised to the runtime primitive: what importers produce and the packer
//! consumes. Every primitive enters through [`Splats::push`], the one place that decides which
//! source values are unusable, so every importer drops and reports bad input the same way.
//!
//! Primitives are held as the packer writes them: one array per attribute (SoA), each in f16
//! where the value is within the attribute's tolerance ([`Precision::Compact`]) or in f32
//! ([`Precision::Full`]). A capture of any size then needs about the memory of its asset, not
//! of its source or of decoded f32 primitives.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use glam::{Vec3, Vec4};
use half::f16;

use crate::asset::format::{Encoding, SourceKind};
use crate::camera::Camera;
use crate::primitive::Primitive;
use crate::sh;

#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Human-readable description of the source (file names).
    pub source: String,
    /// The source's format and how it quantises each value (empty where not known).
    pub format: String,
    /// Records read from the source.
    pub read: u64,
    /// Records dropped, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Other facts worth telling the user (e.g. values that were kept but are unusual).
    pub notes: Vec<String>,
    /// Records kept but read as their source's renderer reads them, by what was done.
    pub adjusted: BTreeMap<String, u64>,
}

impl ImportReport {
    pub fn drop(&mut self, reason: &str, count: u64) {
        if count > 0 {
            *self.dropped.entry(reason.to_string()).or_default() += count;
        }
    }

    pub fn adjust(&mut self, what: &str, count: u64) {
        if count > 0 {
            *self.adjusted.entry(what.to_string()).or_default() += count;
        }
    }

    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// Adds another report's counts (a frame of a sequence) to this one's.
    pub fn add_counts(&mut self, other: &ImportReport) {
        self.read += other.read;
        for (reason, count) in &other.dropped {
            self.drop(reason, *count);
        }
        for (what, count) in &other.adjusted {
            self.adjust(what, *count);
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if !self.format.is_empty() {
            write!(f, " ({})", self.format)?;
        }
        write!(f, ": read {} records", self.read)?;
        for (reason, count) in &self.dropped {
            write!(f, "; dropped {count}: {reason}")?;
        }
        for (what, count) in &self.adjusted {
            write!(f, "; note: {count} {what}")?;
        }
        for note in &self.notes {
            write!(f, "; note: {note}")?;
        }
        Ok(())
    }
}

/// How splats hold their attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// f16 wherever a value is within its attribute's [`Tolerance`], as a default pack stores
    /// it: an attribute is f16 until one of its values is not, then f32 from there on (the
    /// values before keep their f16 rounding, which is within the tolerance too). About half
    /// the memory: what packing a large capture needs (the CLI imports this way).
    Compact,
    /// f32 throughout: exact, and what a pack decides f16 from, attribute by attribute.
    #[default]
    Full,
}

/// How far a value may move when held in f16: `|f16(v) − v| ≤ max(rel·|v|, abs)`.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub rel: f32,
    pub abs: f32,
}

impl Tolerance {
    pub const fn abs(abs: f32) -> Tolerance {
        Tolerance { rel: 0.0, abs }
    }

    pub const fn rel(rel: f32) -> Tolerance {
        Tolerance { rel, abs: 1e-7 }
    }

    pub fn fits(self, v: f32) -> bool {
        let h = f16::from_f32(v);
        h.is_finite() && (h.to_f32() - v).abs() <= (self.rel * v.abs()).max(self.abs)
    }
}

/// What matters of each attribute (cycled over its components): rotations to 1e-3 of a unit
/// quaternion, scales, motion and rotation velocities to 0.1 %, opacity to 1e-3 and colour
/// coefficients to 2e-3 (half a step of an 8-bit colour).
pub mod tolerance {
    use super::Tolerance;
    pub const ROTATION: &[Tolerance] = &[Tolerance::abs(1e-3)];
    pub const SCALE_OPACITY: &[Tolerance] =
        &[Tolerance::rel(1e-3), Tolerance::rel(1e-3), Tolerance::rel(1e-3), Tolerance::abs(1e-3)];
    pub const MOTION: &[Tolerance] = &[Tolerance::rel(1e-3)];
    pub const OMEGA: &[Tolerance] = &[Tolerance::rel(1e-3)];
    pub const SH: &[Tolerance] = &[Tolerance::abs(2e-3)];
}

/// One attribute of every primitive: `components` numbers each, in f16 or f32.
#[derive(Clone, Debug)]
pub struct Column {
    values: Values,
    components: usize,
    tolerance: &'static [Tolerance],
}

#[derive(Clone, Debug)]
enum Values {
    F16(Vec<f16>),
    F32(Vec<f32>),
}

impl Column {
    fn new(components: usize, tolerance: &'static [Tolerance], precision: Precision) -> Column {
        let values = match precision {
            Precision::Compact => Values::F16(Vec::new()),
            Precision::Full => Values::F32(Vec::new()),
        };
        Column { values, components, tolerance }
    }

    /// A column of `n` primitives whose values are all zero (an attribute seen first late).
    fn zeros(n: usize, components: usize, tolerance: &'static [Tolerance], precision: Precision) -> Column {
        let mut c = Column::new(components, tolerance, precision);
        match &mut c.values {
            Values::F16(v) => v.resize(n * components, f16::ZERO),
            Values::F32(v) => v.resize(n * components, 0.0),
        }
        c
    }

    fn tolerance(&self, component: usize) -> Tolerance {
        self.tolerance[component % self.components % self.tolerance.len()]
    }

    fn push(&mut self, v: &[f32]) {
        debug_assert_eq!(v.len(), self.components);
        if let Values::F16(h) = &mut self.values {
            if v.iter().enumerate().all(|(c, &x)| self.tolerance[c % self.tolerance.len()].fits(x)) {
                h.extend(v.iter().map(|&x| f16::from_f32(x)));
                return;
            }
            // This value does not fit: the attribute is f32 from here on.
            self.values = Values::F32(h.iter().map(|x| x.to_f32()).collect());
        }
        if let Values::F32(f) = &mut self.values {
            f.extend_from_slice(v);
        }
    }

    pub fn len(&self) -> usize {
        match &self.values {
            Values::F16(v) => v.len() / self.components,
            Values::F32(v) => v.len() / self.components,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn components(&self) -> usize {
        self.components
    }

    pub fn get(&self, primitive: usize, component: usize) -> f32 {
        let i = primitive * self.components + component;
        match &self.values {
            Values::F16(v) => v[i].to_f32(),
            Values::F32(v) => v[i],
        }
    }

    fn vec4(&self, primitive: usize) -> Vec4 {
        Vec4::from_array(std::array::from_fn(|c| self.get(primitive, c)))
    }

    /// How the packer stores this attribute: f16 when every value is within its tolerance
    /// (always, for a compact attribute still held in f16) unless `full` asks for f32.
    pub fn encoding(&self, full: bool) -> Encoding {
        match &self.values {
            _ if full => Encoding::F32,
            Values::F16(_) => Encoding::F16,
            Values::F32(v) => {
                use rayon::prelude::*;
                // Whole primitives to a task (so a value's index in it gives its component),
                // each task a plain loop: the check costs the check, not the scheduling.
                let c = self.components;
                let fits = v
                    .par_chunks(c * 4096)
                    .all(|task| task.iter().enumerate().all(|(i, &x)| self.tolerance(i % c).fits(x)));
                if fits {
                    Encoding::F16
                } else {
                    Encoding::F32
                }
            }
        }
    }

    /// Whether any value is held in f16 (then the column cannot be written exactly as f32).
    pub fn is_compact(&self) -> bool {
        matches!(self.values, Values::F16(_))
    }

    /// Appends primitive `i`'s values in `encoding` to `out` as little-endian bytes.
    pub fn write(&self, i: usize, encoding: Encoding, out: &mut Vec<u8>) {
        let range = i * self.components..(i + 1) * self.components;
        match (&self.values, encoding) {
            (Values::F16(v), Encoding::F16) => out.extend_from_slice(bytemuck::cast_slice(&v[range])),
            (Values::F32(v), Encoding::F32) => out.extend_from_slice(bytemuck::cast_slice(&v[range])),
            (Values::F16(v), Encoding::F32) => {
                v[range].iter().for_each(|h| out.extend_from_slice(&h.to_f32().to_le_bytes()))
            }
            (Values::F32(v), Encoding::F16) => {
                v[range].iter().for_each(|&x| out.extend_from_slice(&f16::from_f32(x).to_le_bytes()))
            }
        }
    }

    fn bytes(&self) -> usize {
        match &self.values {
            Values::F16(v) => v.capacity() * 2,
            Values::F32(v) => v.capacity() * 4,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Splats {
    /// x, y, z, t0 per primitive.
    position: Vec<[f32; 4]>,
    /// window begin, window end, σt, 0 per primitive.
    temporal: Vec<[f32; 4]>,
    rotation: Column,
    scale_opacity: Column,
    /// Velocity, acceleration, jerk, each (x, y, z, 0); absent until one is nonzero.
    motion: [Option<Column>; 3],
    /// Absent until a primitive's rotation velocity is nonzero.
    omega: Option<Column>,
    /// `coeff_count()` RGB triples per primitive.
    sh: Column,
    precision: Precision,
    pub sh_degree: u32,
    pub sh_degree_t: u32,
    /// Period `D` of the time-cosine colour terms (4DGS: the time range's length).
    pub sh_time_period: f32,
    pub time_range: [f32; 2],
    pub frame_rate: f32,
    pub cameras: Vec<Camera>,
    pub source: SourceKind,
    /// Trained with the INRIA rasteriser's `antialiasing` (Mip-Splatting's 2D filter): drawn
    /// with its opacity compensation `o·√(det Σ₂ / det(Σ₂ + 0.3 I))`.
    pub antialiased: bool,
    pub report: ImportReport,
}

impl Splats {
    /// Empty splats in full precision (see [`Splats::with_precision`]).
    pub fn new(source: SourceKind, sh_degree: u32, sh_degree_t: u32, time_range: [f32; 2], frame_rate: f32) -> Splats {
        let full = Precision::Full;
        Splats {
            position: Vec::new(),
            temporal: Vec::new(),
            rotation: Column::new(4, tolerance::ROTATION, full),
            scale_opacity: Column::new(4, tolerance::SCALE_OPACITY, full),
            motion: [None, None, None],
            omega: None,
            sh: Column::new(3 * sh::coeff_count(sh_degree, sh_degree_t), tolerance::SH, full),
            precision: full,
            sh_degree,
            sh_degree_t,
            sh_time_period: (time_range[1] - time_range[0]).max(f32::MIN_POSITIVE),
            time_range,
            frame_rate,
            cameras: Vec::new(),
            source,
            antialiased: false,
            report: ImportReport::default(),
        }
    }

    /// The same splats held in `precision`: to compact, each attribute is f16 if every value
    /// fits; to full, f16 values are widened (so not recovered: import in full precision for
    /// that).
    pub fn with_precision(&self, precision: Precision) -> Splats {
        let mut out = self.empty_like(precision);
        let mut coeffs = vec![[0.0; 3]; self.coeff_count()];
        for i in 0..self.len() {
            self.coeffs_into(i, &mut coeffs);
            out.store(self.primitive(i), &coeffs);
        }
        out.cameras.clone_from(&self.cameras);
        out.report = self.report.clone();
        out
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The same kind of splats with no primitives, cameras or report.
    pub fn clone_empty(&self) -> Splats {
        self.empty_like(self.precision)
    }

    fn empty_like(&self, precision: Precision) -> Splats {
        let k = 3 * self.coeff_count();
        Splats {
            position: Vec::new(),
            temporal: Vec::new(),
            rotation: Column::new(4, tolerance::ROTATION, precision),
            scale_opacity: Column::new(4, tolerance::SCALE_OPACITY, precision),
            motion: [None, None, None],
            omega: None,
            sh: Column::new(k, tolerance::SH, precision),
            precision,
            cameras: Vec::new(),
            report: ImportReport::default(),
            ..*self
        }
    }

    /// Sets the colour layout of splats that hold no primitive yet.
    pub fn set_sh_degrees(&mut self, sh_degree: u32, sh_degree_t: u32) {
        assert!(self.is_empty(), "the colour layout is fixed once splats hold primitives");
        (self.sh_degree, self.sh_degree_t) = (sh_degree, sh_degree_t);
        self.sh = Column::new(3 * self.coeff_count(), tolerance::SH, self.precision);
    }

    pub fn coeff_count(&self) -> usize {
        sh::coeff_count(self.sh_degree, self.sh_degree_t)
    }

    pub fn len(&self) -> usize {
        self.position.len()
    }

    pub fn is_empty(&self) -> bool {
        self.position.is_empty()
    }

    /// Primitive `i`, decoded (panics if `i >= len()`, like slice indexing).
    pub fn primitive(&self, i: usize) -> Primitive {
        let [x, y, z, t0] = self.position[i];
        let [begin, end, sigma_t, _] = self.temporal[i];
        let so = self.scale_opacity.vec4(i);
        Primitive {
            position: Vec3::new(x, y, z),
            t0,
            sigma_t,
            window: [begin, end],
            motion: std::array::from_fn(|o| self.motion[o].as_ref().map_or(Vec3::ZERO, |m| m.vec4(i).truncate())),
            rotation: self.rotation.vec4(i),
            omega: self.omega.as_ref().map_or(Vec4::ZERO, |o| o.vec4(i)),
            scale: so.truncate(),
            opacity: so.w,
        }
    }

    /// Every primitive, decoded, in order.
    pub fn primitives(&self) -> impl ExactSizeIterator<Item = Primitive> + '_ {
        (0..self.len()).map(|i| self.primitive(i))
    }

    /// Primitive `i`'s colour coefficients into `out` (`coeff_count()` long).
    pub fn coeffs_into(&self, i: usize, out: &mut [[f32; 3]]) {
        for (k, c) in out.iter_mut().enumerate() {
            *c = std::array::from_fn(|ch| self.sh.get(i, 3 * k + ch));
        }
    }

    /// Primitive `i`'s colour coefficients.
    pub fn coeffs(&self, i: usize) -> Vec<[f32; 3]> {
        let mut out = vec![[0.0; 3]; self.coeff_count()];
        self.coeffs_into(i, &mut out);
        out
    }

    /// Adds a primitive, or counts it in the report as dropped and returns false when it cannot
    /// be rendered. Quaternions are normalised here. A zero one is what SpacetimeGaussians (the
    /// `.splatv` trainer) leaves where a rotation never received a gradient, and its rasteriser,
    /// like the INRIA one and `.splat` viewers, builds the rotation matrix from the quaternion
    /// unnormalised, which for zero is the identity: such a splat is drawn, axis-aligned. So it
    /// is kept (counted as a note) for those sources, and dropped for 4DGS, whose code divides
    /// by the norm.
    pub fn push(&mut self, mut p: Primitive, coeffs: &[[f32; 3]]) -> bool {
        debug_assert_eq!(coeffs.len(), self.coeff_count());
        let finite3 = |v: glam::Vec3| v.is_finite();
        let reason = if !finite3(p.position) || !p.t0.is_finite() {
            Some("non-finite position or time")
        } else if !finite3(p.scale) || p.scale.min_element() < 0.0 {
            Some("non-finite or negative scale")
        } else if !p.opacity.is_finite() || !(0.0..=1.0).contains(&p.opacity) {
            Some("opacity outside [0, 1]")
        } else if p.opacity < 1.0 / 255.0 {
            Some("opacity below 1/255 (never visible)")
        } else if p.sigma_t.is_nan()
            || p.sigma_t <= 0.0
            || p.window[0].partial_cmp(&p.window[1]) != Some(Ordering::Less)
        {
            Some("invalid temporal envelope")
        } else if !p.motion.iter().all(|m| finite3(*m)) || !p.omega.is_finite() {
            Some("non-finite motion")
        } else if !p.rotation.is_finite() {
            Some("non-finite rotation")
        } else if p.rotation.length_squared() == 0.0 && self.source == SourceKind::FourDgsPly {
            Some("zero rotation (4DGS normalises it: undefined)")
        } else if !coeffs.iter().flatten().all(|c| c.is_finite()) {
            Some("non-finite colour")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.report.drop(reason, 1);
            return false;
        }
        // Sources evaluate normalize(q + ω dt) with q as stored; dividing both by |q| keeps
        // that exact while giving the stored orientation unit length. A zero q stays zero
        // where ω turns it: the identity at t0 only (Primitive::rotation_at), as in the trainer.
        let len = p.rotation.length();
        if len > 0.0 {
            p.rotation /= len;
            p.omega /= len;
        } else {
            self.report.adjust("zero rotations drawn as the identity, as their trainer draws them", 1);
            if p.omega == Vec4::ZERO {
                p.rotation = Vec4::new(1.0, 0.0, 0.0, 0.0);
            }
        }
        self.store(p, coeffs);
        true
    }

    /// Appends a primitive that is known to be valid (normalised, finite), as it is.
    pub(crate) fn store(&mut self, p: Primitive, coeffs: &[[f32; 3]]) {
        let n = self.len();
        let precision = self.precision;
        self.position.push([p.position.x, p.position.y, p.position.z, p.t0]);
        self.temporal.push([p.window[0], p.window[1], p.sigma_t, 0.0]);
        self.rotation.push(&p.rotation.to_array());
        self.scale_opacity.push(&[p.scale.x, p.scale.y, p.scale.z, p.opacity]);
        for (column, m) in self.motion.iter_mut().zip(p.motion) {
            if m != Vec3::ZERO && column.is_none() {
                *column = Some(Column::zeros(n, 4, tolerance::MOTION, precision));
            }
            if let Some(c) = column {
                c.push(&m.extend(0.0).to_array());
            }
        }
        if p.omega != Vec4::ZERO && self.omega.is_none() {
            self.omega = Some(Column::zeros(n, 4, tolerance::OMEGA, precision));
        }
        if let Some(c) = &mut self.omega {
            c.push(&p.omega.to_array());
        }
        self.sh.push(bytemuck::cast_slice(coeffs));
    }

    /// Appends primitive `i` of `other` (the same colour layout or a lower SH degree, whose
    /// missing coefficients are zero: the same colour), as it is.
    pub fn append_from(&mut self, other: &Splats, i: usize, coeffs: &mut Vec<[f32; 3]>) {
        coeffs.clear();
        coeffs.resize(self.coeff_count(), [0.0; 3]);
        other.coeffs_into(i, &mut coeffs[..other.coeff_count()]);
        self.store(other.primitive(i), coeffs);
    }

    /// Gives the primitives from `first` on the box window `[begin, end)`, starting at `begin`
    /// (a frame of a per-frame sequence).
    pub fn set_windows(&mut self, first: std::ops::RangeFrom<usize>, [begin, end]: [f32; 2]) {
        for (p, t) in self.position[first.clone()].iter_mut().zip(&mut self.temporal[first]) {
            p[3] = begin;
            (t[0], t[1]) = (begin, end);
        }
    }

    /// Highest motion order with a nonzero coefficient (0 = static positions).
    pub fn motion_degree(&self) -> u32 {
        self.motion.iter().rposition(Option::is_some).map_or(0, |o| o as u32 + 1)
    }

    /// Whether any primitive has a rotation velocity.
    pub fn has_omega(&self) -> bool {
        self.omega.is_some()
    }

    /// x, y, z, t0 per primitive.
    pub fn positions(&self) -> &[[f32; 4]] {
        &self.position
    }

    /// window begin, window end, σt, 0 per primitive.
    pub fn temporal(&self) -> &[[f32; 4]] {
        &self.temporal
    }

    /// The attribute columns the packer writes, as `(rotation, scale_opacity, motion, omega,
    /// sh)`.
    pub(crate) fn columns(&self) -> (&Column, &Column, &[Option<Column>; 3], Option<&Column>, &Column) {
        (&self.rotation, &self.scale_opacity, &self.motion, self.omega.as_ref(), &self.sh)
    }

    /// Bytes held for the primitives (what a pack of them needs besides its tables).
    pub fn held_bytes(&self) -> usize {
        let columns = [Some(&self.rotation), Some(&self.scale_opacity), self.omega.as_ref(), Some(&self.sh)];
        let motion = self.motion.iter().flatten();
        (self.position.capacity() + self.temporal.capacity()) * 16
            + columns.into_iter().flatten().chain(motion).map(Column::bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splat(scale: f32, sh: f32) -> (Primitive, [[f32; 3]; 1]) {
        (Primitive { scale: Vec3::splat(scale), ..Primitive::default() }, [[sh; 3]])
    }

    #[test]
    fn a_zero_quaternion_is_the_identity_but_for_4dgs() {
        let zero = |omega| Primitive { rotation: Vec4::ZERO, omega, ..Primitive::default() };
        for kind in [SourceKind::Splatv, SourceKind::InriaPly, SourceKind::DotSplat] {
            let mut s = Splats::new(kind, 0, 0, [0.0, 1.0], 30.0);
            assert!(s.push(zero(Vec4::ZERO), &[[0.0; 3]]));
            assert_eq!(s.primitive(0).rotation, Vec4::new(1.0, 0.0, 0.0, 0.0), "{kind:?}");
            // Turning with ω, it stays zero at t0 (where the run time draws the identity).
            assert!(s.push(zero(Vec4::new(0.0, 1.0, 0.0, 0.0)), &[[0.0; 3]]));
            assert_eq!(s.primitive(1).rotation, Vec4::ZERO, "{kind:?}");
            assert_eq!((s.report.dropped_total(), s.report.adjusted.values().sum::<u64>()), (0, 2));
        }
        let mut s = Splats::new(SourceKind::FourDgsPly, 0, 0, [0.0, 1.0], 30.0);
        assert!(!s.push(zero(Vec4::ZERO), &[[0.0; 3]]));
        assert_eq!(s.report.dropped_total(), 1, "4DGS divides by the norm: {}", s.report);
    }

    #[test]
    fn compact_columns_hold_f16_until_a_value_does_not_fit() {
        let mut s = Splats::new(SourceKind::Procedural, 0, 0, [0.0, 1.0], 30.0).with_precision(Precision::Compact);
        let (p, c) = splat(0.5, 0.25);
        assert!(s.push(p, &c));
        assert!(s.sh.is_compact() && s.scale_opacity.is_compact());
        assert_eq!(s.sh.encoding(false), Encoding::F16);
        // f16 steps are 1/128 at 9: 9.004 is 0.004 from the nearest, beyond 2e-3, so colour is
        // f32 from now on.
        let (p, c) = splat(0.5, 9.004);
        assert!(s.push(p, &c));
        assert!(!s.sh.is_compact() && s.scale_opacity.is_compact());
        assert_eq!(s.coeffs(1), [[9.004; 3]]);
        assert_eq!(s.coeffs(0), [[0.25; 3]]);
        assert_eq!(s.sh.encoding(false), Encoding::F32);
        // Full precision holds f32, and decides f16 over all values when packing.
        let mut f = Splats::new(SourceKind::Procedural, 0, 0, [0.0, 1.0], 30.0);
        let (p, c) = splat(0.1234567, 0.25);
        f.push(p, &c);
        assert_eq!(f.primitive(0).scale.x, 0.1234567);
        assert_eq!((f.scale_opacity.encoding(false), f.scale_opacity.encoding(true)), (Encoding::F16, Encoding::F32));
    }

    #[test]
    fn motion_and_omega_columns_appear_with_their_first_nonzero_value() {
        let mut s = Splats::new(SourceKind::Procedural, 0, 0, [0.0, 1.0], 30.0);
        let (p, c) = splat(1.0, 0.0);
        s.push(p, &c);
        assert_eq!((s.motion_degree(), s.has_omega()), (0, false));
        let moving = Primitive { motion: [Vec3::ZERO, Vec3::X, Vec3::ZERO], omega: Vec4::W, ..p };
        s.push(moving, &c);
        assert_eq!((s.motion_degree(), s.has_omega()), (2, true));
        assert_eq!(s.primitive(0), p);
        assert_eq!(s.primitive(1), moving);
    }
}
