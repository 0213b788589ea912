//! INRIA 3DGS PLY: `x y z [nx ny nz] f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3`, raw
//! trained values (logit opacity, log scale, unnormalised w-first quaternion). Unknown extra
//! properties are ignored. The result is static: infinite temporal width and window.

use glam::{Vec3, Vec4};

use super::ply::{Header, Rows};
use super::{read_ply_sh, ImportOptions, Input, TRUNCATED};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::math::sigmoid;
use crate::primitive::Primitive;
use crate::sh;
use crate::splats::Splats;

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::InriaPly, (0, 0), time_range, options.frame_rate()?);
    read_static(input, &mut splats)?;
    Ok(splats)
}

/// Appends the source's splats to `splats` (whose SH degree it sets from the file).
pub(super) fn read_static(input: &mut Input, splats: &mut Splats) -> Result<()> {
    let name = input.name;
    let err = |e: String| Error::import(name, e);
    let header = Header::parse(input.head).map_err(err)?;
    let temporal: Vec<&str> = super::ply::FOURDGS_ONLY.into_iter().filter(|p| header.has(p)).collect();
    if !temporal.is_empty() {
        return Err(err(format!("declares 4DGS properties ({}): a 4DGS PLY, not a 3DGS one", temporal.join(", "))));
    }
    let pos = header.columns(&["x", "y", "z"]).map_err(err)?;
    let dc = header.columns(&["f_dc_0", "f_dc_1", "f_dc_2"]).map_err(err)?;
    let scale = header.columns(&["scale_0", "scale_1", "scale_2"]).map_err(err)?;
    let rot = header.columns(&["rot_0", "rot_1", "rot_2", "rot_3"]).map_err(err)?;
    let opacity = header.columns(&["opacity"]).map_err(err)?[0];
    let rest = header.numbered("f_rest_");
    let degree = match rest.len() {
        0 => 0,
        9 => 1,
        24 => 2,
        45 => 3,
        n => return Err(err(format!("{n} f_rest properties; SH degree 0..3 needs 0, 9, 24 or 45"))),
    };
    splats.set_sh_degrees(degree, 0);
    splats.report.source = name.to_string();
    splats.report.format = "3DGS PLY: trained values".into();
    let mut coeffs = vec![[0.0f32; 3]; sh::coeff_count(degree, 0)];
    let mut rows = Rows::new(&header, input.from(header.len));
    while let Some(row) = rows.next_row().map_err(err)? {
        read_ply_sh(row, &dc, &rest, &mut coeffs);
        let p = Primitive {
            position: Vec3::new(row[pos[0]] as f32, row[pos[1]] as f32, row[pos[2]] as f32),
            rotation: Vec4::new(row[rot[0]] as f32, row[rot[1]] as f32, row[rot[2]] as f32, row[rot[3]] as f32),
            scale: Vec3::new(row[scale[0]].exp() as f32, row[scale[1]].exp() as f32, row[scale[2]].exp() as f32),
            opacity: sigmoid(row[opacity]) as f32,
            ..Primitive::default()
        };
        splats.push(p, &coeffs);
    }
    splats.report.read += header.declared;
    splats.report.drop(TRUNCATED, rows.missing());
    Ok(())
}
