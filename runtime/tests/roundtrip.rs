//! pack → open round trips on every shared asset and the demo scene: exact in full precision,
//! within the stated f16 bounds otherwise; deterministic bytes; exact segment active sets.

mod common;

use std::collections::HashMap;

use splat4d::reference::candidates;
use splat4d::{demo, Asset, Primitive, Splats};

fn all_sources() -> Vec<(String, Splats)> {
    let mut v: Vec<(String, Splats)> =
        common::SHARED.iter().map(|(name, rel)| (name.to_string(), common::import(rel))).collect();
    v.push(("demo".into(), demo::scene()));
    v
}

fn key(p: &Primitive) -> [u32; 8] {
    [
        p.position.x.to_bits(),
        p.position.y.to_bits(),
        p.position.z.to_bits(),
        p.t0.to_bits(),
        p.window[0].to_bits(),
        p.window[1].to_bits(),
        p.scale.x.to_bits(),
        p.rotation.x.to_bits(),
    ]
}

#[test]
fn full_precision_round_trip_is_exact() {
    for (name, splats) in all_sources() {
        let asset = common::pack_open(&splats, true);
        assert_eq!(asset.len(), splats.len(), "{name}");
        let k = splats.coeff_count();
        let mut by_key: HashMap<[u32; 8], Vec<usize>> = HashMap::new();
        for (i, p) in splats.primitives().enumerate() {
            by_key.entry(key(&p)).or_default().push(i);
        }
        let mut coeffs = vec![[0.0f32; 3]; k];
        let attributes = asset.attributes().unwrap();
        for i in 0..asset.len() {
            let got = attributes.primitive(i);
            attributes.sh_coeffs(i, &mut coeffs);
            let matches = by_key.get(&key(&got)).unwrap_or_else(|| panic!("{name}: primitive {i} not in source"));
            assert!(
                matches.iter().any(|&j| splats.primitive(j) == got && splats.coeffs(j) == coeffs),
                "{name}: primitive {i} differs from its source: {got:?}"
            );
        }
    }
}

#[test]
fn f16_round_trip_is_within_bounds() {
    for (name, splats) in all_sources() {
        let exact = common::pack_open(&splats, true);
        let lossy = common::pack_open(&splats, false);
        assert!(lossy.file_size() < exact.file_size(), "{name}: f16 should shrink the file");
        let k = exact.sh_coeff_count();
        let (mut ce, mut cl) = (vec![[0.0f32; 3]; k], vec![[0.0f32; 3]; k]);
        let (exact, lossy) = (exact.attributes().unwrap(), lossy.attributes().unwrap());
        for i in 0..exact.positions().len() {
            let (e, l) = (exact.primitive(i), lossy.primitive(i));
            assert_eq!((e.position, e.t0, e.window, e.sigma_t), (l.position, l.t0, l.window, l.sigma_t), "{name} {i}");
            assert!((e.rotation - l.rotation).abs().max_element() <= 1e-3, "{name} {i} rotation");
            for a in 0..3 {
                assert!((e.scale[a] - l.scale[a]).abs() <= 1e-3 * e.scale[a] + 1e-7, "{name} {i} scale");
                for o in 0..3 {
                    let (x, y) = (e.motion[o][a], l.motion[o][a]);
                    assert!((x - y).abs() <= 1e-3 * x.abs() + 1e-7, "{name} {i} motion");
                }
            }
            assert!((e.omega - l.omega).abs().max_element() <= 1e-3 * e.omega.abs().max_element() + 1e-7);
            assert!((e.opacity - l.opacity).abs() <= 1e-3, "{name} {i} opacity");
            exact.sh_coeffs(i, &mut ce);
            lossy.sh_coeffs(i, &mut cl);
            for (a, b) in ce.iter().flatten().zip(cl.iter().flatten()) {
                assert!((a - b).abs() <= 2e-3, "{name} {i} SH {a} vs {b}");
            }
        }
    }
}

#[test]
fn packing_is_deterministic() {
    for (name, splats) in all_sources() {
        assert!(common::pack_bytes(&splats, false) == common::pack_bytes(&splats, false), "{name}");
    }
}

/// Every primitive alive at t is among the candidates of t's segment: the active sets are
/// exact supersets, so rendering from segments loses nothing.
#[test]
fn segments_hold_every_alive_primitive() {
    for (name, splats) in all_sources() {
        let asset = common::pack_open(&splats, false);
        let [t0, t1] = asset.info().time_range;
        let total_active: u64 = asset.segments().iter().map(|s| s.active_count as u64).sum();
        let attributes = asset.attributes().unwrap();
        for step in 0..=64 {
            let t = t0 + (t1 - t0) * step as f32 / 64.0;
            let cands: std::collections::HashSet<u32> = candidates(&asset, t).into_iter().collect();
            for i in 0..asset.len() {
                if attributes.primitive(i).is_alive(t) {
                    assert!(cands.contains(&(i as u32)), "{name}: primitive {i} alive at {t} but not active");
                }
            }
        }
        assert!(total_active > 0, "{name}");
    }
}

#[test]
fn short_lived_primitives_make_segments_sparse() {
    // The demo's particles live 1.3 s of 4 s: a segment must hold far fewer than all.
    let asset: Asset = common::pack_open(&demo::scene(), false);
    let n = asset.len() as u32;
    assert!(asset.segments().len() >= 6);
    for s in asset.segments() {
        assert!(s.active_count < n * 3 / 4, "segment {:?} holds {} of {n}", s.time, s.active_count);
    }
}
