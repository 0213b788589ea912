//! Coarse levels built at pack time (DESIGN §4): the finest level's primitives are grouped into
//! cells of the level's floor `s_k` in space and of their own lifetime in time, and each cell
//! becomes one primitive by moment matching.
//!
//! The weight of a primitive is its *mass* `o·s_a·s_b` (peak opacity times its two largest
//! scales): proportional to how much it covers seen face-on, which is what splatting sums, so
//! a thin surface and a cloud of specks both keep their coverage. The merged primitive has the
//! cell's mass, its mass-weighted mean trajectory (each motion polynomial re-expanded about the
//! merged t0), the mixture's covariance (each covariance plus the spread of the means), mass-
//! weighted colour coefficients, and the mixture's temporal mean and variance. Its scales are
//! floored at `s_k` as FLoD floors every level's, and its opacity is the mass over its area,
//! capped at 1 (where sources overlap into saturation the cap is where mass is lost). A merged
//! primitive below 1/255 opacity could never be seen and is dropped. A primitive alone in its
//! cell is kept as it is (inflating it would only cost fill), unless the floor would dilute
//! it below 1/255: then it is too faint to see where the level is drawn, and is dropped.
//!
//! Time cells keep primitives of different lives apart: a primitive's lifetime L (its window,
//! or ±2.45σt where the window is open) picks a class `⌊log2 L⌋`, and its temporal centre a
//! bucket of that class's length, so a merged primitive lives about as long as its sources
//! and per-frame sequences never merge across frames. Static primitives form their own class.

use glam::{DMat3, DVec3, DVec4, Vec4};
use rayon::prelude::*;

use crate::math::{mat3_to_quat, quat_to_mat3, symmetric_eigen};
use crate::primitive::Primitive;
use crate::splats::Splats;

const MIN_ALPHA: f64 = 1.0 / 255.0;

/// The coarse levels of `finest` for `floors[1..]` (`floors[0]` is the finest's own), each a
/// new set of splats with the finest's metadata and no cameras.
pub fn build_levels(finest: &Splats, floors: &[f32], progress: &dyn crate::pack::Progress) -> Vec<Splats> {
    floors[1..]
        .iter()
        .map(|&floor| {
            let level = build_level(finest, floor);
            progress.advance(1);
            level
        })
        .collect()
}

/// One coarse level with cells of `floor`.
pub fn build_level(finest: &Splats, floor: f32) -> Splats {
    let mut keyed: Vec<(Cell, u32)> =
        (0..finest.len()).into_par_iter().map(|i| (cell(&finest.primitive(i), floor), i as u32)).collect();
    keyed.par_sort_unstable();
    let groups: Vec<&[(Cell, u32)]> = keyed.chunk_by(|a, b| a.0 == b.0).collect();
    let mut level = finest.clone_empty();
    let k = finest.coeff_count();
    // Merged a batch at a time into buffers made once, so that what is held beside the levels
    // is one batch of merged primitives in f32, and nothing is allocated per primitive.
    const BATCH: usize = 1 << 14;
    let mut merged: Vec<Option<Primitive>> = Vec::with_capacity(BATCH);
    let mut colours = vec![[0.0f32; 3]; BATCH * k];
    for batch in groups.chunks(BATCH) {
        merged.clear();
        merged.resize(batch.len(), None);
        merged.par_iter_mut().zip(colours.par_chunks_mut(k.max(1))).zip(batch.par_iter()).for_each_init(
            Scratch::default,
            |scratch, ((out, coeffs), g)| {
                scratch.members.clear();
                scratch.members.extend(g.iter().map(|m| m.1));
                *out = merge_into(finest, floor, scratch, &mut coeffs[..k]);
            },
        );
        for (i, p) in merged.iter().enumerate() {
            if let Some(p) = p {
                level.store(*p, &colours[i * k..(i + 1) * k]);
            }
        }
    }
    level
}

/// What one merge works in, kept from merge to merge on each thread.
#[derive(Default)]
struct Scratch {
    members: Vec<u32>,
    decoded: Vec<Primitive>,
    colour: Vec<[f64; 3]>,
    source: Vec<[f32; 3]>,
}

/// Which cell a primitive falls in at a level of `floor`: lifetime class, time bucket, then
/// the spatial cell of its centre at t0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Cell {
    class: i32,
    bucket: i64,
    space: [i64; 3],
}

