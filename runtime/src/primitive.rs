//! The runtime primitive (DESIGN §2): what every source is normalised into at pack time, and how
//! it is sliced at a time t. The GPU slice shader mirrors [`Primitive::slice`].

use glam::{Mat3, Vec3, Vec4};

use crate::math::quat_to_mat3;

/// One primitive, decoded to f32. Quaternions are `[w, x, y, z]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Primitive {
    /// Centre at `t0`.
    pub position: Vec3,
    /// Temporal centre.
    pub t0: f32,
    /// Temporal width: opacity is scaled by `exp(-½ ((t - t0) / sigma_t)²)`; `+inf` = constant.
    pub sigma_t: f32,
    /// The primitive exists only for `window[0] <= t < window[1]`. This carries each source's
    /// own cut-off (4DGS drops p ≤ 0.05, splaTV p < 0.02) and per-frame boxes exactly.
    pub window: [f32; 2],
    /// Motion polynomial `p(t) = p + v dt + a dt² + j dt³`, `dt = t - t0`.
    pub motion: [Vec3; 3],
    /// Orientation at `t0`, unit quaternion.
    pub rotation: Vec4,
    /// Rotation velocity: `q(t) = normalize(q + omega dt)`.
    pub omega: Vec4,
    /// Standard deviations along the rotated axes (activated, not log).
    pub scale: Vec3,
    /// Peak opacity in [0, 1] (activated, not logit).
    pub opacity: f32,
}

impl Default for Primitive {
    fn default() -> Self {
        Primitive {
            position: Vec3::ZERO,
            t0: 0.0,
            sigma_t: f32::INFINITY,
            window: [f32::NEG_INFINITY, f32::INFINITY],
            motion: [Vec3::ZERO; 3],
            rotation: Vec4::new(1.0, 0.0, 0.0, 0.0),
            omega: Vec4::ZERO,
            scale: Vec3::ONE,
            opacity: 1.0,
        }
    }
}

/// A primitive at one instant: a 3D Gaussian.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slice {
    pub mean: Vec3,
    /// World-space covariance `R S² Rᵀ`.
    pub covariance: Mat3,
    /// Peak opacity times the temporal envelope.
    pub opacity: f32,
}

impl Primitive {
    pub fn is_alive(&self, t: f32) -> bool {
        t >= self.window[0] && t < self.window[1]
    }

    /// Temporal envelope at `t`, without the window test.
    pub fn temporal_opacity(&self, t: f32) -> f32 {
        let u = (t - self.t0) / self.sigma_t;
        (-0.5 * u * u).exp()
    }

    pub fn position_at(&self, t: f32) -> Vec3 {
        let dt = t - self.t0;
        let [v, a, j] = self.motion;
        self.position + dt * (v + dt * (a + dt * j))
    }

    /// Orientation at `t`: the identity where `q + omega dt` vanishes (as the unnormalised
    /// quaternion-to-matrix formula of the INRIA and SpacetimeGaussians rasterisers gives for
    /// zero), `None` where it is not finite.
    pub fn rotation_at(&self, t: f32) -> Option<Vec4> {
        let q = self.rotation + self.omega * (t - self.t0);
        let len = q.length();
        if len == 0.0 {
            return Some(Vec4::new(1.0, 0.0, 0.0, 0.0));
        }
        len.is_finite().then(|| q / len)
    }

    /// The 3D Gaussian at `t`, or `None` when the primitive is not alive then.
    pub fn slice(&self, t: f32) -> Option<Slice> {
        if !self.is_alive(t) {
            return None;
        }
        let rotation = self.rotation_at(t)?;
        let m = quat_to_mat3(rotation) * Mat3::from_diagonal(self.scale);
        Some(Slice {
            mean: self.position_at(t),
            covariance: m * m.transpose(),
            opacity: self.opacity * self.temporal_opacity(t),
        })
    }
}

/// Half-width of the window where `exp(-½ (dt/σ)²) > cutoff`, i.e. `σ √(2 ln(1/cutoff))`.
pub fn envelope_half_width(sigma_t: f64, cutoff: f64) -> f64 {
    sigma_t * (2.0 * (1.0 / cutoff).ln()).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vanishing_quaternion_is_the_identity_and_a_non_finite_one_none() {
        let p =
            Primitive { rotation: Vec4::ZERO, omega: Vec4::new(0.0, 2.0, 0.0, 0.0), t0: 1.0, ..Primitive::default() };
        assert_eq!(p.rotation_at(1.0), Some(Vec4::new(1.0, 0.0, 0.0, 0.0)));
        assert_eq!(p.rotation_at(1.5), Some(Vec4::new(0.0, 1.0, 0.0, 0.0)));
        assert_eq!(p.rotation_at(0.5), Some(Vec4::new(0.0, -1.0, 0.0, 0.0)));
        let nan = Primitive { rotation: Vec4::new(f32::NAN, 0.0, 0.0, 0.0), ..Primitive::default() };
        assert_eq!(nan.rotation_at(0.0), None);
    }

    #[test]
    fn slice_follows_the_motion_polynomial_and_envelope() {
        let p = Primitive {
            position: Vec3::new(1.0, 2.0, 3.0),
            t0: 1.0,
            sigma_t: 0.5,
            window: [0.0, 2.0],
            motion: [Vec3::X, Vec3::Y, Vec3::Z],
            opacity: 0.8,
            scale: Vec3::new(1.0, 2.0, 3.0),
            ..Default::default()
        };
        let s = p.slice(1.5).unwrap();
        assert!((s.mean - Vec3::new(1.5, 2.25, 3.125)).length() < 1e-6);
        assert!((s.opacity - 0.8 * (-0.5f32).exp()).abs() < 1e-6);
        assert_eq!(s.covariance, Mat3::from_diagonal(Vec3::new(1.0, 4.0, 9.0)));
        assert!(p.slice(2.0).is_none() && p.slice(-0.1).is_none());
    }

    #[test]
    fn rotation_velocity_is_normalised_and_a_vanishing_sum_is_the_identity() {
        let p = Primitive { omega: Vec4::new(-1.0, 0.0, 0.0, 0.0), t0: 0.0, ..Default::default() };
        let s = p.slice(1.0).expect("q + ω dt = 0 draws as the identity");
        assert_eq!(s.covariance, Mat3::IDENTITY);
        let q = p.rotation_at(0.5).unwrap();
        assert_eq!(q, Vec4::new(1.0, 0.0, 0.0, 0.0));
        let flipped = p.rotation_at(2.0).unwrap();
        assert_eq!(flipped, Vec4::new(-1.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn static_primitive_has_unit_envelope() {
        let p = Primitive::default();
        assert_eq!(p.temporal_opacity(1e6), 1.0);
        assert!(p.is_alive(-1e30) && p.is_alive(1e30));
    }

    #[test]
    fn envelope_half_width_hits_the_cutoff() {
        let w = envelope_half_width(0.3, 0.05);
        assert!(((-0.5 * (w / 0.3f64).powi(2)).exp() - 0.05).abs() < 1e-12);
        assert!((w / 0.3 - 2.4477).abs() < 1e-4);
    }
}
