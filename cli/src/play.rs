//! `play`: the desktop player. A window (winit) presenting through a Vulkan swapchain, an
//! orbit/fly camera starting at the asset's first camera, and keys for the playback clock.
//!
//! Keys: Space play/pause, ←/→ seek ∓1 s, ↑/↓ speed ×2/÷2, L loop, R back to the first
//! camera, W/A/S/D/Q/E fly, Esc quit. Left drag orbits, the wheel dollies.

use std::time::Instant;

use splat4d::glam::{Quat, Vec3};
use splat4d::gpu::{Context, ContextOptions, Presented, Presenter};
use splat4d::playback::Playback;
use splat4d::raw_window_handle::{HasDisplayHandle, HasWindowHandle};
use splat4d::renderer::{HostTarget, Renderer, RendererOptions, SortOrder, TargetFormat};
use splat4d::{Asset, Camera};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::keyboard::{Key, NamedKey};
use winit::window::{Window, WindowId};

use crate::load::{self, CliResult};
use crate::render::default_camera;
use crate::{FrameArgs, PlayArgs};

pub fn run(args: &PlayArgs) -> CliResult {
    if !args.speed.is_finite() {
        return Err("--speed must be a finite number".into());
    }
    let asset = load::open(&args.asset, &Default::default())?;
    let first = default_camera(&asset)?;
    let first = match args.size {
        Some([w, h]) => first.resized(w, h),
        None => first,
    };
    let mut playback = Playback::new(asset.info().time_range)?;
    playback.set_speed(args.speed)?;
    playback.set_looping(!args.no_loop);
    if let Some(t) = args.time {
        playback.seek(t as f64);
    }
    if args.paused {
        playback.pause();
    }
    // winit panics where the window system's libraries are missing (libxkbcommon-x11 on X11).
    let event_loop = std::panic::catch_unwind(EventLoop::new)
        .map_err(|_| "cannot open a window: the window system's libraries are missing (X11: libxkbcommon-x11)")?
        .map_err(|e| {
            format!("cannot open a window: {e} (no display? set DISPLAY or WAYLAND_DISPLAY, or use `splat4d render`)")
        })?;
    let mut player = Player {
        args,
        asset,
        first,
        view: Orbit::new(&first),
        playback,
        state: None,
        error: None,
        frames: 0,
        started: Instant::now(),
        rate: (Instant::now(), 0),
        dragging: false,
        cursor: None,
    };
    event_loop.run_app(&mut player).map_err(|e| format!("the window's event loop failed: {e}"))?;
    match player.error.take() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// The camera: an orbit around a target in front of it, flying moves both.
struct Orbit {
    position: Vec3,
    rotation: Quat,
    distance: f32,
    /// The asset's up (the first camera's −y): yaw turns about it.
    up: Vec3,
}

impl Orbit {
    fn new(c: &Camera) -> Orbit {
        Orbit {
            position: c.position,
            rotation: Quat::from_mat3(&c.rotation).normalize(),
            distance: 2.0,
            up: -c.rotation.col(1),
        }
    }

    fn target(&self) -> Vec3 {
        self.position + self.rotation * Vec3::Z * self.distance
    }

    fn orbit(&mut self, dx: f32, dy: f32) {
        let target = self.target();
        let yaw = Quat::from_axis_angle(self.up, dx * 0.005);
        let pitch = Quat::from_axis_angle(self.rotation * Vec3::X, -dy * 0.005);
        self.rotation = (yaw * pitch * self.rotation).normalize();
        self.position = target - self.rotation * Vec3::Z * self.distance;
    }

    fn dolly(&mut self, steps: f32) {
        let target = self.target();
        self.distance = (self.distance * 0.9f32.powf(steps)).max(0.01);
        self.position = target - self.rotation * Vec3::Z * self.distance;
    }

    /// Moves along the camera's own axes (x right, y down, z forward).
    fn fly(&mut self, along: Vec3) {
        self.position += self.rotation * along * (0.05 * self.distance);
    }

    fn camera(&self, first: &Camera, size: [u32; 2]) -> Camera {
        let c = Camera { position: self.position, rotation: splat4d::glam::Mat3::from_quat(self.rotation), ..*first };
        c.resized(size[0], size[1])
    }
}

struct Gpu {
    window: Window,
    ctx: Context,
    presenter: Presenter,
    renderer: Renderer,
    stale: bool,
}

struct Player<'a> {
    args: &'a PlayArgs,
    asset: Asset,
    first: Camera,
    view: Orbit,
    playback: Playback,
    state: Option<Gpu>,
    error: Option<String>,
    frames: u64,
    /// The playback clock's origin.
    started: Instant,
    /// When the frame rate was last shown, and the frame count then.
    rate: (Instant, u64),
    dragging: bool,
    cursor: Option<(f64, f64)>,
}

