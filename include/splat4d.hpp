// splat4d.hpp: a header-only C++17 RAII wrapper over splat4d.h. Handles are move-only and
// destroyed by their destructors; a failing call throws splat4d::Error with the status and
// the library's message.
#ifndef SPLAT4D_HPP
#define SPLAT4D_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "splat4d.h"

namespace splat4d {

class Error : public std::runtime_error {
public:
    Error(S4dStatus status, const std::string &message) : std::runtime_error(message), status_(status) {}
    S4dStatus status() const noexcept { return status_; }

private:
    S4dStatus status_;
};

inline void check(S4dStatus status) {
    if (status == S4D_STATUS_OK) return;
    const char *message = "";
    s4d_last_error(&message);
    throw Error(status, message ? message : "");
}

namespace detail {
// One owned handle of type T, released with Destroy.
template <typename T, S4dStatus (*Destroy)(T *)>
class Handle {
public:
    Handle() = default;
    explicit Handle(T *raw) : raw_(raw) {}
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            reset();
            raw_ = std::exchange(other.raw_, nullptr);
        }
        return *this;
    }
    ~Handle() { reset(); }
    T *get() const noexcept { return raw_; }
    void reset() noexcept {
        if (raw_) Destroy(raw_);  // destroy never fails for a live handle
        raw_ = nullptr;
    }

private:
    T *raw_ = nullptr;
};
}  // namespace detail

class Runtime {
public:
    // Standalone: splat4d creates its own Vulkan instance and device.
    explicit Runtime(bool validation = false, const char *device_name = nullptr) {
        S4dRuntimeDesc desc{};
        desc.struct_size = sizeof desc;
        desc.validation = validation ? 1u : 0u;
        desc.device_name = device_name;
        S4dRuntime *raw = nullptr;
        check(s4d_runtime_create(&desc, &raw));
        handle_ = Handle(raw);
    }
    // Embedded: on the host's Vulkan instance, device and queue (the host keeps them).
    explicit Runtime(S4dVulkanHostDesc host) {
        host.struct_size = sizeof host;
        S4dRuntime *raw = nullptr;
        check(s4d_runtime_create_embedded(&host, &raw));
        handle_ = Handle(raw);
    }
    S4dRuntime *get() const noexcept { return handle_.get(); }
    uint32_t validation_message_count() const {
        uint32_t n = 0;
        check(s4d_runtime_validation_message_count(get(), &n));
        return n;
    }

private:
    using Handle = detail::Handle<S4dRuntime, s4d_runtime_destroy>;
    Handle handle_;
};

class Asset {
public:
    explicit Asset(const std::string &path) {
        S4dAsset *raw = nullptr;
        check(s4d_asset_open(path.c_str(), &raw));
        handle_ = Handle(raw);
    }
    Asset(const void *data, std::size_t size) {
        S4dAsset *raw = nullptr;
        check(s4d_asset_open_memory(static_cast<const uint8_t *>(data), size, &raw));
        handle_ = Handle(raw);
    }
    S4dAsset *get() const noexcept { return handle_.get(); }
    S4dAssetInfo info() const {
        S4dAssetInfo info{};
        info.struct_size = sizeof info;
        check(s4d_asset_get_info(get(), &info));
        return info;
    }

private:
    using Handle = detail::Handle<S4dAsset, s4d_asset_destroy>;
    Handle handle_;
};

// The frames of a capture, oldest first, and their exports.
class Capture {
public:
    explicit Capture(S4dCapture *raw) : handle_(raw) {}
    S4dCapture *get() const noexcept { return handle_.get(); }

    uint32_t frame_count() const {
        uint32_t n = 0;
        check(s4d_capture_get_frame_count(get(), &n, nullptr));
        return n;
    }

    S4dFrameStats frame(uint32_t index) const {
        S4dFrameStats stats{};
        stats.struct_size = sizeof stats;
        check(s4d_capture_get_frame(get(), index, &stats));
        return stats;
    }

    // The capture as a Chrome trace (JSON) or CSV.
    std::string export_as(S4dCaptureFormat format) const {
        std::size_t length = 0;
        check(s4d_capture_export(get(), format, nullptr, 0, &length));
        std::string text(length + 1, '\0');
        check(s4d_capture_export(get(), format, &text[0], text.size(), &length));
        text.resize(length);
        return text;
    }

    void save(S4dCaptureFormat format, const std::string &path) const {
        check(s4d_capture_save(get(), format, path.c_str()));
    }

private:
    using Handle = detail::Handle<S4dCapture, s4d_capture_destroy>;
    Handle handle_;
};

