//! Pinhole cameras in the INRIA `cameras.json` convention (DESIGN §10): camera-to-world
//! `rotation` (its columns are the camera axes in world space), `position`, `fx`, `fy`, image
//! size, principal point at the image centre unless given; x right, y down, z forward.

use glam::{Mat3, Mat4, Quat, Vec3};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    pub width: u32,
    pub height: u32,
    pub fx: f32,
    pub fy: f32,
    /// Principal point in pixels, measured from the image's top-left corner (pixel centres
    /// sit at half-integers).
    pub cx: f32,
    pub cy: f32,
    /// Camera-to-world rotation.
    pub rotation: Mat3,
    /// Camera centre in world space.
    pub position: Vec3,
}

impl Camera {
    /// A camera at `position` looking at `target`, with `down` (approximately) the image's +y.
    pub fn look_at(position: Vec3, target: Vec3, down: Vec3, width: u32, height: u32, fov_y: f32) -> Camera {
        let z = (target - position).normalize();
        let x = down.cross(z).normalize();
        let y = z.cross(x);
        let fy = 0.5 * height as f32 / (0.5 * fov_y).tan();
        Camera {
            width,
            height,
            fx: fy,
            fy,
            cx: 0.5 * width as f32,
            cy: 0.5 * height as f32,
            rotation: Mat3::from_cols(x, y, z),
            position,
        }
    }

    /// A view as OpenXR gives it (`XrPosef` + `XrFovf` as tangents): `orientation` rotates the
    /// view space (x right, y up, looking down −z) into the world; `tan` holds the tangents of
    /// the left, right, up and down half-angles (left and down negative for a centred view).
    /// Returns `None` when the frustum is empty or not finite.
    pub fn from_pose_fov(position: Vec3, orientation: Quat, tan: [f32; 4], width: u32, height: u32) -> Option<Camera> {
        let [left, right, up, down] = tan;
        let (w, h) = (width as f32, height as f32);
        if !(tan.iter().all(|t| t.is_finite()) && right > left && up > down && orientation.is_finite()) {
            return None;
        }
        let q = orientation.normalize();
        // This convention's camera axes: x right, y down, z forward.
        let rotation = Mat3::from_cols(q * Vec3::X, q * Vec3::NEG_Y, q * Vec3::NEG_Z);
        let fx = w / (right - left);
        let fy = h / (up - down);
        // Row 0 looks along the up tangent, which is −y in this convention.
        Some(Camera { width, height, fx, fy, cx: -left * fx, cy: up * fy, rotation, position })
    }

    /// The pose and field-of-view tangents of [`Camera::from_pose_fov`] from a view matrix
    /// (world to view space, x right, y up, looking down −z) and a perspective projection
    /// matrix, either OpenGL's (clip y up) or Vulkan's (clip y down, as OpenXR's helpers make
    /// for Vulkan), asymmetric frusta included. `None` for a non-rigid view or a projection
    /// that is not a perspective one.
    pub fn pose_fov_from_matrices(view: Mat4, projection: Mat4) -> Option<(Vec3, Quat, [f32; 4])> {
        let pose = view.inverse();
        let (scale, orientation, position) = pose.to_scale_rotation_translation();
        let rigid = pose.is_finite() && (scale - Vec3::ONE).abs().max_element() < 1e-3;
        let p = projection.to_cols_array();
        // A perspective projection: w' = −z, no shear into w.
        let perspective = p[11] == -1.0 && p[3] == 0.0 && p[7] == 0.0 && p[15] == 0.0 && p[0] != 0.0 && p[5] != 0.0;
        if !(rigid && perspective && p.iter().all(|v| v.is_finite())) {
            return None;
        }
        // x: P00 = 2 / (r − l), P20 = (r + l) / (r − l), in tangents; y likewise, where a
        // negative P11 means clip y points down (Vulkan) and the up tangent comes out the same.
        let (width, sum_x) = (2.0 / p[0], p[8] * 2.0 / p[0]);
        let (height, sum_y) = (2.0 / p[5].abs(), p[9] * 2.0 / p[5]);
        let tan = [0.5 * (sum_x - width), 0.5 * (sum_x + width), 0.5 * (sum_y + height), 0.5 * (sum_y - height)];
        Some((position, orientation, tan))
    }

