/*
 * Splats inside a host's world: the host draws its own opaque geometry (a floor and a box that
 * cuts through the splats) into its colour and depth images, then has splat4d record the
 * splats into the same images: the host's colour kept under them, its depth hiding the splats
 * behind the box and the floor, and the splats' depth merged into it for the host's later
 * passes. Writes composite.ppm (and the raw images the test suite checks: host.rgba,
 * host.depth, composite.rgba, composite.depth, 32-bit floats for depth).
 *
 *   glslc -mfmt=c composite.vert -o composite.vert.inc   (and the same for composite.frag)
 *   composite ASSET.s4d OUT_DIR        (SPLAT4D_VALIDATION=1: validation layer on the host)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "composite_scene.h"
#include "splat4d.h"

#define W 160
#define H 120
#define NEAR 0.1f
#define FAR 20.0f
#define COLOR_FORMAT VK_FORMAT_R8G8B8A8_UNORM
#define DEPTH_FORMAT VK_FORMAT_D32_SFLOAT

static const uint32_t vertex_spirv[] =
#include "composite.vert.inc"
    ;
static const uint32_t fragment_spirv[] =
#include "composite.frag.inc"
    ;

#define VK(call)                                                              \
    do {                                                                      \
        VkResult r_ = (call);                                                 \
        if (r_ != VK_SUCCESS) {                                               \
            fprintf(stderr, "%s:%d: %s = %d\n", __FILE__, __LINE__, #call, r_); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static void check(S4dStatus status, const char *what) {
    if (status == S4D_STATUS_OK) return;
    const char *message = "";
    s4d_last_error(&message);
    fprintf(stderr, "%s failed (%d): %s\n", what, (int)status, message);
    exit(1);
}

static uint32_t memory_type(VkPhysicalDevice pd, uint32_t bits, VkMemoryPropertyFlags flags) {
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(pd, &props);
    for (uint32_t i = 0; i < props.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & flags) == flags) return i;
    fprintf(stderr, "no memory type\n");
    exit(1);
}

static VkDeviceMemory bind_memory(VkDevice device, VkPhysicalDevice pd, VkMemoryRequirements req,
                                  VkMemoryPropertyFlags flags) {
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, req.size,
                                memory_type(pd, req.memoryTypeBits, flags)};
    VkDeviceMemory memory;
    VK(vkAllocateMemory(device, &mai, NULL, &memory));
    return memory;
}

static VkImage image_of(VkDevice device, VkPhysicalDevice pd, VkFormat format, VkImageUsageFlags usage,
                        VkDeviceMemory *memory) {
    VkImageCreateInfo info = {VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, NULL, 0, VK_IMAGE_TYPE_2D, format, {W, H, 1}, 1, 1,
                              VK_SAMPLE_COUNT_1_BIT, VK_IMAGE_TILING_OPTIMAL, usage | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                              VK_SHARING_MODE_EXCLUSIVE, 0, NULL, VK_IMAGE_LAYOUT_UNDEFINED};
    VkImage image;
    VK(vkCreateImage(device, &info, NULL, &image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(device, image, &req);
    *memory = bind_memory(device, pd, req, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VK(vkBindImageMemory(device, image, *memory, 0));
    return image;
}

static VkImageView view_of(VkDevice device, VkImage image, VkFormat format, VkImageAspectFlags aspect) {
    VkImageViewCreateInfo info = {VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO, NULL, 0, image, VK_IMAGE_VIEW_TYPE_2D, format,
                                  {0, 0, 0, 0}, {aspect, 0, 1, 0, 1}};
    VkImageView view;
    VK(vkCreateImageView(device, &info, NULL, &view));
    return view;
}

static void write_file(const char *dir, const char *name, const void *data, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static void write_ppm(const char *dir, const char *name, const uint8_t *rgba) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) exit(1);
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    for (int i = 0; i < W * H; i++) fwrite(rgba + 4 * i, 1, 3, f);
    fclose(f);
    printf("wrote %s\n", path);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ASSET.s4d OUT_DIR\n", argv[0]);
        return 2;
    }
    const char *v = getenv("SPLAT4D_VALIDATION");
    int validation = v && v[0] == '1';

    /* The host's own Vulkan objects. */
    VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "composite host", 1, NULL, 0, VK_API_VERSION_1_2};
    const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
    const char *extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkInstanceCreateInfo ici = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, NULL, 0, &app, (uint32_t)validation, layers,
                                (uint32_t)validation, extensions};
    VkInstance instance;
    VK(vkCreateInstance(&ici, NULL, &instance));
    uint32_t count = 1;
    VkPhysicalDevice pd;
    VkResult enumerated = vkEnumeratePhysicalDevices(instance, &count, &pd);
    if ((enumerated != VK_SUCCESS && enumerated != VK_INCOMPLETE) || count == 0) return 1;
    VkQueueFamilyProperties families[16];
    uint32_t family_count = 16, family = UINT32_MAX;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &family_count, families);
    for (uint32_t i = 0; i < family_count && family == UINT32_MAX; i++)
        if ((families[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
            (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))
            family = i;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, NULL, 0, family, 1, &priority};
    VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, NULL, 0, 1, &qci, 0, NULL, 0, NULL, NULL};
    VkDevice device;
    VK(vkCreateDevice(pd, &dci, NULL, &device));
    VkQueue queue;
    vkGetDeviceQueue(device, family, 0, &queue);

    /* Lend them to splat4d; a mono renderer of the host's size and colour format. */
    S4dVulkanHostDesc host = {0};
    host.struct_size = sizeof host;
    host.queue_family_index = family;
    host.get_instance_proc_addr = (S4dGetInstanceProcAddr)vkGetInstanceProcAddr;
    host.instance = instance;
    host.physical_device = pd;
    host.device = device;
    host.queue = queue;
    host.instance_api_version = VK_API_VERSION_1_2;
    host.debug_utils_enabled = (uint32_t)validation;
    host.validation = (uint32_t)validation;
    S4dRuntime *runtime = NULL;
    S4dAsset *asset = NULL;
    S4dRenderer *renderer = NULL;
    check(s4d_runtime_create_embedded(&host, &runtime), "s4d_runtime_create_embedded");
    check(s4d_asset_open(argv[1], &asset), "s4d_asset_open");
    S4dAssetInfo info = {.struct_size = sizeof(S4dAssetInfo)};
    check(s4d_asset_get_info(asset, &info), "s4d_asset_get_info");
    S4dRendererDesc desc = {.struct_size = sizeof(S4dRendererDesc), .width = W, .height = H, .view_count = 1,
                            .format = S4D_FORMAT_RGBA8_UNORM, .sort_order = S4D_SORT_ORDER_SHARED};
    check(s4d_renderer_create(runtime, asset, &desc, &renderer), "s4d_renderer_create");

    /* The camera: in front of the splats, looking down -z, as an S4dView and as the host's
       matrices (Vulkan clip space: y down, depth 0 at the near plane). */
    S4dView eye;
    memset(&eye, 0, sizeof eye);
    for (int i = 0; i < 3; i++) eye.position[i] = 0.5f * (info.bounds_min[i] + info.bounds_max[i]);
    eye.position[1] += 0.1f;
    eye.position[2] += 2.5f;
    eye.orientation[3] = 1.0f;
    eye.tan_left = -1.0f;
    eye.tan_right = 1.0f;
    eye.tan_up = (float)H / W;
    eye.tan_down = -(float)H / W;
    const float view[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -eye.position[0], -eye.position[1], -eye.position[2], 1};
    const float projection[16] = {1.0f / eye.tan_right, 0, 0, 0, 0, -1.0f / eye.tan_up, 0, 0, 0, 0, FAR / (NEAR - FAR),
                                  -1, 0, 0, NEAR * FAR / (NEAR - FAR), 0};
    float view_projection[16];
    multiply(view_projection, projection, view);

    /* The host's images and its pass: colour and depth, cleared, the geometry drawn with
       depth test and write, both left for copying out. */
    VkDeviceMemory color_memory, depth_memory;
    VkImage color = image_of(device, pd, COLOR_FORMAT, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, &color_memory);
    VkImage depth = image_of(device, pd, DEPTH_FORMAT, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, &depth_memory);
    VkImageView views[2] = {view_of(device, color, COLOR_FORMAT, VK_IMAGE_ASPECT_COLOR_BIT),
                            view_of(device, depth, DEPTH_FORMAT, VK_IMAGE_ASPECT_DEPTH_BIT)};
    VkAttachmentDescription attachments[2] = {
        {0, COLOR_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_CLEAR, VK_ATTACHMENT_STORE_OP_STORE,
         VK_ATTACHMENT_LOAD_OP_DONT_CARE, VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
        {0, DEPTH_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_CLEAR, VK_ATTACHMENT_STORE_OP_STORE,
         VK_ATTACHMENT_LOAD_OP_DONT_CARE, VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
    };
    VkAttachmentReference color_ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkAttachmentReference depth_ref = {1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass = {0, VK_PIPELINE_BIND_POINT_GRAPHICS, 0, NULL, 1, &color_ref, NULL, &depth_ref, 0, NULL};
    /* The copies after the pass read what it wrote. */
    VkSubpassDependency after = {0, VK_SUBPASS_EXTERNAL,
                                 VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
                                 VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
                                 VK_ACCESS_TRANSFER_READ_BIT, 0};
    VkRenderPassCreateInfo rpci = {VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO, NULL, 0, 2, attachments, 1, &subpass, 1, &after};
    VkRenderPass pass;
    VK(vkCreateRenderPass(device, &rpci, NULL, &pass));
    VkFramebufferCreateInfo fbci = {VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO, NULL, 0, pass, 2, views, W, H, 1};
    VkFramebuffer framebuffer;
    VK(vkCreateFramebuffer(device, &fbci, NULL, &framebuffer));

    VkShaderModuleCreateInfo smci = {VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, NULL, 0, sizeof vertex_spirv,
                                     vertex_spirv};
    VkShaderModule vs, fs;
    VK(vkCreateShaderModule(device, &smci, NULL, &vs));
    smci.codeSize = sizeof fragment_spirv;
    smci.pCode = fragment_spirv;
    VK(vkCreateShaderModule(device, &smci, NULL, &fs));
    VkPipelineShaderStageCreateInfo stages[2] = {
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0, VK_SHADER_STAGE_VERTEX_BIT, vs, "main", NULL},
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0, VK_SHADER_STAGE_FRAGMENT_BIT, fs, "main", NULL},
    };
    VkVertexInputBindingDescription binding = {0, sizeof(Vertex), VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[2] = {{0, 0, VK_FORMAT_R32G32B32_SFLOAT, 0},
                                                       {1, 0, VK_FORMAT_R32G32B32_SFLOAT, 3 * sizeof(float)}};
    VkPipelineVertexInputStateCreateInfo input = {VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO, NULL, 0, 1,
                                                  &binding, 2, attributes};
    VkPipelineInputAssemblyStateCreateInfo assembly = {VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO, NULL,
                                                       0, VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST, VK_FALSE};
    VkViewport viewport = {0, 0, W, H, 0, 1};
    VkRect2D scissor = {{0, 0}, {W, H}};
    VkPipelineViewportStateCreateInfo viewport_state = {VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO, NULL, 0,
                                                        1, &viewport, 1, &scissor};
    VkPipelineRasterizationStateCreateInfo raster = {VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO, NULL, 0,
                                                     VK_FALSE, VK_FALSE, VK_POLYGON_MODE_FILL, VK_CULL_MODE_NONE,
                                                     VK_FRONT_FACE_COUNTER_CLOCKWISE, VK_FALSE, 0, 0, 0, 1.0f};
    VkPipelineMultisampleStateCreateInfo multisample = {VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO, NULL, 0,
                                                        VK_SAMPLE_COUNT_1_BIT, VK_FALSE, 0, NULL, VK_FALSE, VK_FALSE};
    VkPipelineDepthStencilStateCreateInfo depth_state = {.sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
                                                         .depthTestEnable = VK_TRUE,
                                                         .depthWriteEnable = VK_TRUE,
                                                         .depthCompareOp = VK_COMPARE_OP_LESS};
    VkPipelineColorBlendAttachmentState opaque = {0};
    opaque.colorWriteMask = 0xf;
    VkPipelineColorBlendStateCreateInfo blend = {VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO, NULL, 0,
                                                 VK_FALSE, VK_LOGIC_OP_COPY, 1, &opaque, {0, 0, 0, 0}};
    VkPushConstantRange push = {VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof view_projection};
    VkPipelineLayoutCreateInfo plci = {VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, NULL, 0, 0, NULL, 1, &push};
    VkPipelineLayout layout;
    VK(vkCreatePipelineLayout(device, &plci, NULL, &layout));
    VkGraphicsPipelineCreateInfo gpci = {VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         NULL,
                                         0,
                                         2,
                                         stages,
                                         &input,
                                         &assembly,
                                         NULL,
                                         &viewport_state,
                                         &raster,
                                         &multisample,
                                         &depth_state,
                                         &blend,
                                         NULL,
                                         layout,
                                         pass,
                                         0,
                                         VK_NULL_HANDLE,
                                         -1};
    VkPipeline pipeline;
    VK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &gpci, NULL, &pipeline));
    vkDestroyShaderModule(device, vs, NULL);
    vkDestroyShaderModule(device, fs, NULL);

    /* The geometry, and a buffer for four images coming back: host colour and depth, then
       the same after splat4d. */
    Vertex vertices[64];
    int vertex_count = scene(vertices, &info);
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, NULL, 0, sizeof vertices,
                              VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, VK_SHARING_MODE_EXCLUSIVE, 0, NULL};
    VkBuffer vertex_buffer, readback;
    VK(vkCreateBuffer(device, &bci, NULL, &vertex_buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, vertex_buffer, &req);
    const VkMemoryPropertyFlags visible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    VkDeviceMemory vertex_memory = bind_memory(device, pd, req, visible);
    VK(vkBindBufferMemory(device, vertex_buffer, vertex_memory, 0));
    void *mapped_vertices;
    VK(vkMapMemory(device, vertex_memory, 0, sizeof vertices, 0, &mapped_vertices));
    memcpy(mapped_vertices, vertices, sizeof vertices);
    vkUnmapMemory(device, vertex_memory);
    const VkDeviceSize image_bytes = W * H * 4;
    bci.size = 4 * image_bytes;
    bci.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VK(vkCreateBuffer(device, &bci, NULL, &readback));
    vkGetBufferMemoryRequirements(device, readback, &req);
    VkDeviceMemory readback_memory = bind_memory(device, pd, req, visible);
    VK(vkBindBufferMemory(device, readback, readback_memory, 0));

    VkCommandPoolCreateInfo pci = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, NULL, 0, family};
    VkCommandPool pool;
    VK(vkCreateCommandPool(device, &pci, NULL, &pool));
    VkCommandBufferAllocateInfo cai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, NULL, pool,
                                       VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
    VkCommandBuffer cmd;
    VK(vkAllocateCommandBuffers(device, &cai, &cmd));
    VkCommandBufferBeginInfo begin = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, NULL,
                                      VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT, NULL};
    VK(vkBeginCommandBuffer(cmd, &begin));

    /* 1. The host's own pass. */
    VkClearValue clears[2];
    clears[0].color.float32[0] = 0.55f;
    clears[0].color.float32[1] = 0.7f;
    clears[0].color.float32[2] = 0.85f;
    clears[0].color.float32[3] = 1.0f;
    clears[1].depthStencil.depth = 1.0f;
    clears[1].depthStencil.stencil = 0;
    VkRenderPassBeginInfo rpbi = {VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO, NULL, pass, framebuffer, {{0, 0}, {W, H}}, 2,
                                  clears};
    vkCmdBeginRenderPass(cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
    VkDeviceSize offset = 0;
    vkCmdBindVertexBuffers(cmd, 0, 1, &vertex_buffer, &offset);
    vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof view_projection, view_projection);
    vkCmdDraw(cmd, (uint32_t)vertex_count, 1, 0, 0);
    vkCmdEndRenderPass(cmd);
    VkBufferImageCopy color_copy = {0, 0, 0, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1}, {0, 0, 0}, {W, H, 1}};
    VkBufferImageCopy depth_copy = {image_bytes, 0, 0, {VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1}, {0, 0, 0}, {W, H, 1}};
    vkCmdCopyImageToBuffer(cmd, color, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback, 1, &color_copy);
    vkCmdCopyImageToBuffer(cmd, depth, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback, 1, &depth_copy);

    /* 2. splat4d into the same images: colour kept, depth tested and written. The render
       pass's own dependency orders it after the copies above. */
    S4dHostDepth host_depth = {.struct_size = sizeof(S4dHostDepth)};
    check(s4d_depth_from_projection(projection, S4D_CLIP_DEPTH_ZERO_TO_ONE, &host_depth), "s4d_depth_from_projection");
    host_depth.format = DEPTH_FORMAT;
    host_depth.image = (uint64_t)depth;
    host_depth.width = W;
    host_depth.height = H;
    host_depth.layer_count = 1;
    host_depth.initial_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    host_depth.final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    host_depth.flags |= S4D_DEPTH_TEST | S4D_DEPTH_WRITE;
    S4dHostImage target = {.struct_size = sizeof(S4dHostImage),
                           .final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           .image = (uint64_t)color,
                           .color_load = S4D_COLOR_LOAD_KEEP,
                           .initial_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           .depth = &host_depth};
    S4dFrameDesc frame = {sizeof(S4dFrameDesc), 1, &eye, 0.5 * (info.time_start + info.time_end)};
    check(s4d_renderer_record(renderer, cmd, &frame, &target), "s4d_renderer_record");
    printf("host depth: near %.4g, far %.4g, %s\n", host_depth.near_plane, host_depth.far_plane,
           host_depth.flags & S4D_DEPTH_REVERSED ? "reversed" : "standard");

    /* 3. The contract: splat4d wrote colour at COLOR_ATTACHMENT_OUTPUT and depth at
       LATE_FRAGMENT_TESTS; the host's copies follow. */
    VkMemoryBarrier written = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL,
                               VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
                               VK_ACCESS_TRANSFER_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
                         VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &written, 0, NULL, 0, NULL);
    color_copy.bufferOffset = 2 * image_bytes;
    depth_copy.bufferOffset = 3 * image_bytes;
    vkCmdCopyImageToBuffer(cmd, color, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback, 1, &color_copy);
    vkCmdCopyImageToBuffer(cmd, depth, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback, 1, &depth_copy);
    VkMemoryBarrier to_host = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL, 0,
                         NULL);
    VK(vkEndCommandBuffer(cmd));
    VkFenceCreateInfo fci = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, NULL, 0};
    VkFence fence;
    VK(vkCreateFence(device, &fci, NULL, &fence));
    VkSubmitInfo submit = {VK_STRUCTURE_TYPE_SUBMIT_INFO, NULL, 0, NULL, NULL, 1, &cmd, 0, NULL};
    VK(vkQueueSubmit(queue, 1, &submit, fence));
    VK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));

    uint8_t *mapped;
    VK(vkMapMemory(device, readback_memory, 0, 4 * image_bytes, 0, (void **)&mapped));
    write_file(argv[2], "host.rgba", mapped, image_bytes);
    write_file(argv[2], "host.depth", mapped + image_bytes, image_bytes);
    write_file(argv[2], "composite.rgba", mapped + 2 * image_bytes, image_bytes);
    write_file(argv[2], "composite.depth", mapped + 3 * image_bytes, image_bytes);
    write_ppm(argv[2], "composite.ppm", mapped + 2 * image_bytes);
    /* Where the splats are nearer than the host's geometry, its depth now holds theirs. */
    const float *before = (const float *)(mapped + image_bytes), *after_depth = (const float *)(mapped + 3 * image_bytes);
    long nearer = 0, farther = 0;
    for (int i = 0; i < W * H; i++) {
        nearer += after_depth[i] < before[i];
        farther += after_depth[i] > before[i];
    }
    vkUnmapMemory(device, readback_memory);
    printf("splats' depth replaced the host's at %ld of %d pixels (%ld farther: must be 0)\n", nearer, W * H, farther);

    uint32_t messages = 0;
    check(s4d_runtime_validation_message_count(runtime, &messages), "validation count");
    s4d_renderer_destroy(renderer);
    s4d_asset_destroy(asset);
    s4d_runtime_destroy(runtime);
    vkDestroyFence(device, fence, NULL);
    vkDestroyCommandPool(device, pool, NULL);
    vkDestroyBuffer(device, readback, NULL);
    vkFreeMemory(device, readback_memory, NULL);
    vkDestroyBuffer(device, vertex_buffer, NULL);
    vkFreeMemory(device, vertex_memory, NULL);
    vkDestroyPipeline(device, pipeline, NULL);
    vkDestroyPipelineLayout(device, layout, NULL);
    vkDestroyFramebuffer(device, framebuffer, NULL);
    vkDestroyRenderPass(device, pass, NULL);
    for (int i = 0; i < 2; i++) vkDestroyImageView(device, views[i], NULL);
    vkDestroyImage(device, color, NULL);
    vkFreeMemory(device, color_memory, NULL);
    vkDestroyImage(device, depth, NULL);
    vkFreeMemory(device, depth_memory, NULL);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    if (messages) fprintf(stderr, "%u validation messages\n", messages);
    return messages == 0 && nearer > 0 && farther == 0 ? 0 : 1;
}