// A host's image for Renderer::record: a VkImage left in `final_layout` (a VkImageLayout),
// cleared or kept under the splats, with an optional depth image.
struct HostImage {
    uint64_t image = 0;
    uint32_t final_layout = 0;
    S4dColorLoad color_load = S4D_COLOR_LOAD_CLEAR;
    // With S4D_COLOR_LOAD_KEEP: the VkImageLayout the image is in before.
    uint32_t initial_layout = 0;
    const S4dHostDepth *depth = nullptr;
};

// A host depth image's description (struct_size set); its planes and direction from
// `projection` (16 floats, column-major, looking down -z) made for `clip`.
inline S4dHostDepth host_depth(const float *projection, S4dClipDepth clip) {
    S4dHostDepth depth{};
    depth.struct_size = sizeof depth;
    check(s4d_depth_from_projection(projection, clip, &depth));
    return depth;
}

class Renderer {
public:
    Renderer(const Runtime &runtime, const Asset &asset, uint32_t width, uint32_t height, uint32_t views,
             S4dFormat format = S4D_FORMAT_RGBA8_UNORM, S4dSortOrder sort = S4D_SORT_ORDER_SHARED)
        : width_(width), height_(height), views_(views) {
        S4dRendererDesc desc{};
        desc.struct_size = sizeof desc;
        desc.width = width;
        desc.height = height;
        desc.view_count = views;
        desc.format = format;
        desc.sort_order = sort;
        S4dRenderer *raw = nullptr;
        check(s4d_renderer_create(runtime.get(), asset.get(), &desc, &raw));
        handle_ = Handle(raw);
    }
    S4dRenderer *get() const noexcept { return handle_.get(); }

    // Renders one frame at `seconds` for `views` (as many as the renderer has).
    void render(double seconds, const std::vector<S4dView> &views) {
        S4dFrameDesc frame{};
        frame.struct_size = sizeof frame;
        frame.view_count = static_cast<uint32_t>(views.size());
        frame.views = views.data();
        frame.time_seconds = seconds;
        check(s4d_renderer_render(get(), &frame));
    }

    // Embedded: records the frame at `seconds` into the host's `command_buffer` (a
    // VkCommandBuffer), drawing into `target`; nothing is submitted (see s4d_renderer_record).
    void record(void *command_buffer, double seconds, const std::vector<S4dView> &views, const HostImage &target) {
        S4dFrameDesc frame{};
        frame.struct_size = sizeof frame;
        frame.view_count = static_cast<uint32_t>(views.size());
        frame.views = views.data();
        frame.time_seconds = seconds;
        S4dHostImage image{};
        image.struct_size = sizeof image;
        image.final_layout = target.final_layout;
        image.image = target.image;
        image.color_load = target.color_load;
        image.initial_layout = target.initial_layout;
        image.depth = target.depth;
        check(s4d_renderer_record(get(), command_buffer, &frame, &image));
    }

    // The last frame's view `view` as RGBA8, rows from the top (waits for the frame).
    std::vector<uint8_t> read_back(uint32_t view) const {
        std::vector<uint8_t> pixels(static_cast<std::size_t>(width_) * height_ * 4);
        check(s4d_renderer_read_back(get(), view, pixels.data(), pixels.size()));
        return pixels;
    }

    // Statistics of the newest finished frame; throws NOT_READY before one has finished.
    S4dFrameStats stats() const {
        S4dFrameStats stats{};
        stats.struct_size = sizeof stats;
        check(s4d_renderer_get_stats(get(), &stats));
        return stats;
    }

    // Levels of detail, frame budget and active sets from the next frame on.
    void set_policy(S4dFramePolicy policy) const {
        policy.struct_size = sizeof policy;
        check(s4d_renderer_set_policy(get(), &policy));
    }

    // Records the stats of every frame from now on into a ring of `capacity` frames.
    void start_capture(uint32_t capacity) { check(s4d_renderer_capture_start(get(), capacity)); }

    // Ends the capture (waiting for the frames in flight) and returns it.
    Capture stop_capture() {
        S4dCapture *raw = nullptr;
        check(s4d_renderer_capture_stop(get(), &raw));
        return Capture(raw);
    }

    uint32_t width() const noexcept { return width_; }
    uint32_t height() const noexcept { return height_; }
    uint32_t views() const noexcept { return views_; }

private:
    using Handle = detail::Handle<S4dRenderer, s4d_renderer_destroy>;
    Handle handle_;
    uint32_t width_, height_, views_;
};

}  // namespace splat4d

#endif  // SPLAT4D_HPP
