//! Canonical 4DGS PLY (Yang et al., ICLR 2024): the raw trained parameters `x y z t f_dc_0..2
//! f_rest_* opacity scale_0..2 scale_t rot_0..3 [rot_r_0..3]`, with header comments
//! `splat4d time_range T0 T1`, `splat4d sh_degree D`, `splat4d sh_degree_t DT`.
//!
//! Slicing a 4D Gaussian at time t gives a constant 3x3 covariance and a mean moving linearly
//! in t (algorithms.md §1.3), so each primitive becomes one runtime primitive: velocity
//! `Σ12/Σtt`, `σt² = Σtt`, and the conditional covariance decomposed into rotation and scale.
//! Without `rot_r_*` the checkpoint was trained with `rot_4d = False` (§1.4): a static 3D
//! Gaussian whose temporal *variance* is `exp(scale_t)`.

use glam::{DMat3, DVec3, DVec4, Vec3};

use super::ply::{Header, Rows, FOURDGS_ONLY};
use super::{read_ply_sh, window_around, ImportOptions, Input, TRUNCATED};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::math::{mat3_to_quat, rotation_4d, sigmoid, symmetric_eigen};
use crate::primitive::{envelope_half_width, Primitive};
use crate::sh;
use crate::splats::Splats;

/// 4DGS drops a primitive at time t when its temporal marginal is ≤ 0.05.
pub const CUTOFF: f64 = 0.05;

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    let table = Header::parse(input.head).map_err(err)?;
    // Some 4DGS properties but not all: a broken export, not a 3DGS file with extras.
    let rot_r_names = &FOURDGS_ONLY[2..];
    let rot_r_present = rot_r_names.iter().any(|p| table.has(p));
    let mut needed = vec!["x", "y", "z", "t", "scale_t"];
    if rot_r_present {
        needed.extend_from_slice(rot_r_names);
    }
    table.columns(&needed).map_err(|e| err(format!("a 4DGS PLY needs t, scale_t (and rot_r_0..3 together): {e}")))?;
    let pos = table.columns(&["x", "y", "z", "t"]).map_err(err)?;
    let dc = table.columns(&["f_dc_0", "f_dc_1", "f_dc_2"]).map_err(err)?;
    let scale = table.columns(&["scale_0", "scale_1", "scale_2", "scale_t"]).map_err(err)?;
    let rot_l = table.columns(&["rot_0", "rot_1", "rot_2", "rot_3"]).map_err(err)?;
    let rot_r = rot_r_present.then(|| table.columns(rot_r_names)).transpose().map_err(err)?;
    let opacity = table.columns(&["opacity"]).map_err(err)?[0];
    let rest = table.numbered("f_rest_");
    let per_channel = rest.len() / 3 + 1;
    if rest.len() % 3 != 0 {
        return Err(err(format!("{} f_rest properties is not a multiple of 3", rest.len())));
    }

    let comment_range = match table.splat4d_comment("time_range") {
        Some(v) => Some(parse_pair(v).ok_or_else(|| err(format!("bad time_range comment '{v}'")))?),
        None => None,
    };
    let mut notes = Vec::new();
    let time_range = match (options.validated_time_range()?, comment_range) {
        (Some(opt), Some(c)) if opt != c => {
            notes.push(format!("--time-range {opt:?} overrides the file's time_range {c:?}"));
            opt
        }
        (_, Some(c)) if c[0] < c[1] => c,
        (Some(opt), _) => opt,
        (None, Some(c)) => return Err(err(format!("time_range comment {c:?} is empty or reversed"))),
        (None, None) => return Err(err("no 'comment splat4d time_range' header; pass --time-range T0,T1".into())),
    };

    // Layout degrees: from the comments, else the only (D, DT ≤ 2) with (D+1)²(DT+1) = M.
    let comment_degree = |key: &str| -> Result<Option<u32>> {
        table
            .splat4d_comment(key)
            .map(|v| v.parse::<u32>().map_err(|_| err(format!("bad {key} comment '{v}'"))))
            .transpose()
    };
    let (degree, degree_t) = match (comment_degree("sh_degree")?, comment_degree("sh_degree_t")?) {
        (Some(d), Some(dt)) => (d, dt),
        (d, dt) => infer_degrees(per_channel, d, dt)
            .ok_or_else(|| err(format!("cannot infer SH degrees from {per_channel} coefficients per channel")))?,
    };
    if degree > 3 || degree_t > 3 || sh::coeff_count(degree, degree_t) != per_channel {
        return Err(err(format!(
            "sh_degree {degree}, sh_degree_t {degree_t} need {} coefficients per channel, the file has {per_channel}",
            sh::coeff_count(degree, degree_t)
        )));
    }
    // The CUDA rasteriser evaluates the time terms only in its degree-3 branch (§1.5 gotcha 1).
    let used_t = if degree < 3 { 0 } else { degree_t };
    if used_t != degree_t {
        notes.push(format!("time harmonics ignored: 4DGS evaluates them only at SH degree 3 (file has {degree})"));
    }

    let mut splats = options.splats(SourceKind::FourDgsPly, (degree, used_t), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    splats.report.format = "4DGS PLY: trained values".into();
    splats.report.read = table.declared;
    splats.report.notes = notes;
    if rot_r.is_none() {
        splats
            .report
            .notes
            .push("no rot_r_*: read as rot_4d = False (static Gaussians with a temporal variance)".into());
    }
    let mut all = vec![[0.0f32; 3]; per_channel];
    let used = sh::coeff_count(degree, used_t);
    let mut rows = Rows::new(&table, input.from(table.len));
    while let Some(row) = rows.next_row().map_err(err)? {
        let get = |c: usize| row[c];
        let quat = |cols: &[usize]| DVec4::new(get(cols[0]), get(cols[1]), get(cols[2]), get(cols[3]));
        read_ply_sh(row, &dc, &rest, &mut all);
        let input = Raw {
            mean: DVec3::new(get(pos[0]), get(pos[1]), get(pos[2])),
            t: get(pos[3]),
            log_scale: DVec4::new(get(scale[0]), get(scale[1]), get(scale[2]), get(scale[3])),
            rot_l: quat(&rot_l),
            rot_r: rot_r.as_deref().map(quat),
            logit_opacity: get(opacity),
        };
        match input.to_primitive() {
            Some(p) => {
                splats.push(p, &all[..used]);
            }
            None => splats.report.drop("degenerate 4D rotation or covariance", 1),
        }
    }
    splats.report.drop(TRUNCATED, rows.missing());
    Ok(splats)
}

