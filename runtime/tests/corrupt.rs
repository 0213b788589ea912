//! The reader and the importers on broken and hostile input: a clear error or a counted drop,
//! never a panic, a hang or an unbounded allocation.

mod common;

use splat4d::asset::format::*;
use splat4d::import::{import_as, ImportOptions, SourceFormat};
use splat4d::{demo, Asset, Error, Verify};

fn demo_bytes() -> Vec<u8> {
    common::pack_bytes(&demo::scene(), false)
}

fn asset_error(bytes: &[u8]) -> String {
    match Asset::from_bytes(bytes, Verify::Full) {
        Ok(_) => panic!("corrupt asset accepted"),
        Err(Error::Asset(m)) => m,
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

/// Rewrites the INFO record and every checksum, so only the semantic checks can catch it.
fn with_info(bytes: &[u8], edit: impl Fn(&mut AssetInfo)) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let header: FileHeader = bytemuck::pod_read_unaligned(&out[..32]);
    let n = header.chunk_count as usize;
    let mut entries: Vec<ChunkEntry> =
        (0..n).map(|i| bytemuck::pod_read_unaligned(&out[32 + 32 * i..64 + 32 * i])).collect();
    let info = entries.iter_mut().find(|e| e.kind == kind::INFO).unwrap();
    let at = info.offset as usize;
    let mut record: AssetInfo = bytemuck::pod_read_unaligned(&out[at..at + std::mem::size_of::<AssetInfo>()]);
    edit(&mut record);
    out[at..at + std::mem::size_of::<AssetInfo>()].copy_from_slice(bytemuck::bytes_of(&record));
    info.checksum = crc32fast::hash(&out[at..at + info.size as usize]);
    let mut h = header;
    h.checksum = 0;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&h));
    hasher.update(bytemuck::cast_slice(&entries));
    h.checksum = hasher.finalize();
    out[..32].copy_from_slice(bytemuck::bytes_of(&h));
    out[32..32 + 32 * n].copy_from_slice(bytemuck::cast_slice(&entries));
    out
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = demo_bytes();
    for len in (0..bytes.len()).step_by(997).chain([bytes.len() - 1, 31, 32, 33]) {
        let msg = asset_error(&bytes[..len]);
        assert!(!msg.is_empty());
    }
}

#[test]
fn flipped_bytes_are_caught_by_checksums() {
    let bytes = demo_bytes();
    // Every byte of the header, the chunk table and the chunks is under a checksum; only the
    // padding that aligns chunks to 16 bytes is not (and means nothing).
    let header: FileHeader = bytemuck::pod_read_unaligned(&bytes[..32]);
    let table_end = 32 + 32 * header.chunk_count as usize;
    let chunks: Vec<(usize, usize)> = (0..header.chunk_count as usize)
        .map(|i| {
            let e: ChunkEntry = bytemuck::pod_read_unaligned(&bytes[32 + 32 * i..64 + 32 * i]);
            (e.offset as usize, (e.offset + e.size) as usize)
        })
        .collect();
    let covered = |at: usize| at < table_end || chunks.iter().any(|&(a, b)| (a..b).contains(&at));
    let (mut caught, mut padding) = (0, 0);
    let gaps: Vec<usize> = (table_end..bytes.len()).filter(|&at| !covered(at)).step_by(7).collect();
    for at in (0..bytes.len()).step_by(4099).chain([0, 9, 31, 32, 63, bytes.len() - 1]).chain(gaps) {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        match (covered(at), Asset::from_bytes(&b, Verify::Full)) {
            (true, Err(Error::Asset(m))) => {
                let named = ["checksum", "magic", "version", "bytes but the file has"].iter().any(|w| m.contains(w));
                assert!(named, "byte {at}: {m}");
                caught += 1;
            }
            (true, r) => panic!("byte {at} flipped: {:?}", r.map(|_| "accepted")),
            (false, Ok(_)) => padding += 1,
            (false, Err(e)) => panic!("padding byte {at} flipped: {e}"),
        }
    }
    assert!(caught > 700, "{caught} caught, {padding} in padding");
    let mut b = bytes.clone();
    let last = b.len() - 200;
    b[last] ^= 1;
    let msg = asset_error(&b);
    assert!(msg.contains("checksum"), "{msg}");
}

