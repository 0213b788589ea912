//! Axis conventions. splat4d holds splats as the INRIA PLY does (x right, y down, z forward:
//! "RDF"), which the training cameras of every trainer use. Other formats store other axes
//! (SPZ: right-up-back, glTF: left-up-front); a change between two such conventions negates
//! some axes, and with them the quaternion's vector part and the SH coefficients of odd parity
//! in those axes.

use glam::{Vec3, Vec4};

/// Signs that take a convention's axes to RDF: `p_rdf = p ⊙ signs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flip {
    x: f32,
    y: f32,
    z: f32,
}

impl Flip {
    pub const NONE: Flip = Flip { x: 1.0, y: 1.0, z: 1.0 };
    /// Right, up, back (three.js, SPZ's own axes).
    pub const FROM_RUB: Flip = Flip { x: 1.0, y: -1.0, z: -1.0 };
    /// Left, up, front (glTF).
    pub const FROM_LUF: Flip = Flip { x: -1.0, y: -1.0, z: 1.0 };

    /// The flip from one of the eight conventions made of L/R, U/D and F/B, named by the three
    /// letters in x, y, z order ("RUB", "LDF", …); `None` for anything else.
    pub fn from_letters(name: &str) -> Option<Flip> {
        let b = name.as_bytes();
        let sign = |c: u8, same: u8, other: u8| match c {
            c if c == same => Some(1.0),
            c if c == other => Some(-1.0),
            _ => None,
        };
        match b {
            [x, y, z] => Some(Flip { x: sign(*x, b'R', b'L')?, y: sign(*y, b'D', b'U')?, z: sign(*z, b'F', b'B')? }),
            _ => None,
        }
    }

    pub fn is_none(self) -> bool {
        self == Flip::NONE
    }

    pub fn position(self, p: Vec3) -> Vec3 {
        Vec3::new(p.x * self.x, p.y * self.y, p.z * self.z)
    }

    /// A rotation seen in flipped axes: `R' = F R F`. With two axes negated that is a rotation by
    /// π (the vector part's components in those axes change sign); with one or three it is a
    /// reflection, whose conjugation negates the components of the other axes.
    pub fn rotation(self, wxyz: Vec4) -> Vec4 {
        Vec4::new(wxyz.x, wxyz.y * self.y * self.z, wxyz.z * self.x * self.z, wxyz.w * self.x * self.y)
    }

    /// Signs of SH coefficients 1..15 (3DGS order) under the flip: each basis function is a
    /// polynomial in x, y, z and changes sign where its odd powers do.
    pub fn sh_signs(self) -> [f32; 15] {
        let (x, y, z) = (self.x, self.y, self.z);
        [y, z, x, x * y, y * z, 1.0, x * z, 1.0, y, x * y * z, y, z, x, z, x]
    }

    /// Applies the flip to SH coefficients (coefficient 0 first, RGB each).
    pub fn sh(self, coeffs: &mut [[f32; 3]]) {
        if self.is_none() {
            return;
        }
        for (c, s) in coeffs.iter_mut().skip(1).zip(self.sh_signs()) {
            *c = c.map(|v| v * s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::quat_to_mat3;
    use glam::Mat3;

    /// The flipped quaternion's matrix is F R F, for every convention.
    #[test]
    fn rotations_follow_the_axes() {
        let q = Vec4::new(0.6, -0.2, 0.7, 0.33).normalize();
        for name in ["RDF", "RUB", "LUF", "LDB", "RUF", "LDF", "RDB", "LUB"] {
            let f = Flip::from_letters(name).unwrap();
            let m = Mat3::from_diagonal(Vec3::new(f.x, f.y, f.z));
            let want = m * quat_to_mat3(q) * m;
            let got = quat_to_mat3(f.rotation(q));
            assert!((want - got).abs_diff_eq(Mat3::ZERO, 1e-6), "{name}: {want} vs {got}");
        }
        assert_eq!(Flip::from_letters("RUB"), Some(Flip::FROM_RUB));
        assert_eq!(Flip::from_letters("LUF"), Some(Flip::FROM_LUF));
        assert_eq!(Flip::from_letters("RFU"), None);
    }

    /// A flipped splat's colour seen from a flipped direction is the colour seen before.
    #[test]
    fn sh_follows_the_axes() {
        let coeffs: Vec<[f32; 3]> = (0..16).map(|k| [k as f32 * 0.1 - 0.7, 0.3, -0.2]).collect();
        let d = Vec3::new(0.3, -0.5, 0.81).normalize();
        for f in [Flip::FROM_RUB, Flip::FROM_LUF, Flip::from_letters("LDB").unwrap()] {
            let mut flipped = coeffs.clone();
            f.sh(&mut flipped);
            let a = crate::sh::eval(&coeffs, 3, 0, d, 0.0, 1.0);
            let b = crate::sh::eval(&flipped, 3, 0, f.position(d), 0.0, 1.0);
            assert!((a - b).abs().max_element() < 1e-5, "{a} vs {b}");
        }
    }
}
