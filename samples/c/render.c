/*
 * Standalone rendering from C: open an asset, render it mono and stereo offscreen, write the
 * images as PPM and print the frame statistics.
 *
 *   render [--reader] ASSET.s4d OUT_DIR [TIME]
 *
 * --reader: the asset's bytes come through the host's own reader (s4d_asset_open_reader), here
 * pread on a descriptor of its own, as an app reading from its package, an archive or a
 * decryption layer would; the mono renderer then streams its pages through it while it renders,
 * after the asset is closed.
 *
 * Set SPLAT4D_VALIDATION=1 to run with the Khronos validation layer; the program then fails
 * if the layer reported anything.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "splat4d.h"

#define W 256
#define H 160

static int check(S4dStatus status, const char *what) {
    if (status == S4D_STATUS_OK) return 1;
    const char *message = "";
    s4d_last_error(&message);
    fprintf(stderr, "%s failed (%d): %s\n", what, (int)status, message);
    return 0;
}

static void on_log(void *user, uint32_t level, const char *message) {
    (void)user;
    if (level <= S4D_LOG_LEVEL_WARN) fprintf(stderr, "splat4d [%u]: %s\n", level, message);
}

static int write_ppm(const char *dir, const char *name, const uint8_t *rgba) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    for (int i = 0; i < W * H; i++) fwrite(rgba + 4 * i, 1, 3, f);
    fclose(f);
    printf("wrote %s\n", path);
    return 1;
}

/* The host's reader: its file, and what splat4d asked of it. `read` may be called from several
 * threads at once (pread is safe so); the counters are for this sample's report. */
struct host_file {
    int fd;
    unsigned long reads, released;
};

