//! What a camera sees of an asset, judged from a spread sample of its primitives' positions:
//! enough to tell a camera that faces away from the scene (a converter's fixed pose) from one
//! that shows it, without reading the asset's attributes into memory.

use super::format::{kind, Encoding};
use super::Asset;
use crate::camera::Camera;
use crate::error::Result;
use half::f16;

/// Primitives sampled at most: one read of 16 bytes each (8 for f16 positions).
const SAMPLES: usize = 4096;

impl Asset {
    /// Of up to 4,096 primitives spread evenly over the asset, how many have their position
    /// (at their own centre time) in front of `camera` and inside its image: `(seen, sampled)`.
    pub fn sample_in_view(&self, camera: &Camera) -> Result<(usize, usize)> {
        let n = self.len();
        let Some(chunk) = self.chunk(kind::POSITION) else { return Ok((0, 0)) };
        let bytes = match Encoding::from_u16(chunk.encoding) {
            Some(Encoding::F16) => 2,
            _ => 4,
        };
        let step = n.div_ceil(SAMPLES).max(1);
        let (mut seen, mut sampled) = (0, 0);
        let mut record = [0u8; 16];
        for i in (0..n).step_by(step) {
            let record = &mut record[..3 * bytes];
            self.read_section(kind::POSITION, (i * 4 * bytes) as u64, record)?;
            let at = |c: usize| match bytes {
                2 => f16::from_le_bytes([record[2 * c], record[2 * c + 1]]).to_f32(),
                _ => f32::from_le_bytes(record[4 * c..4 * c + 4].try_into().unwrap()),
            };
            sampled += 1;
            let v = camera.world_to_camera(glam::Vec3::new(at(0), at(1), at(2)));
            if v.z > 0.0 {
                let (u, w) = (camera.fx * v.x / v.z + camera.cx, camera.fy * v.y / v.z + camera.cy);
                seen += usize::from(u >= 0.0 && u < camera.width as f32 && w >= 0.0 && w < camera.height as f32);
            }
        }
        Ok((seen, sampled))
    }
}
