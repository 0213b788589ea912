//! glTF 2.0 / GLB with `KHR_gaussian_splatting` (Khronos, ratified): splats are the points of
//! mesh primitives (mode POINTS) with `POSITION`, `KHR_gaussian_splatting:ROTATION` (unit
//! quaternion, x y z w), `:SCALE` (linear), `:OPACITY` (linear) and `:SH_DEGREE_l_COEF_c`
//! (3DGS's real SH, RGB per coefficient), each an accessor of float or normalized integers.
//! Every node that instantiates such a mesh places its splats by its global transform, and glTF's
//! axes (left-up-front as seen by a PLY's camera) become the PLY's.
//!
//! The JSON is read with serde_json: the `gltf` crate (gltf-json 1.4.1, `Semantic::checked`)
//! maps every attribute name it does not know to `Checked::Invalid`, the key of its attribute
//! map, so the extension's attributes all land on one key and cannot be told apart.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use glam::{DMat3, DMat4, DQuat, DVec3, Vec3, Vec4};
use serde_json::Value;

use super::axes::Flip;
use super::{ImportOptions, Input};
use crate::asset::format::SourceKind;
use crate::error::{printable, Error, Result};
use crate::primitive::Primitive;
use crate::splats::Splats;

const GLB_MAGIC: u32 = 0x4654_6C67; // "glTF"
const CHUNK_JSON: u32 = 0x4E4F_534A;
const CHUNK_BIN: u32 = 0x004E_4942;
const EXT: &str = "KHR_gaussian_splatting";
/// Nodes nest no deeper than this (a deeper graph is a cycle or an attack).
const MAX_DEPTH: usize = 64;

