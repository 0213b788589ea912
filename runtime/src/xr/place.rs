//! Where the asset sits in the room: a rigid placement with a scale, and the views of the
//! headset (poses in the room's reference space) carried into the asset's space.

use glam::{Mat3, Quat, Vec3};

use crate::camera::Camera;
use crate::error::{Error, Result};

/// The asset's space seen from the room: `room = offset + scale · rotation · (asset − origin)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// The asset point put at `offset` in the room.
    pub origin: Vec3,
    /// Turns asset directions into room directions.
    pub rotation: Quat,
    /// Room metres per asset unit.
    pub scale: f32,
    /// Where `origin` goes in the room.
    pub offset: Vec3,
}

/// INRIA camera axes (x right, y down, z forward) to OpenXR view axes (x right, y up, −z forward).
const CAMERA_TO_VIEW: Mat3 = Mat3::from_cols(Vec3::X, Vec3::NEG_Y, Vec3::NEG_Z);

impl Placement {
    /// The viewer where `camera` saw the capture from: the camera's position at `eye` in the
    /// room, its forward along the room's −z and its up along the room's +y.
    pub fn from_camera(camera: &Camera, eye: Vec3, scale: f32) -> Placement {
        // Room axes are view axes at the start: asset_from_room = camera_to_world · view_to_camera.
        let asset_from_room = Quat::from_mat3(&(camera.rotation * CAMERA_TO_VIEW)).normalize();
        Placement { origin: camera.position, rotation: asset_from_room.inverse(), scale, offset: eye }
    }

    /// A camera of the asset's space for a view at `position` / `orientation` in the room (the
    /// orientation turning view axes, x right, y up, −z forward, into room axes), with the view's
    /// field-of-view tangents `[left, right, up, down]` and image size.
    pub fn camera(
        &self,
        position: Vec3,
        orientation: Quat,
        tangents: [f32; 4],
        width: u32,
        height: u32,
    ) -> Result<Camera> {
        let to_asset = self.rotation.inverse();
        let asset_position = self.origin + to_asset * (position - self.offset) / self.scale;
        let asset_orientation = (to_asset * orientation).normalize();
        Camera::from_pose_fov(asset_position, asset_orientation, tangents, width, height)
            .ok_or_else(|| Error::Xr(format!("the runtime gave an unusable view: {tangents:?}, {orientation}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_view_is_the_capture_camera() {
        let camera = Camera::look_at(Vec3::new(1.0, 2.0, -4.0), Vec3::new(0.0, 0.5, 0.0), Vec3::NEG_Y, 64, 48, 1.0);
        let eye = Vec3::new(0.0, 1.6, 0.0);
        for scale in [1.0, 0.25] {
            let p = Placement::from_camera(&camera, eye, scale);
            let t = (0.5f32).tan();
            let c = p.camera(eye, Quat::IDENTITY, [-t, t, t * 0.75, -t * 0.75], 64, 48).unwrap();
            assert!(c.position.distance(camera.position) < 1e-5, "{c:?}");
            assert!((c.rotation.col(2) - camera.rotation.col(2)).length() < 1e-5, "same forward");
            assert!((c.rotation.col(1) - camera.rotation.col(1)).length() < 1e-5, "same down");
            // A step right in the room is 1/scale to the camera's right in the asset.
            let right = p.camera(eye + Vec3::X * 0.1, Quat::IDENTITY, [-t, t, t, -t], 64, 48).unwrap();
            let step = right.position - c.position;
            assert!((step - camera.rotation.col(0) * 0.1 / scale).length() < 1e-5, "{step}");
        }
    }

    #[test]
    fn turning_the_head_turns_the_view() {
        let camera = Camera::look_at(Vec3::ZERO, Vec3::Z, Vec3::NEG_Y, 64, 64, 1.0);
        let p = Placement::from_camera(&camera, Vec3::ZERO, 1.0);
        // A quarter turn left (about the room's +y) looks along the camera's left, its −x.
        let left = Quat::from_rotation_y(std::f32::consts::FRAC_PI_2);
        let c = p.camera(Vec3::ZERO, left, [-1.0, 1.0, 1.0, -1.0], 64, 64).unwrap();
        let camera_left = -camera.rotation.col(0);
        assert!((c.rotation.col(2) - camera_left).length() < 1e-5, "{:?}", c.rotation.col(2));
    }
}