/// A renderer for the presenter's format and size.
fn renderer(ctx: &Context, asset: &Asset, presenter: &Presenter, frame: &FrameArgs) -> Result<Renderer, String> {
    let format = TargetFormat::from_vk(presenter.format()).expect("the presenter picks formats the renderer draws");
    let [width, height] = presenter.size();
    let options = RendererOptions {
        width,
        height,
        views: 1,
        format,
        background: Vec3::ZERO,
        sort: SortOrder::Shared,
        stats: true,
        frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
    };
    frame.renderer(ctx, asset, &options).map_err(|e| e.to_string())
}

impl Player<'_> {
    fn open(&mut self, event_loop: &ActiveEventLoop) -> Result<Gpu, String> {
        let attributes = Window::default_attributes()
            .with_title("splat4d")
            .with_inner_size(PhysicalSize::new(self.first.width, self.first.height));
        let window = event_loop.create_window(attributes).map_err(|e| format!("cannot open a window: {e}"))?;
        let display = window.display_handle().map_err(|e| e.to_string())?.as_raw();
        let handle = window.window_handle().map_err(|e| e.to_string())?.as_raw();
        let options = ContextOptions {
            validation: self.args.validation,
            device_name: self.args.device.clone(),
            display: Some(display),
            ..Default::default()
        };
        let ctx = Context::new(&options).map_err(|e| e.to_string())?;
        let size = window.inner_size();
        // SAFETY: the window lives in `Gpu` beside the presenter, which is destroyed first.
        let presenter =
            unsafe { Presenter::new(&ctx, display, handle, [size.width, size.height]) }.map_err(|e| e.to_string())?;
        let renderer = renderer(&ctx, &self.asset, &presenter, &self.args.policy)?;
        Ok(Gpu { window, ctx, presenter, renderer, stale: false })
    }

    fn draw(&mut self) -> Result<(), String> {
        let gpu = self.state.as_mut().expect("drawn only with a window");
        if gpu.stale {
            let size = gpu.window.inner_size();
            gpu.presenter.resize(&gpu.ctx, [size.width, size.height]).map_err(|e| e.to_string())?;
            // The renderer's targets have the window's old size: a new one (the GPU is idle).
            let new = renderer(&gpu.ctx, &self.asset, &gpu.presenter, &self.args.policy)?;
            std::mem::replace(&mut gpu.renderer, new).destroy(&gpu.ctx);
            gpu.stale = false;
        }
        let time = self.playback.at(self.started.elapsed().as_nanos() as i64) as f32;
        let camera = self.view.camera(&self.first, gpu.presenter.size());
        let (ctx, renderer) = (&gpu.ctx, &mut gpu.renderer);
        let shown = gpu
            .presenter
            .frame(ctx, |cmd, image| {
                let target = HostTarget::new(image, splat4d::ash::vk::ImageLayout::PRESENT_SRC_KHR);
                // SAFETY: the presenter's command buffer is recording, for the context's queue,
                // and its image is the renderer's size and format; the presenter waits for the
                // frame two back before handing its command buffer out again.
                unsafe { renderer.record_into(ctx, cmd, time, &[camera], target) }
            })
            .map_err(|e| e.to_string())?;
        if shown == Presented::Stale {
            gpu.stale = true;
            return Ok(());
        }
        self.frames += 1;
        // The title: the frame rate over the last half second or more, GPU time, playback.
        let (since, frames) = self.rate;
        let elapsed = since.elapsed().as_secs_f64();
        if elapsed >= 0.5 {
            let fps = (self.frames - frames) as f64 / elapsed;
            self.rate = (Instant::now(), self.frames);
            let gpu_ms = gpu
                .renderer
                .stats(&gpu.ctx)
                .and_then(|s| s.gpu)
                .map_or(String::new(), |g| format!(", GPU {:.1} ms", g.total()));
            let state = if self.playback.is_playing() { "" } else { " (paused)" };
            gpu.window.set_title(&format!(
                "splat4d — {} — {fps:.0} fps{gpu_ms} — t {:.2} s{state} ×{}",
                self.args.asset.file_name().map_or("".into(), |n| n.to_string_lossy()),
                self.playback.time(),
                self.playback.speed(),
            ));
        }
        Ok(())
    }

    fn key(&mut self, key: &Key) {
        let p = &mut self.playback;
        match key {
            Key::Named(NamedKey::Space) => p.toggle(),
            Key::Named(NamedKey::ArrowLeft) => p.seek(p.time() - 1.0),
            Key::Named(NamedKey::ArrowRight) => p.seek(p.time() + 1.0),
            Key::Named(NamedKey::ArrowUp) => {
                let _ = p.set_speed(p.speed() * 2.0);
            }
            Key::Named(NamedKey::ArrowDown) => {
                let _ = p.set_speed(p.speed() / 2.0);
            }
            Key::Character(c) => match c.as_str() {
                "l" | "L" => p.set_looping(!p.is_looping()),
                "r" | "R" => self.view = Orbit::new(&self.first),
                "w" | "W" => self.view.fly(Vec3::Z),
                "s" | "S" => self.view.fly(-Vec3::Z),
                "a" | "A" => self.view.fly(-Vec3::X),
                "d" | "D" => self.view.fly(Vec3::X),
                "q" | "Q" => self.view.fly(Vec3::Y),
                "e" | "E" => self.view.fly(-Vec3::Y),
                _ => {}
            },
            _ => {}
        }
    }
}

