//! Splats in memory, normalised to the runtime primitive: what importers produce and the packer
//! consumes. Every primitive enters through [`Splats::push`], the one place that decides which
//! source values are unusable, so every importer drops and reports bad input the same way.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::asset::format::SourceKind;
use crate::camera::Camera;
use crate::primitive::Primitive;
use crate::sh;

#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Human-readable description of the source (file names).
    pub source: String,
    /// Records read from the source.
    pub read: u64,
    /// Records dropped, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Other facts worth telling the user (e.g. values that were kept but are unusual).
    pub notes: Vec<String>,
}

impl ImportReport {
    pub fn drop(&mut self, reason: &str, count: u64) {
        if count > 0 {
            *self.dropped.entry(reason.to_string()).or_default() += count;
        }
    }

    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: read {} records", self.source, self.read)?;
        for (reason, count) in &self.dropped {
            write!(f, "; dropped {count}: {reason}")?;
        }
        for note in &self.notes {
            write!(f, "; note: {note}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Splats {
    pub primitives: Vec<Primitive>,
    /// `primitives.len() × coeff_count()` RGB triples.
    pub sh: Vec<[f32; 3]>,
    pub sh_degree: u32,
    pub sh_degree_t: u32,
    /// Period `D` of the time-cosine colour terms (4DGS: the time range's length).
    pub sh_time_period: f32,
    pub time_range: [f32; 2],
    pub frame_rate: f32,
    pub cameras: Vec<Camera>,
    pub source: SourceKind,
    pub report: ImportReport,
}

impl Splats {
    pub fn new(source: SourceKind, sh_degree: u32, sh_degree_t: u32, time_range: [f32; 2], frame_rate: f32) -> Splats {
        Splats {
            primitives: Vec::new(),
            sh: Vec::new(),
            sh_degree,
            sh_degree_t,
            sh_time_period: (time_range[1] - time_range[0]).max(f32::MIN_POSITIVE),
            time_range,
            frame_rate,
            cameras: Vec::new(),
            source,
            report: ImportReport::default(),
        }
    }

    /// The same kind of splats with no primitives, cameras or report.
    pub fn clone_empty(&self) -> Splats {
        Splats { primitives: Vec::new(), sh: Vec::new(), cameras: Vec::new(), report: ImportReport::default(), ..*self }
    }

    pub fn coeff_count(&self) -> usize {
        sh::coeff_count(self.sh_degree, self.sh_degree_t)
    }

    pub fn len(&self) -> usize {
        self.primitives.len()
    }

    pub fn is_empty(&self) -> bool {
        self.primitives.is_empty()
    }

    pub fn coeffs(&self, i: usize) -> &[[f32; 3]] {
        let k = self.coeff_count();
        &self.sh[i * k..(i + 1) * k]
    }

    /// Adds a primitive, or counts it in the report as dropped and returns false when it cannot
    /// be rendered. Quaternions are normalised here; a zero one is dropped.
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
        } else if !p.rotation.is_finite() || p.rotation.length_squared() == 0.0 {
            Some("zero or non-finite rotation")
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
        // that exact while giving the stored orientation unit length.
        let len = p.rotation.length();
        p.rotation /= len;
        p.omega /= len;
        self.primitives.push(p);
        self.sh.extend_from_slice(coeffs);
        true
    }

    /// Highest motion order with a nonzero coefficient (0 = static positions).
    pub fn motion_degree(&self) -> u32 {
        (0..3)
            .rev()
            .find(|&o| self.primitives.iter().any(|p| p.motion[o] != glam::Vec3::ZERO))
            .map_or(0, |o| o as u32 + 1)
    }
}
