//! The formats of the images the resolve writes: the renderer's own target, a host's image, an
//! XR swapchain's. 8-bit UNORM targets take the trained (sRGB-encoded) values as they are;
//! `_SRGB` and float targets store linear light, so the resolve blends in linear light for them
//! (DESIGN §5) and the hardware encodes (`_SRGB`) or keeps it linear (float: engines' HDR camera
//! targets, Unity's among them).

use ash::vk;

use crate::error::{Error, Result};
use crate::gpu::Context;
use crate::reference::linear_to_srgb;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetFormat {
    Rgba8Unorm,
    /// Blended in linear float, decoded before the hardware's sRGB encode (DESIGN §5).
    Rgba8Srgb,
    /// The byte order most window-system swapchains offer; read back as RGBA all the same.
    Bgra8Unorm,
    Bgra8Srgb,
    /// Linear light in half floats (`R16G16B16A16_SFLOAT`: HDR camera targets).
    Rgba16Float,
    /// Linear light in packed small floats, no alpha (`B10G11R11_UFLOAT_PACK32`: the 32-bit HDR
    /// targets engines default to on mobile and in URP).
    B10g11r11Float,
}

impl TargetFormat {
    /// Every format, in `S4dFormat`'s order.
    pub const ALL: [TargetFormat; 6] = [
        TargetFormat::Rgba8Unorm,
        TargetFormat::Rgba8Srgb,
        TargetFormat::Bgra8Unorm,
        TargetFormat::Bgra8Srgb,
        TargetFormat::Rgba16Float,
        TargetFormat::B10g11r11Float,
    ];

    pub fn vk(self) -> vk::Format {
        match self {
            TargetFormat::Rgba8Unorm => vk::Format::R8G8B8A8_UNORM,
            TargetFormat::Rgba8Srgb => vk::Format::R8G8B8A8_SRGB,
            TargetFormat::Bgra8Unorm => vk::Format::B8G8R8A8_UNORM,
            TargetFormat::Bgra8Srgb => vk::Format::B8G8R8A8_SRGB,
            TargetFormat::Rgba16Float => vk::Format::R16G16B16A16_SFLOAT,
            TargetFormat::B10g11r11Float => vk::Format::B10G11R11_UFLOAT_PACK32,
        }
    }

    /// The target format of a Vulkan format, where the renderer can draw into it.
    pub fn from_vk(format: vk::Format) -> Option<TargetFormat> {
        TargetFormat::ALL.into_iter().find(|f| f.vk() == format)
    }

    pub fn is_srgb(self) -> bool {
        matches!(self, TargetFormat::Rgba8Srgb | TargetFormat::Bgra8Srgb)
    }

    pub fn is_float(self) -> bool {
        matches!(self, TargetFormat::Rgba16Float | TargetFormat::B10g11r11Float)
    }

    /// The image holds linear light: the resolve blends in it and writes it.
    pub fn is_linear_light(self) -> bool {
        self.is_srgb() || self.is_float()
    }

    pub(super) fn is_bgra(self) -> bool {
        matches!(self, TargetFormat::Bgra8Unorm | TargetFormat::Bgra8Srgb)
    }

    /// Bytes per pixel of an image of this format (and of its read-back copy).
    pub(super) fn texel_bytes(self) -> usize {
        if self == TargetFormat::Rgba16Float {
            8
        } else {
            4
        }
    }

    /// Fails unless the device can blend into this format as a colour attachment (every Vulkan
    /// device can for the 8-bit ones; the float ones are optional).
    pub(super) fn check_supported(self, ctx: &Context) -> Result<()> {
        let want = vk::FormatFeatureFlags::COLOR_ATTACHMENT_BLEND | vk::FormatFeatureFlags::TRANSFER_SRC;
        if ctx.format_features(self.vk()).contains(want) {
            Ok(())
        } else {
            Err(Error::Gpu(format!("{} cannot blend into {:?} images", ctx.device_name(), self.vk())))
        }
    }

    /// A read-back image of this format as RGBA8, rows as they are: BGRA swizzled, float
    /// targets' linear light sRGB-encoded (as an `_SRGB` target stores it), alpha 255 where the
    /// format has none.
    pub(super) fn to_rgba8(self, texels: &[u8]) -> Vec<u8> {
        let encode = |linear: f32| (linear_to_srgb(linear.clamp(0.0, 1.0)) * 255.0).round() as u8;
        let unorm = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        match self {
            TargetFormat::Rgba16Float => texels
                .chunks_exact(8)
                .flat_map(|t| {
                    let c = |i: usize| half::f16::from_le_bytes([t[2 * i], t[2 * i + 1]]).to_f32();
                    [encode(c(0)), encode(c(1)), encode(c(2)), unorm(c(3))]
                })
                .collect(),
            TargetFormat::B10g11r11Float => texels
                .chunks_exact(4)
                .flat_map(|t| {
                    let w = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
                    let r = small_float(w & 0x7ff, 6);
                    let g = small_float((w >> 11) & 0x7ff, 6);
                    let b = small_float(w >> 22, 5);
                    [encode(r), encode(g), encode(b), 255]
                })
                .collect(),
            f if f.is_bgra() => texels.chunks_exact(4).flat_map(|t| [t[2], t[1], t[0], t[3]]).collect(),
            _ => texels.to_vec(),
        }
    }
}

/// An unsigned small float (Vulkan's 10- and 11-bit formats): a 5-bit exponent biased by 15
/// above `mantissa_bits` of mantissa.
fn small_float(bits: u32, mantissa_bits: u32) -> f32 {
    let (e, m) = (bits >> mantissa_bits, bits & ((1 << mantissa_bits) - 1));
    let fraction = m as f32 / (1u32 << mantissa_bits) as f32;
    match e {
        0 => fraction * 2f32.powi(-14),
        31 if m == 0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + fraction) * 2f32.powi(e as i32 - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_floats_decode_as_vulkan_lays_them_out() {
        // 11-bit: 1.0 is exponent 15, mantissa 0; 0.75 is 2^-1 × 1.5; the smallest denormal 2^-20.
        assert_eq!(small_float(15 << 6, 6), 1.0);
        assert_eq!(small_float((14 << 6) | 32, 6), 0.75);
        assert_eq!(small_float(1, 6), 2f32.powi(-20));
        assert_eq!(small_float(15 << 5, 5), 1.0);
        assert_eq!(small_float((16 << 5) | 16, 5), 3.0);
        assert!(small_float(31 << 6, 6).is_infinite());
        // R in bits 0..10, G in 11..21, B in 22..31: white, and pure green at 0.5.
        let one = (15u32 << 6) | ((15 << 6) << 11) | ((15 << 5) << 22);
        assert_eq!(TargetFormat::B10g11r11Float.to_rgba8(&one.to_le_bytes()), [255, 255, 255, 255]);
        let green = (14u32 << 6) << 11;
        let half_encoded = (linear_to_srgb(0.5) * 255.0).round() as u8;
        assert_eq!(TargetFormat::B10g11r11Float.to_rgba8(&green.to_le_bytes()), [0, half_encoded, 0, 255]);
    }

    #[test]
    fn half_float_targets_read_back_encoded() {
        let texel: Vec<u8> =
            [0.0f32, 0.5, 1.0, 0.25].iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect();
        let half_encoded = (linear_to_srgb(0.5) * 255.0).round() as u8;
        assert_eq!(TargetFormat::Rgba16Float.to_rgba8(&texel), [0, half_encoded, 255, 64]);
    }
}
