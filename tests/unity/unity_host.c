/*
 * Unity's part, played by a C program, for splat4d's Unity plugin (libsplat4d.so's
 * UnityPluginLoad, UnityPluginUnload and render event). Unity cannot run here; this host does
 * what Unity's manual says Unity does for a native rendering plugin on Vulkan (README.md in
 * this folder lists what and from which page, and what it cannot reproduce):
 *
 *   - loads the plugin with dlopen (nothing links it) and calls UnityPluginLoad with its own
 *     IUnityInterfaces serving IUnityGraphics and IUnityGraphicsVulkan(V2);
 *   - "startup" mode: the plugin is loaded before the graphics device, so Unity runs the
 *     plugin's Vulkan initialisation callback and creates its instance and device through the
 *     vkGetInstanceProcAddr it returns; "late" mode: the device exists first, no interception;
 *   - sends the device-initialise event, then renders frames with three in flight, each in its
 *     own command buffer: its opaque geometry with reverse-Z depth (as Unity on Vulkan), then,
 *     as a CommandBuffer's IssuePluginEventAndData would, the plugin's draw event for each
 *     camera: a mono camera into a bottom-up "render texture" and a single-pass instanced XR
 *     camera into two-layer colour and depth arrays;
 *   - serves CommandRecordingState (the frame's command buffer, current and safe frame
 *     numbers), EnsureOutsideRenderPass and AccessRenderBufferTexture (recording the barrier
 *     into the layout asked for, and tracking it), and honours the event's configuration;
 *   - at the end: the views destroyed, the device idle, the shutdown event, UnityPluginUnload,
 *     then its own objects and the device, validation on throughout (any message fails).
 *
 * Writes the last frame's images before and after the splats (raw RGBA8 and float depth) for
 * runtime/tests/hosts.rs to check against the CPU reference.
 *
 *   unity_host PLUGIN.so ASSET.s4d OUT_DIR startup|late
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "../../samples/c/composite_scene.h"
#include "splat4d.h"

#define W 160
#define H 120
#define NEAR 0.1f
#define FAR 20.0f
#define FRAMES 6
#define IN_FLIGHT 3
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

static void fail(const char *what) {
    fprintf(stderr, "unity_host: %s\n", what);
    exit(1);
}

/* ---- Unity's plugin interfaces, as the manual describes them (declared independently of
 * the plugin's own declarations, so a layout mistake on either side shows). ---- */

typedef struct {
    unsigned long long high, low;
} UnityGuid;

typedef struct {
    void *(*GetInterface)(UnityGuid guid);
    void (*RegisterInterface)(UnityGuid guid, void *interface);
    void *(*GetInterfaceSplit)(unsigned long long high, unsigned long long low);
    void (*RegisterInterfaceSplit)(unsigned long long high, unsigned long long low, void *interface);
} UnityInterfaces;

typedef void (*DeviceEventCallback)(int event);

typedef struct {
    int (*GetRenderer)(void);
    void (*RegisterDeviceEventCallback)(DeviceEventCallback callback);
    void (*UnregisterDeviceEventCallback)(DeviceEventCallback callback);
    int (*ReserveEventIDRange)(int count);
} UnityGraphics;

typedef struct {
    VkPipelineCache pipelineCache;
    VkInstance instance;
    VkPhysicalDevice physicalDevice;
    VkDevice device;
    VkQueue graphicsQueue;
    PFN_vkGetInstanceProcAddr getInstanceProcAddr;
    unsigned int queueFamilyIndex;
    void *reserved[8];
} UnityVulkanInstance;

typedef struct {
    VkCommandBuffer commandBuffer;
    VkCommandBufferLevel commandBufferLevel;
    VkRenderPass renderPass;
    VkFramebuffer framebuffer;
    int subPassIndex;
    unsigned long long currentFrameNumber;
    unsigned long long safeFrameNumber;
    void *reserved[4];
} UnityVulkanRecordingState;

typedef struct {
    VkDeviceMemory memory;
    VkDeviceSize offset, size;
    void *mapped;
    VkMemoryPropertyFlags flags;
    unsigned int memoryTypeIndex;
    void *reserved[4];
} UnityVulkanMemory;

typedef struct {
    UnityVulkanMemory memory;
    VkImage image;
    VkImageLayout layout;
    VkImageAspectFlags aspect;
    VkImageUsageFlags usage;
    VkFormat format;
    VkExtent3D extent;
    VkImageTiling tiling;
    VkImageType type;
    VkSampleCountFlagBits samples;
    int layers;
    int mipCount;
    void *reserved[4];
} UnityVulkanImage;

typedef struct {
    int renderPassPrecondition; /* 0 don't care, 1 inside, 2 outside */
    unsigned int graphicsQueueAccess; /* 0 don't care, 1 allow */
    uint32_t flags;
} UnityVulkanPluginEventConfig;

typedef PFN_vkGetInstanceProcAddr (*UnityVulkanInitCallback)(PFN_vkGetInstanceProcAddr gipa, void *user);
typedef void (*AnyFunction)(void);

