//! Levels of detail (DESIGN §4, `reference/algorithms.md` §3): FLoD's per-level scale floors,
//! its selective rule, and the governor that moves the rule's γ to hold a frame budget.
//!
//! Levels are numbered finest first: level 0 is the asset as trained (floor 0), level k has the
//! floor `s_k = λ·ρ^(k+1−N)` of N levels, so the coarsest has λ. FLoD numbers the other way
//! (its level `L_max − k` is our k).
//!
//! The selective rule, per view: a primitive of level k is drawn where its distance d to the
//! eye satisfies `f·s_k/γ ≤ d < f·s_{k+1}/γ` (f the focal length in pixels), so each level is
//! drawn where its floor projects to at most γ pixels and the next coarser one's to more. The
//! finest level of the allowed range reaches down to the eye and the coarsest out to infinity.

pub mod governor;
#[cfg(feature = "pack")]
pub mod merge;

use crate::camera::Camera;
use crate::error::{Error, Result};

pub use crate::profile::MAX_LEVELS;
pub use governor::Governor;

/// FLoD's ratio between the floors of neighbouring levels.
pub const DEFAULT_RHO: f32 = 4.0;
/// FLoD's coarsest floor λ in world units, for trained levels imported as they are.
pub const FLOD_LAMBDA: f32 = 0.2;
/// λ as a fraction of the scene's radius, for levels built at pack time: FLoD's 0.2 on
/// Mip-NeRF 360 scenes a few units across.
pub const LAMBDA_OF_RADIUS: f32 = 0.05;

/// The scale floors of `count` levels, finest (0) first.
pub fn floors(count: usize, lambda: f32, rho: f32) -> Vec<f32> {
    (0..count).map(|k| if k == 0 { 0.0 } else { lambda * rho.powi(k as i32 + 1 - count as i32) }).collect()
}

/// Which levels a frame draws, and where.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selection {
    /// The finest level drawn; it reaches down to the eye.
    pub finest: u32,
    /// The coarsest level drawn, clamped to the asset's; it reaches out to infinity.
    pub coarsest: u32,
    /// Screen size in pixels the floors of the drawn levels may reach (FLoD's γ, 1 by default).
    pub gamma: f32,
}

impl Default for Selection {
    /// Every level, at γ = 1: as fine as the eye can tell apart.
    fn default() -> Self {
        Selection { finest: 0, coarsest: u32::MAX, gamma: 1.0 }
    }
}

impl Selection {
    /// Level `level` alone, everywhere.
    pub fn level(level: u32) -> Selection {
        Selection { finest: level, coarsest: level, gamma: 1.0 }
    }

    /// Every level at `gamma`.
    pub fn gamma(gamma: f32) -> Selection {
        Selection { gamma, ..Selection::default() }
    }

    /// The selection for an asset of `levels` levels: the range clamped to it, or an error
    /// when it names no level of the asset or γ is not a positive number.
    pub fn for_levels(self, levels: usize) -> Result<Selection> {
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(Error::InvalidArgument(format!("LoD γ {} is not a positive number", self.gamma)));
        }
        if self.finest as usize >= levels || self.finest > self.coarsest {
            return Err(Error::InvalidArgument(format!(
                "LoD levels {}..={} name no level of an asset with {levels}",
                self.finest, self.coarsest
            )));
        }
        Ok(Selection { coarsest: self.coarsest.min(levels as u32 - 1), ..self })
    }

    /// Where level `level` is drawn for a focal length of `focal` pixels: `[near, far)` in
    /// distance from the eye, or `None` outside the range. `floors` are the asset's.
    pub fn band(&self, floors: &[f32], level: u32, focal: f32) -> Option<(f32, f32)> {
        if level < self.finest || level > self.coarsest || level as usize >= floors.len() {
            return None;
        }
        let d = |k: u32| focal * floors[k as usize] / self.gamma;
        let near = if level == self.finest { 0.0 } else { d(level) };
        let far = if level == self.coarsest { f32::INFINITY } else { d(level + 1) };
        Some((near, far))
    }

    /// Whether a primitive of `level` at `distance` from the eye is drawn.
    pub fn selects(&self, floors: &[f32], level: u32, focal: f32, distance: f32) -> bool {
        self.band(floors, level, focal).is_some_and(|(near, far)| distance >= near && distance < far)
    }
}

/// The focal length FLoD's rule uses for a camera: the smaller axis's, in pixels.
pub fn focal(camera: &Camera) -> f32 {
    camera.fx.min(camera.fy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_follow_flod() {
        // FLoD's defaults: λ = 0.2, ρ = 4, five levels: 0.2, 0.05, 0.0125, 0.003125, 0.
        let f = floors(5, 0.2, 4.0);
        assert_eq!(f, vec![0.0, 0.003125, 0.0125, 0.05, 0.2]);
        assert_eq!(floors(1, 0.2, 4.0), vec![0.0]);
    }

    #[test]
    fn bands_match_flods_worked_example() {
        // algorithms.md §3.5: f = 1000, γ = 1, FLoD levels {5, 4, 3} (ours 0, 1, 2): level 5
        // below 3.125, level 4 to 12.5, level 3 beyond.
        let f = floors(5, 0.2, 4.0);
        let s = Selection { finest: 0, coarsest: 2, gamma: 1.0 };
        assert_eq!(s.band(&f, 0, 1000.0), Some((0.0, 3.125)));
        assert_eq!(s.band(&f, 1, 1000.0), Some((3.125, 12.5)));
        assert_eq!(s.band(&f, 2, 1000.0), Some((12.5, f32::INFINITY)));
        assert_eq!(s.band(&f, 3, 1000.0), None);
        // {4, 3, 2}: level 4 below 12.5, 3 to 50, 2 beyond.
        let s = Selection { finest: 1, coarsest: 3, gamma: 1.0 };
        assert_eq!(s.band(&f, 1, 1000.0), Some((0.0, 12.5)));
        assert_eq!(s.band(&f, 2, 1000.0), Some((12.5, 50.0)));
        assert_eq!(s.band(&f, 3, 1000.0), Some((50.0, f32::INFINITY)));
        // A larger γ pulls every band in.
        let s = Selection { gamma: 4.0, ..s };
        assert_eq!(s.band(&f, 2, 1000.0), Some((3.125, 12.5)));
    }

    #[test]
    fn every_distance_gets_exactly_one_level() {
        let f = floors(6, 1.0, 3.0);
        for s in [Selection::default(), Selection { finest: 2, coarsest: 4, gamma: 0.7 }, Selection::level(3)] {
            let s = s.for_levels(f.len()).unwrap();
            for i in 0..2000 {
                let d = 1e-3 * 1.01f32.powi(i);
                let n = (0..f.len() as u32).filter(|&k| s.selects(&f, k, 800.0, d)).count();
                assert_eq!(n, 1, "{s:?} at {d}");
            }
        }
    }

    #[test]
    fn bad_selections_are_refused() {
        assert!(Selection::level(3).for_levels(3).is_err());
        assert!(Selection { finest: 2, coarsest: 1, gamma: 1.0 }.for_levels(4).is_err());
        assert!(Selection::gamma(0.0).for_levels(2).is_err());
        assert!(Selection::gamma(f32::NAN).for_levels(2).is_err());
        assert_eq!(Selection::default().for_levels(3).unwrap().coarsest, 2);
    }
}