impl ApplicationHandler for Player<'_> {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.state.is_some() {
            return;
        }
        match self.open(event_loop) {
            Ok(gpu) => {
                gpu.window.request_redraw();
                self.state = Some(gpu);
            }
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(_) => {
                if let Some(gpu) = &mut self.state {
                    gpu.stale = true;
                }
            }
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                if event.logical_key == Key::Named(NamedKey::Escape) {
                    event_loop.exit();
                } else {
                    self.key(&event.logical_key);
                }
            }
            WindowEvent::MouseInput { state, button: MouseButton::Left, .. } => {
                self.dragging = state == ElementState::Pressed;
            }
            WindowEvent::CursorMoved { position, .. } => {
                if let (true, Some((x, y))) = (self.dragging, self.cursor) {
                    self.view.orbit((position.x - x) as f32, (position.y - y) as f32);
                }
                self.cursor = Some((position.x, position.y));
            }
            WindowEvent::MouseWheel { delta, .. } => {
                let steps = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y,
                    MouseScrollDelta::PixelDelta(p) => p.y as f32 / 40.0,
                };
                self.view.dolly(steps);
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.draw() {
                    self.error = Some(e);
                    event_loop.exit();
                    return;
                }
                if self.args.frames.is_some_and(|n| self.frames >= n) {
                    event_loop.exit();
                    return;
                }
                if let Some(gpu) = &self.state {
                    gpu.window.request_redraw();
                }
            }
            _ => {}
        }
    }

    fn exiting(&mut self, _event_loop: &ActiveEventLoop) {
        if let Some(gpu) = self.state.take() {
            // The presenter's command buffers used the renderer's objects: all done first.
            if let Err(e) = gpu.ctx.wait_idle() {
                self.error.get_or_insert(e.to_string());
            }
            gpu.renderer.destroy(&gpu.ctx);
            gpu.presenter.destroy(&gpu.ctx);
            let messages = gpu.ctx.validation_messages();
            if !messages.is_empty() {
                log::warn!("{} validation messages (see above)", messages.len());
                self.error.get_or_insert(format!("{} validation messages", messages.len()));
            }
        }
    }
}