    pub fn world_to_camera(&self, p: Vec3) -> Vec3 {
        self.rotation.transpose() * (p - self.position)
    }

    /// The same view with its image upside down (row 0 at the bottom), as engines that keep
    /// OpenGL's bottom-left texture origin lay out their render targets on Vulkan (Unity's
    /// render textures): the camera's y axis reversed, a mirror, so every pixel row `r` of
    /// this camera's image is row `height − 1 − r` of the original's.
    pub fn flipped_vertically(&self) -> Camera {
        let r = self.rotation;
        Camera { rotation: Mat3::from_cols(r.x_axis, -r.y_axis, r.z_axis), cy: self.height as f32 - self.cy, ..*self }
    }

    /// The same view at another image size: intrinsics scale with the size.
    pub fn resized(&self, width: u32, height: u32) -> Camera {
        let sx = width as f32 / self.width as f32;
        let sy = height as f32 / self.height as f32;
        Camera { width, height, fx: self.fx * sx, fy: self.fy * sy, cx: self.cx * sx, cy: self.cy * sy, ..*self }
    }

    /// Checks that the camera can be rendered: positive size, finite positive focal lengths,
    /// finite pose with an orthonormal rotation.
    pub fn validate(&self) -> Result<(), String> {
        if self.width == 0 || self.height == 0 || self.width > 1 << 15 || self.height > 1 << 15 {
            return Err(format!("image size {}x{} is outside 1..=32768", self.width, self.height));
        }
        let finite = [self.fx, self.fy, self.cx, self.cy].iter().all(|v| v.is_finite())
            && self.rotation.is_finite()
            && self.position.is_finite();
        if !finite || self.fx <= 0.0 || self.fy <= 0.0 {
            return Err("camera intrinsics or pose are not finite positive numbers".into());
        }
        let err = (self.rotation.transpose() * self.rotation - Mat3::IDENTITY).abs().to_cols_array();
        if err.iter().any(|e| *e > 1e-3) {
            return Err("camera rotation is not orthonormal".into());
        }
        Ok(())
    }
}

/// Cameras that frame a sphere, for assets that carry none: camera `i` orbits the sphere's
/// centre by `i · 30°` around the world's −y axis (the usual "up" of COLMAP scenes).
pub fn orbit_cameras(center: Vec3, radius: f32, count: usize, width: u32, height: u32) -> Vec<Camera> {
    let fov_y = 50f32.to_radians();
    let distance = radius.max(1e-3) / (0.5 * fov_y).sin();
    (0..count)
        .map(|i| {
            let a = (i as f32) * 30f32.to_radians();
            let offset = Vec3::new(a.sin(), -0.25, -a.cos()).normalize() * distance;
            Camera::look_at(center + offset, center, Vec3::Y, width, height, fov_y)
        })
        .collect()
}

#[cfg(feature = "pack")]
mod json {
    use super::*;
    use serde_json::Value;

    fn number(v: &Value, key: &str) -> Result<f32, String> {
        let x = v.get(key).and_then(Value::as_f64).ok_or_else(|| format!("missing number '{key}'"))?;
        Ok(x as f32)
    }

    fn vec3(v: &Value) -> Option<Vec3> {
        let a = v.as_array()?;
        (a.len() == 3).then_some(())?;
        Some(Vec3::new(a[0].as_f64()? as f32, a[1].as_f64()? as f32, a[2].as_f64()? as f32))
    }

    /// One camera object of an INRIA `cameras.json`.
    pub fn camera_from_json(v: &Value) -> Result<Camera, String> {
        let size = |key: &str| -> Result<u32, String> {
            let n = v.get(key).and_then(Value::as_u64).ok_or_else(|| format!("missing integer '{key}'"))?;
            u32::try_from(n).map_err(|_| format!("'{key}' = {n} is too large"))
        };
        let (width, height) = (size("width")?, size("height")?);
        let rows = v.get("rotation").and_then(Value::as_array).ok_or("missing 'rotation'")?;
        let rows: Vec<Vec3> = rows.iter().filter_map(vec3).collect();
        if rows.len() != 3 {
            return Err("'rotation' must be a 3x3 array of rows".into());
        }
        let position = v.get("position").and_then(vec3).ok_or("'position' must be 3 numbers")?;
        let cx = v.get("cx").and_then(Value::as_f64).map_or(0.5 * width as f32, |c| c as f32);
        let cy = v.get("cy").and_then(Value::as_f64).map_or(0.5 * height as f32, |c| c as f32);
        let camera = Camera {
            width,
            height,
            fx: number(v, "fx")?,
            fy: number(v, "fy")?,
            cx,
            cy,
            rotation: Mat3::from_cols(rows[0], rows[1], rows[2]).transpose(),
            position,
        };
        camera.validate()?;
        Ok(camera)
    }

