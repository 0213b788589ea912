//! The built-in demo scene: a procedural 4D asset worth looking at. A fountain of particles on
//! ballistic arcs (degree-2 motion, explicit lifetimes, fading envelopes), a ring of tumbling
//! beads orbiting it (piecewise motion with rotation velocity, like a sliced 4DGS), over a
//! glossy floor with view-dependent (degree-1 SH) colour. World y points down.

use glam::{Quat, Vec3, Vec4};

use crate::asset::format::SourceKind;
use crate::camera::Camera;
use crate::primitive::Primitive;
use crate::sh::{self, dc_from_rgb};
use crate::splats::Splats;

pub const DURATION: f32 = 4.0;
pub const FRAME_RATE: f32 = 30.0;

/// A small deterministic generator (PCG-XSH-RR), so the scene is identical everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let x = (((self.0 >> 18) ^ self.0) >> 27) as u32;
        let r = x.rotate_right((self.0 >> 59) as u32);
        (r >> 8) as f32 / (1u32 << 24) as f32
    }

    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }

    fn unit_quat(&mut self) -> Vec4 {
        let q = Quat::from_euler(glam::EulerRot::XYZ, self.range(0.0, 6.3), self.range(0.0, 6.3), self.range(0.0, 6.3));
        Vec4::new(q.w, q.x, q.y, q.z)
    }
}

fn hue(h: f32) -> Vec3 {
    let h = h.rem_euclid(1.0) * 6.0;
    let c = |k: f32| (((k + h) % 6.0 - 3.0).abs() - 1.0).clamp(0.0, 1.0);
    Vec3::new(c(0.0), c(4.0), c(2.0))
}

/// Degree-1 SH coefficients: base colour plus a sheen toward `-y` (seen from above).
fn coeffs(rgb: Vec3, sheen: f32) -> [[f32; 3]; 4] {
    let dc = [dc_from_rgb(rgb.x), dc_from_rgb(rgb.y), dc_from_rgb(rgb.z)];
    [dc, [sheen; 3], [0.0; 3], [0.0; 3]]
}

pub fn scene() -> Splats {
    let mut s = Splats::new(SourceKind::Procedural, 1, 0, [0.0, DURATION], FRAME_RATE);
    s.report.source = "built-in demo scene".into();
    let mut rng = Rng(0x005e_ed4d);
    floor(&mut s, &mut rng);
    fountain(&mut s, &mut rng);
    ring(&mut s, &mut rng);
    s.report.read = s.len() as u64;
    s.cameras = cameras(960, 540);
    debug_assert_eq!(s.coeff_count(), sh::coeff_count(1, 0));
    s
}

fn floor(s: &mut Splats, rng: &mut Rng) {
    for _ in 0..6000 {
        let r = 3.2 * rng.next().sqrt();
        let a = rng.range(0.0, std::f32::consts::TAU);
        let (x, z) = (r * a.cos(), r * a.sin());
        let checker = ((x * 1.5).floor() + (z * 1.5).floor()).rem_euclid(2.0);
        let base = if checker == 0.0 { Vec3::new(0.16, 0.18, 0.24) } else { Vec3::new(0.42, 0.40, 0.36) };
        let p = Primitive {
            position: Vec3::new(x, 1.0 + rng.range(-0.004, 0.004), z),
            rotation: Vec4::new(1.0, 0.0, rng.range(-1.0, 1.0), 0.0),
            scale: Vec3::new(rng.range(0.04, 0.07), 0.004, rng.range(0.04, 0.07)),
            opacity: 0.9,
            ..Primitive::default()
        };
        s.push(p, &coeffs(base * (1.0 - 0.15 * r / 3.2), 0.25));
    }
}

fn fountain(s: &mut Splats, rng: &mut Rng) {
    const LIFE: f32 = 1.3;
    let gravity = Vec3::new(0.0, 9.8, 0.0);
    for _ in 0..9000 {
        let birth = rng.range(-LIFE, DURATION);
        let a = rng.range(0.0, std::f32::consts::TAU);
        let spread = rng.range(0.2, 1.3);
        let velocity = Vec3::new(spread * a.cos(), -rng.range(4.6, 5.4), spread * a.sin());
        let color = hue(birth * 0.25 + rng.range(-0.04, 0.04)) * 0.8 + 0.2;
        let p = Primitive {
            position: Vec3::new(0.0, 0.95, 0.0),
            t0: birth,
            sigma_t: 0.7,
            window: [birth, birth + LIFE],
            motion: [velocity, 0.5 * gravity, Vec3::ZERO],
            rotation: rng.unit_quat(),
            scale: Vec3::splat(rng.range(0.012, 0.03)),
            opacity: rng.range(0.6, 0.95),
            ..Primitive::default()
        };
        s.push(p, &coeffs(color, 0.0));
    }
}

fn ring(s: &mut Splats, rng: &mut Rng) {
    const BEADS: usize = 48;
    const SLICE: f32 = 0.25;
    let (radius, height, angular) = (1.7, 0.1, 0.9);
    for b in 0..BEADS {
        let phase = b as f32 / BEADS as f32 * std::f32::consts::TAU;
        let color = hue(b as f32 / BEADS as f32 + 0.5) * 0.9 + 0.1;
        let parts: Vec<(Vec3, Vec4, Vec4)> = (0..24)
            .map(|_| {
                let offset = Vec3::new(rng.range(-1.0, 1.0), rng.range(-1.0, 1.0), rng.range(-1.0, 1.0)) * 0.06;
                let omega = Vec4::new(0.0, rng.range(-1.5, 1.5), rng.range(-1.5, 1.5), rng.range(-1.5, 1.5));
                (offset, rng.unit_quat(), omega)
            })
            .collect();
        // One primitive per part per time slice: the orbit is linearised around each slice's
        // centre (velocity and centripetal acceleration), as 4DGS slices approximate motion.
        let slices = (DURATION / SLICE).ceil() as usize;
        for k in 0..slices {
            let t0 = (k as f32 + 0.5) * SLICE;
            let a = phase + angular * t0;
            let center = Vec3::new(radius * a.cos(), height + 0.15 * (3.0 * a).sin(), radius * a.sin());
            let velocity = Vec3::new(-a.sin(), 0.45 * (3.0 * a).cos(), a.cos()) * radius * angular;
            let accel = -0.5 * angular * angular * Vec3::new(center.x, 0.0, center.z);
            for &(offset, q, omega) in &parts {
                let spin = Quat::from_rotation_y(angular * t0);
                let p = Primitive {
                    position: center + spin * offset,
                    t0,
                    sigma_t: f32::INFINITY,
                    window: [t0 - 0.5 * SLICE, t0 + 0.5 * SLICE],
                    motion: [velocity, accel, Vec3::ZERO],
                    rotation: q,
                    omega,
                    scale: Vec3::new(0.05, 0.012, 0.012),
                    opacity: 0.95,
                };
                s.push(p, &coeffs(color, 0.15));
            }
        }
    }
}

/// A front view slightly from above, and a lower three-quarter view.
pub fn cameras(width: u32, height: u32) -> Vec<Camera> {
    let fov = 50f32.to_radians();
    vec![
        Camera::look_at(Vec3::new(0.0, -1.3, -4.4), Vec3::new(0.0, -0.1, 0.0), Vec3::Y, width, height, fov),
        Camera::look_at(Vec3::new(3.3, -0.5, -2.6), Vec3::new(0.0, -0.1, 0.0), Vec3::Y, width, height, fov),
    ]
}
