//! Importers on the real shared assets, and on canonical 4DGS PLYs written here.

mod common;

use splat4d::import::{import_as, import_paths, ImportOptions, SourceFormat};
use splat4d::sh;

fn all(s: &splat4d::Splats) -> Vec<splat4d::Primitive> {
    s.primitives().collect()
}

fn dropped(s: &splat4d::Splats, reason_part: &str) -> u64 {
    s.report.dropped.iter().filter(|(r, _)| r.contains(reason_part)).map(|(_, c)| c).sum()
}

#[test]
fn splatv_counts_and_cameras() {
    let s = common::import("4d/technicolor-sam.splatv");
    assert_eq!(s.report.read, 29_304, "non-padding records of the file");
    assert_eq!(s.len() as u64 + s.report.dropped_total(), s.report.read);
    assert_eq!(s.cameras.len(), 800);
    assert_eq!((s.cameras[0].width, s.cameras[0].height), (2048, 1088));
    assert_eq!(s.time_range, [0.0, 1.0]);
    // 10,729 records hold a zero quaternion and zero rotation velocity, which the trainer
    // draws with the identity rotation: kept, axis-aligned, and counted as a note.
    assert_eq!(dropped(&s, "rotation"), 0);
    assert_eq!(s.report.adjusted.values().sum::<u64>(), 10_729, "{}", s.report);
    assert!(s.report.to_string().contains("10729 zero rotations drawn as the identity"), "{}", s.report);
    let identity = s.primitives().filter(|p| p.rotation == splat4d::glam::Vec4::new(1.0, 0.0, 0.0, 0.0)).count();
    assert!(identity >= 10_729, "{identity}");
    assert!(s.motion_degree() == 3 && s.primitives().any(|p| p.omega != splat4d::glam::Vec4::ZERO));

    let f = common::import("4d/fireworks-timesliced.splatv");
    assert_eq!(f.report.read, 24_000);
}

#[test]
fn defective_splatv_packs_with_its_defects_reported() {
    let s = common::import("4d/coffee10-defective.splatv");
    assert_eq!(s.report.read, 12_288, "declared records");
    assert_eq!(dropped(&s, "truncated"), 12_288 - 11_926);
    assert_eq!(dropped(&s, "non-finite position"), 24);
    assert!(s.report.notes.iter().any(|n| n.contains("infinite temporal scale")), "{}", s.report);
    let asset = common::pack_open(&s, false);
    assert_eq!(asset.info().dropped_records as u64, s.report.dropped_total());
    assert!(asset.provenance().contains("truncated"));
}

#[test]
fn inria_ply_ignores_unknown_properties_and_normalises_quaternions() {
    let fruit = common::import("3d/fruit-drops-sh3.ply");
    assert_eq!((fruit.report.read, fruit.sh_degree), (4_721, 3));
    let lod = common::import("3d/lod-tile-unnormalized-quats.ply");
    assert_eq!(lod.report.read, 489);
    for p in lod.primitives() {
        assert!((p.rotation.length() - 1.0).abs() < 1e-6);
    }
}

#[test]
fn dot_splat_decodes_colour_and_rotation() {
    let s = common::import("3d/minimal.splat");
    assert_eq!(s.len(), 4);
    let p = s.primitive(0);
    assert_eq!(p.position.to_array(), [-1.0, 0.0, -1.0]);
    assert!((p.opacity - 230.0 / 255.0).abs() < 1e-6);
    // Rotation bytes (128, 128, 128, 255) decode to (0, 0, 0, 127/128), normalised to +z.
    assert_eq!(p.rotation.to_array(), [0.0, 0.0, 0.0, 1.0]);
    let rgb = sh::eval(&s.coeffs(0), 0, 0, splat4d::glam::Vec3::Z, 0.0, 1.0);
    assert!((rgb - splat4d::glam::Vec3::new(85.0, 85.0, 128.0) / 255.0).abs().max_element() < 1e-6);
}

#[test]
fn frame_sequence_gives_each_frame_its_interval() {
    let dir = common::assets().join("4d/fireworks-frames");
    let options = ImportOptions { frame_rate: Some(12.0), ..Default::default() };
    let s = import_paths(std::slice::from_ref(&dir), &options).unwrap();
    assert_eq!((s.len(), s.time_range), (24_000, [0.0, 0.5]));
    for (i, p) in s.primitives().enumerate() {
        let frame = (i / 4000) as f32;
        assert_eq!(p.window, [frame / 12.0, (frame + 1.0) / 12.0]);
        assert!(p.is_alive(frame / 12.0 + 0.01) && !p.is_alive((frame + 1.0) / 12.0));
    }
    // A glob and an explicit list give the same sequence.
    let glob = import_paths(&[dir.join("frame_*.ply")], &options).unwrap();
    let mut list: Vec<_> = (0..6).map(|i| dir.join(format!("frame_{i:03}.ply"))).collect();
    let listed = import_paths(&list, &options).unwrap();
    assert_eq!(all(&glob), all(&s));
    assert_eq!(all(&listed), all(&s));
    list.reverse();
    assert_ne!(all(&import_paths(&list, &options).unwrap()), all(&s), "order is the user's");
}

