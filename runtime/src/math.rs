//! Small exact math shared by the importers, the packer and the reference renderer.
//! Quaternions are `[w, x, y, z]` arrays throughout, as every splat trainer stores them.

use glam::{DMat3, DMat4, DVec3, DVec4, Mat3, Vec4};

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Inverse of [`sigmoid`], for writing trained (logit) opacities back out.
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Rotation matrix of a unit quaternion `[w, x, y, z]`, as 3DGS builds it (`build_rotation`).
pub fn quat_to_mat3(q: Vec4) -> Mat3 {
    let [w, x, y, z] = q.to_array();
    Mat3::from_cols_array(&[
        1.0 - 2.0 * (y * y + z * z),
        2.0 * (x * y + w * z),
        2.0 * (x * z - w * y),
        2.0 * (x * y - w * z),
        1.0 - 2.0 * (x * x + z * z),
        2.0 * (y * z + w * x),
        2.0 * (x * z + w * y),
        2.0 * (y * z - w * x),
        1.0 - 2.0 * (x * x + y * y),
    ])
}

/// Unit quaternion `[w, x, y, z]` of a proper rotation matrix (det +1).
pub fn mat3_to_quat(m: DMat3) -> DVec4 {
    let q = glam::DQuat::from_mat3(&m).normalize();
    // Keep w ≥ 0 so that the same rotation always encodes to the same bits.
    let v = DVec4::new(q.w, q.x, q.y, q.z);
    if v.x < 0.0 {
        -v
    } else {
        v
    }
}

/// Matrix of `v ↦ a ⊗ v` for quaternions as 4-vectors `[w, x, y, z]`.
fn left_mul(a: DVec4) -> DMat4 {
    let [a0, a1, a2, a3] = a.to_array();
    DMat4::from_cols_array(&[
        a0, a1, a2, a3, //
        -a1, a0, a3, -a2, //
        -a2, -a3, a0, a1, //
        -a3, a2, -a1, a0,
    ])
}

/// Matrix of `v ↦ v ⊗ conj(b)`.
fn right_mul_conj(b: DVec4) -> DMat4 {
    let [p, q, r, s] = b.to_array();
    DMat4::from_cols_array(&[
        p, -q, -r, -s, //
        q, p, s, -r, //
        r, -s, p, q, //
        s, r, -q, p,
    ])
}

/// The 4D rotation of a Yang et al. 4DGS primitive from its two quaternions, exactly as the
/// reference code builds it since commit 900c592: `R = P · (L(q_l) · R̄(q_r)) · P`, where P
/// reverses the index order (algorithms.md §1.2). Index 3 of the result is time.
pub fn rotation_4d(q_l: DVec4, q_r: DVec4) -> DMat4 {
    let a = left_mul(q_l.normalize()) * right_mul_conj(q_r.normalize());
    let mut r = DMat4::ZERO;
    for row in 0..4 {
        for col in 0..4 {
            r.col_mut(col)[row] = a.col(3 - col)[3 - row];
        }
    }
    r
}

/// Eigen-decomposition of a symmetric 3x3 matrix by cyclic Jacobi rotations.
/// Returns the eigenvalues and a proper rotation (det +1) whose columns are the eigenvectors.
// Index loops mirror the textbook rotation formulas; iterators would hide which is row and column.
#[allow(clippy::needless_range_loop)]
pub fn symmetric_eigen(m: DMat3) -> (DVec3, DMat3) {
    let mut a = m.to_cols_array_2d(); // a[col][row]; symmetric, so a[i][j] == a[j][i]
    let mut v = DMat3::IDENTITY.to_cols_array_2d();
    for _sweep in 0..32 {
        let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        let scale = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2];
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for (p, q) in [(0usize, 1usize), (0, 2), (1, 2)] {
            let apq = a[q][p];
            if apq == 0.0 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A ← Jᵀ A J with the Jacobi rotation J in the (p, q) plane.
            for k in 0..3 {
                let akp = a[p][k];
                let akq = a[q][k];
                a[p][k] = c * akp - s * akq;
                a[q][k] = s * akp + c * akq;
            }
            for k in 0..3 {
                let apk = a[k][p];
                let aqk = a[k][q];
                a[k][p] = c * apk - s * aqk;
                a[k][q] = s * apk + c * aqk;
            }
            for k in 0..3 {
                let vkp = v[p][k];
                let vkq = v[q][k];
                v[p][k] = c * vkp - s * vkq;
                v[q][k] = s * vkp + c * vkq;
            }
        }
    }
    let values = DVec3::new(a[0][0], a[1][1], a[2][2]);
    let mut vectors = DMat3::from_cols_array_2d(&v);
    if vectors.determinant() < 0.0 {
        vectors.z_axis = -vectors.z_axis;
    }
    (values, vectors)
}

/// The least f32 above `f` (`f32::next_up`, which is newer than this crate's MSRV).
pub fn next_up(f: f32) -> f32 {
    match f {
        _ if f.is_nan() || f == f32::INFINITY => f,
        0.0 => f32::from_bits(1),
        _ if f > 0.0 => f32::from_bits(f.to_bits() + 1),
        _ => f32::from_bits(f.to_bits() - 1),
    }
}