pub fn detect(name: &str, head: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    head.starts_with(&GLB_MAGIC.to_le_bytes())
        || (lower.ends_with(".gltf") && head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    let mut bytes = Vec::new();
    input.from(0).read_to_end(&mut bytes).map_err(|e| err(format!("reading: {e}")))?;
    let (json, bin) =
        if bytes.starts_with(&GLB_MAGIC.to_le_bytes()) { split_glb(&bytes).map_err(err)? } else { (&bytes[..], None) };
    let doc: Value = serde_json::from_slice(json).map_err(|e| err(format!("glTF JSON: {e}")))?;
    let buffers = load_buffers(&doc, bin, input.dir).map_err(err)?;
    let gltf = Document { doc: &doc, buffers };
    let placed = gltf.splat_primitives().map_err(err)?;
    if placed.is_empty() {
        return Err(err(format!("no mesh primitive with the {EXT} extension in the scene")));
    }
    let degree = placed.iter().map(|(p, _)| sh_degree(p)).max().unwrap_or(0);
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::Gltf, (degree, 0), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    for (primitive, transform) in &placed {
        gltf.read_primitive(primitive, *transform, degree, &mut splats).map_err(err)?;
    }
    Ok(splats)
}

fn split_glb(b: &[u8]) -> std::result::Result<(&[u8], Option<&[u8]>), String> {
    let u32_at = |i: usize| b.get(i..i + 4).map(|s| u32::from_le_bytes(s.try_into().unwrap()));
    if u32_at(4) != Some(2) {
        return Err(format!("GLB version {:?} (only 2 exists)", u32_at(4)));
    }
    let total = (u32_at(8).ok_or("truncated GLB header")? as usize).min(b.len());
    let mut at = 12;
    let (mut json, mut bin) = (None, None);
    while at + 8 <= total {
        let (len, ty) = (u32_at(at).unwrap() as usize, u32_at(at + 4).unwrap());
        let data = b.get(at + 8..at + 8 + len).ok_or("a GLB chunk runs past the end of the file")?;
        match ty {
            CHUNK_JSON if json.is_none() => json = Some(data),
            CHUNK_BIN if bin.is_none() && json.is_some() => bin = Some(data),
            _ => {}
        }
        at += 8 + len.next_multiple_of(4);
    }
    Ok((json.ok_or("GLB without a JSON chunk")?, bin))
}

/// Every buffer's bytes: the GLB's BIN chunk, a `data:` URI, or a file beside the source.
fn load_buffers(doc: &Value, bin: Option<&[u8]>, dir: Option<&Path>) -> std::result::Result<Vec<Vec<u8>>, String> {
    let list = doc.get("buffers").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    list.iter()
        .enumerate()
        .map(|(i, b)| {
            let declared =
                b.get("byteLength").and_then(Value::as_u64).ok_or(format!("buffer {i} has no byteLength"))?;
            let data = match b.get("uri").and_then(Value::as_str) {
                None if i == 0 => bin.ok_or("buffer 0 has no uri and the file no BIN chunk")?.to_vec(),
                None => return Err(format!("buffer {i} has no uri")),
                Some(uri) if uri.starts_with("data:") => {
                    let (_, payload) =
                        uri.split_once(";base64,").ok_or(format!("buffer {i}: a data URI not in base64"))?;
                    base64::engine::general_purpose::STANDARD
                        .decode(payload)
                        .map_err(|e| format!("buffer {i}: data URI: {e}"))?
                }
                Some(uri) => {
                    let dir = dir
                        .ok_or(format!("buffer {i} is the file '{}', and this source has no folder", printable(uri)))?;
                    let relative = Path::new(uri);
                    if uri.contains(':') || relative.is_absolute() {
                        return Err(format!("buffer {i}: '{}' is not a relative path", printable(uri)));
                    }
                    let path = dir.join(relative);
                    let mut data = Vec::new();
                    crate::fs::open_regular(&path)
                        .and_then(|f| f.take(declared).read_to_end(&mut data).map_err(|e| Error::io(&path, e)))
                        .map_err(|e| format!("buffer {i}: {e}"))?;
                    data
                }
            };
            if (data.len() as u64) < declared {
                return Err(format!("buffer {i} holds {} of its {declared} bytes", data.len()));
            }
            Ok(data)
        })
        .collect()
}

fn sh_degree(primitive: &Value) -> u32 {
    let attrs = primitive.get("attributes");
    (1..=3).take_while(|l| attrs.and_then(|a| a.get(format!("{EXT}:SH_DEGREE_{l}_COEF_0"))).is_some()).count() as u32
}

struct Document<'a> {
    doc: &'a Value,
    buffers: Vec<Vec<u8>>,
}

/// One accessor's elements, as glTF reads them (normalized integers to [0, 1] or [-1, 1]).
struct Accessor<'a> {
    data: &'a [u8],
    stride: usize,
    count: usize,
    components: usize,
    component_type: u64,
    normalized: bool,
}

impl Accessor<'_> {
    fn describe(&self) -> &'static str {
        match (self.component_type, self.normalized) {
            (5126, _) => "f32",
            (5120, true) => "normalized i8",
            (5121, true) => "normalized u8",
            (5122, true) => "normalized i16",
            (5123, true) => "normalized u16",
            _ => "integer",
        }
    }

    fn get(&self, i: usize, c: usize) -> f32 {
        let size = component_size(self.component_type);
        let b = &self.data[i * self.stride + c * size..];
        let n = self.normalized;
        let v = match self.component_type {
            5120 => b[0] as i8 as f32 / if n { 127.0 } else { 1.0 },
            5121 => b[0] as f32 / if n { 255.0 } else { 1.0 },
            5122 => i16::from_le_bytes([b[0], b[1]]) as f32 / if n { 32767.0 } else { 1.0 },
            5123 => u16::from_le_bytes([b[0], b[1]]) as f32 / if n { 65535.0 } else { 1.0 },
            5125 => u32::from_le_bytes(b[..4].try_into().unwrap()) as f32,
            _ => f32::from_le_bytes(b[..4].try_into().unwrap()),
        };
        // glTF: the most negative normalized integer is -1 too.
        if n {
            v.max(-1.0)
        } else {
            v
        }
    }
}