fn cell(p: &Primitive, floor: f32) -> Cell {
    let [begin, end] = p.window;
    let (lifetime, centre) = if begin.is_finite() && end.is_finite() {
        (end as f64 - begin as f64, 0.5 * (begin as f64 + end as f64))
    } else if p.sigma_t.is_finite() {
        (4.9 * p.sigma_t as f64, p.t0 as f64)
    } else {
        (f64::INFINITY, 0.0)
    };
    let (class, bucket) = if lifetime.is_finite() && lifetime > 0.0 {
        let class = lifetime.log2().floor().clamp(-120.0, 120.0) as i32;
        // `as` saturates: a centre far outside any real time range still lands in a bucket.
        (class, (centre / 2f64.powi(class)).floor() as i64)
    } else {
        (i32::MIN, 0)
    };
    let s = floor as f64;
    Cell { class, bucket, space: std::array::from_fn(|a| (p.position[a] as f64 / s).floor() as i64) }
}

/// The primitive with the moments of `members` (indices into `splats`), with scales floored at
/// `floor`, and its colour coefficients; `None` when it would be invisible. One member that
/// needs no floor is kept as it is.
pub fn merge(splats: &Splats, members: &[u32], floor: f32) -> Option<(Primitive, Vec<[f32; 3]>)> {
    let mut scratch = Scratch { members: members.to_vec(), ..Default::default() };
    let mut coeffs = vec![[0.0f32; 3]; splats.coeff_count()];
    merge_into(splats, floor, &mut scratch, &mut coeffs).map(|p| (p, coeffs))
}

/// [`merge`] of `scratch.members`, its coefficients into `coeffs`.
fn merge_into(splats: &Splats, floor: f32, scratch: &mut Scratch, coeffs_out: &mut [[f32; 3]]) -> Option<Primitive> {
    let Scratch { members, decoded, colour, source } = scratch;
    let k = splats.coeff_count();
    if let [only] = members[..] {
        // A primitive alone in its cell stays as it is: inflating it to the floor would only
        // spread it over more pixels. One that the floor would dilute below 1/255 is too
        // faint to see from where this level is drawn, and goes.
        let p = splats.primitive(only as usize);
        let s = p.scale.as_dvec3();
        let diluted = p.opacity as f64 * two_largest(s) / two_largest(s.max(DVec3::splat(floor as f64)));
        splats.coeffs_into(only as usize, coeffs_out);
        return (diluted >= MIN_ALPHA).then_some(p);
    }
    decoded.clear();
    decoded.extend(members.iter().map(|&i| splats.primitive(i as usize)));
    let prims = || decoded.iter();
    let total: f64 = prims().map(mass).sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let t0 = prims().map(|p| mass(p) * p.t0 as f64).sum::<f64>() / total;

    // Motion re-expanded about t0: p(t) = c0 + c1 u + c2 u² + c3 u³, u = t - t0.
    let expand = |p: &Primitive| -> [DVec3; 4] {
        let d = t0 - p.t0 as f64;
        let [v, a, j] = p.motion.map(|m| m.as_dvec3());
        let c0 = p.position.as_dvec3() + d * (v + d * (a + d * j));
        [c0, v + 2.0 * d * a + 3.0 * d * d * j, a + 3.0 * d * j, j]
    };
    let mut coeffs = [DVec3::ZERO; 4];
    for p in prims() {
        let m = mass(p) / total;
        for (c, e) in coeffs.iter_mut().zip(expand(p)) {
            *c += m * e;
        }
    }
    let mean = coeffs[0];
    let mut covariance = DMat3::ZERO;
    for p in prims() {
        let r = quat_to_mat3(p.rotation).as_dmat3() * DMat3::from_diagonal(p.scale.as_dvec3());
        let d = expand(p)[0] - mean;
        let outer = DMat3::from_cols(d * d.x, d * d.y, d * d.z);
        covariance += (mass(p) / total) * (r * r.transpose() + outer);
    }
    let (variances, axes) = symmetric_eigen(covariance);
    let scale = variances.max(DVec3::ZERO).to_array().map(|v| v.sqrt().max(floor as f64));
    let scale = DVec3::from_array(scale);
    let opacity = (total / two_largest(scale)).min(1.0);
    if opacity < MIN_ALPHA {
        return None;
    }

    let sigma_t = if prims().all(|p| p.sigma_t.is_finite()) {
        let var =
            prims().map(|p| mass(p) * ((p.sigma_t as f64).powi(2) + (p.t0 as f64 - t0).powi(2))).sum::<f64>() / total;
        var.sqrt() as f32
    } else {
        f32::INFINITY
    };
    let window =
        prims().fold([f32::INFINITY, f32::NEG_INFINITY], |w, p| [w[0].min(p.window[0]), w[1].max(p.window[1])]);
    // A rotation velocity belongs to one primitive's frame; a merged cell has none.
    let omega = if members.len() == 1 { decoded[0].omega } else { Vec4::ZERO };

    colour.clear();
    colour.resize(k, [0.0; 3]);
    source.resize(k, [0.0; 3]);
    for (&i, p) in members.iter().zip(decoded.iter()) {
        let m = mass(p) / total;
        splats.coeffs_into(i as usize, source);
        for (c, s) in colour.iter_mut().zip(source.iter()) {
            for ch in 0..3 {
                c[ch] += m * s[ch] as f64;
            }
        }
    }
    let rotation: DVec4 = mat3_to_quat(axes);
    let primitive = Primitive {
        position: mean.as_vec3(),
        t0: t0 as f32,
        sigma_t,
        window,
        motion: [coeffs[1].as_vec3(), coeffs[2].as_vec3(), coeffs[3].as_vec3()],
        rotation: rotation.as_vec4(),
        omega,
        scale: scale.as_vec3(),
        opacity: opacity as f32,
    };
    for (out, c) in coeffs_out.iter_mut().zip(colour.iter()) {
        *out = c.map(|v| v as f32);
    }
    Some(primitive)
}

