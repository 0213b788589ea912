/*
 * Headset playback from C with the host owning the OpenXR session (as a game engine or Unity's
 * OpenXR plugin does): the host makes the XR instance, the Vulkan instance and device through
 * XR_KHR_vulkan_enable2, the session and a two-layer array swapchain; it lends the Vulkan device
 * to splat4d (s4d_runtime_create_embedded) and each frame asks splat4d to record both eyes, from
 * the views xrLocateViews gave, into the swapchain image it acquired.
 *
 *   xr_host ASSET.s4d FRAMES     (SPLAT4D_VALIDATION=1: the Vulkan validation layer on)
 *
 * The asset's space is the host's: here the head starts 2.5 units in front of its centre.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vulkan.h>
#define XR_USE_GRAPHICS_API_VULKAN
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include "splat4d.h"

#define XR(call)                                                                  \
    do {                                                                          \
        XrResult r_ = (call);                                                     \
        if (XR_FAILED(r_)) {                                                      \
            fprintf(stderr, "%s:%d: %s = %d\n", __FILE__, __LINE__, #call, r_); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)
#define VK(call)                                                                  \
    do {                                                                          \
        VkResult r_ = (call);                                                     \
        if (r_ != VK_SUCCESS) {                                                   \
            fprintf(stderr, "%s:%d: %s = %d\n", __FILE__, __LINE__, #call, r_); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static void check(S4dStatus status, const char *what) {
    if (status == S4D_STATUS_OK) return;
    const char *message = "";
    s4d_last_error(&message);
    fprintf(stderr, "%s failed (%d): %s\n", what, (int)status, message);
    exit(1);
}

static PFN_xrVoidFunction xr_proc(XrInstance instance, const char *name) {
    PFN_xrVoidFunction f = NULL;
    XR(xrGetInstanceProcAddr(instance, name, &f));
    return f;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ASSET.s4d FRAMES\n", argv[0]);
        return 2;
    }
    const unsigned long frames_wanted = strtoul(argv[2], NULL, 10);
    const char *v = getenv("SPLAT4D_VALIDATION");
    const int validation = v && v[0] == '1';

    /* The XR instance and the headset; depth layers for the compositor where the runtime takes them. */
    XrExtensionProperties offered[64];
    uint32_t offered_count = 0;
    for (int i = 0; i < 64; i++) offered[i] = (XrExtensionProperties){.type = XR_TYPE_EXTENSION_PROPERTIES};
    XR(xrEnumerateInstanceExtensionProperties(NULL, 64, &offered_count, offered));
    int depth_layers = 0;
    for (uint32_t i = 0; i < offered_count; i++)
        depth_layers |= strcmp(offered[i].extensionName, XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME) == 0;
    const char *xr_extensions[] = {XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
    XrInstanceCreateInfo xr_info = {.type = XR_TYPE_INSTANCE_CREATE_INFO};
    strcpy(xr_info.applicationInfo.applicationName, "splat4d xr_host");
    xr_info.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
    xr_info.enabledExtensionCount = depth_layers ? 2 : 1;
    xr_info.enabledExtensionNames = xr_extensions;
    XrInstance xr;
    XR(xrCreateInstance(&xr_info, &xr));
    XrSystemGetInfo system_info = {.type = XR_TYPE_SYSTEM_GET_INFO};
    system_info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    XrSystemId system;
    XR(xrGetSystem(xr, &system_info, &system));
    PFN_xrGetVulkanGraphicsRequirements2KHR requirements_of =
        (PFN_xrGetVulkanGraphicsRequirements2KHR)xr_proc(xr, "xrGetVulkanGraphicsRequirements2KHR");
    PFN_xrCreateVulkanInstanceKHR create_vk_instance =
        (PFN_xrCreateVulkanInstanceKHR)xr_proc(xr, "xrCreateVulkanInstanceKHR");
    PFN_xrGetVulkanGraphicsDevice2KHR device_of = (PFN_xrGetVulkanGraphicsDevice2KHR)xr_proc(xr, "xrGetVulkanGraphicsDevice2KHR");
    PFN_xrCreateVulkanDeviceKHR create_vk_device = (PFN_xrCreateVulkanDeviceKHR)xr_proc(xr, "xrCreateVulkanDeviceKHR");
    XrGraphicsRequirementsVulkan2KHR requirements = {.type = XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN2_KHR};
    XR(requirements_of(xr, system, &requirements));

    /* Vulkan, made by the XR runtime: 1.1 for multiview, the validation layer if asked. */
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "splat4d xr_host";
    app.apiVersion = VK_API_VERSION_1_1;
    const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
    const char *vk_extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkInstanceCreateInfo vk_info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    vk_info.pApplicationInfo = &app;
    vk_info.enabledLayerCount = validation ? 1 : 0;
    vk_info.ppEnabledLayerNames = layers;
    vk_info.enabledExtensionCount = validation ? 1 : 0;
    vk_info.ppEnabledExtensionNames = vk_extensions;
    XrVulkanInstanceCreateInfoKHR xr_vk_info = {.type = XR_TYPE_VULKAN_INSTANCE_CREATE_INFO_KHR};
    xr_vk_info.systemId = system;
    xr_vk_info.pfnGetInstanceProcAddr = vkGetInstanceProcAddr;
    xr_vk_info.vulkanCreateInfo = &vk_info;
    VkInstance instance;
    VkResult vk_result;
    XR(create_vk_instance(xr, &xr_vk_info, &instance, &vk_result));
    VK(vk_result);
    XrVulkanGraphicsDeviceGetInfoKHR device_info = {.type = XR_TYPE_VULKAN_GRAPHICS_DEVICE_GET_INFO_KHR};
    device_info.systemId = system;
    device_info.vulkanInstance = instance;
    VkPhysicalDevice physical_device;
    XR(device_of(xr, &device_info, &physical_device));
    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device, &family_count, NULL);
    VkQueueFamilyProperties families[16];
    if (family_count > 16) family_count = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device, &family_count, families);
    uint32_t family = UINT32_MAX;
    for (uint32_t i = 0; i < family_count && family == UINT32_MAX; i++)
        if ((families[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
            (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))
            family = i;
    if (family == UINT32_MAX) return 1;
    VkPhysicalDeviceMultiviewFeatures has_multiview = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &has_multiview};
    vkGetPhysicalDeviceFeatures2(physical_device, &features);
    VkPhysicalDeviceMultiviewFeatures multiview = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES};
    multiview.multiview = has_multiview.multiview;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = family;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo dev_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dev_info.pNext = &multiview;
    dev_info.queueCreateInfoCount = 1;
    dev_info.pQueueCreateInfos = &queue_info;
    XrVulkanDeviceCreateInfoKHR xr_dev_info = {.type = XR_TYPE_VULKAN_DEVICE_CREATE_INFO_KHR};
    xr_dev_info.systemId = system;
    xr_dev_info.pfnGetInstanceProcAddr = vkGetInstanceProcAddr;
    xr_dev_info.vulkanPhysicalDevice = physical_device;
    xr_dev_info.vulkanCreateInfo = &dev_info;
    VkDevice device;
    XR(create_vk_device(xr, &xr_dev_info, &device, &vk_result));
    VK(vk_result);
    VkQueue queue;
    vkGetDeviceQueue(device, family, 0, &queue);

    /* The session, a LOCAL space and one two-layer swapchain. */
    XrGraphicsBindingVulkan2KHR binding = {.type = XR_TYPE_GRAPHICS_BINDING_VULKAN2_KHR};
    binding.instance = instance;
    binding.physicalDevice = physical_device;
    binding.device = device;
    binding.queueFamilyIndex = family;
    XrSessionCreateInfo session_info = {.type = XR_TYPE_SESSION_CREATE_INFO};
    session_info.next = &binding;
    session_info.systemId = system;
    XrSession session;
    XR(xrCreateSession(xr, &session_info, &session));
    XrReferenceSpaceCreateInfo space_info = {.type = XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
    space_info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
    space_info.poseInReferenceSpace.orientation.w = 1.0f;
    XrSpace space;
    XR(xrCreateReferenceSpace(session, &space_info, &space));
    XrViewConfigurationView config_views[2] = {{.type = XR_TYPE_VIEW_CONFIGURATION_VIEW}, {.type = XR_TYPE_VIEW_CONFIGURATION_VIEW}};
    uint32_t view_count = 0;
    XR(xrEnumerateViewConfigurationViews(xr, system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 2, &view_count, config_views));
    const uint32_t w = config_views[0].recommendedImageRectWidth, h = config_views[0].recommendedImageRectHeight;
    XrSwapchainCreateInfo swapchain_info = {.type = XR_TYPE_SWAPCHAIN_CREATE_INFO};
    swapchain_info.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT;
    swapchain_info.format = VK_FORMAT_R8G8B8A8_SRGB; /* splat4d renders RGBA8, UNORM or SRGB */
    swapchain_info.sampleCount = 1;
    swapchain_info.width = w;
    swapchain_info.height = h;
    swapchain_info.faceCount = 1;
    swapchain_info.arraySize = 2;
    swapchain_info.mipCount = 1;
    XrSwapchain swapchain;
    XR(xrCreateSwapchain(session, &swapchain_info, &swapchain));
    XrSwapchainImageVulkan2KHR images[8];
    for (int i = 0; i < 8; i++) images[i] = (XrSwapchainImageVulkan2KHR){.type = XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR};
    uint32_t image_count = 0;
    XR(xrEnumerateSwapchainImages(swapchain, 8, &image_count, (XrSwapchainImageBaseHeader *)images));
    /* A two-layer depth swapchain beside it, which splat4d fills with the splats' depth. */
    XrSwapchain depth_swapchain = XR_NULL_HANDLE;
    XrSwapchainImageVulkan2KHR depth_images[8];
    if (depth_layers) {
        swapchain_info.usageFlags = XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
        swapchain_info.format = VK_FORMAT_D32_SFLOAT;
        XR(xrCreateSwapchain(session, &swapchain_info, &depth_swapchain));
        for (int i = 0; i < 8; i++)
            depth_images[i] = (XrSwapchainImageVulkan2KHR){.type = XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR};
        XR(xrEnumerateSwapchainImages(depth_swapchain, 8, &image_count, (XrSwapchainImageBaseHeader *)depth_images));
    }

    /* splat4d on the host's device, and a renderer into the swapchain's format. */
    S4dVulkanHostDesc host = {sizeof host, family, (S4dGetInstanceProcAddr)vkGetInstanceProcAddr,
                              instance, physical_device, device, queue, VK_API_VERSION_1_1,
                              multiview.multiview, (uint32_t)validation, (uint32_t)validation};
    S4dRuntime *runtime;
    check(s4d_runtime_create_embedded(&host, &runtime), "s4d_runtime_create_embedded");
    S4dAsset *asset;
    check(s4d_asset_open(argv[1], &asset), "s4d_asset_open");
    S4dAssetInfo info = {.struct_size = sizeof info};
    check(s4d_asset_get_info(asset, &info), "s4d_asset_get_info");
    S4dRendererDesc desc = {sizeof desc, w, h, 2, S4D_FORMAT_RGBA8_SRGB, S4D_SORT_ORDER_SHARED, {0, 0, 0}, 0, 0, NULL, 0, 0};
    S4dRenderer *renderer;
    check(s4d_renderer_create(runtime, asset, &desc, &renderer), "s4d_renderer_create");
    float origin[3];
    for (int i = 0; i < 3; i++) origin[i] = 0.5f * (info.bounds_min[i] + info.bounds_max[i]);
    origin[2] += 2.5f;

    /* Two frames in flight: splat4d reuses a frame's resources two frames later. */
    VkCommandPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = family;
    VkCommandPool pool;
    VK(vkCreateCommandPool(device, &pool_info, NULL, &pool));
    VkCommandBufferAllocateInfo cmd_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cmd_info.commandPool = pool;
    cmd_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmd_info.commandBufferCount = 2;
    VkCommandBuffer cmds[2];
    VK(vkAllocateCommandBuffers(device, &cmd_info, cmds));
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
    VkFence fences[2];
    VK(vkCreateFence(device, &fence_info, NULL, &fences[0]));
    VK(vkCreateFence(device, &fence_info, NULL, &fences[1]));

    /* The frame loop. */
    int running = 0, done = 0, exit_requested = 0, focused = 0;
    unsigned long frames = 0;
    XrSessionState last_state = XR_SESSION_STATE_UNKNOWN;
    while (!done) {
        XrEventDataBuffer event = {.type = XR_TYPE_EVENT_DATA_BUFFER};
        while (xrPollEvent(xr, &event) == XR_SUCCESS) {
            if (event.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
                last_state = ((XrEventDataSessionStateChanged *)&event)->state;
                if (last_state == XR_SESSION_STATE_READY) {
                    XrSessionBeginInfo begin = {.type = XR_TYPE_SESSION_BEGIN_INFO};
                    begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
                    XR(xrBeginSession(session, &begin));
                    running = 1;
                } else if (last_state == XR_SESSION_STATE_FOCUSED) {
                    focused = 1;
                } else if (last_state == XR_SESSION_STATE_STOPPING) {
                    XR(xrEndSession(session));
                    running = 0;
                } else if (last_state == XR_SESSION_STATE_EXITING || last_state == XR_SESSION_STATE_LOSS_PENDING) {
                    done = 1;
                }
            } else if (event.type == XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING) {
                done = 1;
            }
            event = (XrEventDataBuffer){.type = XR_TYPE_EVENT_DATA_BUFFER};
        }
        if (done || !running) continue;
        if (frames >= frames_wanted && !exit_requested) {
            XR(xrRequestExitSession(session));
            exit_requested = 1;
        }
        XrFrameState frame_state = {.type = XR_TYPE_FRAME_STATE};
        XR(xrWaitFrame(session, NULL, &frame_state));
        XR(xrBeginFrame(session, NULL));
        if (!frame_state.shouldRender) {
            XrFrameEndInfo end = {.type = XR_TYPE_FRAME_END_INFO};
            end.displayTime = frame_state.predictedDisplayTime;
            end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
            XR(xrEndFrame(session, &end));
            continue;
        }
        XrViewLocateInfo locate = {.type = XR_TYPE_VIEW_LOCATE_INFO};
        locate.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        locate.displayTime = frame_state.predictedDisplayTime;
        locate.space = space;
        XrViewState view_state = {.type = XR_TYPE_VIEW_STATE};
        XrView xr_views[2] = {{.type = XR_TYPE_VIEW}, {.type = XR_TYPE_VIEW}};
        XR(xrLocateViews(session, &locate, &view_state, 2, &view_count, xr_views));

        /* An S4dView is an XrPosef and the tangents of an XrFovf, in the asset's space. */
        S4dView views[2];
        for (int e = 0; e < 2; e++) {
            const XrPosef *p = &xr_views[e].pose;
            const XrFovf *f = &xr_views[e].fov;
            views[e] = (S4dView){{p->position.x + origin[0], p->position.y + origin[1], p->position.z + origin[2]},
                                 {p->orientation.x, p->orientation.y, p->orientation.z, p->orientation.w},
                                 tanf(f->angleLeft), tanf(f->angleRight), tanf(f->angleUp), tanf(f->angleDown)};
        }
        double seconds = (double)frame_state.predictedDisplayTime * 1e-9;
        double span = info.time_end - info.time_start;
        S4dFrameDesc frame = {sizeof frame, 2, views, info.time_start + (span > 0 ? fmod(seconds, span) : 0)};

        uint32_t index;
        XR(xrAcquireSwapchainImage(swapchain, NULL, &index));
        XrSwapchainImageWaitInfo wait = {.type = XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
        wait.timeout = XR_INFINITE_DURATION;
        XR(xrWaitSwapchainImage(swapchain, &wait));
        uint32_t depth_index = 0;
        if (depth_layers) {
            XR(xrAcquireSwapchainImage(depth_swapchain, NULL, &depth_index));
            XR(xrWaitSwapchainImage(depth_swapchain, &wait));
        }
        const uint32_t slot = frames % 2;
        VK(vkWaitForFences(device, 1, &fences[slot], VK_TRUE, UINT64_MAX));
        VK(vkResetFences(device, 1, &fences[slot]));
        VK(vkResetCommandBuffer(cmds[slot], 0));
        VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VK(vkBeginCommandBuffer(cmds[slot], &begin));
        /* OpenXR takes colour swapchain images back in COLOR_ATTACHMENT_OPTIMAL. */
        /* Depth: reverse Z from 5 cm to infinity, cleared and given the splats' depth; OpenXR
           takes depth swapchain images back in DEPTH_STENCIL_ATTACHMENT_OPTIMAL. */
        S4dHostDepth depth = {.struct_size = sizeof depth,
                              .format = VK_FORMAT_D32_SFLOAT,
                              .image = depth_layers ? (uint64_t)(uintptr_t)depth_images[depth_index].image : 0,
                              .width = w,
                              .height = h,
                              .layer_count = 2,
                              .initial_layout = VK_IMAGE_LAYOUT_UNDEFINED,
                              .final_layout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                              .flags = S4D_DEPTH_WRITE | S4D_DEPTH_REVERSED,
                              .near_plane = 0.05f,
                              .far_plane = INFINITY};
        S4dHostImage target = {.struct_size = sizeof target,
                               .final_layout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                               .image = (uint64_t)(uintptr_t)images[index].image,
                               .depth = depth_layers ? &depth : NULL};
        check(s4d_renderer_record(renderer, cmds[slot], &frame, &target), "s4d_renderer_record");
        VK(vkEndCommandBuffer(cmds[slot]));
        VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmds[slot];
        VK(vkQueueSubmit(queue, 1, &submit, fences[slot]));
        XR(xrReleaseSwapchainImage(swapchain, NULL));
        if (depth_layers) XR(xrReleaseSwapchainImage(depth_swapchain, NULL));

        XrCompositionLayerProjectionView projection_views[2];
        XrCompositionLayerDepthInfoKHR depth_infos[2];
        for (int e = 0; e < 2; e++) {
            /* Reverse Z: depth 0 is infinitely far (nearZ), 1 is 5 cm away (farZ). */
            depth_infos[e] = (XrCompositionLayerDepthInfoKHR){.type = XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR};
            depth_infos[e].subImage.swapchain = depth_swapchain;
            depth_infos[e].subImage.imageRect.extent.width = (int32_t)w;
            depth_infos[e].subImage.imageRect.extent.height = (int32_t)h;
            depth_infos[e].subImage.imageArrayIndex = (uint32_t)e;
            depth_infos[e].minDepth = 0.0f;
            depth_infos[e].maxDepth = 1.0f;
            depth_infos[e].nearZ = INFINITY;
            depth_infos[e].farZ = 0.05f;
            projection_views[e] = (XrCompositionLayerProjectionView){.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW};
            projection_views[e].pose = xr_views[e].pose;
            projection_views[e].fov = xr_views[e].fov;
            projection_views[e].subImage.swapchain = swapchain;
            projection_views[e].subImage.imageRect.extent.width = (int32_t)w;
            projection_views[e].subImage.imageRect.extent.height = (int32_t)h;
            projection_views[e].subImage.imageArrayIndex = (uint32_t)e;
            projection_views[e].next = depth_layers ? &depth_infos[e] : NULL;
        }
        XrCompositionLayerProjection layer = {.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION};
        layer.space = space;
        layer.viewCount = 2;
        layer.views = projection_views;
        const XrCompositionLayerBaseHeader *layers_out[] = {(const XrCompositionLayerBaseHeader *)&layer};
        XrFrameEndInfo end = {.type = XR_TYPE_FRAME_END_INFO};
        end.displayTime = frame_state.predictedDisplayTime;
        end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
        end.layerCount = 1;
        end.layers = layers_out;
        XR(xrEndFrame(session, &end));
        frames++;
    }

    /* Tear down: the GPU first, then splat4d, then what the host made, in reverse. */
    VK(vkDeviceWaitIdle(device));
    uint32_t messages = 0;
    check(s4d_runtime_validation_message_count(runtime, &messages), "s4d_runtime_validation_message_count");
    s4d_renderer_destroy(renderer);
    s4d_asset_destroy(asset);
    s4d_runtime_destroy(runtime);
    vkDestroyFence(device, fences[0], NULL);
    vkDestroyFence(device, fences[1], NULL);
    vkDestroyCommandPool(device, pool, NULL);
    xrDestroySwapchain(swapchain);
    if (depth_layers) xrDestroySwapchain(depth_swapchain);
    xrDestroySpace(space);
    xrDestroySession(session);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    xrDestroyInstance(xr);
    printf("%lu frames at %ux%u per eye, focused %d, last session state %d, %u validation messages, depth layers %d\n",
           frames, w, h, focused, (int)last_state, messages, depth_layers);
    return focused && last_state == XR_SESSION_STATE_EXITING && messages == 0 ? 0 : 1;
}
