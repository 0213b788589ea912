//! Depth buffers as hosts keep them: what a stored value means in view depth (distance along
//! the view axis), for the perspective projections engines use. With a `[0, 1]` window depth
//! range an OpenGL projection stores the same values as a Vulkan or D3D one (the clip-space
//! conventions differ, `z_ndc ∈ [-1, 1]` against `[0, 1]`, but the window transform maps both
//! to `d = f (z − n) / ((f − n) z)`); reverse Z stores `1 − d`, and an infinite far plane is
//! the limit `f → ∞`.

use glam::Mat4;

/// The clip-space depth range a projection matrix was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClipDepth {
    /// OpenGL: `z_ndc ∈ [-1, 1]`, written as `(z_ndc + 1) / 2`.
    MinusOneToOne,
    /// Vulkan and D3D: `z_ndc ∈ [0, 1]`, written as it is.
    ZeroToOne,
}

/// How a depth buffer encodes view depth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthConvention {
    /// The projection's near plane (> 0).
    pub near: f32,
    /// The far plane (> near), or `f32::INFINITY`.
    pub far: f32,
    /// Reverse Z: 1 at the near plane, 0 at the far one.
    pub reversed: bool,
}

impl DepthConvention {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.near.is_finite() && self.near > 0.0) {
            return Err(format!("depth near plane {} must be finite and positive", self.near));
        }
        if self.far.is_nan() || self.far <= self.near {
            return Err(format!("depth far plane {} must lie beyond the near plane {}", self.far, self.near));
        }
        Ok(())
    }

    /// The convention of a right-handed perspective `projection` (looking down −z, column-major
    /// as glm and OpenXR keep it), made for `clip`: standard or reverse Z, finite or infinite
    /// far plane. `None` for a matrix that is not such a projection.
    pub fn from_projection(projection: Mat4, clip: ClipDepth) -> Option<DepthConvention> {
        // The stored depth at view depth z is d = -a + b / z, from the matrix's z row (clip z =
        // m22·z_eye + m32, clip w = -z_eye = z); OpenGL's window transform halves and shifts it.
        let m = projection.to_cols_array_2d();
        if m[2][3] != -1.0 || m[3][3] != 0.0 {
            return None;
        }
        let (m22, m32) = (m[2][2] as f64, m[3][2] as f64);
        let (a, b) = match clip {
            ClipDepth::ZeroToOne => (m22, m32),
            ClipDepth::MinusOneToOne => ((m22 - 1.0) / 2.0, m32 / 2.0),
        };
        // d = 0 at z = b / a, d = 1 at z = b / (1 + a); reverse Z where d falls with z (b > 0).
        let (at0, at1) = (b / a, b / (1.0 + a));
        let reversed = b > 0.0;
        let (near, far) = if reversed { (at1, at0) } else { (at0, at1) };
        let far = if far.is_finite() && far > 0.0 { far as f32 } else { f32::INFINITY };
        let c = DepthConvention { near: near as f32, far, reversed };
        c.validate().ok().map(|()| c)
    }

    /// The stored value for view depth `z` (clamped to [0, 1], as a depth attachment holds it).
    pub fn stored(&self, z: f32) -> f32 {
        let (n, f, z) = (self.near as f64, self.far as f64, z as f64);
        let d = if f.is_infinite() { 1.0 - n / z } else { f * (z - n) / ((f - n) * z) };
        let d = if self.reversed { 1.0 - d } else { d };
        d.clamp(0.0, 1.0) as f32
    }

    /// The view depth a stored value means: `+∞` at the far end of an infinite projection.
    pub fn view_depth(&self, stored: f32) -> f32 {
        let (n, f) = (self.near as f64, self.far as f64);
        let d = stored.clamp(0.0, 1.0) as f64;
        let d = if self.reversed { 1.0 - d } else { d };
        let z = if f.is_infinite() { n / (1.0 - d) } else { f * n / (f - d * (f - n)) };
        z as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_round_trip_in_every_convention() {
        for (near, far) in [(0.1, 100.0), (0.05, f32::INFINITY), (1.0, 2.0)] {
            for reversed in [false, true] {
                let c = DepthConvention { near, far, reversed };
                c.validate().unwrap();
                let (at_near, at_far) = if reversed { (1.0, 0.0) } else { (0.0, 1.0) };
                assert_eq!(c.stored(near), at_near, "{c:?}");
                if far.is_finite() {
                    assert!((c.stored(far) - at_far).abs() < 1e-6, "{c:?}");
                }
                for z in [near * 1.5, 1.0f32.max(near * 1.1), near * 10.0] {
                    if z >= far {
                        continue;
                    }
                    let back = c.view_depth(c.stored(z));
                    // f32 depth: the relative error grows with z/near (that is depth buffers).
                    assert!((back - z).abs() <= 1e-4 * z * (z / near), "{c:?}: {z} -> {back}");
                }
                assert_eq!(c.view_depth(at_near), near, "{c:?}");
            }
        }
        assert_eq!(DepthConvention { near: 0.1, far: f32::INFINITY, reversed: true }.view_depth(0.0), f32::INFINITY);
        assert!(DepthConvention { near: 0.0, far: 1.0, reversed: false }.validate().is_err());
        assert!(DepthConvention { near: 1.0, far: 1.0, reversed: false }.validate().is_err());
        assert!(DepthConvention { near: f32::NAN, far: 1.0, reversed: false }.validate().is_err());
    }

    /// Near, far and direction read back from the projections glm and Vulkan programs make.
    #[test]
    fn conventions_come_from_projection_matrices() {
        let fov = 1.0f32;
        let (n, f) = (0.1f32, 100.0f32);
        let cases = [
            (Mat4::perspective_rh_gl(fov, 1.5, n, f), ClipDepth::MinusOneToOne, (n, f, false)),
            (Mat4::perspective_rh(fov, 1.5, n, f), ClipDepth::ZeroToOne, (n, f, false)),
            // Reverse Z: glam's perspective with the planes swapped.
            (Mat4::perspective_rh(fov, 1.5, f, n), ClipDepth::ZeroToOne, (n, f, true)),
            (Mat4::perspective_infinite_rh(fov, 1.5, n), ClipDepth::ZeroToOne, (n, f32::INFINITY, false)),
            (Mat4::perspective_infinite_reverse_rh(fov, 1.5, n), ClipDepth::ZeroToOne, (n, f32::INFINITY, true)),
        ];
        for (m, clip, (near, far, reversed)) in cases {
            let c = DepthConvention::from_projection(m, clip).unwrap_or_else(|| panic!("{m} {clip:?}"));
            assert!((c.near - near).abs() < 1e-5 * near, "{c:?}");
            assert!(c.far == far || (c.far - far).abs() < 1e-3 * far, "{c:?}");
            assert_eq!(c.reversed, reversed, "{c:?}");
            // And the stored values are the matrix's own.
            for z in [0.5f32, 3.0, 50.0] {
                let clip_pos = m * glam::Vec4::new(0.0, 0.0, -z, 1.0);
                let ndc = clip_pos.z / clip_pos.w;
                let window = if clip == ClipDepth::MinusOneToOne { 0.5 * ndc + 0.5 } else { ndc };
                assert!((c.stored(z) - window).abs() < 1e-5, "{c:?} at {z}: {} vs {window}", c.stored(z));
            }
        }
        assert_eq!(
            DepthConvention::from_projection(
                Mat4::orthographic_rh(-1.0, 1.0, -1.0, 1.0, 0.1, 10.0),
                ClipDepth::ZeroToOne
            ),
            None
        );
        assert_eq!(DepthConvention::from_projection(Mat4::IDENTITY, ClipDepth::MinusOneToOne), None);
    }

    /// The standard formula is the depth an OpenGL projection matrix writes with the default
    /// depth range, computed here from the matrix itself.
    #[test]
    fn opengl_projections_store_the_same_values() {
        let (n, f) = (0.3f64, 50.0f64);
        let (a, b) = (-(f + n) / (f - n), -2.0 * f * n / (f - n));
        let c = DepthConvention { near: n as f32, far: f as f32, reversed: false };
        for z in [0.5f64, 2.0, 10.0, 40.0] {
            // Eye space looks down -z: clip z = a·(-z) + b, w = z.
            let ndc = (a * -z + b) / z;
            let window = 0.5 * ndc + 0.5;
            assert!((c.stored(z as f32) as f64 - window).abs() < 1e-6, "{z}");
        }
    }
}
