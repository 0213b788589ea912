//! A frame's CPU-side decisions, as the GPU reads them: which runs of primitives the slice pass
//! goes over (grouped into one dispatch per resident chunk) and the frame's uniforms (the
//! eyes, the sort axis, the levels drawn). Pure functions of what `Renderer::prepare` chose.

use glam::Vec3;

use super::frame::UNIFORM_BYTES;
use super::pass::slice::Dispatch;
use super::NEAR;
use crate::camera::Camera;
use crate::lod;

/// `shaders/splat.glsl`: the right eye has its own sort.
const FLAG_PER_EYE_SORT: u32 = 64;
/// `shaders/splat.glsl`: the slice pass keeps each eye's view depth of each splat.
pub(super) const FLAG_VIEW_DEPTH: u32 = 256;
/// `shaders/splat.glsl`: the sort key is the distance from `sort_origin`.
const FLAG_SORT_DISTANCE: u32 = 512;

/// How the slice pass keys the sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    /// Along the eyes' mean view axis from their midpoint.
    Shared,
    /// The left eye by its view depth, the right by its own.
    PerEye,
    /// Distance from the eyes' midpoint.
    Distance,
}

#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct EyeGpu {
    rot: [[f32; 4]; 3],
    position: [f32; 4],
    intrinsics: [f32; 4],
    tan_clamp: [f32; 4],
    viewport: [f32; 4],
    /// Where each level's band begins for this eye: `f·s_k/γ`.
    bands: [f32; 8],
}

/// `shaders/splat.glsl`'s `Frame`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct FrameGpu {
    pub eyes: [EyeGpu; 2],
    pub sort_origin: [f32; 4],
    pub sort_axis: [f32; 4],
    pub time: f32,
    pub sh_period: f32,
    pub view_count: u32,
    pub capacity: u32,
    pub sh_degree: u32,
    pub sh_degree_t: u32,
    pub motion_degree: u32,
    pub flags: u32,
    /// The finest and coarsest level drawn, then 0, 0.
    pub lod: [u32; 4],
}

const _: () = assert!(std::mem::size_of::<FrameGpu>() as u64 == UNIFORM_BYTES);

impl FrameGpu {
    /// Sets the eyes and the sort: `PerEye`, the left eye's own depth (the slice pass keys the
    /// right eye by its own); `Shared`, the distance along their mean view axis from their
    /// midpoint; `Distance`, the distance from their midpoint.
    pub fn set_eyes(&mut self, eyes: &[Camera], floors: &[f32], gamma: f32, order: Order) {
        for (i, c) in eyes.iter().enumerate() {
            self.eyes[i] = eye(c, floors, gamma);
        }
        let midpoint = eyes.iter().map(|c| c.position).sum::<Vec3>() / eyes.len() as f32;
        let (origin, axis) = match order {
            Order::PerEye => {
                self.flags |= FLAG_PER_EYE_SORT;
                (eyes[0].position, eyes[0].rotation.col(2))
            }
            Order::Shared => (midpoint, eyes.iter().map(|c| c.rotation.col(2)).sum::<Vec3>().normalize_or_zero()),
            Order::Distance => {
                self.flags |= FLAG_SORT_DISTANCE;
                (midpoint, Vec3::ZERO)
            }
        };
        self.sort_origin = origin.extend(0.0).to_array();
        self.sort_axis = axis.extend(0.0).to_array();
    }
}

fn eye(c: &Camera, floors: &[f32], gamma: f32) -> EyeGpu {
    let (w, h) = (c.width as f32, c.height as f32);
    let (mx, my) = (0.15 * w / c.fx, 0.15 * h / c.fy);
    let axis = |i: usize| {
        let v = c.rotation.col(i);
        [v.x, v.y, v.z, 0.0]
    };
    EyeGpu {
        rot: [axis(0), axis(1), axis(2)],
        position: c.position.extend(0.0).to_array(),
        intrinsics: [c.fx, c.fy, c.cx, c.cy],
        tan_clamp: [-c.cx / c.fx - mx, (w - c.cx) / c.fx + mx, -c.cy / c.fy - my, (h - c.cy) / c.fy + my],
        viewport: [w, h, NEAR, 0.0],
        bands: std::array::from_fn(|k| floors.get(k).map_or(f32::INFINITY, |s| lod::focal(c) * s / gamma)),
    }
}

/// The slice pass's run table and dispatches for placed runs `(chunk, [first, count, _,
/// level])` (in chunk order): each dispatch covers one chunk's consecutive runs, and each run
/// records where its splats start among that dispatch's active ones.
pub(super) fn runs(placed: &[(usize, [u32; 4])]) -> (Vec<[u32; 4]>, Vec<Dispatch>) {
    let mut entries: Vec<[u32; 4]> = Vec::new();
    let mut dispatches: Vec<Dispatch> = Vec::new();
    for group in placed.chunk_by(|a, b| a.0 == b.0) {
        let offset = entries.len() as u32;
        let mut active = 0u32;
        for &(_, [first, count, _, level]) in group {
            entries.push([first, count, active, level]);
            active += count;
        }
        dispatches.push((group[0].0, offset, group.len() as u32, active));
    }
    (entries, dispatches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_by_chunk_and_count_their_active_splats() {
        let placed = [(0, [0, 10, 0, 0]), (0, [20, 5, 0, 1]), (1, [0, 7, 0, 0]), (0, [40, 1, 0, 0])];
        let (entries, dispatches) = runs(&placed);
        assert_eq!(entries, [[0, 10, 0, 0], [20, 5, 10, 1], [0, 7, 0, 0], [40, 1, 0, 0]]);
        assert_eq!(dispatches, [(0, 0, 2, 15), (1, 2, 1, 7), (0, 3, 1, 1)]);
    }
}