/// A canonical 4DGS PLY with `n` rows: values are recognisable functions of row and property.
fn fourdgs_ply(n: usize, comments: &[&str], per_channel: usize, rot_4d: bool) -> Vec<u8> {
    let mut names: Vec<String> = ["x", "y", "z", "t", "f_dc_0", "f_dc_1", "f_dc_2"].map(String::from).to_vec();
    names.extend((0..3 * (per_channel - 1)).map(|i| format!("f_rest_{i}")));
    names.extend(
        ["opacity", "scale_0", "scale_1", "scale_2", "scale_t", "rot_0", "rot_1", "rot_2", "rot_3"].map(String::from),
    );
    if rot_4d {
        names.extend(["rot_r_0", "rot_r_1", "rot_r_2", "rot_r_3"].map(String::from));
    }
    let mut out = String::from("ply\nformat binary_little_endian 1.0\n");
    for c in comments {
        out += &format!("comment {c}\n");
    }
    out += &format!("element vertex {n}\n");
    for name in &names {
        out += &format!("property float {name}\n");
    }
    out += "end_header\n";
    let mut bytes = out.into_bytes();
    for row in 0..n {
        for name in &names {
            let v = match name.as_str() {
                "t" => 5.0 + row as f32 * 0.1,
                "rot_0" | "rot_r_0" => 1.0,
                "rot_1" | "rot_r_1" => 0.2,
                "rot_r_2" => 0.3,
                "rot_2" | "rot_3" | "rot_r_3" => 0.0,
                "opacity" => 3.0,
                s if s.starts_with("scale") => -2.0,
                s if s.starts_with("f_rest_") => 0.001 * s[7..].parse::<f32>().unwrap() + row as f32 * 0.0001,
                s if s.starts_with("f_dc_") => 0.1 * s[5..].parse::<f32>().unwrap(),
                _ => row as f32,
            };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    bytes
}

#[test]
fn fourdgs_ply_comments_degrees_and_channel_major_sh() {
    let comments = ["splat4d time_range 0 10", "splat4d sh_degree 3", "splat4d sh_degree_t 2"];
    let ply = fourdgs_ply(3, &comments, 48, true);
    let s = import_as(SourceFormat::FourDgsPly, "a.ply", &ply, &ImportOptions::default()).unwrap();
    assert_eq!((s.sh_degree, s.sh_degree_t, s.time_range, s.sh_time_period), (3, 2, [0.0, 10.0], 10.0));
    assert_eq!(s.len(), 3);
    // f_rest is channel-major: coefficient k ≥ 1 of channel c is f_rest_{c·47 + k − 1}.
    for row in 0..3 {
        let c = s.coeffs(row);
        for (k, coeff) in c.iter().enumerate().skip(1) {
            for (ch, got) in coeff.iter().enumerate() {
                let want = 0.001 * (ch * 47 + k - 1) as f32 + row as f32 * 0.0001;
                assert!((got - want).abs() < 1e-6, "row {row} k {k} c {ch}");
            }
        }
        assert_eq!(c[0], [0.0, 0.1, 0.2]);
    }
    // q_l ≠ q_r couples space and time (§1.2): the primitive moves.
    let p = s.primitive(0);
    assert_eq!(p.t0, 5.0);
    assert!(p.motion[0].length() > 0.0);

    // Same file without comments: degrees inferred, time range required.
    let bare = fourdgs_ply(2, &[], 48, true);
    let e = import_as(SourceFormat::FourDgsPly, "b.ply", &bare, &ImportOptions::default()).err().unwrap();
    assert!(e.to_string().contains("--time-range"), "{e}");
    let options = ImportOptions { time_range: Some([0.0, 10.0]), ..Default::default() };
    let s2 = import_as(SourceFormat::FourDgsPly, "b.ply", &bare, &options).unwrap();
    assert_eq!((s2.sh_degree, s2.sh_degree_t), (3, 2));
    assert_eq!(all(&s2)[..], all(&s)[..2]);
}

#[test]
fn fourdgs_ply_time_terms_need_degree_three_and_rot_4d_false_is_static() {
    let ply = fourdgs_ply(1, &["splat4d time_range 0 1", "splat4d sh_degree 1", "splat4d sh_degree_t 2"], 12, false);
    let s = import_as(SourceFormat::FourDgsPly, "c.ply", &ply, &ImportOptions::default()).unwrap();
    assert_eq!((s.sh_degree, s.sh_degree_t, s.coeff_count()), (1, 0, 4));
    assert!(s.report.notes.iter().any(|n| n.contains("time harmonics ignored")));
    assert!(s.report.notes.iter().any(|n| n.contains("rot_4d = False")));
    assert_eq!(s.primitive(0).motion[0], splat4d::glam::Vec3::ZERO);
    // rot_4d = False: exp(scale_t) is the temporal variance.
    assert!((s.primitive(0).sigma_t - (-2.0f32).exp().sqrt()).abs() < 1e-6);

    let bad = fourdgs_ply(1, &["splat4d time_range 0 1", "splat4d sh_degree 3", "splat4d sh_degree_t 2"], 12, true);
    let e = import_as(SourceFormat::FourDgsPly, "d.ply", &bad, &ImportOptions::default()).err().unwrap();
    assert!(e.to_string().contains("need 48"), "{e}");
}