fn parse_pair(v: &str) -> Option<[f32; 2]> {
    let mut it = v.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty());
    let pair = [it.next()?.parse().ok()?, it.next()?.parse().ok()?];
    (it.next().is_none() && pair.iter().all(|x: &f32| x.is_finite())).then_some(pair)
}

fn infer_degrees(per_channel: usize, d: Option<u32>, dt: Option<u32>) -> Option<(u32, u32)> {
    (0..=3u32)
        .rev()
        .flat_map(|d| (0..=2u32).map(move |dt| (d, dt)))
        .filter(|&(a, b)| d.is_none_or(|d| d == a) && dt.is_none_or(|dt| dt == b))
        .find(|&(a, b)| sh::coeff_count(a, b) == per_channel)
}

/// One 4DGS primitive's trained parameters.
pub struct Raw {
    pub mean: DVec3,
    pub t: f64,
    /// log sx, sy, sz, st.
    pub log_scale: DVec4,
    pub rot_l: DVec4,
    pub rot_r: Option<DVec4>,
    pub logit_opacity: f64,
}

impl Raw {
    /// The runtime primitive with the same slices, or `None` when the rotation is zero or the
    /// covariance degenerate. Non-finite inputs pass through for `Splats::push` to count.
    pub fn to_primitive(&self) -> Option<Primitive> {
        let s = self.log_scale.exp();
        let (rotation, scale, velocity, sigma_t) = match self.rot_r {
            Some(rot_r) => {
                if rot_r.length_squared() == 0.0 || self.rot_l.length_squared() == 0.0 {
                    return None;
                }
                let r = rotation_4d(self.rot_l, rot_r);
                let sigma = r * glam::DMat4::from_diagonal(s * s) * r.transpose();
                let c = |i: usize, j: usize| sigma.col(j)[i];
                let tt = c(3, 3);
                if tt.is_nan() || tt <= 0.0 {
                    return None;
                }
                let cross = DVec3::new(c(0, 3), c(1, 3), c(2, 3));
                let cov = DMat3::from_cols_array(&std::array::from_fn(|k| c(k % 3, k / 3)));
                let conditional = cov - outer(cross, cross) / tt;
                let (values, vectors) = symmetric_eigen(conditional);
                let scale = values.max(DVec3::ZERO).map(f64::sqrt);
                (mat3_to_quat(vectors), scale, cross / tt, tt.sqrt())
            }
            None => (self.rot_l, s.truncate(), DVec3::ZERO, s.w.sqrt()),
        };
        let half = envelope_half_width(sigma_t, CUTOFF);
        Some(Primitive {
            position: self.mean.as_vec3(),
            t0: self.t as f32,
            sigma_t: sigma_t as f32,
            window: window_around(self.t - half, self.t + half),
            motion: [velocity.as_vec3(), Vec3::ZERO, Vec3::ZERO],
            rotation: rotation.as_vec4(),
            scale: scale.as_vec3(),
            opacity: sigmoid(self.logit_opacity) as f32,
            ..Primitive::default()
        })
    }
}

