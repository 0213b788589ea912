/*
 * Embedded mode from C: the host creates its own Vulkan instance and device, lends them to
 * splat4d, has splat4d record a stereo frame into the host's command buffer drawing into the
 * host's two-layer image, copies the image out itself, and checks that the pixels match the
 * frame splat4d renders standalone. Writes embedded_left.ppm and embedded_right.ppm.
 *
 *   embedded ASSET.s4d OUT_DIR        (SPLAT4D_VALIDATION=1: validation layer on the host)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "splat4d.h"

#define W 128
#define H 80

#define VK(call)                                                              \
    do {                                                                      \
        VkResult r_ = (call);                                                 \
        if (r_ != VK_SUCCESS) {                                               \
            fprintf(stderr, "%s:%d: %s = %d\n", __FILE__, __LINE__, #call, r_); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static int check(S4dStatus status, const char *what) {
    if (status == S4D_STATUS_OK) return 1;
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

static S4dView eye(const S4dAssetInfo *info, float offset) {
    S4dView v;
    memset(&v, 0, sizeof v);
    for (int i = 0; i < 3; i++) v.position[i] = 0.5f * (info->bounds_min[i] + info->bounds_max[i]);
    v.position[0] += offset;
    v.position[2] += 2.5f;
    v.orientation[3] = 1.0f;
    v.tan_left = -1.0f;
    v.tan_right = 1.0f;
    v.tan_up = (float)H / W;
    v.tan_down = -(float)H / W;
    return v;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ASSET.s4d OUT_DIR\n", argv[0]);
        return 2;
    }
    const char *v = getenv("SPLAT4D_VALIDATION");
    int validation = v && v[0] == '1';

    /* The host's own Vulkan objects. */
    VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "embedded host", 1, NULL, 0, VK_API_VERSION_1_2};
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
    VkPhysicalDeviceMultiviewFeatures multiview = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES, NULL, VK_TRUE,
                                                   VK_FALSE, VK_FALSE};
    VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &multiview, 0, 1, &qci, 0, NULL, 0, NULL, NULL};
    VkDevice device;
    VK(vkCreateDevice(pd, &dci, NULL, &device));
    VkQueue queue;
    vkGetDeviceQueue(device, family, 0, &queue);

    /* Lend them to splat4d. */
    S4dVulkanHostDesc host = {0};
    host.struct_size = sizeof host;
    host.queue_family_index = family;
    host.get_instance_proc_addr = (S4dGetInstanceProcAddr)vkGetInstanceProcAddr;
    host.instance = instance;
    host.physical_device = pd;
    host.device = device;
    host.queue = queue;
    host.instance_api_version = VK_API_VERSION_1_2;
    host.multiview_enabled = 1;
    host.debug_utils_enabled = (uint32_t)validation;
    host.validation = (uint32_t)validation;
    S4dRuntime *embedded = NULL, *standalone = NULL;
    S4dAsset *asset = NULL;
    S4dRenderer *into_host = NULL, *offscreen = NULL;
    check(s4d_runtime_create_embedded(&host, &embedded), "s4d_runtime_create_embedded");
    check(s4d_asset_open(argv[1], &asset), "s4d_asset_open");
    S4dAssetInfo info = {.struct_size = sizeof(S4dAssetInfo)};
    check(s4d_asset_get_info(asset, &info), "s4d_asset_get_info");
    S4dRendererDesc desc = {sizeof(S4dRendererDesc), W, H, 2, S4D_FORMAT_RGBA8_UNORM, S4D_SORT_ORDER_SHARED, {0, 0, 0}, 0, 0, NULL, 0, 0};
    check(s4d_renderer_create(embedded, asset, &desc, &into_host), "s4d_renderer_create");

    /* The host's image (a layer per eye), a buffer to copy it into, a command buffer. */
    VkImageCreateInfo image_info = {VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, NULL, 0, VK_IMAGE_TYPE_2D,
                                    VK_FORMAT_R8G8B8A8_UNORM, {W, H, 1}, 1, 2, VK_SAMPLE_COUNT_1_BIT,
                                    VK_IMAGE_TILING_OPTIMAL,
                                    VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                                    VK_SHARING_MODE_EXCLUSIVE, 0, NULL, VK_IMAGE_LAYOUT_UNDEFINED};
    VkImage image;
    VK(vkCreateImage(device, &image_info, NULL, &image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(device, image, &req);
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, req.size,
                                memory_type(pd, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
    VkDeviceMemory image_memory;
    VK(vkAllocateMemory(device, &mai, NULL, &image_memory));
    VK(vkBindImageMemory(device, image, image_memory, 0));
    const VkDeviceSize bytes = 2 * W * H * 4;
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, NULL, 0, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                              VK_SHARING_MODE_EXCLUSIVE, 0, NULL};
    VkBuffer buffer;
    VK(vkCreateBuffer(device, &bci, NULL, &buffer));
    vkGetBufferMemoryRequirements(device, buffer, &req);
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = memory_type(pd, req.memoryTypeBits,
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory buffer_memory;
    VK(vkAllocateMemory(device, &mai, NULL, &buffer_memory));
    VK(vkBindBufferMemory(device, buffer, buffer_memory, 0));
    VkCommandPoolCreateInfo pci = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, NULL, 0, family};
    VkCommandPool pool;
    VK(vkCreateCommandPool(device, &pci, NULL, &pool));
    VkCommandBufferAllocateInfo cai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, NULL, pool,
                                       VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
    VkCommandBuffer cmd;
    VK(vkAllocateCommandBuffers(device, &cai, &cmd));

    /* Record: splat4d's frame, then the host's copy, then submit and wait. */
    S4dView views[2] = {eye(&info, -0.032f), eye(&info, 0.032f)};
    double time = 0.5 * (info.time_start + info.time_end);
    S4dFrameDesc frame = {sizeof(S4dFrameDesc), 2, views, time};
    VkCommandBufferBeginInfo begin = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, NULL,
                                      VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT, NULL};
    VK(vkBeginCommandBuffer(cmd, &begin));
    S4dHostImage target = {.struct_size = sizeof(S4dHostImage),
                           .final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           .image = (uint64_t)image};
    check(s4d_renderer_record(into_host, cmd, &frame, &target), "s4d_renderer_record");
    /* The contract: splat4d wrote the image at COLOR_ATTACHMENT_OUTPUT. */
    VkMemoryBarrier barrier = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
                               VK_ACCESS_TRANSFER_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                         &barrier, 0, NULL, 0, NULL);
    VkBufferImageCopy region = {0, 0, 0, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2}, {0, 0, 0}, {W, H, 1}};
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &region);
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
    VK(vkMapMemory(device, buffer_memory, 0, bytes, 0, (void **)&mapped));
    write_ppm(argv[2], "embedded_left.ppm", mapped);
    write_ppm(argv[2], "embedded_right.ppm", mapped + W * H * 4);

    /* The same frame, standalone. */
    S4dRuntimeDesc rd = {sizeof(S4dRuntimeDesc), 0, NULL};
    check(s4d_runtime_create(&rd, &standalone), "s4d_runtime_create");
    check(s4d_renderer_create(standalone, asset, &desc, &offscreen), "s4d_renderer_create (standalone)");
    check(s4d_renderer_render(offscreen, &frame), "s4d_renderer_render");
    uint8_t *expected = malloc(W * H * 4);
    long differing = 0, lit = 0;
    for (uint32_t view = 0; view < 2; view++) {
        check(s4d_renderer_read_back(offscreen, view, expected, W * H * 4), "s4d_renderer_read_back");
        const uint8_t *got = mapped + view * W * H * 4;
        for (int i = 0; i < W * H * 4; i++) {
            differing += got[i] != expected[i];
            lit += (i % 4 != 3) && got[i] > 20;
        }
    }
    free(expected);
    vkUnmapMemory(device, buffer_memory);
    printf("%ld of %d bytes differ from the standalone frame; %ld lit channels\n", differing, 2 * W * H * 4, lit);

    uint32_t messages = 0;
    check(s4d_runtime_validation_message_count(embedded, &messages), "validation count");
    s4d_renderer_destroy(offscreen);
    s4d_renderer_destroy(into_host);
    s4d_asset_destroy(asset);
    s4d_runtime_destroy(standalone);
    s4d_runtime_destroy(embedded);
    /* splat4d is gone: the host's objects are still the host's. */
    vkDestroyFence(device, fence, NULL);
    vkDestroyCommandPool(device, pool, NULL);
    vkDestroyBuffer(device, buffer, NULL);
    vkFreeMemory(device, buffer_memory, NULL);
    vkDestroyImage(device, image, NULL);
    vkFreeMemory(device, image_memory, NULL);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    if (messages) fprintf(stderr, "%u validation messages\n", messages);
    int ok = messages == 0 && differing <= 2 * W * H * 4 / 1000 && lit > 2 * W * H * 3 / 20;
    return ok ? 0 : 1;
}