typedef struct {
    bool (*InterceptInitialization)(UnityVulkanInitCallback callback, void *user);
    AnyFunction InterceptVulkanAPI;
    void (*ConfigureEvent)(int event, const UnityVulkanPluginEventConfig *config);
    UnityVulkanInstance (*Instance)(void);
    bool (*CommandRecordingState)(UnityVulkanRecordingState *out, unsigned int queue_access);
    AnyFunction AccessTexture;
    bool (*AccessRenderBufferTexture)(void *buffer, const VkImageSubresource *subresource, VkImageLayout layout,
                                      VkPipelineStageFlags stages, VkAccessFlags access, unsigned int mode,
                                      UnityVulkanImage *out);
    AnyFunction AccessRenderBufferResolveTexture, AccessBuffer;
    void (*EnsureOutsideRenderPass)(void);
    void (*EnsureInsideRenderPass)(void);
    AnyFunction AccessQueue, ConfigureSwapchain, AccessTextureByID;
    bool (*AddInterceptInitialization)(UnityVulkanInitCallback callback, void *user, int priority);
    bool (*RemoveInterceptInitialization)(UnityVulkanInitCallback callback);
} UnityGraphicsVulkan;

/* ---- The host's state: what Unity keeps. ---- */

typedef struct {
    VkImage image;
    VkDeviceMemory memory;
    VkFormat format;
    VkImageAspectFlags aspect;
    uint32_t layers;
    VkImageLayout layout; /* as Unity tracks it */
    VkImageView layer_views[2];
} RenderBuffer;

static struct {
    VkInstance instance;
    VkPhysicalDevice pd;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    PFN_vkGetInstanceProcAddr gipa; /* what Unity created its objects through */
    UnityVulkanInitCallback init_callback;
    void *init_user;
    DeviceEventCallback device_callback;
    UnityVulkanPluginEventConfig configs[8];
    int event_base;
    VkCommandBuffer cmd;
    bool in_render_pass;
    unsigned long long frame, safe;
    int validation_messages;
} U;

static VkBool32 on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
                           const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)types;
    (void)user;
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        fprintf(stderr, "validation: %s\n", data->pMessage);
        U.validation_messages++;
    }
    return VK_FALSE;
}

static int get_renderer(void) { return 21; /* kUnityGfxRendererVulkan */ }
static void register_device_callback(DeviceEventCallback callback) { U.device_callback = callback; }
static void unregister_device_callback(DeviceEventCallback callback) {
    if (U.device_callback == callback) U.device_callback = NULL;
}
static int reserve_event_ids(int count) {
    if (count < 1 || count > 8) fail("the plugin reserved an odd number of event IDs");
    U.event_base = 7000;
    return U.event_base;
}

static bool intercept_initialization(UnityVulkanInitCallback callback, void *user) {
    if (U.device) return false; /* too late: Unity's device exists */
    U.init_callback = callback;
    U.init_user = user;
    return true;
}
static bool add_intercept_initialization(UnityVulkanInitCallback callback, void *user, int priority) {
    (void)priority;
    return intercept_initialization(callback, user);
}
static bool remove_intercept_initialization(UnityVulkanInitCallback callback) {
    if (U.init_callback != callback) return false;
    U.init_callback = NULL;
    return true;
}
static void configure_event(int event, const UnityVulkanPluginEventConfig *config) {
    if (event < U.event_base || event >= U.event_base + 8) fail("ConfigureEvent for an ID not reserved");
    U.configs[event - U.event_base] = *config;
}
static UnityVulkanInstance instance(void) {
    UnityVulkanInstance i;
    memset(&i, 0, sizeof i);
    i.instance = U.instance;
    i.physicalDevice = U.pd;
    i.device = U.device;
    i.graphicsQueue = U.queue;
    i.getInstanceProcAddr = U.gipa;
    i.queueFamilyIndex = U.family;
    return i;
}
static bool recording_state(UnityVulkanRecordingState *out, unsigned int queue_access) {
    (void)queue_access;
    if (!U.cmd) return false;
    memset(out, 0, sizeof *out);
    out->commandBuffer = U.cmd;
    out->commandBufferLevel = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    out->currentFrameNumber = U.frame;
    out->safeFrameNumber = U.safe;
    return true;
}
static void ensure_outside(void) {
    if (U.in_render_pass) {
        vkCmdEndRenderPass(U.cmd);
        U.in_render_pass = false;
    }
}
static void ensure_inside(void) { fail("the plugin asked to be inside a render pass"); }

/* Unity's tracked layout → the one asked for, after every earlier write to the image. */
static void transition(RenderBuffer *rb, VkImageLayout layout, VkPipelineStageFlags stages, VkAccessFlags access) {
    VkImageMemoryBarrier b = {VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                              NULL,
                              VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT |
                                  VK_ACCESS_TRANSFER_WRITE_BIT,
                              access,
                              rb->layout,
                              layout,
                              VK_QUEUE_FAMILY_IGNORED,
                              VK_QUEUE_FAMILY_IGNORED,
                              rb->image,
                              {rb->aspect, 0, 1, 0, rb->layers}};
    vkCmdPipelineBarrier(U.cmd,
                         VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT |
                             VK_PIPELINE_STAGE_TRANSFER_BIT,
                         stages, 0, 0, NULL, 0, NULL, 1, &b);
    rb->layout = layout;
}

static bool access_render_buffer(void *buffer, const VkImageSubresource *subresource, VkImageLayout layout,
                                 VkPipelineStageFlags stages, VkAccessFlags access, unsigned int mode,
                                 UnityVulkanImage *out) {
    RenderBuffer *rb = buffer;
    if (!rb || subresource) return false;
    if (U.in_render_pass) fail("AccessRenderBufferTexture inside a render pass");
    if (mode == 1 /* kUnityVulkanResourceAccess_PipelineBarrier */) transition(rb, layout, stages, access);
    memset(out, 0, sizeof *out);
    out->image = rb->image;
    out->layout = rb->layout;
    out->aspect = rb->aspect;
    out->format = rb->format;
    out->extent = (VkExtent3D){W, H, 1};
    out->tiling = VK_IMAGE_TILING_OPTIMAL;
    out->type = VK_IMAGE_TYPE_2D;
    out->samples = VK_SAMPLE_COUNT_1_BIT;
    out->layers = (int)rb->layers;
    out->mipCount = 1;
    return true;
}

