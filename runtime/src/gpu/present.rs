//! Presenting to a window: a Vulkan surface from raw window handles, its swapchain, and the
//! per-frame acquire → record → submit → present with the semaphores and fences that order them.
//! What is drawn is the caller's business: it records into the acquired image.

use ash::vk;
use raw_window_handle::{RawDisplayHandle, RawWindowHandle};

use super::{vk_err, Context};
use crate::error::{Error, Result};

const FRAMES_IN_FLIGHT: usize = 2;

/// What became of a presented frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    Shown,
    /// The window changed size (or the swapchain no longer fits it): call
    /// [`Presenter::resize`]; nothing was drawn.
    Stale,
}

pub struct Presenter {
    surface_fns: ash::khr::surface::Instance,
    swapchain_fns: ash::khr::swapchain::Device,
    surface: vk::SurfaceKHR,
    swapchain: vk::SwapchainKHR,
    images: Vec<vk::Image>,
    format: vk::SurfaceFormatKHR,
    extent: vk::Extent2D,
    pool: vk::CommandPool,
    cmds: [vk::CommandBuffer; FRAMES_IN_FLIGHT],
    /// Signalled when a frame slot's commands finish: the slot (and what the caller recorded
    /// into it, two frames back) can be reused.
    fences: [vk::Fence; FRAMES_IN_FLIGHT],
    /// Signalled by the acquire, waited for by the frame's first colour write.
    acquired: [vk::Semaphore; FRAMES_IN_FLIGHT],
    /// Signalled by the frame's commands, waited for by the present; one per swapchain image,
    /// since an image's present may still wait on it when another slot comes round.
    rendered: Vec<vk::Semaphore>,
    next: usize,
}

impl Presenter {
    /// A swapchain for the window, `size` where the surface lets the caller choose. The
    /// context must have been made with [`super::ContextOptions::display`] for this display.
    ///
    /// # Safety
    /// The handles are a live window of that display, which outlives the presenter.
    pub unsafe fn new(
        ctx: &Context,
        display: RawDisplayHandle,
        window: RawWindowHandle,
        size: [u32; 2],
    ) -> Result<Presenter> {
        let surface = unsafe { ash_window::create_surface(&ctx.entry, ctx.instance(), display, window, None) }
            .map_err(vk_err("vkCreate*SurfaceKHR"))?;
        let surface_fns = ash::khr::surface::Instance::new(&ctx.entry, ctx.instance());
        let swapchain_fns = ash::khr::swapchain::Device::new(ctx.instance(), &ctx.device);
        let mut p = Presenter {
            surface_fns,
            swapchain_fns,
            surface,
            swapchain: vk::SwapchainKHR::null(),
            images: Vec::new(),
            format: vk::SurfaceFormatKHR::default(),
            extent: vk::Extent2D::default(),
            pool: vk::CommandPool::null(),
            cmds: [vk::CommandBuffer::null(); FRAMES_IN_FLIGHT],
            fences: [vk::Fence::null(); FRAMES_IN_FLIGHT],
            acquired: [vk::Semaphore::null(); FRAMES_IN_FLIGHT],
            rendered: Vec::new(),
            next: 0,
        };
        match p.build(ctx, size) {
            Ok(()) => Ok(p),
            Err(e) => {
                p.destroy(ctx);
                Err(e)
            }
        }
    }

