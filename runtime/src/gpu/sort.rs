//! GPU radix sort of (u32 key, u32 value) pairs (DESIGN §5.2): least-significant digit first,
//! 8 bits per pass, each pass a histogram, a scan and a stable scatter (`shaders/sort_*.comp`).
//! Reduce-then-scan rather than decoupled look-back, because the latter is reported to hang on
//! Mali, PowerVR and some Adreno GPUs.

use ash::vk;

use super::spirv;
use super::{vk_err, Buffer, Context, MemoryKind};
use crate::error::{Error, Result};

/// Keys per workgroup per pass (shaders/radix.glsl: WG × ITEMS).
const BLOCK: u32 = 256 * 8;
const RADIX: u64 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    shift: u32,
    count_word: u32,
}

/// Where the key count lives in [`SortBuffers::count`]: that buffer is laid out as a
/// `VkDrawIndirectCommand` (vertex count, instance count = keys, first vertex, first instance)
/// so that a renderer can count visible splats into it and draw from it directly.
pub const COUNT_WORD: u32 = 1;
/// The count buffer's size: the draw arguments, then room for a user's own counters (the
/// renderer counts splats each eye does not draw in words 4 and 5, and the splats of each
/// level of detail in words 8..16).
pub const COUNT_BYTES: u64 = 64;
const BINDINGS: u32 = 7;

/// The sort's pipelines; one per context.
pub struct RadixSort {
    set_layout: vk::DescriptorSetLayout,
    layout: vk::PipelineLayout,
    prepare: vk::Pipeline,
    histogram: vk::Pipeline,
    scan: vk::Pipeline,
    scatter: vk::Pipeline,
}

/// Ping-pong key and value buffers for up to `capacity` pairs, with their descriptor sets:
/// set i reads pair i and writes pair 1 - i.
pub struct SortBuffers {
    pub keys: [Buffer; 2],
    pub values: [Buffer; 2],
    /// `[vertex count, key count, 0, 0]` (see [`COUNT_WORD`]), usable as draw arguments, and
    /// four words more (see [`COUNT_BYTES`]).
    pub count: Buffer,
    histogram: Buffer,
    dispatch: Buffer,
    pool: vk::DescriptorPool,
    sets: [vk::DescriptorSet; 2],
    capacity: u32,
}

impl RadixSort {
    pub fn new(ctx: &Context) -> Result<RadixSort> {
        let d = &ctx.device;
        let bindings: Vec<_> = (0..BINDINGS)
            .map(|b| {
                vk::DescriptorSetLayoutBinding::default()
                    .binding(b)
                    .descriptor_type(vk::DescriptorType::STORAGE_BUFFER)
                    .descriptor_count(1)
                    .stage_flags(vk::ShaderStageFlags::COMPUTE)
            })
            .collect();
        let set_layout = unsafe {
            d.create_descriptor_set_layout(&vk::DescriptorSetLayoutCreateInfo::default().bindings(&bindings), None)
        }
        .map_err(vk_err("vkCreateDescriptorSetLayout"))?;
        let ranges = [vk::PushConstantRange::default()
            .stage_flags(vk::ShaderStageFlags::COMPUTE)
            .size(std::mem::size_of::<Params>() as u32)];
        let set_layouts = [set_layout];
        let layout_info =
            vk::PipelineLayoutCreateInfo::default().set_layouts(&set_layouts).push_constant_ranges(&ranges);
        let layout = match unsafe { d.create_pipeline_layout(&layout_info, None) } {
            Ok(l) => l,
            Err(e) => {
                unsafe { d.destroy_descriptor_set_layout(set_layout, None) };
                return Err(vk_err("vkCreatePipelineLayout")(e));
            }
        };
        let mut sort = RadixSort {
            set_layout,
            layout,
            prepare: vk::Pipeline::null(),
            histogram: vk::Pipeline::null(),
            scan: vk::Pipeline::null(),
            scatter: vk::Pipeline::null(),
        };
        let built = (|| {
            sort.prepare = compute_pipeline(ctx, layout, "sort_prepare", spirv::SORT_PREPARE_COMP)?;
            sort.histogram = compute_pipeline(ctx, layout, "sort_histogram", spirv::SORT_HISTOGRAM_COMP)?;
            sort.scan = compute_pipeline(ctx, layout, "sort_scan", spirv::SORT_SCAN_COMP)?;
            sort.scatter = compute_pipeline(ctx, layout, "sort_scatter", spirv::SORT_SCATTER_COMP)?;
            Ok(())
        })();
        match built {
            Ok(()) => Ok(sort),
            Err(e) => {
                sort.destroy(ctx);
                Err(e)
            }
        }
    }