    /// All cameras of a `cameras.json` document (an array of camera objects).
    pub fn cameras_from_json(text: &str) -> Result<Vec<Camera>, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let list = doc.as_array().ok_or("expected a JSON array of cameras")?;
        list.iter().enumerate().map(|(i, v)| camera_from_json(v).map_err(|e| format!("camera {i}: {e}"))).collect()
    }
}

#[cfg(feature = "pack")]
pub use json::{camera_from_json, cameras_from_json};

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixel coordinates of a world point seen by `c`.
    fn project(c: &Camera, p: Vec3) -> (f32, f32) {
        let v = c.world_to_camera(p);
        (c.fx * v.x / v.z + c.cx, c.fy * v.y / v.z + c.cy)
    }

    #[test]
    fn openxr_views_map_to_pixels_as_their_frusta_say() {
        // Identity pose looks down −z with +y up: a point ahead lands in the centre of a
        // symmetric frustum, a point up and right lands in the top right.
        let c = Camera::from_pose_fov(Vec3::ZERO, Quat::IDENTITY, [-1.0, 1.0, 1.0, -1.0], 100, 50).unwrap();
        c.validate().unwrap();
        let (x, y) = project(&c, Vec3::new(0.0, 0.0, -2.0));
        assert!((x - 50.0).abs() < 1e-4 && (y - 25.0).abs() < 1e-4, "{x} {y}");
        let (x, y) = project(&c, Vec3::new(1.0, 1.0, -2.0));
        assert!((x - 75.0).abs() < 1e-4 && (y - 12.5).abs() < 1e-4, "{x} {y}");
        // An asymmetric frustum: the left edge at tan −0.5, the right at tan 1.5.
        let c = Camera::from_pose_fov(Vec3::ZERO, Quat::IDENTITY, [-0.5, 1.5, 0.25, -0.75], 200, 100).unwrap();
        let (x, y) = project(&c, Vec3::new(-1.0, 0.5, -2.0));
        assert!(x.abs() < 1e-3 && y.abs() < 1e-3, "the top-left corner ray: {x} {y}");
        // A pose turned 90° left looks down −x.
        let turned = Quat::from_rotation_y(std::f32::consts::FRAC_PI_2);
        let c = Camera::from_pose_fov(Vec3::new(1.0, 0.0, 0.0), turned, [-1.0, 1.0, 1.0, -1.0], 10, 10).unwrap();
        assert!((c.world_to_camera(Vec3::new(-4.0, 0.0, 0.0)) - Vec3::new(0.0, 0.0, 5.0)).length() < 1e-5);
        assert!(Camera::from_pose_fov(Vec3::ZERO, Quat::IDENTITY, [1.0, -1.0, 1.0, -1.0], 10, 10).is_none());
        assert!(Camera::from_pose_fov(Vec3::ZERO, Quat::IDENTITY, [f32::NAN, 1.0, 1.0, -1.0], 10, 10).is_none());
    }

    /// A projection as OpenXR's `XrMatrix4x4f_CreateProjectionFov` builds it (near 0.05,
    /// infinite far), with clip y up (OpenGL) or down (Vulkan).
    fn xr_projection(tan: [f32; 4], vulkan: bool) -> Mat4 {
        let [l, r, u, d] = tan;
        let w = r - l;
        let h = if vulkan { d - u } else { u - d };
        let near = 0.05;
        Mat4::from_cols_array(&[
            2.0 / w,
            0.0,
            0.0,
            0.0,
            0.0,
            2.0 / h,
            0.0,
            0.0,
            (r + l) / w,
            (u + d) / h,
            -1.0,
            -1.0,
            0.0,
            0.0,
            -2.0 * near,
            0.0,
        ])
    }

    #[test]
    fn a_vertically_flipped_camera_draws_the_image_upside_down() {
        use crate::pack::{pack, NoProgress, PackOptions};
        use crate::reference::{render, RenderSettings};
        let bytes = pack(&crate::demo::scene(), &PackOptions::default(), &NoProgress).unwrap();
        let asset = crate::Asset::from_bytes(&bytes, crate::Verify::Full).unwrap();
        let c =
            Camera::from_pose_fov(Vec3::new(0.1, 0.2, 2.5), Quat::IDENTITY, [-0.9, 0.8, 0.5, -0.7], 64, 40).unwrap();
        let flipped = c.flipped_vertically();
        flipped.validate().unwrap();
        let (a, b) = (render(&asset, 0.3, &c, &RenderSettings::default()).unwrap(), {
            render(&asset, 0.3, &flipped, &RenderSettings::default()).unwrap()
        });
        let mut worst = 0f32;
        for y in 0..40 {
            for x in 0..64 {
                let (p, q) = (a.pixels[y * 64 + x], b.pixels[(39 - y) * 64 + x]);
                worst = (0..4).map(|i| (p[i] - q[i]).abs()).fold(worst, f32::max);
            }
        }
        assert!(a.pixels.iter().any(|p| p[3] > 0.5), "the view shows the scene");
        assert!(worst < 1e-4, "flipped rows differ by {worst}");
    }

    #[test]
    fn view_and_projection_matrices_give_back_pose_and_tangents() {
        let tan = [-0.9, 0.7, 0.6, -0.8];
        let orientation = Quat::from_euler(glam::EulerRot::YXZ, 0.4, -0.2, 0.1);
        let position = Vec3::new(0.3, 1.6, -2.0);
        let view = Mat4::from_rotation_translation(orientation, position).inverse();
        for vulkan in [false, true] {
            let (p, q, t) = Camera::pose_fov_from_matrices(view, xr_projection(tan, vulkan)).unwrap();
            assert!((p - position).length() < 1e-4, "{p}");
            assert!(q.dot(orientation).abs() > 1.0 - 1e-5, "{q}");
            for (a, b) in t.iter().zip(tan) {
                assert!((a - b).abs() < 1e-5, "vulkan {vulkan}: {t:?}");
            }
        }
        // Not a rigid view, not a perspective projection.
        let scaled = Mat4::from_scale(Vec3::splat(2.0)) * view;
        assert!(Camera::pose_fov_from_matrices(scaled, xr_projection(tan, false)).is_none());
        assert!(Camera::pose_fov_from_matrices(view, Mat4::IDENTITY).is_none());
    }

    #[test]
    fn look_at_points_z_at_the_target() {
        let c = Camera::look_at(Vec3::new(0.0, 0.0, -5.0), Vec3::ZERO, Vec3::Y, 64, 48, 1.0);
        assert!((c.world_to_camera(Vec3::ZERO) - Vec3::new(0.0, 0.0, 5.0)).length() < 1e-6);
        assert!(c.world_to_camera(Vec3::new(1.0, 0.0, 0.0)).x > 0.0);
        assert!(c.world_to_camera(Vec3::new(0.0, 1.0, 0.0)).y > 0.0);
        c.validate().unwrap();
    }

    #[cfg(feature = "pack")]
    #[test]
    fn json_rotation_rows_are_camera_to_world() {
        let text = r#"[{"id":0,"img_name":"a","width":100,"height":50,"position":[1,2,3],
            "rotation":[[0,-1,0],[1,0,0],[0,0,1]],"fx":80,"fy":90}]"#;
        let cams = cameras_from_json(text).unwrap();
        let c = cams[0];
        // Camera x axis is the first column of the rows matrix: (0, 1, 0) in world.
        assert_eq!(c.rotation * Vec3::X, Vec3::new(0.0, 1.0, 0.0));
        assert_eq!((c.cx, c.cy), (50.0, 25.0));
        assert!(cameras_from_json("{}").is_err());
        assert!(cameras_from_json(r#"[{"width":0,"height":1}]"#).is_err());
    }
}