static UnityGraphics graphics = {get_renderer, register_device_callback, unregister_device_callback,
                                 reserve_event_ids};
static UnityGraphicsVulkan vulkan = {intercept_initialization,
                                     NULL,
                                     configure_event,
                                     instance,
                                     recording_state,
                                     NULL,
                                     access_render_buffer,
                                     NULL,
                                     NULL,
                                     ensure_outside,
                                     ensure_inside,
                                     NULL,
                                     NULL,
                                     NULL,
                                     add_intercept_initialization,
                                     remove_intercept_initialization};

static void *get_interface_split(unsigned long long high, unsigned long long low) {
    if (high == 0x7CBA0A9CA4DDB544ULL && low == 0x8C5AD4926EB17B11ULL) return &graphics;
    if (high == 0x95355348D4EF4E11ULL && low == 0x9789313DFCFFCC87ULL) return &vulkan;
    if (high == 0x329334C09DCA4787ULL && low == 0xB347DD92A0097FFCULL) return &vulkan;
    return NULL;
}
static void *get_interface(UnityGuid guid) { return get_interface_split(guid.high, guid.low); }
static void register_interface(UnityGuid guid, void *interface) {
    (void)guid;
    (void)interface;
}
static void register_interface_split(unsigned long long high, unsigned long long low, void *interface) {
    (void)high;
    (void)low;
    (void)interface;
}
static UnityInterfaces interfaces = {get_interface, register_interface, get_interface_split,
                                     register_interface_split};

/* ---- The plugin's library, loaded as Unity loads it. ---- */

static struct {
    void (*UnityPluginLoad)(UnityInterfaces *);
    void (*UnityPluginUnload)(void);
    __typeof__(&s4d_unity_get_events) get_events;
    __typeof__(&s4d_unity_get_info) get_info;
    __typeof__(&s4d_unity_view_create) view_create;
    __typeof__(&s4d_unity_view_submit) view_submit;
    __typeof__(&s4d_unity_view_get_stats) view_get_stats;
    __typeof__(&s4d_unity_view_destroy) view_destroy;
    __typeof__(&s4d_asset_open) asset_open;
    __typeof__(&s4d_asset_get_info) asset_get_info;
    __typeof__(&s4d_asset_destroy) asset_destroy;
    __typeof__(&s4d_view_from_matrices) view_from_matrices;
    __typeof__(&s4d_depth_from_projection) depth_from_projection;
    __typeof__(&s4d_last_error) last_error;
} P;

static void load_symbol(void *library, const char *name, void *slot) {
    void *f = dlsym(library, name);
    if (!f) {
        fprintf(stderr, "unity_host: %s is not in the plugin: %s\n", name, dlerror());
        exit(1);
    }
    memcpy(slot, &f, sizeof f);
}

static void check(S4dStatus status, const char *what) {
    if (status == S4D_STATUS_OK) return;
    const char *message = "";
    P.last_error(&message);
    fprintf(stderr, "%s failed (%d): %s\n", what, (int)status, message);
    exit(1);
}

/* ---- Vulkan helpers. ---- */

static uint32_t memory_type(uint32_t bits, VkMemoryPropertyFlags flags) {
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(U.pd, &props);
    for (uint32_t i = 0; i < props.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & flags) == flags) return i;
    fail("no memory type");
    return 0;
}