fn component_size(ty: u64) -> usize {
    match ty {
        5120 | 5121 => 1,
        5122 | 5123 => 2,
        _ => 4,
    }
}

impl Document<'_> {
    fn list(&self, key: &str) -> &[Value] {
        self.doc.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The splat primitives of the default scene (or of every root node where no scene is
    /// named), each with its node's global transform.
    fn splat_primitives(&self) -> std::result::Result<Vec<(Value, DMat4)>, String> {
        let nodes = self.list("nodes");
        let scenes = self.list("scenes");
        let roots: Vec<u64> = match self.doc.get("scene").and_then(Value::as_u64).or((!scenes.is_empty()).then_some(0))
        {
            Some(s) => scenes
                .get(s as usize)
                .ok_or(format!("scene {s} does not exist"))?
                .get("nodes")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default(),
            None => {
                let children: HashSet<u64> = nodes
                    .iter()
                    .filter_map(|n| n.get("children").and_then(Value::as_array))
                    .flatten()
                    .filter_map(Value::as_u64)
                    .collect();
                (0..nodes.len() as u64).filter(|i| !children.contains(i)).collect()
            }
        };
        let mut out = Vec::new();
        let mut stack: Vec<(u64, DMat4, usize)> = roots.into_iter().map(|r| (r, DMat4::IDENTITY, 0)).collect();
        while let Some((index, parent, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(format!("nodes nest deeper than {MAX_DEPTH} (a cycle?)"));
            }
            let node = nodes.get(index as usize).ok_or(format!("node {index} does not exist"))?;
            let global = parent * local_transform(node).map_err(|e| format!("node {index}: {e}"))?;
            if let Some(mesh) = node.get("mesh").and_then(Value::as_u64) {
                let mesh = self.list("meshes").get(mesh as usize).ok_or(format!("mesh {mesh} does not exist"))?;
                let primitives = mesh.get("primitives").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
                for p in primitives.iter().filter(|p| p.get("extensions").and_then(|e| e.get(EXT)).is_some()) {
                    out.push((p.clone(), global));
                }
            }
            for child in node.get("children").and_then(Value::as_array).into_iter().flatten() {
                stack.push((child.as_u64().ok_or("a child index that is not a number")?, global, depth + 1));
            }
        }
        Ok(out)
    }

    fn accessor(&self, index: &Value) -> std::result::Result<Accessor<'_>, String> {
        let i = index.as_u64().ok_or("an attribute whose accessor is not an index")?;
        let a = self.list("accessors").get(i as usize).ok_or(format!("accessor {i} does not exist"))?;
        let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64);
        if a.get("sparse").is_some() {
            return Err(format!("accessor {i} is sparse (not supported)"));
        }
        let component_type = num(a, "componentType").ok_or(format!("accessor {i} has no componentType"))?;
        if ![5120, 5121, 5122, 5123, 5125, 5126].contains(&component_type) {
            return Err(format!("accessor {i}: component type {component_type}"));
        }
        let components = match a.get("type").and_then(Value::as_str) {
            Some("SCALAR") => 1,
            Some("VEC2") => 2,
            Some("VEC3") => 3,
            Some("VEC4") => 4,
            t => return Err(format!("accessor {i}: type {t:?}")),
        };
        let count = num(a, "count").ok_or(format!("accessor {i} has no count"))?;
        let view_index = num(a, "bufferView").ok_or(format!("accessor {i} has no bufferView"))?;
        let view = self
            .list("bufferViews")
            .get(view_index as usize)
            .ok_or(format!("buffer view {view_index} does not exist"))?;
        let buffer = num(view, "buffer")
            .and_then(|b| self.buffers.get(b as usize))
            .ok_or(format!("buffer view {view_index}: no such buffer"))?;
        let element = (components * component_size(component_type)) as u64;
        let stride = num(view, "byteStride").unwrap_or(element);
        let (view_offset, view_len) = (num(view, "byteOffset").unwrap_or(0), num(view, "byteLength").unwrap_or(0));
        let offset = num(a, "byteOffset").unwrap_or(0);
        // Every element inside the view, and the view inside its buffer.
        let needed = match count {
            0 => Some(offset),
            _ => (count - 1).checked_mul(stride).and_then(|n| n.checked_add(offset)?.checked_add(element)),
        };
        let fits = needed.is_some_and(|n| n <= view_len)
            && view_offset.checked_add(view_len).is_some_and(|e| e <= buffer.len() as u64);
        if stride < element || !fits {
            return Err(format!("accessor {i} reaches outside its buffer view or buffer"));
        }
        let start = (view_offset + offset) as usize;
        Ok(Accessor {
            data: &buffer[start..(view_offset + view_len) as usize],
            stride: stride as usize,
            count: count as usize,
            components,
            component_type,
            normalized: a.get("normalized").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    fn read_primitive(
        &self,
        primitive: &Value,
        transform: DMat4,
        degree: u32,
        splats: &mut Splats,
    ) -> std::result::Result<(), String> {
        if primitive.get("mode").and_then(Value::as_u64).unwrap_or(4) != 0 {
            return Err("a splat primitive whose mode is not POINTS (0)".into());
        }
        let ext = &primitive["extensions"][EXT];
        if let Some(kernel) = ext.get("kernel").and_then(Value::as_str).filter(|k| *k != "ellipse") {
            return Err(format!("kernel '{}' (splat4d draws the 'ellipse' kernel)", printable(kernel)));
        }
        if ext.get("colorSpace").and_then(Value::as_str) == Some("lin_rec709_display") {
            splats.report.notes.push("colours are in linear BT.709; splat4d blends them as sRGB values".into());
        }
        let attrs = primitive.get("attributes").ok_or("a splat primitive without attributes")?;
        let get = |name: &str, components: usize| -> std::result::Result<Accessor<'_>, String> {
            let a = self.accessor(attrs.get(name).ok_or(format!("missing attribute {name}"))?)?;
            if a.components != components {
                return Err(format!("{name} has {} components, not {components}", a.components));
            }
            Ok(a)
        };
        let position = get("POSITION", 3)?;
        let rotation = get(&format!("{EXT}:ROTATION"), 4)?;
        let scale = get(&format!("{EXT}:SCALE"), 3)?;
        let opacity = get(&format!("{EXT}:OPACITY"), 1)?;
        let own_degree = sh_degree(primitive);
        let mut sh = vec![get(&format!("{EXT}:SH_DEGREE_0_COEF_0"), 3)?];
        for l in 1..=own_degree {
            for c in 0..2 * l + 1 {
                sh.push(get(&format!("{EXT}:SH_DEGREE_{l}_COEF_{c}"), 3)?);
            }
        }
        let n = position.count;
        if [&rotation, &scale, &opacity].iter().chain(sh.iter().collect::<Vec<_>>().iter()).any(|a| a.count != n) {
            return Err("a splat primitive's attributes differ in count".into());
        }
        if splats.report.format.is_empty() {
            let t = |a: &Accessor| a.describe();
            splats.report.format = format!(
                "glTF KHR_gaussian_splatting: {} positions, {} rotations, {} scales, {} opacities, {} SH",
                t(&position),
                t(&rotation),
                t(&scale),
                t(&opacity),
                t(&sh[0])
            );
        }
        let placement = Placement::new(transform, own_degree)?;
        splats.report.read += n as u64;
        let flip = Flip::FROM_LUF;
        let mut coeffs = vec![[0.0f32; 3]; crate::sh::coeffs_for_degree(degree)];
        for i in 0..n {
            let v3 = |a: &Accessor, i: usize| Vec3::new(a.get(i, 0), a.get(i, 1), a.get(i, 2));
            for (k, a) in sh.iter().enumerate() {
                coeffs[k] = v3(a, i).to_array();
            }
            flip.sh(&mut coeffs);
            let xyzw = Vec4::new(rotation.get(i, 0), rotation.get(i, 1), rotation.get(i, 2), rotation.get(i, 3));
            let (p, q, s) = placement.apply(v3(&position, i), Vec4::new(xyzw.w, xyzw.x, xyzw.y, xyzw.z), v3(&scale, i));
            let prim = Primitive {
                position: flip.position(p),
                rotation: flip.rotation(q),
                scale: s,
                opacity: opacity.get(i, 0),
                ..Primitive::default()
            };
            splats.push(prim, &coeffs);
        }
        Ok(())
    }
}

fn local_transform(node: &Value) -> std::result::Result<DMat4, String> {
    let floats = |k: &str, n: usize| -> std::result::Result<Option<Vec<f64>>, String> {
        match node.get(k).and_then(Value::as_array) {
            None => Ok(None),
            Some(a) if a.len() == n && a.iter().all(|v| v.as_f64().is_some_and(f64::is_finite)) => {
                Ok(Some(a.iter().map(|v| v.as_f64().unwrap()).collect()))
            }
            Some(_) => Err(format!("'{k}' is not {n} finite numbers")),
        }
    };
    if let Some(m) = floats("matrix", 16)? {
        return Ok(DMat4::from_cols_slice(&m));
    }
    let t = floats("translation", 3)?.map_or(DVec3::ZERO, |v| DVec3::from_slice(&v));
    let r = floats("rotation", 4)?.map_or(DQuat::IDENTITY, |v| DQuat::from_xyzw(v[0], v[1], v[2], v[3]).normalize());
    let s = floats("scale", 3)?.map_or(DVec3::ONE, |v| DVec3::from_slice(&v));
    Ok(DMat4::from_scale_rotation_translation(s, r, t))
}

/// A node's global transform as splats take it: a rotation, a positive uniform scale and a
/// translation. (A non-uniform scale shears a Gaussian's axes, and rotating view-dependent
/// colour needs SH rotation; neither is done yet, so both are refused rather than drawn wrong.)
struct Placement {
    identity: bool,
    rotation: DQuat,
    scale: f64,
    translation: DVec3,
}

impl Placement {
    fn new(m: DMat4, degree: u32) -> std::result::Result<Placement, String> {
        if m == DMat4::IDENTITY {
            return Ok(Placement { identity: true, rotation: DQuat::IDENTITY, scale: 1.0, translation: DVec3::ZERO });
        }
        let (s, r, t) = m.to_scale_rotation_translation();
        let uniform = (s.max_element() - s.min_element()).abs() <= 1e-6 * s.max_element();
        let reflects = DMat3::from_mat4(m).determinant() <= 0.0;
        if !uniform || reflects || !s.is_finite() || s.min_element() <= 0.0 {
            return Err(format!("a node transform with scale {s} (only positive uniform scales are supported)"));
        }
        if degree > 0 && r.angle_between(DQuat::IDENTITY) > 1e-6 {
            return Err(
                "a node rotation on splats with view-dependent colour (SH rotation is not supported yet)".into()
            );
        }
        Ok(Placement { identity: false, rotation: r, scale: s.x, translation: t })
    }

    fn apply(&self, p: Vec3, wxyz: Vec4, s: Vec3) -> (Vec3, Vec4, Vec3) {
        if self.identity {
            return (p, wxyz, s);
        }
        let p = self.rotation * (p.as_dvec3() * self.scale) + self.translation;
        let q = self.rotation * DQuat::from_xyzw(wxyz.y as f64, wxyz.z as f64, wxyz.w as f64, wxyz.x as f64);
        let q = Vec4::new(q.w as f32, q.x as f32, q.y as f32, q.z as f32);
        (p.as_vec3(), q, (s.as_dvec3() * self.scale).as_vec3())
    }
}
