//! An asset's per-primitive attributes held in memory, decoded on access: what the CPU
//! reference renderer and the tests read. Loaded from the asset's reader as a whole, each
//! section's checksum checked again as it is read.

use std::ops::Range;
use std::sync::Arc;

use glam::{Vec3, Vec4};
use half::f16;

use super::format::Encoding;
use crate::primitive::Primitive;

/// A numeric attribute array stored as f32 or f16, `components` numbers per primitive.
#[derive(Clone, Copy)]
pub enum AttributeData<'a> {
    F32(&'a [f32]),
    F16(&'a [f16]),
}

#[derive(Clone, Copy)]
pub struct Attribute<'a> {
    pub data: AttributeData<'a>,
    pub components: usize,
}

impl Attribute<'_> {
    pub fn get(&self, primitive: usize, component: usize) -> f32 {
        let i = primitive * self.components + component;
        match self.data {
            AttributeData::F32(v) => v[i],
            AttributeData::F16(v) => v[i].to_f32(),
        }
    }

    pub fn vec4(&self, primitive: usize, first: usize) -> Vec4 {
        Vec4::from_array(std::array::from_fn(|c| self.get(primitive, first + c)))
    }

    pub fn encoding(&self) -> Encoding {
        match self.data {
            AttributeData::F32(_) => Encoding::F32,
            AttributeData::F16(_) => Encoding::F16,
        }
    }
}

/// One section's bytes: 8-byte aligned words, the range of them it fills, and its encoding.
#[derive(Clone)]
pub(super) struct Section {
    pub words: Arc<Vec<u64>>,
    pub bytes: Range<usize>,
    pub encoding: Encoding,
    pub components: usize,
}

impl Section {
    fn attribute(&self) -> Attribute<'_> {
        let bytes = &bytemuck::cast_slice::<u64, u8>(&self.words)[self.bytes.clone()];
        let data = match self.encoding {
            Encoding::F32 => AttributeData::F32(bytemuck::cast_slice(bytes)),
            Encoding::F16 => AttributeData::F16(bytemuck::cast_slice(bytes)),
        };
        Attribute { data, components: self.components }
    }
}

/// Every primitive's attributes, in memory.
#[derive(Clone)]
pub struct Attributes {
    pub(super) position: Section,
    pub(super) temporal: Section,
    pub(super) rotation: Section,
    pub(super) scale_opacity: Section,
    pub(super) motion: Option<Section>,
    pub(super) omega: Option<Section>,
    pub(super) sh: Section,
    pub(super) motion_degree: usize,
    pub(super) sh_coeffs: usize,
}

impl Attributes {
    /// x, y, z, t0 per primitive.
    pub fn positions(&self) -> &[[f32; 4]] {
        match self.position.attribute().data {
            AttributeData::F32(v) => bytemuck::cast_slice(v),
            AttributeData::F16(_) => unreachable!("positions are f32 (checked at open)"),
        }
    }

    /// window begin, window end, σt, 0 per primitive.
    pub fn temporal(&self) -> &[[f32; 4]] {
        match self.temporal.attribute().data {
            AttributeData::F32(v) => bytemuck::cast_slice(v),
            AttributeData::F16(_) => unreachable!("temporal values are f32 (checked at open)"),
        }
    }

    pub fn rotations(&self) -> Attribute<'_> {
        self.rotation.attribute()
    }

    pub fn scale_opacity(&self) -> Attribute<'_> {
        self.scale_opacity.attribute()
    }

    pub fn motion(&self) -> Option<Attribute<'_>> {
        self.motion.as_ref().map(Section::attribute)
    }

    pub fn omega(&self) -> Option<Attribute<'_>> {
        self.omega.as_ref().map(Section::attribute)
    }

    /// SH coefficients: `3 · sh_coeff_count` numbers per primitive, RGB triples.
    pub fn sh(&self) -> Attribute<'_> {
        self.sh.attribute()
    }

    /// Decodes primitive `i` (panics if `i` is not a primitive, like slice indexing).
    pub fn primitive(&self, i: usize) -> Primitive {
        let [x, y, z, t0] = self.positions()[i];
        let [begin, end, sigma_t, _] = self.temporal()[i];
        let so = self.scale_opacity().vec4(i, 0);
        let mut motion = [Vec3::ZERO; 3];
        if let Some(m) = self.motion() {
            for (order, v) in motion.iter_mut().enumerate().take(self.motion_degree) {
                *v = m.vec4(i, 4 * order).truncate();
            }
        }
        Primitive {
            position: Vec3::new(x, y, z),
            t0,
            sigma_t,
            window: [begin, end],
            motion,
            rotation: self.rotations().vec4(i, 0),
            omega: self.omega().map_or(Vec4::ZERO, |o| o.vec4(i, 0)),
            scale: so.truncate(),
            opacity: so.w,
        }
    }

    /// Writes primitive `i`'s SH coefficients into `out` (`sh_coeff_count` long).
    pub fn sh_coeffs(&self, i: usize, out: &mut [[f32; 3]]) {
        let sh = self.sh();
        for (k, c) in out.iter_mut().enumerate().take(self.sh_coeffs) {
            *c = std::array::from_fn(|ch| sh.get(i, 3 * k + ch));
        }
    }
}