    fn build(&mut self, ctx: &Context, size: [u32; 2]) -> Result<()> {
        let supported = unsafe {
            self.surface_fns.get_physical_device_surface_support(ctx.physical_device(), ctx.queue_family, self.surface)
        }
        .map_err(vk_err("vkGetPhysicalDeviceSurfaceSupportKHR"))?;
        if !supported {
            return Err(Error::Gpu("the device's queue cannot present to this window".into()));
        }
        let d = &ctx.device;
        let pool_info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(ctx.queue_family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER);
        self.pool = unsafe { d.create_command_pool(&pool_info, None) }.map_err(vk_err("vkCreateCommandPool"))?;
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(self.pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(FRAMES_IN_FLIGHT as u32);
        let cmds = unsafe { d.allocate_command_buffers(&alloc) }.map_err(vk_err("vkAllocateCommandBuffers"))?;
        self.cmds.copy_from_slice(&cmds);
        for i in 0..FRAMES_IN_FLIGHT {
            let signalled = vk::FenceCreateInfo::default().flags(vk::FenceCreateFlags::SIGNALED);
            self.fences[i] = unsafe { d.create_fence(&signalled, None) }.map_err(vk_err("vkCreateFence"))?;
            self.acquired[i] = unsafe { d.create_semaphore(&vk::SemaphoreCreateInfo::default(), None) }
                .map_err(vk_err("vkCreateSemaphore"))?;
        }
        self.resize(ctx, size)
    }

    /// The swapchain's format: what the caller draws in.
    pub fn format(&self) -> vk::Format {
        self.format.format
    }

    /// The swapchain's size, which the caller draws at.
    pub fn size(&self) -> [u32; 2] {
        [self.extent.width, self.extent.height]
    }

    /// Makes the swapchain again for the window's size now (`size` where the surface lets the
    /// caller choose), after the GPU is done with the old one.
    pub fn resize(&mut self, ctx: &Context, size: [u32; 2]) -> Result<()> {
        unsafe { ctx.device.device_wait_idle() }.map_err(vk_err("vkDeviceWaitIdle"))?;
        let pd = ctx.physical_device();
        let caps = unsafe { self.surface_fns.get_physical_device_surface_capabilities(pd, self.surface) }
            .map_err(vk_err("vkGetPhysicalDeviceSurfaceCapabilitiesKHR"))?;
        let formats = unsafe { self.surface_fns.get_physical_device_surface_formats(pd, self.surface) }
            .map_err(vk_err("vkGetPhysicalDeviceSurfaceFormatsKHR"))?;
        // sRGB first: the resolve decodes so that the hardware's encode stores the trained values.
        let wanted = [
            vk::Format::B8G8R8A8_SRGB,
            vk::Format::R8G8B8A8_SRGB,
            vk::Format::B8G8R8A8_UNORM,
            vk::Format::R8G8B8A8_UNORM,
        ];
        self.format = wanted
            .iter()
            .find_map(|w| formats.iter().find(|f| f.format == *w && f.color_space == vk::ColorSpaceKHR::SRGB_NONLINEAR))
            .copied()
            .ok_or_else(|| Error::Gpu(format!("the window offers no 8-bit RGBA or BGRA format: {formats:?}")))?;
        self.extent = if caps.current_extent.width != u32::MAX {
            caps.current_extent
        } else {
            vk::Extent2D {
                width: size[0].clamp(caps.min_image_extent.width, caps.max_image_extent.width),
                height: size[1].clamp(caps.min_image_extent.height, caps.max_image_extent.height),
            }
        };
        if self.extent.width == 0 || self.extent.height == 0 {
            return Err(Error::Gpu("the window has no area".into()));
        }
        let count =
            (caps.min_image_count + 1).min(if caps.max_image_count == 0 { u32::MAX } else { caps.max_image_count });
        let old = self.swapchain;
        let info = vk::SwapchainCreateInfoKHR::default()
            .surface(self.surface)
            .min_image_count(count)
            .image_format(self.format.format)
            .image_color_space(self.format.color_space)
            .image_extent(self.extent)
            .image_array_layers(1)
            .image_usage(vk::ImageUsageFlags::COLOR_ATTACHMENT)
            .image_sharing_mode(vk::SharingMode::EXCLUSIVE)
            .pre_transform(caps.current_transform)
            .composite_alpha(vk::CompositeAlphaFlagsKHR::OPAQUE)
            // FIFO: paced by the display, and the one mode every device has.
            .present_mode(vk::PresentModeKHR::FIFO)
            .clipped(true)
            .old_swapchain(old);
        self.swapchain =
            unsafe { self.swapchain_fns.create_swapchain(&info, None) }.map_err(vk_err("vkCreateSwapchainKHR"))?;
        unsafe {
            self.swapchain_fns.destroy_swapchain(old, None);
            for s in self.rendered.drain(..) {
                ctx.device.destroy_semaphore(s, None);
            }
        }
        self.images = unsafe { self.swapchain_fns.get_swapchain_images(self.swapchain) }
            .map_err(vk_err("vkGetSwapchainImagesKHR"))?;
        for _ in 0..self.images.len() {
            let s = unsafe { ctx.device.create_semaphore(&vk::SemaphoreCreateInfo::default(), None) }
                .map_err(vk_err("vkCreateSemaphore"))?;
            self.rendered.push(s);
        }
        Ok(())
    }

    /// One frame: waits for the slot two frames back, acquires an image, lets `record` record
    /// into a command buffer that draws it (leaving it in `PRESENT_SRC_KHR`), submits and
    /// presents.
    pub fn frame(
        &mut self,
        ctx: &Context,
        record: impl FnOnce(vk::CommandBuffer, vk::Image) -> Result<()>,
    ) -> Result<Presented> {
        let d = &ctx.device;
        let slot = self.next;
        let (cmd, fence) = (self.cmds[slot], self.fences[slot]);
        unsafe { d.wait_for_fences(&[fence], true, 120_000_000_000) }.map_err(vk_err("vkWaitForFences"))?;
        let acquired = unsafe {
            self.swapchain_fns.acquire_next_image(self.swapchain, u64::MAX, self.acquired[slot], vk::Fence::null())
        };
        let index = match acquired {
            Ok((index, _suboptimal)) => index as usize,
            Err(vk::Result::ERROR_OUT_OF_DATE_KHR) => return Ok(Presented::Stale),
            Err(e) => return Err(vk_err("vkAcquireNextImageKHR")(e)),
        };
        unsafe {
            d.reset_fences(&[fence]).map_err(vk_err("vkResetFences"))?;
            d.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty())
                .map_err(vk_err("vkResetCommandBuffer"))?;
            let begin = vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
            d.begin_command_buffer(cmd, &begin).map_err(vk_err("vkBeginCommandBuffer"))?;
        }
        record(cmd, self.images[index])?;
        unsafe { d.end_command_buffer(cmd) }.map_err(vk_err("vkEndCommandBuffer"))?;
        // The image may still be on screen until the acquire's semaphore: colour writes wait.
        let waits = [self.acquired[slot]];
        let stages = [vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT];
        let signals = [self.rendered[index]];
        let cmds = [cmd];
        let submit = vk::SubmitInfo::default()
            .wait_semaphores(&waits)
            .wait_dst_stage_mask(&stages)
            .command_buffers(&cmds)
            .signal_semaphores(&signals);
        unsafe { d.queue_submit(ctx.queue, &[submit], fence) }.map_err(vk_err("vkQueueSubmit"))?;
        self.next = (slot + 1) % FRAMES_IN_FLIGHT;
        let swapchains = [self.swapchain];
        let indices = [index as u32];
        let present =
            vk::PresentInfoKHR::default().wait_semaphores(&signals).swapchains(&swapchains).image_indices(&indices);
        match unsafe { self.swapchain_fns.queue_present(ctx.queue, &present) } {
            Ok(false) => Ok(Presented::Shown),
            Ok(true) | Err(vk::Result::ERROR_OUT_OF_DATE_KHR) => Ok(Presented::Stale),
            Err(e) => Err(vk_err("vkQueuePresentKHR")(e)),
        }
    }

    /// Destroys everything, after the GPU is done with it.
    pub fn destroy(self, ctx: &Context) {
        let d = &ctx.device;
        unsafe {
            let _ = d.device_wait_idle();
            for s in self.rendered.iter().chain(&self.acquired) {
                d.destroy_semaphore(*s, None);
            }
            for f in self.fences {
                d.destroy_fence(f, None);
            }
            d.destroy_command_pool(self.pool, None);
            self.swapchain_fns.destroy_swapchain(self.swapchain, None);
            self.surface_fns.destroy_surface(self.surface, None);
        }
    }
}