/// The distance from `t` to the next f32 away from 0: how finely f32 tells times apart at `t`.
pub fn ulp(t: f32) -> f32 {
    let t = t.abs();
    next_up(t) - t
}

/// Interleaves the low 21 bits of three integers: a Morton (Z-order) code.
pub fn morton3(x: u32, y: u32, z: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut x = u64::from(v) & 0x1f_ffff;
        x = (x | x << 32) & 0x1f00000000ffff;
        x = (x | x << 16) & 0x1f0000ff0000ff;
        x = (x | x << 8) & 0x100f00f00f00f00f;
        x = (x | x << 4) & 0x10c30c30c30c30c3;
        x = (x | x << 2) & 0x1249249249249249;
        x
    }
    spread(x) | spread(y) << 1 | spread(z) << 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn quaternion_matrix_is_the_3dgs_one() {
        // 90° about z: x → y.
        let h = std::f32::consts::FRAC_1_SQRT_2;
        let r = quat_to_mat3(Vec4::new(h, 0.0, 0.0, h));
        let x = r * glam::Vec3::X;
        assert!((x - glam::Vec3::Y).length() < 1e-6, "{x}");
        let back = mat3_to_quat(r.as_dmat3());
        assert!((back - DVec4::new(h as f64, 0.0, 0.0, h as f64)).length() < 1e-6);
    }

    #[test]
    fn rotation_4d_with_equal_quaternions_keeps_time_and_flips_axes() {
        // algorithms.md §1.2: q_l = q_r = (w,x,y,z) leaves the time row/column identity and the
        // spatial block equals the 3DGS rotation of (w, -z, -y, -x).
        let q = DVec4::new(0.8, 0.1, -0.3, 0.5).normalize();
        let r = rotation_4d(q, q);
        for i in 0..3 {
            assert!(close(r.col(3)[i], 0.0) && close(r.col(i)[3], 0.0));
        }
        assert!(close(r.col(3)[3], 1.0));
        // DVec4 fields hold [w, x, y, z] as (.x, .y, .z, .w).
        let want = quat_to_mat3(Vec4::new(q.x as f32, -q.w as f32, -q.z as f32, -q.y as f32));
        for col in 0..3 {
            for row in 0..3 {
                let got = r.col(col)[row];
                assert!((got - want.col(col)[row] as f64).abs() < 1e-6, "{r} vs {want}");
            }
        }
    }

    #[test]
    fn rotation_4d_hand_computed() {
        // q_l = identity, q_r = 90° about the quaternion's i axis: v ↦ v ⊗ conj(q_r).
        // In the flipped index order (x,y,z,t) = (k,j,i,real): real→−i … computed by hand.
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let r = rotation_4d(DVec4::new(1.0, 0.0, 0.0, 0.0), DVec4::new(h, h, 0.0, 0.0));
        // v ⊗ conj(q) for q = cos45 + i sin45 maps 1 → (1 - i)/√2 ... per basis vector:
        // real(1)   → ( h, -h, 0, 0)   i → ( h,  h, 0, 0)
        // j         → ( 0, 0,  h,  h)   k → ( 0, 0, -h,  h)
        // Flipped: index 0=k, 1=j, 2=i, 3=real.
        let t_img = r.col(3); // image of the real axis
        assert!(close(t_img[3], h) && close(t_img[2], -h) && close(t_img[0], 0.0));
        let z_img = r.col(2); // image of i
        assert!(close(z_img[3], h) && close(z_img[2], h));
        let y_img = r.col(1); // image of j
        assert!(close(y_img[1], h) && close(y_img[0], h));
        let x_img = r.col(0); // image of k
        assert!(close(x_img[1], -h) && close(x_img[0], h));
        // Orthonormal.
        let i = r.transpose() * r;
        assert!((i - DMat4::IDENTITY).to_cols_array().iter().all(|e| e.abs() < 1e-12));
    }

    #[test]
    fn eigen_decomposition_reconstructs() {
        let r = glam::DQuat::from_euler(glam::EulerRot::XYZ, 0.3, -1.1, 2.0);
        let rm = DMat3::from_quat(r);
        let d = DMat3::from_diagonal(DVec3::new(4.0, 0.25, 1e-4));
        let m = rm * d * rm.transpose();
        let (vals, vecs) = symmetric_eigen(m);
        let back = vecs * DMat3::from_diagonal(vals) * vecs.transpose();
        for (a, b) in back.to_cols_array().iter().zip(m.to_cols_array()) {
            assert!((a - b).abs() < 1e-12, "{back} vs {m}");
        }
        assert!((vecs.determinant() - 1.0).abs() < 1e-12);
        let mut sorted = vals.to_array();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1e-4).abs() < 1e-12 && (sorted[2] - 4.0).abs() < 1e-12);
    }

    #[test]
    fn morton_interleaves() {
        assert_eq!(morton3(1, 0, 0), 1);
        assert_eq!(morton3(0, 1, 0), 2);
        assert_eq!(morton3(0, 0, 1), 4);
        assert_eq!(morton3(3, 0, 0), 0b1001);
    }
}