static int32_t host_read(void *user, uint64_t offset, void *out, size_t size) {
    struct host_file *file = user;
    __sync_fetch_and_add(&file->reads, 1);
    for (size_t done = 0; done < size;) {
        ssize_t n = pread(file->fd, (char *)out + done, size - done, (off_t)(offset + done));
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static void host_release(void *user) {
    struct host_file *file = user;
    __sync_fetch_and_add(&file->released, 1);
    close(file->fd);
}

static S4dStatus open_through_reader(const char *path, struct host_file *file, S4dAsset **asset) {
    struct stat st;
    file->fd = open(path, O_RDONLY);
    if (file->fd < 0 || fstat(file->fd, &st) != 0) {
        fprintf(stderr, "cannot open %s\n", path);
        return S4D_STATUS_IO;
    }
    S4dReader reader = {sizeof(S4dReader), 0, (uint64_t)st.st_size, host_read, host_release, file, path};
    return s4d_asset_open_reader(&reader, asset);
}

/* An eye `offset` metres right of a viewer 2.5 units in front of the scene's centre, looking
 * at it along -z, with a 90-degree horizontal field of view. */
static S4dView eye(const S4dAssetInfo *info, float offset) {
    S4dView v;
    memset(&v, 0, sizeof v);
    for (int i = 0; i < 3; i++) v.position[i] = 0.5f * (info->bounds_min[i] + info->bounds_max[i]);
    v.position[0] += offset;
    v.position[2] += 2.5f;
    v.orientation[3] = 1.0f; /* identity: looking down -z */
    v.tan_left = -1.0f;
    v.tan_right = 1.0f;
    v.tan_up = (float)H / W;
    v.tan_down = -(float)H / W;
    return v;
}

int main(int argc, char **argv) {
    int through_reader = argc > 1 && strcmp(argv[1], "--reader") == 0;
    if (through_reader) {
        argv++;
        argc--;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: %s [--reader] ASSET.s4d OUT_DIR [TIME]\n", argv[0]);
        return 2;
    }
    uint32_t major = 0, minor = 0, patch = 0;
    if (!check(s4d_get_version(&major, &minor, &patch), "s4d_get_version")) return 1;
    printf("splat4d %u.%u.%u\n", major, minor, patch);
    if (!check(s4d_set_log_callback(on_log, NULL, S4D_LOG_LEVEL_WARN), "s4d_set_log_callback")) return 1;

    const char *validation = getenv("SPLAT4D_VALIDATION");
    S4dRuntimeDesc runtime_desc = {sizeof(S4dRuntimeDesc), validation && validation[0] == '1', NULL};
    S4dRuntime *runtime = NULL;
    S4dAsset *asset = NULL;
    S4dRenderer *mono = NULL, *stereo = NULL;
    uint8_t *pixels = malloc(W * H * 4);
    int ok = pixels != NULL;
    ok = ok && check(s4d_runtime_create(&runtime_desc, &runtime), "s4d_runtime_create");
    struct host_file file = {-1, 0, 0};
    if (through_reader)
        ok = ok && check(open_through_reader(argv[1], &file, &asset), "s4d_asset_open_reader");
    else
        ok = ok && check(s4d_asset_open(argv[1], &asset), "s4d_asset_open");
    S4dAssetInfo info = {.struct_size = sizeof(S4dAssetInfo)};
    ok = ok && check(s4d_asset_get_info(asset, &info), "s4d_asset_get_info");
    if (ok) printf("%u primitives, %.2f..%.2f s\n", info.primitive_count, info.time_start, info.time_end);
    double time = argc > 3 ? atof(argv[3]) : 0.5 * (info.time_start + info.time_end);

    S4dRendererDesc desc = {sizeof(S4dRendererDesc), W, H, 1, S4D_FORMAT_RGBA8_UNORM, S4D_SORT_ORDER_SHARED, {0, 0, 0}, 0, 0, NULL, 0, 0};
    /* Through the reader, the mono renderer streams: it reads pages as it renders. */
    desc.gpu_memory_budget_bytes = through_reader ? 64u << 20 : 0;
    ok = ok && check(s4d_renderer_create(runtime, asset, &desc, &mono), "s4d_renderer_create (mono)");
    desc.gpu_memory_budget_bytes = 0;
    desc.view_count = 2;
    ok = ok && check(s4d_renderer_create(runtime, asset, &desc, &stereo), "s4d_renderer_create (stereo)");
    /* The renderers hold what they need: the asset can go now. */
    s4d_asset_destroy(asset);

    S4dView views[2] = {eye(&info, -0.032f), eye(&info, 0.032f)};
    S4dFrameDesc frame = {sizeof(S4dFrameDesc), 1, &views[0], time};
    S4dView centre = eye(&info, 0.0f);
    frame.views = &centre;
    ok = ok && check(s4d_renderer_render(mono, &frame), "s4d_renderer_render (mono)");
    ok = ok && check(s4d_renderer_read_back(mono, 0, pixels, W * H * 4), "s4d_renderer_read_back");
    ok = ok && write_ppm(argv[2], "mono.ppm", pixels);
    frame.view_count = 2;
    frame.views = views;
    ok = ok && check(s4d_renderer_render(stereo, &frame), "s4d_renderer_render (stereo)");
    for (uint32_t v = 0; ok && v < 2; v++) {
        ok = check(s4d_renderer_read_back(stereo, v, pixels, W * H * 4), "s4d_renderer_read_back");
        ok = ok && write_ppm(argv[2], v == 0 ? "left.ppm" : "right.ppm", pixels);
    }
    S4dFrameStats stats = {.struct_size = sizeof(S4dFrameStats)};
    if (ok && s4d_renderer_get_stats(stereo, &stats) == S4D_STATUS_OK)
        printf("frame %llu: slice %.3f ms, sort %.3f ms, raster %.3f ms, resolve %.3f ms; %u of %u splats drawn\n",
               (unsigned long long)stats.frame_index, stats.gpu_slice_ms, stats.gpu_sort_ms, stats.gpu_raster_ms,
               stats.gpu_resolve_ms, stats.visible, stats.active);

    /* Profile a second of playback: capture its frames and save them as a Chrome trace (open it
       in ui.perfetto.dev) and as CSV. */
    ok = ok && check(s4d_renderer_capture_start(stereo, 64), "s4d_renderer_capture_start");
    for (int i = 0; ok && i < 30; i++) {
        frame.time_seconds = info.time_start + (info.time_end - info.time_start) * i / 30.0;
        ok = check(s4d_renderer_render(stereo, &frame), "s4d_renderer_render (capture)");
    }
    S4dCapture *capture = NULL;
    ok = ok && check(s4d_renderer_capture_stop(stereo, &capture), "s4d_renderer_capture_stop");
    uint32_t captured = 0;
    ok = ok && check(s4d_capture_get_frame_count(capture, &captured, NULL), "s4d_capture_get_frame_count");
    double worst = 0.0;
    for (uint32_t i = 0; ok && i < captured; i++) {
        ok = check(s4d_capture_get_frame(capture, i, &stats), "s4d_capture_get_frame");
        double gpu = stats.gpu_slice_ms + stats.gpu_sort_ms + stats.gpu_raster_ms + stats.gpu_resolve_ms;
        if (gpu > worst) worst = gpu;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/trace.json", argv[2]);
    ok = ok && check(s4d_capture_save(capture, S4D_CAPTURE_FORMAT_CHROME_TRACE, path), "s4d_capture_save (trace)");
    snprintf(path, sizeof path, "%s/frames.csv", argv[2]);
    ok = ok && check(s4d_capture_save(capture, S4D_CAPTURE_FORMAT_CSV, path), "s4d_capture_save (CSV)");
    if (ok) printf("captured %u frames, slowest %.3f GPU ms\n", captured, worst);
    s4d_capture_destroy(capture);

    uint32_t messages = 0;
    ok = ok && check(s4d_runtime_validation_message_count(runtime, &messages), "validation count");
    s4d_renderer_destroy(mono);
    s4d_renderer_destroy(stereo);
    s4d_runtime_destroy(runtime);
    free(pixels);
    if (ok && messages) fprintf(stderr, "%u validation messages\n", messages);
    if (through_reader) {
        /* Every renderer and the asset are gone: splat4d has let go of the reader, once. */
        printf("reader: %lu reads, released %lu time(s)\n", file.reads, file.released);
        ok = ok && file.reads > 0 && file.released == 1;
    }
    return ok && messages == 0 ? 0 : 1;
}