#[test]
fn wrong_magic_and_version_are_named() {
    let bytes = demo_bytes();
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(asset_error(&b).contains("magic"));
    let mut b = bytes.clone();
    b[8..10].copy_from_slice(&7u16.to_le_bytes());
    assert!(asset_error(&b).contains("version 7"));
    assert!(asset_error(b"").contains("shorter"));
}

#[test]
fn hostile_counts_are_rejected() {
    let bytes = demo_bytes();
    type Edit = Box<dyn Fn(&mut AssetInfo)>;
    // Each edit must be caught by its own check, which says what is wrong.
    let cases: [(&str, Edit); 8] = [
        ("4294967295 primitives × 4 values need", Box::new(|i: &mut AssetInfo| i.primitive_count = u32::MAX)),
        ("chunk SEGS holds 6 records, INFO says 1073741824", Box::new(|i: &mut AssetInfo| i.segment_count = 1 << 30)),
        ("chunk LEVL holds 1 records, INFO says 2", Box::new(|i: &mut AssetInfo| i.level_count += 1)),
        ("INFO: SH degree above 3", Box::new(|i: &mut AssetInfo| i.sh_degree = 9)),
        ("INFO: time range is not finite and ordered", Box::new(|i: &mut AssetInfo| i.time_range = [1.0, f32::NAN])),
        ("CAMS chunk does not match INFO's camera count", Box::new(|i: &mut AssetInfo| i.camera_count = 1000)),
        ("INFO: motion degree above 3", Box::new(|i: &mut AssetInfo| i.motion_degree = 4)),
        ("INFO: render flags this runtime does not know", Box::new(|i: &mut AssetInfo| i.render_flags = 0x80)),
    ];
    for (want, edit) in cases {
        let msg = asset_error(&with_info(&bytes, edit));
        assert!(msg.contains(want), "expected '{want}' in: {msg}");
    }
}

#[test]
fn verify_structure_skips_attribute_checksums_only() {
    let bytes = demo_bytes();
    let asset = Asset::from_bytes(&bytes, Verify::Structure).unwrap();
    let posn = asset.chunks().iter().find(|c| c.kind == kind::POSITION).unwrap().offset as usize;
    let mut b = bytes.clone();
    b[posn] ^= 1;
    assert!(Asset::from_bytes(&b, Verify::Structure).is_ok());
    assert!(asset_error(&b).contains("POSN"));
}

/// An asset whose file is cut short or rewritten after it was opened: reading its primitives is
/// an error naming what happened (it was a SIGBUS through the map, or a panic on tables read
/// again after they were checked).
#[test]
fn a_file_changed_under_an_open_asset_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = demo_bytes();
    for (name, change) in [("cut", 0), ("rewritten", 1), ("renamed over", 2)] {
        let path = dir.path().join(format!("{name}.s4d"));
        std::fs::write(&path, &bytes).unwrap();
        let asset = Asset::open(&path, Verify::Full).unwrap();
        let segments = asset.segments().to_vec();
        match change {
            0 => std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(bytes.len() as u64 / 3).unwrap(),
            1 => {
                use std::os::unix::fs::FileExt;
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.write_all_at(&[0x5a; 4096], bytes.len() as u64 / 2).unwrap();
            }
            _ => {
                // Replaced the way to update assets in place: the open one still reads the old.
                let fresh = dir.path().join("fresh.s4d");
                std::fs::write(&fresh, b"not an asset").unwrap();
                std::fs::rename(&fresh, &path).unwrap();
            }
        }
        // The tables were copied when it was opened: they hold, whatever the file does now.
        assert_eq!(asset.segments(), &segments[..]);
        match (change, asset.attributes()) {
            (2, Ok(a)) => assert_eq!(a.positions().len(), asset.len()),
            (2, Err(e)) => panic!("renamed over: {e}"),
            (_, Ok(_)) => panic!("{name}: other bytes were read as the asset's"),
            (_, Err(e)) => {
                let m = e.to_string();
                let want = if change == 0 { "was truncated after it was opened" } else { "after it was opened" };
                assert!(matches!(e, Error::Asset(_)) && m.contains(want), "{name}: {m}");
            }
        }
    }
}