    pub fn destroy(self, ctx: &Context) {
        let d = &ctx.device;
        unsafe {
            for p in [self.prepare, self.histogram, self.scan, self.scatter] {
                d.destroy_pipeline(p, None);
            }
            d.destroy_pipeline_layout(self.layout, None);
            d.destroy_descriptor_set_layout(self.set_layout, None);
        }
    }

    pub fn create_buffers(&self, ctx: &Context, capacity: u32) -> Result<SortBuffers> {
        let bytes = capacity.max(1) as u64 * 4;
        let blocks = capacity.div_ceil(BLOCK).max(1);
        let hist_bytes = RADIX * blocks as u64 * 4;
        if bytes.max(hist_bytes) > ctx.limits.max_storage_buffer_range as u64 {
            return Err(Error::Gpu(format!(
                "sorting {capacity} keys needs {} bytes per buffer; this device binds at most {}",
                bytes.max(hist_bytes),
                ctx.limits.max_storage_buffer_range
            )));
        }
        if blocks > ctx.limits.max_compute_work_group_count[0] {
            return Err(Error::Gpu(format!(
                "sorting {capacity} keys needs {blocks} workgroups; the device allows fewer"
            )));
        }
        let usage = vk::BufferUsageFlags::STORAGE_BUFFER
            | vk::BufferUsageFlags::TRANSFER_SRC
            | vk::BufferUsageFlags::TRANSFER_DST;
        let mut made: Vec<Buffer> = Vec::with_capacity(7);
        let names = [
            "sort keys 0",
            "sort values 0",
            "sort keys 1",
            "sort values 1",
            "sort histogram",
            "sort count",
            "sort dispatch",
        ];
        for (i, name) in names.iter().enumerate() {
            let size = [bytes, bytes, bytes, bytes, hist_bytes, COUNT_BYTES, 12][i];
            match ctx.create_buffer(name, size, usage | vk::BufferUsageFlags::INDIRECT_BUFFER, MemoryKind::Device) {
                Ok(b) => made.push(b),
                Err(e) => {
                    made.into_iter().for_each(|b| ctx.destroy_buffer(b));
                    return Err(e);
                }
            }
        }
        let dispatch = made.pop().unwrap();
        let count = made.pop().unwrap();
        let histogram = made.pop().unwrap();
        let values1 = made.pop().unwrap();
        let keys1 = made.pop().unwrap();
        let values0 = made.pop().unwrap();
        let keys0 = made.pop().unwrap();

        let d = &ctx.device;
        let sizes =
            [vk::DescriptorPoolSize::default().ty(vk::DescriptorType::STORAGE_BUFFER).descriptor_count(2 * BINDINGS)];
        let pool_info = vk::DescriptorPoolCreateInfo::default().max_sets(2).pool_sizes(&sizes);
        let pool = unsafe { d.create_descriptor_pool(&pool_info, None) };
        let mut buffers = SortBuffers {
            keys: [keys0, keys1],
            values: [values0, values1],
            count,
            histogram,
            dispatch,
            pool: pool.unwrap_or_default(),
            sets: [vk::DescriptorSet::null(); 2],
            capacity,
        };
        if let Err(e) = pool {
            buffers.destroy(ctx);
            return Err(vk_err("vkCreateDescriptorPool")(e));
        }
        let layouts = [self.set_layout; 2];
        let alloc = vk::DescriptorSetAllocateInfo::default().descriptor_pool(buffers.pool).set_layouts(&layouts);
        match unsafe { d.allocate_descriptor_sets(&alloc) } {
            Ok(sets) => buffers.sets = [sets[0], sets[1]],
            Err(e) => {
                buffers.destroy(ctx);
                return Err(vk_err("vkAllocateDescriptorSets")(e));
            }
        }
        for (i, &set) in buffers.sets.iter().enumerate() {
            let order = [
                &buffers.keys[i],
                &buffers.values[i],
                &buffers.keys[1 - i],
                &buffers.values[1 - i],
                &buffers.histogram,
                &buffers.count,
                &buffers.dispatch,
            ];
            let infos: Vec<[vk::DescriptorBufferInfo; 1]> = order
                .iter()
                .map(|b| [vk::DescriptorBufferInfo::default().buffer(b.raw).offset(0).range(vk::WHOLE_SIZE)])
                .collect();
            let writes: Vec<_> = infos
                .iter()
                .enumerate()
                .map(|(binding, info)| {
                    vk::WriteDescriptorSet::default()
                        .dst_set(set)
                        .dst_binding(binding as u32)
                        .descriptor_type(vk::DescriptorType::STORAGE_BUFFER)
                        .buffer_info(info)
                })
                .collect();
            unsafe { d.update_descriptor_sets(&writes, &[]) };
        }
        Ok(buffers)
    }

