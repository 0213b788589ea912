// Standalone rendering from C++ with the RAII wrapper (include/splat4d.hpp): renders an asset
// in stereo, writes left.ppm and right.ppm, and shows the error path.
//
//   render_cpp ASSET.s4d OUT_DIR
#include <cstdio>
#include <fstream>
#include <iostream>

#include "splat4d.hpp"

namespace {

S4dView eye(const S4dAssetInfo &info, float offset, float aspect) {
    S4dView v{};
    for (int i = 0; i < 3; i++) v.position[i] = 0.5f * (info.bounds_min[i] + info.bounds_max[i]);
    v.position[0] += offset;
    v.position[2] += 2.5f;
    v.orientation[3] = 1.0f;  // identity: looking down -z
    v.tan_left = -1.0f;
    v.tan_right = 1.0f;
    v.tan_up = aspect;
    v.tan_down = -aspect;
    return v;
}

void write_ppm(const std::string &path, const std::vector<uint8_t> &rgba, uint32_t w, uint32_t h) {
    std::ofstream out(path, std::ios::binary);
    out << "P6\n" << w << " " << h << "\n255\n";
    for (std::size_t i = 0; i < rgba.size(); i += 4) out.write(reinterpret_cast<const char *>(&rgba[i]), 3);
    std::cout << "wrote " << path << "\n";
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " ASSET.s4d OUT_DIR\n";
        return 2;
    }
    try {
        // The error path: a missing file throws with the library's message.
        try {
            splat4d::Asset missing("/no/such/asset.s4d");
            return 1;
        } catch (const splat4d::Error &e) {
            std::cout << "expected failure (" << e.status() << "): " << e.what() << "\n";
            if (e.status() != S4D_STATUS_IO) return 1;
        }
        splat4d::Runtime runtime(/*validation=*/true);
        splat4d::Asset asset(argv[1]);
        S4dAssetInfo info = asset.info();
        const uint32_t w = 200, h = 120;
        splat4d::Renderer renderer(runtime, asset, w, h, 2, S4D_FORMAT_RGBA8_SRGB, S4D_SORT_ORDER_PER_EYE);
        float aspect = static_cast<float>(h) / w;
        renderer.render(0.5 * (info.time_start + info.time_end), {eye(info, -0.032f, aspect), eye(info, 0.032f, aspect)});
        write_ppm(std::string(argv[2]) + "/left.ppm", renderer.read_back(0), w, h);
        write_ppm(std::string(argv[2]) + "/right.ppm", renderer.read_back(1), w, h);
        S4dFrameStats stats = renderer.stats();
        std::cout << "frame " << stats.frame_index << ": raster " << stats.gpu_raster_ms << " ms\n";
        // Ten frames captured and exported as a Chrome trace.
        renderer.start_capture(10);
        for (int i = 0; i < 10; i++)
            renderer.render(info.time_start + 0.1 * i, {eye(info, -0.032f, aspect), eye(info, 0.032f, aspect)});
        splat4d::Capture capture = renderer.stop_capture();
        std::string trace = capture.export_as(S4D_CAPTURE_FORMAT_CHROME_TRACE);
        if (capture.frame_count() != 10 || capture.frame(9).frame_index != 11 || trace.front() != '{') {
            std::cerr << "unexpected capture of " << capture.frame_count() << " frames\n";
            return 1;
        }
        // A host's depth image described from its projection (OpenGL, near 0.1, far 5); recording
        // with one of the wrong size is refused before the command buffer (not a real one here) is
        // touched. samples/c/composite.c records into real images.
        const float proj[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -5.1f / 4.9f, -1, 0, 0, -1.0f / 4.9f, 0};
        S4dHostDepth depth = splat4d::host_depth(proj, S4D_CLIP_DEPTH_MINUS_ONE_TO_ONE);
        if (depth.near_plane < 0.0999f || depth.near_plane > 0.1001f || depth.far_plane < 4.99f || depth.far_plane > 5.01f) {
            std::cerr << "depth planes " << depth.near_plane << ".." << depth.far_plane << "\n";
            return 1;
        }
        depth.format = 126;  // VK_FORMAT_D32_SFLOAT
        depth.image = 0x2000;
        depth.width = w + 1;
        depth.height = h;
        depth.layer_count = 2;
        depth.initial_layout = 3;  // DEPTH_STENCIL_ATTACHMENT_OPTIMAL
        depth.final_layout = 3;
        depth.flags = S4D_DEPTH_TEST;
        splat4d::HostImage target;
        target.image = 0x3000;
        target.final_layout = 6;  // TRANSFER_SRC_OPTIMAL
        target.depth = &depth;
        try {
            renderer.record(reinterpret_cast<void *>(0x1000), 0.0, {eye(info, -0.032f, aspect), eye(info, 0.032f, aspect)},
                            target);
            std::cerr << "a depth image of the wrong size was accepted\n";
            return 1;
        } catch (const splat4d::Error &e) {
            if (e.status() != S4D_STATUS_INVALID_ARGUMENT) return 1;
        }
        if (runtime.validation_message_count() != 0) {
            std::cerr << runtime.validation_message_count() << " validation messages\n";
            return 1;
        }
    } catch (const splat4d::Error &e) {
        std::cerr << "splat4d error " << e.status() << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