#[test]
fn file_errors_name_the_file() {
    let e = Asset::open("/nonexistent/x.s4d", Verify::Full).err().unwrap();
    assert!(e.to_string().contains("/nonexistent/x.s4d"));
}

fn try_all_importers(bytes: &[u8]) {
    for f in [SourceFormat::FourDgsPly, SourceFormat::InriaPly, SourceFormat::Splatv, SourceFormat::DotSplat] {
        let options = ImportOptions { time_range: Some([0.0, 1.0]), ..Default::default() };
        if let Ok(s) = import_as(f, "input", bytes, &options) {
            // Whatever imports must pack and reopen.
            Asset::from_bytes(&common::pack_bytes(&s, false), Verify::Full).unwrap();
        }
    }
}

#[test]
fn truncated_sources_never_panic() {
    let dir = common::assets();
    for rel in
        ["4d/technicolor-sam.splatv", "3d/fruit-drops-sh3.ply", "3d/minimal.splat", "4d/fireworks-frames/frame_003.ply"]
    {
        let bytes = std::fs::read(dir.join(rel)).unwrap();
        for len in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
            try_all_importers(&bytes[..len]);
        }
    }
}

#[test]
fn huge_declared_counts_allocate_nothing() {
    let ply = b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\nproperty float y\nproperty float z\nproperty float f_dc_0\nproperty float f_dc_1\nproperty float f_dc_2\nproperty float opacity\nproperty float scale_0\nproperty float scale_1\nproperty float scale_2\nproperty float rot_0\nproperty float rot_1\nproperty float rot_2\nproperty float rot_3\nend_header\n";
    let e = import_as(SourceFormat::InriaPly, "huge.ply", ply, &ImportOptions::default()).err().unwrap();
    assert!(e.to_string().contains("no usable primitives"), "{e}");
    let mut splatv = Vec::new();
    let json = br#"[{"type":"splat","size":640000000000,"texwidth":4096,"texheight":1}]"#;
    splatv.extend_from_slice(&0x674bu32.to_le_bytes());
    splatv.extend_from_slice(&(json.len() as u32).to_le_bytes());
    splatv.extend_from_slice(json);
    assert!(import_as(SourceFormat::Splatv, "huge.splatv", &splatv, &ImportOptions::default()).is_err());
    let mut bad_json = splatv.clone();
    bad_json[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = import_as(SourceFormat::Splatv, "x.splatv", &bad_json, &ImportOptions::default()).err().unwrap();
    assert!(e.to_string().contains("runs past the end"), "{e}");
}

#[test]
fn nan_and_inf_are_dropped_and_counted_and_a_zero_quaternion_is_the_identity() {
    // Five INRIA splats: good, NaN position, zero quaternion (the INRIA rasteriser draws it
    // with the identity rotation), infinite scale, NaN colour.
    let mut ply = b"ply\nformat binary_little_endian 1.0\nelement vertex 5\n".to_vec();
    for p in [
        "x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1",
        "rot_2", "rot_3",
    ] {
        ply.extend_from_slice(format!("property float {p}\n").as_bytes());
    }
    ply.extend_from_slice(b"end_header\n");
    let good = [0.0f32, 0.0, 1.0, 0.1, 0.2, 0.3, 2.0, -3.0, -3.0, -3.0, 2.0, 0.0, 0.0, 0.0];
    let mut rows = vec![good; 5];
    rows[1][0] = f32::NAN;
    rows[2][10] = 0.0;
    rows[3][8] = f32::INFINITY;
    rows[4][4] = f32::NAN;
    for r in &rows {
        for v in r {
            ply.extend_from_slice(&v.to_le_bytes());
        }
    }
    let s = import_as(SourceFormat::InriaPly, "bad.ply", &ply, &ImportOptions::default()).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s.report.read, 5);
    assert_eq!(s.report.dropped_total(), 3, "{}", s.report);
    assert_eq!(s.report.adjusted.values().sum::<u64>(), 1, "{}", s.report);
    assert_eq!(s.primitive(0).rotation, splat4d::glam::Vec4::new(1.0, 0.0, 0.0, 0.0), "normalised");
    assert_eq!(s.primitive(1).rotation, splat4d::glam::Vec4::new(1.0, 0.0, 0.0, 0.0), "zero: the identity");
}