    /// Records the sort of the first `count` pairs of `keys[0]`/`values[0]` by their low
    /// `key_bits` bits, where `count` is read on the GPU from `buffers.count` (word
    /// [`COUNT_WORD`]) and must not exceed the capacity. Returns which pair (0 or 1) holds the
    /// result. The caller orders the writes of the inputs and the count before this (a barrier
    /// to compute-shader reads) and reads of the result after it (from compute-shader writes).
    pub fn record(&self, ctx: &Context, cmd: vk::CommandBuffer, buffers: &SortBuffers, key_bits: u32) -> Result<usize> {
        if key_bits == 0 || key_bits > 32 {
            return Err(Error::InvalidArgument(format!("key bits {key_bits} outside 1..=32")));
        }
        let d = &ctx.device;
        let passes = key_bits.div_ceil(8);
        let push = |shift: u32| {
            let params = Params { shift, count_word: COUNT_WORD };
            unsafe {
                d.cmd_push_constants(cmd, self.layout, vk::ShaderStageFlags::COMPUTE, 0, bytemuck::bytes_of(&params))
            };
        };
        unsafe {
            d.cmd_bind_descriptor_sets(cmd, vk::PipelineBindPoint::COMPUTE, self.layout, 0, &[buffers.sets[0]], &[]);
            push(0);
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::COMPUTE, self.prepare);
            d.cmd_dispatch(cmd, 1, 1, 1);
            // The workgroup counts are read as indirect arguments.
            memory_barrier(
                d,
                cmd,
                (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_WRITE),
                (vk::PipelineStageFlags::DRAW_INDIRECT, vk::AccessFlags::INDIRECT_COMMAND_READ),
            );
        }
        for pass in 0..passes {
            let set = [buffers.sets[pass as usize % 2]];
            unsafe {
                d.cmd_bind_descriptor_sets(cmd, vk::PipelineBindPoint::COMPUTE, self.layout, 0, &set, &[]);
                push(pass * 8);
                d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::COMPUTE, self.histogram);
                d.cmd_dispatch_indirect(cmd, buffers.dispatch.raw, 0);
                // The scan reads the counts; the previous pass's scatter read the histogram
                // this one rewrites, which the barrier before this pass already ordered.
                compute_barrier(d, cmd);
                d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::COMPUTE, self.scan);
                d.cmd_dispatch(cmd, 1, 1, 1);
                compute_barrier(d, cmd);
                d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::COMPUTE, self.scatter);
                d.cmd_dispatch_indirect(cmd, buffers.dispatch.raw, 0);
                if pass + 1 < passes {
                    // Next pass reads the scattered pairs and rewrites the histogram.
                    compute_barrier(d, cmd);
                }
            }
        }
        Ok(passes as usize % 2)
    }
}

impl SortBuffers {
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    pub fn destroy(self, ctx: &Context) {
        unsafe { ctx.device.destroy_descriptor_pool(self.pool, None) };
        let [k0, k1] = self.keys;
        let [v0, v1] = self.values;
        for b in [k0, k1, v0, v1, self.histogram, self.count, self.dispatch] {
            ctx.destroy_buffer(b);
        }
    }
}

pub(crate) fn compute_pipeline(
    ctx: &Context,
    layout: vk::PipelineLayout,
    name: &str,
    spirv: &[u8],
) -> Result<vk::Pipeline> {
    let module = ctx.create_shader(name, spirv)?;
    let stage =
        vk::PipelineShaderStageCreateInfo::default().stage(vk::ShaderStageFlags::COMPUTE).module(module).name(c"main");
    let info = vk::ComputePipelineCreateInfo::default().stage(stage).layout(layout);
    let result = unsafe { ctx.device.create_compute_pipelines(vk::PipelineCache::null(), &[info], None) };
    // The pipeline keeps what it needs of the module.
    unsafe { ctx.device.destroy_shader_module(module, None) };
    let pipeline = result.map_err(|(_, e)| vk_err("vkCreateComputePipelines")(e))?[0];
    ctx.name(pipeline, name);
    Ok(pipeline)
}