fn outer(a: DVec3, b: DVec3) -> DMat3 {
    DMat3::from_cols(a * b.x, a * b.y, a * b.z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::quat_to_mat3;

    #[test]
    fn degrees_are_inferred_uniquely() {
        assert_eq!(infer_degrees(48, None, None), Some((3, 2)));
        assert_eq!(infer_degrees(16, None, None), Some((3, 0)));
        assert_eq!(infer_degrees(12, None, None), Some((1, 2)));
        assert_eq!(infer_degrees(1, None, None), Some((0, 0)));
        assert_eq!(infer_degrees(5, None, None), None);
        assert_eq!(infer_degrees(16, Some(1), None), None);
    }

    /// Slicing the full 4D Gaussian at several times, by direct conditioning of the 4x4
    /// covariance, must equal the runtime primitive's slice.
    #[test]
    fn slices_match_the_closed_form_conditional() {
        let raw = Raw {
            mean: DVec3::new(0.5, -1.0, 2.0),
            t: 1.5,
            log_scale: DVec4::new(-1.0, -2.0, -0.5, -0.3),
            rot_l: DVec4::new(0.9, 0.2, -0.3, 0.1),
            rot_r: Some(DVec4::new(0.7, -0.4, 0.2, 0.5)),
            logit_opacity: 0.3,
        };
        let p = raw.to_primitive().unwrap();
        let r = rotation_4d(raw.rot_l, raw.rot_r.unwrap());
        let s = raw.log_scale.exp();
        let sigma = r * glam::DMat4::from_diagonal(s * s) * r.transpose();
        let at = |i: usize, j: usize| sigma.col(j)[i];
        for t in [1.2f64, 1.5, 1.9] {
            let dt = t - raw.t;
            let mean = raw.mean + DVec3::new(at(0, 3), at(1, 3), at(2, 3)) / at(3, 3) * dt;
            let marginal = (-0.5 * dt * dt / at(3, 3)).exp();
            let slice = p.slice(t as f32).expect("alive");
            assert!((slice.mean.as_dvec3() - mean).length() < 1e-5, "t={t}");
            assert!((slice.opacity as f64 - sigmoid(0.3) * marginal).abs() < 1e-5);
            for i in 0..3 {
                for j in 0..3 {
                    let want = at(i, j) - at(i, 3) * at(j, 3) / at(3, 3);
                    assert!((slice.covariance.col(j)[i] as f64 - want).abs() < 1e-5, "Σ[{i}][{j}]");
                }
            }
        }
        // The window is exactly where the marginal exceeds 0.05.
        let edge = (p.window[1] as f64 - raw.t).powi(2);
        assert!(((-0.5 * edge / at(3, 3)).exp() - CUTOFF).abs() < 1e-5);
    }

    #[test]
    fn rot_4d_false_uses_exp_scale_t_as_variance() {
        let raw = Raw {
            mean: DVec3::ZERO,
            t: 0.0,
            log_scale: DVec4::new(0.0, 0.0, 0.0, (0.25f64).ln()),
            rot_l: DVec4::new(1.0, 0.0, 0.0, 0.0),
            rot_r: None,
            logit_opacity: 10.0,
        };
        let p = raw.to_primitive().unwrap();
        assert!((p.sigma_t - 0.5).abs() < 1e-6, "variance 0.25 → σ 0.5");
        assert_eq!(p.motion[0], Vec3::ZERO);
        let c = quat_to_mat3(p.rotation);
        assert!((c - glam::Mat3::IDENTITY).to_cols_array().iter().all(|e| e.abs() < 1e-6));
    }
}
