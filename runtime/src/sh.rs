//! Colour of a primitive: real spherical harmonics of degree 0..3 in the view direction, with the
//! 4DGS time-cosine ("spherindrical") terms, evaluated exactly as the 3DGS/4DGS CUDA code does.

use glam::Vec3;

pub const C0: f32 = 0.282_094_8;
const C1: f32 = 0.488_602_5;
const C2: [f32; 5] = [1.092_548_4, -1.092_548_4, 0.315_391_57, -1.092_548_4, 0.546_274_2];
const C3: [f32; 7] = [-0.590_043_6, 2.890_611_4, -0.457_045_8, 0.373_176_3, -0.457_045_8, 1.445_305_7, -0.590_043_6];

/// Spatial SH coefficients per colour channel for a degree.
pub const fn coeffs_for_degree(degree: u32) -> usize {
    ((degree + 1) * (degree + 1)) as usize
}

/// Coefficients (RGB triples) per primitive: spatial count × (time degree + 1). Coefficient
/// `k = n · (degree+1)² + j` multiplies `cos(2π n Δt / period) · Y_j(dir)`.
pub const fn coeff_count(degree: u32, degree_t: u32) -> usize {
    coeffs_for_degree(degree) * (degree_t as usize + 1)
}

/// The 16 real SH basis values for a unit direction, with the 3DGS signs.
pub fn basis(dir: Vec3) -> [f32; 16] {
    let (x, y, z) = (dir.x, dir.y, dir.z);
    let (xx, yy, zz) = (x * x, y * y, z * z);
    [
        C0,
        -C1 * y,
        C1 * z,
        -C1 * x,
        C2[0] * x * y,
        C2[1] * y * z,
        C2[2] * (2.0 * zz - xx - yy),
        C2[3] * x * z,
        C2[4] * (xx - yy),
        C3[0] * y * (3.0 * xx - yy),
        C3[1] * x * y * z,
        C3[2] * y * (4.0 * zz - xx - yy),
        C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy),
        C3[4] * x * (4.0 * zz - xx - yy),
        C3[5] * z * (xx - yy),
        C3[6] * x * (xx - 3.0 * yy),
    ]
}

/// RGB of one primitive: `max(Σ_j Y_j(dir) Σ_n cos(2π n Δt / period) c_{n,j} + 0.5, 0)`.
/// `dir` is the unit vector from the camera to the primitive's *unconditioned* centre and
/// `dt = t0 - t` (4DGS, algorithms.md §1.5; the sign does not matter, cos is even).
pub fn eval(coeffs: &[[f32; 3]], degree: u32, degree_t: u32, dir: Vec3, dt: f32, period: f32) -> Vec3 {
    let spatial = coeffs_for_degree(degree);
    debug_assert!(coeffs.len() >= coeff_count(degree, degree_t));
    let y = basis(dir);
    let mut rgb = Vec3::ZERO;
    for n in 0..=degree_t as usize {
        let weight = if n == 0 { 1.0 } else { (2.0 * std::f32::consts::PI * n as f32 * dt / period).cos() };
        let mut group = Vec3::ZERO;
        for (j, &yj) in y.iter().enumerate().take(spatial) {
            group += yj * Vec3::from(coeffs[n * spatial + j]);
        }
        rgb += weight * group;
    }
    (rgb + 0.5).max(Vec3::ZERO)
}

/// The degree-0 coefficient that reproduces a display colour `c` in [0, 1].
pub fn dc_from_rgb(c: f32) -> f32 {
    (c - 0.5) / C0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real SH written independently from the Cartesian formulas (Sloan's table, scaled to
    /// the 3DGS sign convention), to check the basis and the time weighting.
    fn direct(dir: Vec3, j: usize) -> f32 {
        use std::f32::consts::PI;
        let (x, y, z) = (dir.x, dir.y, dir.z);
        let k1 = (3.0 / (4.0 * PI)).sqrt();
        let k2a = 0.5 * (15.0 / PI).sqrt();
        let k2b = 0.25 * (5.0 / PI).sqrt();
        let k3a = 0.25 * (35.0 / (2.0 * PI)).sqrt();
        let k3b = 0.5 * (105.0 / PI).sqrt();
        let k3c = 0.25 * (21.0 / (2.0 * PI)).sqrt();
        let k3d = 0.25 * (7.0 / PI).sqrt();
        match j {
            0 => 0.5 * (1.0 / PI).sqrt(),
            1 => -k1 * y,
            2 => k1 * z,
            3 => -k1 * x,
            4 => k2a * x * y,
            5 => -k2a * y * z,
            6 => k2b * (3.0 * z * z - 1.0),
            7 => -k2a * x * z,
            8 => 0.5 * k2a * (x * x - y * y),
            9 => -k3a * y * (3.0 * x * x - y * y),
            10 => k3b * x * y * z,
            11 => -k3c * y * (5.0 * z * z - 1.0),
            12 => k3d * z * (5.0 * z * z - 3.0),
            13 => -k3c * x * (5.0 * z * z - 1.0),
            14 => 0.5 * k3b * z * (x * x - y * y),
            15 => -k3a * x * (x * x - 3.0 * y * y),
            _ => unreachable!(),
        }
    }

    #[test]
    fn basis_matches_direct_evaluation() {
        for dir in [Vec3::new(0.3, -0.5, 0.8), Vec3::new(-1.0, 0.2, 0.1), Vec3::Z] {
            let d = dir.normalize();
            let b = basis(d);
            for (j, v) in b.iter().enumerate() {
                assert!((v - direct(d, j)).abs() < 1e-5, "j={j}: {v} vs {}", direct(d, j));
            }
        }
    }

    #[test]
    fn time_cosine_terms_follow_the_4dgs_layout() {
        // degree 3, time degree 2: 48 coefficients; put a value in c_{16+0} and c_{32+1}.
        let mut c = vec![[0.0f32; 3]; coeff_count(3, 2)];
        c[16] = [1.0, 0.0, 0.0];
        c[33] = [0.0, 1.0, 0.0];
        let dir = Vec3::new(0.0, -1.0, 0.0);
        let (dt, period) = (0.7f32, 10.0f32);
        let got = eval(&c, 3, 2, dir, dt, period);
        let w1 = (2.0 * std::f32::consts::PI * dt / period).cos();
        let w2 = (4.0 * std::f32::consts::PI * dt / period).cos();
        let want_r = (C0 * w1 + 0.5).max(0.0);
        let want_g = (direct(dir, 1) * w2 + 0.5).max(0.0);
        assert!((got.x - want_r).abs() < 1e-6 && (got.y - want_g).abs() < 1e-6 && got.z == 0.5);
        // Even in dt.
        assert_eq!(got, eval(&c, 3, 2, dir, -dt, period));
    }

    #[test]
    fn negative_colour_clamps_at_zero() {
        let c = [[dc_from_rgb(-0.25), dc_from_rgb(0.25), dc_from_rgb(1.5)]];
        let got = eval(&c, 0, 0, Vec3::Z, 0.0, 1.0);
        assert!(got.x == 0.0 && (got.y - 0.25).abs() < 1e-6 && (got.z - 1.5).abs() < 1e-6);
    }
}