/// The product of the two largest of three scales: the area a Gaussian covers face-on.
fn two_largest(s: DVec3) -> f64 {
    let [a, b, c] = s.to_array();
    (a * b).max(a * c).max(b * c)
}

/// The mass of a primitive as [`merge`] weighs it, for tests and reports.
pub fn mass(p: &Primitive) -> f64 {
    p.opacity as f64 * two_largest(p.scale.as_dvec3())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::format::SourceKind;
    use glam::Vec3;

    fn splats(prims: &[Primitive]) -> Splats {
        let mut s = Splats::new(SourceKind::Procedural, 1, 0, [0.0, 2.0], 30.0);
        for (i, p) in prims.iter().enumerate() {
            let coeffs: Vec<[f32; 3]> = (0..4).map(|c| [i as f32 * 0.1 + c as f32, 0.5, -0.25]).collect();
            assert!(s.push(*p, &coeffs));
        }
        s
    }

    fn rotated(scale: Vec3, opacity: f32) -> Primitive {
        Primitive {
            position: Vec3::new(0.3, -0.2, 1.0),
            t0: 0.7,
            sigma_t: 0.25,
            window: [0.1, 1.3],
            motion: [Vec3::new(0.1, 0.0, -0.2), Vec3::new(0.0, 0.05, 0.0), Vec3::ZERO],
            rotation: Vec4::new(0.9, 0.1, -0.3, 0.2).normalize(),
            scale,
            opacity,
            ..Primitive::default()
        }
    }

    fn covariance(p: &Primitive) -> DMat3 {
        let r = quat_to_mat3(p.rotation).as_dmat3() * DMat3::from_diagonal(p.scale.as_dvec3());
        r * r.transpose()
    }

    fn close(a: DMat3, b: DMat3, tol: f64) -> bool {
        (a - b).to_cols_array().iter().all(|d| d.abs() <= tol)
    }

    #[test]
    fn one_primitive_is_kept_as_it_is() {
        let s = splats(&[rotated(Vec3::new(0.2, 0.1, 0.05), 0.6)]);
        let (p, c) = merge(&s, &[0], 0.01).unwrap();
        assert_eq!(p, s.primitive(0));
        assert_eq!(c, s.coeffs(0));
    }

    #[test]
    fn merging_identical_primitives_keeps_shape_colour_and_time() {
        // Through the moment-matching path (three members): everything but the opacity comes
        // back, and the opacity holds the three copies' mass.
        let s = splats(&[rotated(Vec3::new(0.2, 0.1, 0.05), 0.3); 3]);
        let (p, c) = merge(&s, &[0, 1, 2], 0.0).unwrap();
        let q = s.primitive(0);
        assert!((p.position - q.position).length() < 1e-6);
        assert!((p.t0 - q.t0).abs() < 1e-6 && (p.sigma_t - q.sigma_t).abs() < 1e-6);
        assert_eq!(p.window, q.window);
        for (a, b) in p.motion.iter().zip(&q.motion) {
            assert!((*a - *b).length() < 1e-6);
        }
        assert!(close(covariance(&p), covariance(&q), 1e-7), "{:?} vs {:?}", covariance(&p), covariance(&q));
        assert!((p.opacity - 0.9).abs() < 1e-5, "{}", p.opacity);
        let mean: Vec<[f32; 3]> = (0..4).map(|c| [0.1 + c as f32, 0.5, -0.25]).collect();
        for (a, b) in c.iter().zip(&mean) {
            assert!((0..3).all(|ch| (a[ch] - b[ch]).abs() < 1e-6), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn moment_matching_conserves_mass_and_mean() {
        let prims: Vec<Primitive> = (0..7)
            .map(|i| {
                let f = i as f32;
                Primitive {
                    position: Vec3::new(0.01 * f, -0.02 * f, 0.005 * f * f),
                    t0: 0.5 + 0.03 * f,
                    sigma_t: 0.1 + 0.01 * f,
                    window: [0.0 + 0.01 * f, 1.0 + 0.02 * f],
                    motion: [Vec3::new(0.2, -0.1 * f, 0.0), Vec3::new(0.0, 0.0, 0.3), Vec3::new(0.01 * f, 0.0, 0.0)],
                    rotation: Vec4::new(1.0, 0.1 * f, 0.0, -0.05 * f).normalize(),
                    scale: Vec3::new(0.01 + 0.002 * f, 0.02, 0.004),
                    opacity: 0.05 + 0.02 * f,
                    ..Primitive::default()
                }
            })
            .collect();
        let s = splats(&prims);
        let members: Vec<u32> = (0..7).collect();
        let (p, c) = merge(&s, &members, 0.0).unwrap();
        let total: f64 = prims.iter().map(mass).sum();
        assert!(p.opacity < 1.0, "uncapped");
        assert!((mass(&p) / total - 1.0).abs() < 1e-5, "mass {} vs {total}", mass(&p));
        // The mean trajectory: at every time, the mass-weighted mean of the sources' centres.
        for t in [0.0f32, 0.4, 0.8, 1.3] {
            let want = prims.iter().map(|q| mass(q) * q.position_at(t).as_dvec3()).sum::<DVec3>() / total;
            assert!((p.position_at(t).as_dvec3() - want).length() < 1e-5, "at {t}");
        }
        let want_t0 = prims.iter().map(|q| mass(q) * q.t0 as f64).sum::<f64>() / total;
        assert!((p.t0 as f64 - want_t0).abs() < 1e-6);
        // Colour is mass-weighted; the temporal variance includes the spread of the centres.
        let want_dc = prims.iter().enumerate().map(|(i, q)| mass(q) * i as f64 * 0.1).sum::<f64>() / total;
        assert!((c[0][0] as f64 - want_dc).abs() < 1e-6);
        assert!(p.sigma_t > 0.1 && p.window == [0.0, prims[6].window[1]]);
        // The covariance is at least as wide as the spread of the centres.
        let spread = prims.iter().map(|q| mass(q) * (q.position.x as f64 - p.position.x as f64).powi(2)).sum::<f64>();
        assert!(covariance(&p).x_axis.x >= spread / total);
    }

    #[test]
    fn floors_inflate_merges_and_faint_specks_vanish() {
        // Two specks far below the floor merge into one floor-sized primitive that keeps
        // their mass: its opacity falls with the area.
        let s = splats(&[rotated(Vec3::splat(0.01), 1.0); 2]);
        let (p, _) = merge(&s, &[0, 1], 0.05).unwrap();
        assert!(p.scale.min_element() >= 0.05 && (p.opacity - 0.08).abs() < 1e-4, "{p:?}");
        // A speck alone is kept as it is while the floor would leave it visible, and
        // dropped where it would not.
        let (q, _) = merge(&s, &[0], 0.05).unwrap();
        assert_eq!(q, s.primitive(0));
        assert!(merge(&s, &[0], 0.5).is_none());
    }

    #[test]
    fn cells_keep_lives_and_frames_apart() {
        let at = |t: f32, life: f32| Primitive {
            window: [t, t + life],
            sigma_t: f32::INFINITY,
            scale: Vec3::splat(0.01),
            ..Primitive::default()
        };
        let s = splats(&[
            at(0.0, 1.0 / 30.0),
            at(1.0 / 30.0, 1.0 / 30.0),
            at(0.0, 1.0 / 30.0),
            at(0.0, 2.0),
            Primitive::default(),
            Primitive::default(),
        ]);
        let level = build_level(&s, 0.02);
        // Frame 0's two boxes merge; frame 1's, the long-lived one and the static pair each
        // stay apart.
        assert_eq!(level.len(), 4, "{:?}", level.primitives().collect::<Vec<_>>());
        assert!(level.primitives().any(|p| p.window == [0.0, 1.0 / 30.0]));
        assert!(level.primitives().any(|p| p.window == [f32::NEG_INFINITY, f32::INFINITY]));
    }
}
