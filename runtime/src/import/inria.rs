//! INRIA 3DGS PLY: `x y z [nx ny nz] f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3`, raw
//! trained values (logit opacity, log scale, unnormalised w-first quaternion). Unknown extra
//! properties are ignored. The result is static: infinite temporal width and window.

use glam::{Vec3, Vec4};

use super::ply::VertexTable;
use super::{read_ply_sh, ImportOptions, TRUNCATED};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::math::sigmoid;
use crate::primitive::Primitive;
use crate::sh;
use crate::splats::Splats;

pub fn import(name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Splats> {
    let table = VertexTable::parse(bytes).map_err(|e| Error::import(name, e))?;
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = Splats::new(SourceKind::InriaPly, 0, 0, time_range, options.frame_rate()?);
    read_static(name, &table, &mut splats)?;
    Ok(splats)
}

/// Appends the table's splats to `splats` (whose SH degree it sets from the file).
pub(super) fn read_static(name: &str, table: &VertexTable, splats: &mut Splats) -> Result<()> {
    let err = |e: String| Error::import(name, e);
    let pos = table.columns(&["x", "y", "z"]).map_err(err)?;
    let dc = table.columns(&["f_dc_0", "f_dc_1", "f_dc_2"]).map_err(err)?;
    let scale = table.columns(&["scale_0", "scale_1", "scale_2"]).map_err(err)?;
    let rot = table.columns(&["rot_0", "rot_1", "rot_2", "rot_3"]).map_err(err)?;
    let opacity = table.columns(&["opacity"]).map_err(err)?[0];
    let rest = table.numbered("f_rest_");
    let degree = match rest.len() {
        0 => 0,
        9 => 1,
        24 => 2,
        45 => 3,
        n => return Err(err(format!("{n} f_rest properties; SH degree 0..3 needs 0, 9, 24 or 45"))),
    };
    splats.sh_degree = degree;
    splats.sh_degree_t = 0;
    splats.report.source = name.to_string();
    splats.report.read += table.declared;
    splats.report.drop(TRUNCATED, table.declared - table.rows as u64);
    let mut coeffs = vec![[0.0f32; 3]; sh::coeff_count(degree, 0)];
    for row in 0..table.rows {
        let get = |c: usize| table.get(row, c);
        read_ply_sh(table, row, &dc, &rest, &mut coeffs);
        let p = Primitive {
            position: Vec3::new(get(pos[0]) as f32, get(pos[1]) as f32, get(pos[2]) as f32),
            rotation: Vec4::new(get(rot[0]) as f32, get(rot[1]) as f32, get(rot[2]) as f32, get(rot[3]) as f32),
            scale: Vec3::new(get(scale[0]).exp() as f32, get(scale[1]).exp() as f32, get(scale[2]).exp() as f32),
            opacity: sigmoid(get(opacity)) as f32,
            ..Primitive::default()
        };
        splats.push(p, &coeffs);
    }
    Ok(())
}