/// Compute writes before compute reads and writes.
pub(crate) fn compute_barrier(d: &ash::Device, cmd: vk::CommandBuffer) {
    let barrier = vk::MemoryBarrier::default()
        .src_access_mask(vk::AccessFlags::SHADER_WRITE | vk::AccessFlags::SHADER_READ)
        .dst_access_mask(vk::AccessFlags::SHADER_READ | vk::AccessFlags::SHADER_WRITE);
    unsafe {
        d.cmd_pipeline_barrier(
            cmd,
            vk::PipelineStageFlags::COMPUTE_SHADER,
            vk::PipelineStageFlags::COMPUTE_SHADER,
            vk::DependencyFlags::empty(),
            &[barrier],
            &[],
            &[],
        )
    };
}

pub(crate) fn memory_barrier(
    d: &ash::Device,
    cmd: vk::CommandBuffer,
    src: (vk::PipelineStageFlags, vk::AccessFlags),
    dst: (vk::PipelineStageFlags, vk::AccessFlags),
) {
    let barrier = vk::MemoryBarrier::default().src_access_mask(src.1).dst_access_mask(dst.1);
    unsafe { d.cmd_pipeline_barrier(cmd, src.0, dst.0, vk::DependencyFlags::empty(), &[barrier], &[], &[]) };
}

/// Sorts `keys` (with `values` alongside) on the GPU and reads the result back: for tests and
/// tools, not for the frame loop.
pub fn sort_pairs(
    ctx: &Context,
    sort: &RadixSort,
    keys: &[u32],
    values: &[u32],
    key_bits: u32,
) -> Result<(Vec<u32>, Vec<u32>)> {
    if keys.len() != values.len() || keys.len() > u32::MAX as usize {
        return Err(Error::InvalidArgument("keys and values must have the same length".into()));
    }
    if key_bits == 0 || key_bits > 32 {
        return Err(Error::InvalidArgument(format!("key bits {key_bits} outside 1..=32")));
    }
    let n = keys.len() as u32;
    let bytes = n as u64 * 4;
    let buffers = sort.create_buffers(ctx, n)?;
    let transfer = vk::BufferUsageFlags::TRANSFER_SRC | vk::BufferUsageFlags::TRANSFER_DST;
    let staging: Result<Vec<Buffer>> =
        ["sort upload keys", "sort upload values", "sort readback keys", "sort readback values"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                ctx.create_buffer(name, bytes, transfer, if i < 2 { MemoryKind::Upload } else { MemoryKind::Readback })
            })
            .collect();
    let staging = match staging {
        Ok(s) => s,
        Err(e) => {
            buffers.destroy(ctx);
            return Err(e);
        }
    };
    let result = (|| {
        ctx.write(&staging[0], 0, keys)?;
        ctx.write(&staging[1], 0, values)?;
        let mut recorded = Ok(0);
        ctx.submit_and_wait(|d, cmd| unsafe {
            let region = [vk::BufferCopy::default().size(bytes.max(4))];
            d.cmd_copy_buffer(cmd, staging[0].raw, buffers.keys[0].raw, &region);
            d.cmd_copy_buffer(cmd, staging[1].raw, buffers.values[0].raw, &region);
            d.cmd_update_buffer(cmd, buffers.count.raw, 0, bytemuck::cast_slice(&[0u32, n, 0, 0]));
            memory_barrier(
                d,
                cmd,
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
                (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_READ | vk::AccessFlags::SHADER_WRITE),
            );
            recorded = sort.record(ctx, cmd, &buffers, key_bits);
            let out = *recorded.as_ref().unwrap_or(&0);
            memory_barrier(
                d,
                cmd,
                (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_WRITE),
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_READ),
            );
            d.cmd_copy_buffer(cmd, buffers.keys[out].raw, staging[2].raw, &region);
            d.cmd_copy_buffer(cmd, buffers.values[out].raw, staging[3].raw, &region);
            memory_barrier(
                d,
                cmd,
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
                (vk::PipelineStageFlags::HOST, vk::AccessFlags::HOST_READ),
            );
        })?;
        recorded?;
        let mut out_keys = vec![0u32; keys.len()];
        let mut out_values = vec![0u32; keys.len()];
        ctx.read(&staging[2], 0, &mut out_keys)?;
        ctx.read(&staging[3], 0, &mut out_values)?;
        Ok((out_keys, out_values))
    })();
    staging.into_iter().for_each(|b| ctx.destroy_buffer(b));
    buffers.destroy(ctx);
    result
}