static RenderBuffer render_buffer(VkFormat format, uint32_t layers) {
    bool depth = format == DEPTH_FORMAT;
    RenderBuffer rb = {0};
    rb.format = format;
    rb.aspect = depth ? VK_IMAGE_ASPECT_DEPTH_BIT : VK_IMAGE_ASPECT_COLOR_BIT;
    rb.layers = layers;
    rb.layout = VK_IMAGE_LAYOUT_UNDEFINED;
    VkImageUsageFlags usage = (depth ? VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT : VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT) |
                              VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;
    VkImageCreateInfo info = {VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, NULL, 0, VK_IMAGE_TYPE_2D, format, {W, H, 1}, 1,
                              layers, VK_SAMPLE_COUNT_1_BIT, VK_IMAGE_TILING_OPTIMAL, usage, VK_SHARING_MODE_EXCLUSIVE, 0,
                              NULL, VK_IMAGE_LAYOUT_UNDEFINED};
    VK(vkCreateImage(U.device, &info, NULL, &rb.image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(U.device, rb.image, &req);
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, req.size,
                                memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
    VK(vkAllocateMemory(U.device, &mai, NULL, &rb.memory));
    VK(vkBindImageMemory(U.device, rb.image, rb.memory, 0));
    for (uint32_t l = 0; l < layers; l++) {
        VkImageViewCreateInfo vi = {VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO, NULL, 0, rb.image, VK_IMAGE_VIEW_TYPE_2D,
                                    format, {0, 0, 0, 0}, {rb.aspect, 0, 1, l, 1}};
        VK(vkCreateImageView(U.device, &vi, NULL, &rb.layer_views[l]));
    }
    return rb;
}

static void destroy_render_buffer(RenderBuffer *rb) {
    for (uint32_t l = 0; l < rb->layers; l++) vkDestroyImageView(U.device, rb->layer_views[l], NULL);
    vkDestroyImage(U.device, rb->image, NULL);
    vkFreeMemory(U.device, rb->memory, NULL);
}

/* A camera: its eye, view and reverse-Z projection; flipped (bottom-up rows, a Unity render
 * texture on Vulkan) or not. */
typedef struct {
    float view[16], projection[16], view_projection[16];
} Eye;

static Eye eye_at(const float position[3], bool flipped) {
    Eye e;
    const float t = (float)H / W;
    const float view[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -position[0], -position[1], -position[2], 1};
    /* Vulkan clip space (y down: row 0 at the top) unless flipped; depth 1 at the near plane. */
    const float y = flipped ? 1.0f / t : -1.0f / t;
    const float projection[16] = {1, 0, 0, 0, 0, y, 0, 0, 0, 0, NEAR / (FAR - NEAR), -1, 0, 0, FAR * NEAR / (FAR - NEAR), 0};
    memcpy(e.view, view, sizeof view);
    memcpy(e.projection, projection, sizeof projection);
    multiply(e.view_projection, projection, view);
    return e;
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

/* Copies every layer of `rb` into `buffer` (at `offset`), leaving it in its tracked layout. */
static VkDeviceSize copy_out(RenderBuffer *rb, VkBuffer buffer, VkDeviceSize offset) {
    VkImageLayout was = rb->layout;
    VkPipelineStageFlags stages = rb->aspect == VK_IMAGE_ASPECT_COLOR_BIT ? VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT
                                                                          : VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT;
    VkAccessFlags access = rb->aspect == VK_IMAGE_ASPECT_COLOR_BIT ? VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT
                                                                   : VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;
    transition(rb, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferImageCopy region = {offset, 0, 0, {rb->aspect, 0, 0, rb->layers}, {0, 0, 0}, {W, H, 1}};
    vkCmdCopyImageToBuffer(U.cmd, rb->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &region);
    /* Back to the layout it was in, for what comes after (the copy's reads first). */
    VkImageMemoryBarrier b = {VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                              NULL,
                              VK_ACCESS_TRANSFER_READ_BIT,
                              access,
                              VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                              was,
                              VK_QUEUE_FAMILY_IGNORED,
                              VK_QUEUE_FAMILY_IGNORED,
                              rb->image,
                              {rb->aspect, 0, 1, 0, rb->layers}};
    vkCmdPipelineBarrier(U.cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, stages, 0, 0, NULL, 0, NULL, 1, &b);
    rb->layout = was;
    return offset + (VkDeviceSize)W * H * 4 * rb->layers;
}

/* The plugin's event, as Unity runs one from a CommandBuffer: the render pass ended first when
 * the event's configuration says so. */
static void issue_event(S4dUnityRenderEvent event, int id, void *data) {
    const UnityVulkanPluginEventConfig *config = &U.configs[id - U.event_base];
    if (config->renderPassPrecondition == 2) ensure_outside();
    if (config->graphicsQueueAccess != 1) fail("the plugin's event does not ask for queue access (it uploads)");
    event(id, data);
    if (U.in_render_pass) fail("the plugin ended up inside a render pass");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 5) {
        fprintf(stderr, "usage: %s PLUGIN.so ASSET.s4d OUT_DIR startup|late\n", argv[0]);
        return 2;
    }
    bool startup = strcmp(argv[4], "startup") == 0;
    const char *out_dir = argv[3];

    /* Unity loads a plugin marked "Load on startup" before it creates its graphics device. */
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    load_symbol(library, "UnityPluginLoad", &P.UnityPluginLoad);
    load_symbol(library, "UnityPluginUnload", &P.UnityPluginUnload);
    load_symbol(library, "s4d_unity_get_events", &P.get_events);
    load_symbol(library, "s4d_unity_get_info", &P.get_info);
    load_symbol(library, "s4d_unity_view_create", &P.view_create);
    load_symbol(library, "s4d_unity_view_submit", &P.view_submit);
    load_symbol(library, "s4d_unity_view_get_stats", &P.view_get_stats);
    load_symbol(library, "s4d_unity_view_destroy", &P.view_destroy);
    load_symbol(library, "s4d_asset_open", &P.asset_open);
    load_symbol(library, "s4d_asset_get_info", &P.asset_get_info);
    load_symbol(library, "s4d_asset_destroy", &P.asset_destroy);
    load_symbol(library, "s4d_view_from_matrices", &P.view_from_matrices);
    load_symbol(library, "s4d_depth_from_projection", &P.depth_from_projection);
    load_symbol(library, "s4d_last_error", &P.last_error);
    if (startup) P.UnityPluginLoad(&interfaces);

    /* Unity's instance and device: through the plugin's vkGetInstanceProcAddr where it
     * intercepted initialisation. Unity asks for Vulkan 1.0 here so that the interception's
     * raise to 1.1 is exercised; nothing of multiview is asked for. */
    U.gipa = vkGetInstanceProcAddr;
    if (U.init_callback) {
        U.gipa = U.init_callback(vkGetInstanceProcAddr, U.init_user);
        if (!U.gipa) fail("the init callback returned no vkGetInstanceProcAddr");
    }
    PFN_vkCreateInstance create_instance = (PFN_vkCreateInstance)U.gipa(NULL, "vkCreateInstance");
    VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "unity host", 1, "Unity stand-in", 1,
                             startup ? VK_API_VERSION_1_0 : VK_API_VERSION_1_1};
    const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
    const char *extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkDebugUtilsMessengerCreateInfoEXT mci = {VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
                                              NULL,
                                              0,
                                              VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                                  VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
                                              VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                                  VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT,
                                              on_message,
                                              NULL};
    VkInstanceCreateInfo ici = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, &mci, 0, &app, 1, layers, 1, extensions};
    VK(create_instance(&ici, NULL, &U.instance));
    PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(U.instance, "vkCreateDebugUtilsMessengerEXT");
    VkDebugUtilsMessengerEXT messenger;
    VK(create_messenger(U.instance, &mci, NULL, &messenger));

    uint32_t n = 1;
    VkResult r = vkEnumeratePhysicalDevices(U.instance, &n, &U.pd);
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || n == 0) fail("no Vulkan device");
    VkQueueFamilyProperties families[16];
    uint32_t nf = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(U.pd, &nf, families);
    U.family = UINT32_MAX;
    for (uint32_t i = 0; i < nf && U.family == UINT32_MAX; i++)
        if ((families[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
            (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))
            U.family = i;
    if (U.family == UINT32_MAX) fail("no graphics and compute queue");
    float priority = 1;
    VkDeviceQueueCreateInfo qci = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, NULL, 0, U.family, 1, &priority};
    VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, NULL, 0, 1, &qci, 0, NULL, 0, NULL, NULL};
    PFN_vkCreateDevice create_device = (PFN_vkCreateDevice)U.gipa(U.instance, "vkCreateDevice");
    VK(create_device(U.pd, &dci, NULL, &U.device));
    vkGetDeviceQueue(U.device, U.family, 0, &U.queue);

    /* A plugin loaded now (no "Load on startup") finds the device already made. */
    if (!startup) P.UnityPluginLoad(&interfaces);
    if (!U.device_callback) fail("the plugin registered no device event callback");
    U.device_callback(0 /* kUnityGfxDeviceEventInitialize */);

    S4dUnityInfo info = {sizeof info, 0, 0, 0, 0};
    check(P.get_info(&info), "s4d_unity_get_info");
    printf("plugin: loaded %u, ready %u, intercepted %u, multiview %u\n", info.loaded, info.ready, info.intercepted,
           info.multiview);
    if (!info.ready) fail("the plugin did not start on Unity's device");
    S4dUnityEvents events = {sizeof events, 0, 0, 0, NULL};
    check(P.get_events(&events), "s4d_unity_get_events");

    /* The C# component's part (main thread): the asset and a view per camera. */
    S4dAsset *asset = NULL;
    check(P.asset_open(argv[2], &asset), "s4d_asset_open");
    S4dAssetInfo ai = {sizeof ai, 0, 0, 0, 0, 0, 0, 0, 0, {0, 0, 0}, {0, 0, 0}};
    check(P.asset_get_info(asset, &ai), "s4d_asset_get_info");
    S4dUnityViewDesc vd = {sizeof vd, S4D_SORT_ORDER_SHARED, 0, 0, 0, NULL};
    uint32_t mono_view = 0, xr_view = 0;
    check(P.view_create(asset, &vd, &mono_view), "s4d_unity_view_create (mono)");
    check(P.view_create(asset, &vd, &xr_view), "s4d_unity_view_create (XR)");
    P.asset_destroy(asset); /* the views keep what they need */

    /* Unity's cameras' targets: a render texture (mono) and the XR eye texture arrays. */
    RenderBuffer mono_color = render_buffer(COLOR_FORMAT, 1), mono_depth = render_buffer(DEPTH_FORMAT, 1);
    RenderBuffer xr_color = render_buffer(COLOR_FORMAT, 2), xr_depth = render_buffer(DEPTH_FORMAT, 2);

    /* The host's opaque pass: reverse-Z depth cleared to 0, GREATER passes. */
    VkAttachmentDescription attachments[2] = {
        {0, COLOR_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_CLEAR, VK_ATTACHMENT_STORE_OP_STORE,
         VK_ATTACHMENT_LOAD_OP_DONT_CARE, VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL},
        {0, DEPTH_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_CLEAR, VK_ATTACHMENT_STORE_OP_STORE,
         VK_ATTACHMENT_LOAD_OP_DONT_CARE, VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL}};
    VkAttachmentReference color_ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkAttachmentReference depth_ref = {1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass = {0, VK_PIPELINE_BIND_POINT_GRAPHICS, 0, NULL, 1, &color_ref, NULL, &depth_ref, 0,
                                    NULL};
    /* After everything earlier on these images (the frame before's splats, copies). */
    VkSubpassDependency dependency = {
        VK_SUBPASS_EXTERNAL,
        0,
        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT |
            VK_PIPELINE_STAGE_TRANSFER_BIT,
        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
            VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
        VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT |
            VK_ACCESS_TRANSFER_READ_BIT,
        VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
            VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
        0};
    VkRenderPassCreateInfo rpci = {VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO, NULL, 0, 2, attachments, 1, &subpass, 1,
                                   &dependency};
    VkRenderPass pass;
    VK(vkCreateRenderPass(U.device, &rpci, NULL, &pass));
    VkFramebuffer framebuffers[3];
    RenderBuffer *fb_color[3] = {&mono_color, &xr_color, &xr_color};
    RenderBuffer *fb_depth[3] = {&mono_depth, &xr_depth, &xr_depth};
    for (int i = 0; i < 3; i++) {
        uint32_t layer = i == 2 ? 1 : 0;
        VkImageView views[2] = {fb_color[i]->layer_views[layer], fb_depth[i]->layer_views[layer]};
        VkFramebufferCreateInfo fbci = {VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO, NULL, 0, pass, 2, views, W, H, 1};
        VK(vkCreateFramebuffer(U.device, &fbci, NULL, &framebuffers[i]));
    }

    VkShaderModuleCreateInfo smci = {VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, NULL, 0, sizeof vertex_spirv,
                                     vertex_spirv};
    VkShaderModule vs, fs;
    VK(vkCreateShaderModule(U.device, &smci, NULL, &vs));
    smci.codeSize = sizeof fragment_spirv;
    smci.pCode = fragment_spirv;
    VK(vkCreateShaderModule(U.device, &smci, NULL, &fs));
    VkPipelineShaderStageCreateInfo stages[2] = {
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0, VK_SHADER_STAGE_VERTEX_BIT, vs, "main", NULL},
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0, VK_SHADER_STAGE_FRAGMENT_BIT, fs, "main", NULL}};
    VkVertexInputBindingDescription binding = {0, sizeof(Vertex), VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[2] = {{0, 0, VK_FORMAT_R32G32B32_SFLOAT, 0},
                                                       {1, 0, VK_FORMAT_R32G32B32_SFLOAT, 12}};
    VkPipelineVertexInputStateCreateInfo vertex_input = {VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
                                                         NULL, 0, 1, &binding, 2, attributes};
    VkPipelineInputAssemblyStateCreateInfo assembly = {VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                                                       NULL, 0, VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST, VK_FALSE};
    VkViewport viewport = {0, 0, W, H, 0, 1};
    VkRect2D scissor = {{0, 0}, {W, H}};
    VkPipelineViewportStateCreateInfo viewport_state = {VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO, NULL, 0,
                                                        1, &viewport, 1, &scissor};
    VkPipelineRasterizationStateCreateInfo raster = {VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                                                     NULL,
                                                     0,
                                                     VK_FALSE,
                                                     VK_FALSE,
                                                     VK_POLYGON_MODE_FILL,
                                                     VK_CULL_MODE_NONE,
                                                     VK_FRONT_FACE_COUNTER_CLOCKWISE,
                                                     VK_FALSE,
                                                     0,
                                                     0,
                                                     0,
                                                     1};
    VkPipelineMultisampleStateCreateInfo multisample = {VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO, NULL,
                                                        0, VK_SAMPLE_COUNT_1_BIT, VK_FALSE, 0, NULL, VK_FALSE, VK_FALSE};
    VkPipelineDepthStencilStateCreateInfo depth_state = {VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
                                                         NULL,
                                                         0,
                                                         VK_TRUE,
                                                         VK_TRUE,
                                                         VK_COMPARE_OP_GREATER,
                                                         VK_FALSE,
                                                         VK_FALSE,
                                                         {0},
                                                         {0},
                                                         0,
                                                         1};
    VkPipelineColorBlendAttachmentState blend_attachment = {0};
    blend_attachment.colorWriteMask = 0xF;
    VkPipelineColorBlendStateCreateInfo blend = {VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                                                 NULL,
                                                 0,
                                                 VK_FALSE,
                                                 VK_LOGIC_OP_COPY,
                                                 1,
                                                 &blend_attachment,
                                                 {0, 0, 0, 0}};
    VkPushConstantRange push = {VK_SHADER_STAGE_VERTEX_BIT, 0, 64};
    VkPipelineLayoutCreateInfo plci = {VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, NULL, 0, 0, NULL, 1, &push};
    VkPipelineLayout layout;
    VK(vkCreatePipelineLayout(U.device, &plci, NULL, &layout));
    VkGraphicsPipelineCreateInfo gpci = {VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         NULL,
                                         0,
                                         2,
                                         stages,
                                         &vertex_input,
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
    VK(vkCreateGraphicsPipelines(U.device, VK_NULL_HANDLE, 1, &gpci, NULL, &pipeline));
    vkDestroyShaderModule(U.device, vs, NULL);
    vkDestroyShaderModule(U.device, fs, NULL);

    Vertex vertices[64];
    int vertex_count = scene(vertices, &ai);
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, NULL, 0, sizeof vertices,
                              VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, VK_SHARING_MODE_EXCLUSIVE, 0, NULL};
    VkBuffer vertex_buffer;
    VK(vkCreateBuffer(U.device, &bci, NULL, &vertex_buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(U.device, vertex_buffer, &req);
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, req.size,
                                memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                                    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)};
    VkDeviceMemory vertex_memory;
    VK(vkAllocateMemory(U.device, &mai, NULL, &vertex_memory));
    VK(vkBindBufferMemory(U.device, vertex_buffer, vertex_memory, 0));
    void *mapped;
    VK(vkMapMemory(U.device, vertex_memory, 0, sizeof vertices, 0, &mapped));
    memcpy(mapped, vertices, sizeof vertices);
    vkUnmapMemory(U.device, vertex_memory);

    /* Read-back: colour and depth before and after the splats, mono (1 layer) then XR (2 layers). */
    const VkDeviceSize layer_bytes = (VkDeviceSize)W * H * 4, readback_bytes = 12 * layer_bytes;
    bci.size = readback_bytes;
    bci.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer readback;
    VK(vkCreateBuffer(U.device, &bci, NULL, &readback));
    vkGetBufferMemoryRequirements(U.device, readback, &req);
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                              VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory readback_memory;
    VK(vkAllocateMemory(U.device, &mai, NULL, &readback_memory));
    VK(vkBindBufferMemory(U.device, readback, readback_memory, 0));

    VkCommandPoolCreateInfo cpci = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, NULL,
                                    VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT, U.family};
    VkCommandPool pool;
    VK(vkCreateCommandPool(U.device, &cpci, NULL, &pool));
    VkCommandBuffer cmds[IN_FLIGHT];
    VkCommandBufferAllocateInfo cbai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, NULL, pool,
                                        VK_COMMAND_BUFFER_LEVEL_PRIMARY, IN_FLIGHT};
    VK(vkAllocateCommandBuffers(U.device, &cbai, cmds));
    VkFence fences[IN_FLIGHT];
    VkFenceCreateInfo fci = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, NULL, 0};
    for (int i = 0; i < IN_FLIGHT; i++) VK(vkCreateFence(U.device, &fci, NULL, &fences[i]));
    bool submitted[IN_FLIGHT] = {false};

    float centre[3];
    for (int i = 0; i < 3; i++) centre[i] = 0.5f * (ai.bounds_min[i] + ai.bounds_max[i]);
    const float mono_at[3] = {centre[0], centre[1] + 0.1f, centre[2] + 2.5f};
    const float left_at[3] = {centre[0] - 0.032f, centre[1] + 0.1f, centre[2] + 2.5f};
    const float right_at[3] = {centre[0] + 0.032f, centre[1] + 0.1f, centre[2] + 2.5f};
    Eye mono = eye_at(mono_at, true), eyes[2] = {eye_at(left_at, false), eye_at(right_at, false)};
    S4dHostDepth planes = {sizeof planes, 0, 0, 0, 0, 0, 0, 0, S4D_DEPTH_TEST | S4D_DEPTH_WRITE, 0, 0};
    check(P.depth_from_projection(mono.projection, S4D_CLIP_DEPTH_ZERO_TO_ONE, &planes), "s4d_depth_from_projection");
    printf("host depth: near %g, far %g, %s\n", planes.near_plane, planes.far_plane,
           planes.flags & S4D_DEPTH_REVERSED ? "reversed" : "standard");

    double last_time = 0;
    for (unsigned long long frame = 1; frame <= FRAMES; frame++) {
        int slot = (int)(frame % IN_FLIGHT);
        /* Unity reuses a frame's command buffer once its fence says the GPU is done with it:
         * that frame and every one before are then safe. */
        if (submitted[slot]) {
            VK(vkWaitForFences(U.device, 1, &fences[slot], VK_TRUE, UINT64_MAX));
            VK(vkResetFences(U.device, 1, &fences[slot]));
        }
        U.frame = frame;
        U.safe = frame > IN_FLIGHT ? frame - IN_FLIGHT : 0;
        bool last = frame == FRAMES;

        /* Main thread: the component submits each camera's frame. */
        double time = ai.time_start + (ai.time_end - ai.time_start) * (double)frame / (FRAMES + 1);
        last_time = time;
        S4dUnityFrame f;
        memset(&f, 0, sizeof f);
        f.struct_size = sizeof f;
        f.view_count = 1;
        check(P.view_from_matrices(mono.view, mono.projection, &f.views[0]), "s4d_view_from_matrices");
        f.time_seconds = time;
        f.color_buffer = &mono_color;
        f.depth_buffer = &mono_depth;
        f.depth_flags = planes.flags;
        f.near_plane = planes.near_plane;
        f.far_plane = planes.far_plane;
        f.flags = S4D_UNITY_FLIP_Y;
        check(P.view_submit(mono_view, &f), "s4d_unity_view_submit (mono)");
        f.view_count = 2;
        for (int e = 0; e < 2; e++)
            check(P.view_from_matrices(eyes[e].view, eyes[e].projection, &f.views[e]), "s4d_view_from_matrices");
        f.color_buffer = &xr_color;
        f.depth_buffer = &xr_depth;
        f.flags = 0;
        check(P.view_submit(xr_view, &f), "s4d_unity_view_submit (XR)");

        /* Render thread: the frame's command buffer. */
        U.cmd = cmds[slot];
        VK(vkResetCommandBuffer(U.cmd, 0));
        VkCommandBufferBeginInfo begin = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, NULL,
                                          VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT, NULL};
        VK(vkBeginCommandBuffer(U.cmd, &begin));
        for (int camera = 0; camera < 2; camera++) {
            RenderBuffer *color = camera == 0 ? &mono_color : &xr_color, *depth = camera == 0 ? &mono_depth : &xr_depth;
            int passes = camera == 0 ? 1 : 2;
            for (int p = 0; p < passes; p++) {
                int fb = camera == 0 ? 0 : 1 + p;
                const Eye *e = camera == 0 ? &mono : &eyes[p];
                VkClearValue clears[2];
                memset(clears, 0, sizeof clears);
                clears[0].color.float32[3] = 1;
                clears[1].depthStencil.depth = 0; /* reverse Z: the far plane */
                VkRenderPassBeginInfo rpbi = {VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO, NULL, pass, framebuffers[fb],
                                              {{0, 0}, {W, H}}, 2, clears};
                if (U.in_render_pass) vkCmdEndRenderPass(U.cmd);
                vkCmdBeginRenderPass(U.cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
                U.in_render_pass = true;
                vkCmdBindPipeline(U.cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
                VkDeviceSize zero = 0;
                vkCmdBindVertexBuffers(U.cmd, 0, 1, &vertex_buffer, &zero);
                vkCmdPushConstants(U.cmd, layout, VK_SHADER_STAGE_VERTEX_BIT, 0, 64, e->view_projection);
                vkCmdDraw(U.cmd, (uint32_t)vertex_count, 1, 0, 0);
            }
            color->layout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
            depth->layout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
            VkDeviceSize at = (VkDeviceSize)camera * 4 * layer_bytes;
            if (last) {
                ensure_outside();
                at = copy_out(color, readback, at);
                at = copy_out(depth, readback, at);
            }
            /* CameraEvent.AfterForwardOpaque: the component's command buffer. */
            issue_event(events.render_event, events.draw_event_id, (void *)(uintptr_t)(camera == 0 ? mono_view : xr_view));
            if (last) {
                at = copy_out(color, readback, at);
                copy_out(depth, readback, at);
            }
        }
        ensure_outside();
        VK(vkEndCommandBuffer(U.cmd));
        VkSubmitInfo si = {VK_STRUCTURE_TYPE_SUBMIT_INFO, NULL, 0, NULL, NULL, 1, &U.cmd, 0, NULL};
        VK(vkQueueSubmit(U.queue, 1, &si, fences[slot]));
        submitted[slot] = true;
        U.cmd = VK_NULL_HANDLE;
    }
    VK(vkDeviceWaitIdle(U.device));
    printf("frames: %d, the last at time %.6f\n", FRAMES, last_time);

    /* The images: before (host_*) and after the splats, per camera. */
    const uint8_t *pixels;
    VK(vkMapMemory(U.device, readback_memory, 0, readback_bytes, 0, (void **)&pixels));
    const char *names[2][4] = {{"host_mono.rgba", "host_mono.depth", "mono.rgba", "mono.depth"},
                               {"host_xr.rgba", "host_xr.depth", "xr.rgba", "xr.depth"}};
    for (int camera = 0; camera < 2; camera++) {
        VkDeviceSize layers = camera == 0 ? 1 : 2, at = (VkDeviceSize)camera * 4 * layer_bytes;
        for (int i = 0; i < 4; i++) {
            write_file(out_dir, names[camera][i], pixels + at, (size_t)(layers * layer_bytes));
            at += layers * layer_bytes;
        }
    }
    vkUnmapMemory(U.device, readback_memory);

    uint32_t ids[2] = {mono_view, xr_view};
    for (int v = 0; v < 2; v++) {
        S4dFrameStats stats;
        memset(&stats, 0, sizeof stats);
        stats.struct_size = sizeof stats;
        S4dUnityViewCounts counts = {sizeof counts, 0, 0, 0, 0, 0};
        check(P.view_get_stats(ids[v], &stats, &counts), "s4d_unity_view_get_stats");
        printf("view %u: recorded %llu, skipped %llu, failed %llu, dropped %llu; frame %llu drew %u splats\n", ids[v],
               (unsigned long long)counts.recorded, (unsigned long long)counts.skipped_in_flight,
               (unsigned long long)counts.failed, (unsigned long long)counts.dropped,
               (unsigned long long)stats.frame_index, stats.drawn[0]);
        if (counts.recorded != FRAMES || counts.skipped_in_flight || counts.failed || counts.dropped)
            fail("not every frame was drawn");
    }

    /* Shutdown as Unity does it: the components go, then the device. */
    check(P.view_destroy(mono_view), "s4d_unity_view_destroy");
    check(P.view_destroy(xr_view), "s4d_unity_view_destroy");
    if (P.view_destroy(mono_view) != S4D_STATUS_INVALID_ARGUMENT) fail("a view destroyed twice was not refused");
    U.device_callback(1 /* kUnityGfxDeviceEventShutdown */);
    P.UnityPluginUnload();
    if (U.device_callback) fail("the plugin left its device event callback registered");

    for (int i = 0; i < IN_FLIGHT; i++) vkDestroyFence(U.device, fences[i], NULL);
    vkDestroyCommandPool(U.device, pool, NULL);
    vkDestroyBuffer(U.device, readback, NULL);
    vkFreeMemory(U.device, readback_memory, NULL);
    vkDestroyBuffer(U.device, vertex_buffer, NULL);
    vkFreeMemory(U.device, vertex_memory, NULL);
    vkDestroyPipeline(U.device, pipeline, NULL);
    vkDestroyPipelineLayout(U.device, layout, NULL);
    for (int i = 0; i < 3; i++) vkDestroyFramebuffer(U.device, framebuffers[i], NULL);
    vkDestroyRenderPass(U.device, pass, NULL);
    destroy_render_buffer(&mono_color);
    destroy_render_buffer(&mono_depth);
    destroy_render_buffer(&xr_color);
    destroy_render_buffer(&xr_depth);
    /* The validation layer reports any object the plugin left on the device here. */
    vkDestroyDevice(U.device, NULL);
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(U.instance, "vkDestroyDebugUtilsMessengerEXT");
    destroy_messenger(U.instance, messenger, NULL);
    vkDestroyInstance(U.instance, NULL);
    /* Unity unloads plugins only at exit: the library stays mapped (and its globals with it). */
    printf("validation messages: %d\n", U.validation_messages);
    return U.validation_messages == 0 ? 0 : 1;
}
