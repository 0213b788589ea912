/*
 * Misuse of the C ABI: every call below is wrong in one way, and each must return its
 * documented status with a message, never crash. Run by runtime/tests/hosts.rs.
 *
 *   misuse GOOD.s4d CORRUPT.s4d SCRATCH_DIR
 *
 * SCRATCH_DIR receives the special files and the assets changed under an open handle.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "splat4d.h"

static int failures = 0;
static int log_records = 0;
static int log_above_level = 0;

static void on_log(void *user, uint32_t level, const char *message) {
    (void)user;
    (void)message;
    log_records++;
    if (level > S4D_LOG_LEVEL_INFO) log_above_level++;
}

static void expect(S4dStatus got, S4dStatus want, const char *what) {
    const char *message = "";
    s4d_last_error(&message);
    if (got != want) {
        fprintf(stderr, "FAIL %s: status %d, expected %d (%s)\n", what, (int)got, (int)want, message);
        failures++;
    } else if (want != S4D_STATUS_OK && (message == NULL || message[0] == '\0')) {
        fprintf(stderr, "FAIL %s: no message\n", what);
        failures++;
    } else {
        printf("ok   %-58s %s\n", what, want == S4D_STATUS_OK ? "" : message);
    }
}

static S4dView view(void) {
    S4dView v;
    memset(&v, 0, sizeof v);
    v.position[2] = 3.0f;
    v.orientation[3] = 1.0f;
    v.tan_left = -1.0f;
    v.tan_right = 1.0f;
    v.tan_up = 1.0f;
    v.tan_down = -1.0f;
    return v;
}

struct job {
    S4dRenderer *renderer;
    S4dStatus status;
};

static void *render_elsewhere(void *arg) {
    struct job *job = arg;
    S4dView v = view();
    S4dFrameDesc frame = {sizeof(S4dFrameDesc), 1, &v, 0.5};
    job->status = s4d_renderer_render(job->renderer, &frame);
    return NULL;
}

/* Copies the file at `from` to `to`; 0 on success. */
static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int ok = in != NULL && out != NULL;
    char buffer[1 << 16];
    size_t n;
    while (ok && (n = fread(buffer, 1, sizeof buffer, in)) > 0) ok = fwrite(buffer, 1, n, out) == n;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* An asset whose file changes after it was opened: `change` cuts it or rewrites its middle. The
   renderer made from it must fail with INVALID_ASSET (never SIGBUS, never draw other bytes). */
static void changed_under_an_open_asset(S4dRuntime *runtime, const char *good, const char *dir, int cut) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.s4d", dir, cut ? "cut" : "rewritten");
    if (copy_file(good, path) != 0) {
        fprintf(stderr, "FAIL copying %s to %s\n", good, path);
        failures++;
        return;
    }
    S4dAsset *asset = NULL;
    expect(s4d_asset_open(path, &asset), S4D_STATUS_OK, cut ? "open an asset, then cut its file" : "open an asset, then rewrite it");
    struct stat st;
    stat(path, &st);
    if (cut) {
        if (truncate(path, st.st_size / 3) != 0) failures++;
    } else {
        /* Same size, other bytes in the middle (the primitives), as a download in place would. */
        int fd = open(path, O_WRONLY);
        char junk[4096];
        memset(junk, 0x5a, sizeof junk);
        if (fd < 0 || pwrite(fd, junk, sizeof junk, st.st_size / 2) != (ssize_t)sizeof junk) failures++;
        if (fd >= 0) close(fd);
    }
    S4dRendererDesc desc = {sizeof(S4dRendererDesc), 16, 16, 1, S4D_FORMAT_RGBA8_UNORM, S4D_SORT_ORDER_SHARED, {0, 0, 0}, 0, 0, NULL, 0, 0};
    S4dRenderer *renderer = NULL;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ASSET,
           cut ? "a renderer of a file cut after it was opened" : "a renderer of a file rewritten after it was opened");
    if (renderer != NULL) {
        fprintf(stderr, "FAIL a renderer came back from a failed create\n");
        failures++;
    }
    expect(s4d_asset_destroy(asset), S4D_STATUS_OK, "close the changed asset");
}

/* Compositing fields of s4d_renderer_record, each wrong in turn on a 16x16 mono renderer. Every
   case is refused before the command buffer is touched (it is not a real one): one that got
   through would crash the suite. VkImageLayout and VkFormat values are Vulkan's. */
enum { UNDEFINED = 0, COLOR_ATTACHMENT = 2, DEPTH_ATTACHMENT = 3, TRANSFER_SRC = 6, TRANSFER_DST = 7 };
enum { R8G8B8A8_UNORM = 37, D16_UNORM = 124, D32_SFLOAT = 126 };

static void host_image_misuse(S4dRenderer *renderer) {
    void *cmd = (void *)(uintptr_t)0x1000;
    S4dView v = view();
    S4dFrameDesc frame = {sizeof(S4dFrameDesc), 1, &v, 0.5};
    S4dHostDepth depth = {sizeof(S4dHostDepth), D32_SFLOAT, 0x2000, 16, 16, 1, DEPTH_ATTACHMENT, TRANSFER_SRC,
                          S4D_DEPTH_TEST | S4D_DEPTH_WRITE, 0.1f, 100.0f};
    S4dHostImage image = {sizeof(S4dHostImage), TRANSFER_SRC, 0x3000, S4D_COLOR_LOAD_KEEP, TRANSFER_DST, &depth};
    const S4dStatus bad = S4D_STATUS_INVALID_ARGUMENT;
#define REFUSED(what, change, undo)                                                   \
    do {                                                                              \
        change;                                                                       \
        expect(s4d_renderer_record(renderer, cmd, &frame, &image), bad, what);       \
        undo;                                                                         \
    } while (0)
    expect(s4d_renderer_record(renderer, cmd, &frame, NULL), S4D_STATUS_NULL_POINTER, "record into a NULL image");
    REFUSED("image struct_size 8", image.struct_size = 8, image.struct_size = sizeof image);
    REFUSED("color_load 5", image.color_load = 5, image.color_load = S4D_COLOR_LOAD_KEEP);
    REFUSED("kept colour from UNDEFINED", image.initial_layout = UNDEFINED, image.initial_layout = TRANSFER_DST);
    REFUSED("depth struct_size 4", depth.struct_size = 4, depth.struct_size = sizeof depth);
    REFUSED("a null depth image", depth.image = 0, depth.image = 0x2000);
    REFUSED("a colour format as depth", depth.format = R8G8B8A8_UNORM, depth.format = D32_SFLOAT);
    REFUSED("depth 17 wide", depth.width = 17, depth.width = 16);
    REFUSED("depth 15 high", depth.height = 15, depth.height = 16);
    REFUSED("depth with no layers", depth.layer_count = 0, depth.layer_count = 1);
    REFUSED("depth neither tested nor written", depth.flags = 0, depth.flags = S4D_DEPTH_TEST | S4D_DEPTH_WRITE);
    REFUSED("unknown depth flags", depth.flags |= 8, depth.flags &= 7);
    REFUSED("near plane 0", depth.near_plane = 0.0f, depth.near_plane = 0.1f);
    REFUSED("near plane NaN", depth.near_plane = NAN, depth.near_plane = 0.1f);
    REFUSED("far before near", depth.far_plane = 0.05f, depth.far_plane = 100.0f);
    REFUSED("depth from a colour layout", depth.initial_layout = COLOR_ATTACHMENT, depth.initial_layout = DEPTH_ATTACHMENT);
    REFUSED("tested depth from UNDEFINED", depth.initial_layout = UNDEFINED, depth.initial_layout = DEPTH_ATTACHMENT);
    REFUSED("depth left in a colour layout", depth.final_layout = COLOR_ATTACHMENT, depth.final_layout = TRANSFER_SRC);
#undef REFUSED

    /* The convention from a projection: glm's perspective (OpenGL clip space, near 0.5, far 20). */
    float n = 0.5f, f = 20.0f, gl[16] = {1.0f, 0, 0, 0, 0, 1.0f, 0, 0, 0, 0, -(f + n) / (f - n), -1.0f, 0, 0, -2.0f * f * n / (f - n), 0};
    float identity[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    S4dHostDepth from = {.struct_size = sizeof(S4dHostDepth), .format = D16_UNORM};
    from.flags = S4D_DEPTH_TEST | S4D_DEPTH_REVERSED;
    expect(s4d_depth_from_projection(NULL, S4D_CLIP_DEPTH_MINUS_ONE_TO_ONE, &from), S4D_STATUS_NULL_POINTER, "NULL projection");
    expect(s4d_depth_from_projection(gl, S4D_CLIP_DEPTH_MINUS_ONE_TO_ONE, NULL), S4D_STATUS_NULL_POINTER, "depth into NULL");
    expect(s4d_depth_from_projection(gl, 7, &from), bad, "clip depth 7");
    expect(s4d_depth_from_projection(identity, S4D_CLIP_DEPTH_ZERO_TO_ONE, &from), bad, "an identity projection");
    expect(s4d_depth_from_projection(gl, S4D_CLIP_DEPTH_MINUS_ONE_TO_ONE, &from), S4D_STATUS_OK, "an OpenGL projection");
    if (fabsf(from.near_plane - n) > 1e-4f || fabsf(from.far_plane - f) > 1e-2f || from.flags != S4D_DEPTH_TEST ||
        from.format != D16_UNORM) {
        fprintf(stderr, "FAIL depth from projection: near %g far %g flags %u\n", from.near_plane, from.far_plane, from.flags);
        failures++;
    }
}

/* s4d_pack's progress: where it was called and what it said. */
struct pack_watch {
    pthread_t caller;
    int calls, elsewhere, bad_fraction;
    char last_stage[32];
};

static void on_pack_progress(void *user, const char *stage, uint64_t done, uint64_t total) {
    struct pack_watch *w = user;
    w->calls++;
    if (!pthread_equal(pthread_self(), w->caller)) w->elsewhere++;
    if (total != 0 && done > total) w->bad_fraction++;
    snprintf(w->last_stage, sizeof w->last_stage, "%s", stage);
}

/* Writes `count` splats in the antimatter15 .splat layout (32 bytes each: position and scale as
   floats, colour RGBA and rotation as bytes). */
static int write_dot_splat(const char *path, int count) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    for (int i = 0; i < count; i++) {
        float pos_scale[6] = {0.1f * (float)i, 0.05f * (float)(i % 3), -2.0f, 0.05f, 0.05f, 0.05f};
        uint8_t rgba_rot[8] = {(uint8_t)(40 * i), 128, 200, 230, 255, 128, 128, 128};
        fwrite(pos_scale, sizeof pos_scale, 1, f);
        fwrite(rgba_rot, sizeof rgba_rot, 1, f);
    }
    return fclose(f);
}

/* Files in `dir` whose name holds `part`. */
static int files_named(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) n += strstr(e->d_name, part) != NULL;
    if (d) closedir(d);
    return n;
}

/* Bytes of `path`, or -1 when it cannot be read. */
static long file_bytes(const char *path, uint8_t *into, size_t room) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    long n = (long)fread(into, 1, room, f);
    fclose(f);
    return n;
}

/* A host's reader over bytes in memory, which can fail, or change its bytes once the asset is open. */
struct memory_reader {
    uint8_t *bytes;
    size_t len;
    int fail, flip, released;
};

static int32_t memory_read(void *user, uint64_t offset, void *out, size_t size) {
    struct memory_reader *m = user;
    if (m->fail || offset + size > m->len) return -7;
    memcpy(out, m->bytes + offset, size);
    return 0;
}

static void memory_release(void *user) { ((struct memory_reader *)user)->released++; }

/* s4d_asset_open_reader: each bad reader refused, released exactly when the header says; a good
   one opens and is released with the asset; bytes that change after the open fail the renderer. */
static void reader_misuse(S4dRuntime *runtime, const char *good, const char *corrupt) {
    struct stat st;
    if (stat(good, &st) != 0 || st.st_size <= 0) {
        fprintf(stderr, "FAIL stat %s\n", good);
        failures++;
        return;
    }
    size_t room = (size_t)st.st_size;
    uint8_t *bytes = malloc(room), *bad = malloc(room);
    long n = bytes ? file_bytes(good, bytes, room) : -1, n_bad = bad ? file_bytes(corrupt, bad, room) : -1;
    if (n != (long)room || n_bad != n) {
        fprintf(stderr, "FAIL reading %s for the reader tests (%ld bytes)\n", good, n);
        failures++;
        free(bytes);
        free(bad);
        return;
    }
    S4dAsset *asset = NULL;
    struct memory_reader m = {bytes, (size_t)n, 0, 0, 0};
    S4dReader r = {sizeof(S4dReader), 0, (uint64_t)n, memory_read, memory_release, &m, "memory"};
#define RELEASED(want, what)                                                                   \
    do {                                                                                       \
        if (m.released != (want)) {                                                            \
            fprintf(stderr, "FAIL %s: released %d times, expected %d\n", what, m.released, want); \
            failures++;                                                                        \
        }                                                                                      \
        m.released = 0;                                                                        \
    } while (0)
    expect(s4d_asset_open_reader(NULL, &asset), S4D_STATUS_NULL_POINTER, "open a NULL reader");
    r.struct_size = 4;
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_INVALID_ARGUMENT, "reader struct_size 4");
    RELEASED(0, "a reader of a refused struct_size");
    r.struct_size = sizeof(S4dReader);
    expect(s4d_asset_open_reader(&r, NULL), S4D_STATUS_NULL_POINTER, "a reader's asset into NULL");
    RELEASED(1, "a reader opened into NULL");
    r.read = NULL;
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_INVALID_ARGUMENT, "a reader without read");
    RELEASED(1, "a reader without read");
    r.read = memory_read;
    r.reserved = 1;
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_INVALID_ARGUMENT, "reader reserved 1");
    RELEASED(1, "a reader with reserved set");
    r.reserved = 0;
    r.name = "\xff\xfe";
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_INVALID_ARGUMENT, "a reader's name not UTF-8");
    RELEASED(1, "a reader named in bad UTF-8");
    r.name = "memory";
    m.fail = 1;
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_IO, "a reader whose reads fail");
    RELEASED(1, "a failing reader");
    m.fail = 0;
    r.size = (uint64_t)n - 1;
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_INVALID_ASSET, "a reader one byte short");
    RELEASED(1, "a short reader");
    r.size = (uint64_t)n;
    m.bytes = bad;
    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_INVALID_ASSET, "a reader of corrupt bytes");
    RELEASED(1, "a reader of corrupt bytes");
    m.bytes = bytes;

    expect(s4d_asset_open_reader(&r, &asset), S4D_STATUS_OK, "open through a reader");
    RELEASED(0, "an open reader");
    S4dRendererDesc desc = {sizeof(S4dRendererDesc), 16, 16, 1, S4D_FORMAT_RGBA8_UNORM, S4D_SORT_ORDER_SHARED, {0, 0, 0}, 0, 0, NULL, 0, 0};
    S4dRenderer *renderer = NULL;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_OK, "a renderer of a reader's asset");
    s4d_renderer_destroy(renderer);
    /* The host's bytes change under the open asset: the next renderer's checksums catch it. */
    memcpy(bad, bytes, (size_t)n);
    bad[n / 2] ^= 0x5a;
    m.bytes = bad;
    renderer = NULL;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ASSET,
           "a renderer of a reader whose bytes changed");
    m.bytes = bytes;
    RELEASED(0, "a reader its asset still holds");
    s4d_asset_destroy(asset);
    RELEASED(1, "a reader of a destroyed asset");
#undef RELEASED
    free(bytes);
    free(bad);
}

/* The packer through the C ABI (the Unity editor importer's path): bad arguments refused, a
   failed pack leaves an older output as it was, a good one opens, progress on the caller. */
static void pack_misuse(const char *dir, const char *corrupt) {
    char source[4096], out[4096], kept[4096];
    snprintf(source, sizeof source, "%s/eight.splat", dir);
    snprintf(out, sizeof out, "%s/packed.s4d", dir);
    snprintf(kept, sizeof kept, "%s/kept.s4d", dir);
    if (write_dot_splat(source, 8) != 0) {
        fprintf(stderr, "FAIL writing %s\n", source);
        failures++;
        return;
    }
    S4dPackDesc desc;
    memset(&desc, 0, sizeof desc);
    desc.struct_size = sizeof desc;
    expect(s4d_pack(NULL, out, NULL), S4D_STATUS_NULL_POINTER, "pack from NULL");
    expect(s4d_pack(source, NULL, NULL), S4D_STATUS_NULL_POINTER, "pack into NULL");
    expect(s4d_pack("", out, NULL), S4D_STATUS_INVALID_ARGUMENT, "pack from an empty path");
    expect(s4d_pack("/tmp/\xff.ply", out, NULL), S4D_STATUS_INVALID_ARGUMENT, "pack from a non-UTF-8 path");
    expect(s4d_pack("/no/such/file.ply", out, NULL), S4D_STATUS_IO, "pack a missing file");
    expect(s4d_pack(source, "/no/such/dir/out.s4d", NULL), S4D_STATUS_IO, "pack into a missing folder");
    desc.struct_size = 4;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_INVALID_ARGUMENT, "pack desc with struct_size 4");
    desc.struct_size = sizeof desc;
    desc.antialiased = 2;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_INVALID_ARGUMENT, "pack antialiased 2");
    desc.antialiased = 0;
    desc.reserved = 1;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_INVALID_ARGUMENT, "pack reserved 1");
    desc.reserved = 0;
    desc.levels = 99;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_INVALID_ARGUMENT, "pack 99 levels");
    desc.levels = 0;
    desc.frame_rate = -1;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_INVALID_ARGUMENT, "pack at -1 frames per second");
    desc.frame_rate = 0;
    desc.time_start = 2, desc.time_end = 1;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_INVALID_ARGUMENT, "pack a reversed time range");
    desc.time_start = 0, desc.time_end = 0;

    /* A failed pack over an existing file leaves it byte for byte, and no partial file. */
    static uint8_t before[1 << 16], after[1 << 16];
    const char marker[] = "an older asset the failed pack must not touch";
    FILE *f = fopen(kept, "wb");
    if (f) {
        fwrite(marker, 1, sizeof marker, f);
        fclose(f);
    }
    long n_before = file_bytes(kept, before, sizeof before);
    expect(s4d_pack(corrupt, kept, NULL), S4D_STATUS_INVALID_ASSET, "pack an .s4d (not a source)");
    long n_after = file_bytes(kept, after, sizeof after);
    if (n_before != (long)sizeof marker || n_after != n_before || memcmp(before, after, (size_t)n_before) != 0) {
        fprintf(stderr, "FAIL a failed pack changed %s (%ld -> %ld bytes)\n", kept, n_before, n_after);
        failures++;
    }
    if (files_named(dir, ".partial") != 0) {
        fprintf(stderr, "FAIL a failed pack left a partial file in %s\n", dir);
        failures++;
    }

    struct pack_watch watch = {pthread_self(), 0, 0, 0, ""};
    desc.progress = on_pack_progress;
    desc.user = &watch;
    expect(s4d_pack(source, out, &desc), S4D_STATUS_OK, "pack eight splats");
    if (watch.calls == 0 || watch.elsewhere != 0 || watch.bad_fraction != 0 || strcmp(watch.last_stage, "write") != 0) {
        fprintf(stderr, "FAIL pack progress: %d calls, %d off the calling thread, %d past the total, last '%s'\n",
                watch.calls, watch.elsewhere, watch.bad_fraction, watch.last_stage);
        failures++;
    }
    S4dAsset *packed = NULL;
    expect(s4d_asset_open(out, &packed), S4D_STATUS_OK, "open what s4d_pack wrote");
    S4dAssetInfo info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (packed) expect(s4d_asset_get_info(packed, &info), S4D_STATUS_OK, "describe what s4d_pack wrote");
    if (info.primitive_count != 8) {
        fprintf(stderr, "FAIL the packed asset holds %u primitives, not 8\n", info.primitive_count);
        failures++;
    }
    s4d_asset_destroy(packed);
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *good = argv[1], *corrupt = argv[2], *dir = argv[3];
    /* Any call that blocks (a FIFO opened for reading waits for a writer) fails the suite here
       instead of hanging it. */
    alarm(120);
    S4dRuntime *runtime = NULL;
    S4dAsset *asset = NULL;
    S4dRenderer *renderer = NULL;
    uint8_t pixels[16 * 16 * 4];

    /* Out-pointers and required inputs. */
    expect(s4d_get_version(NULL, NULL, NULL), S4D_STATUS_NULL_POINTER, "version into NULL");
    expect(s4d_last_error(NULL), S4D_STATUS_NULL_POINTER, "last error into NULL");
    expect(s4d_set_log_callback(NULL, NULL, 99), S4D_STATUS_INVALID_ARGUMENT, "log level 99");
    expect(s4d_runtime_create(NULL, &runtime), S4D_STATUS_NULL_POINTER, "runtime from a NULL desc");
    S4dRuntimeDesc rd = {sizeof(S4dRuntimeDesc), 1, NULL};
    expect(s4d_runtime_create(&rd, NULL), S4D_STATUS_NULL_POINTER, "runtime into NULL");
    rd.struct_size = 4;
    expect(s4d_runtime_create(&rd, &runtime), S4D_STATUS_INVALID_ARGUMENT, "runtime desc with struct_size 4");
    rd.struct_size = sizeof(S4dRuntimeDesc);
    rd.device_name = "no such GPU";
    expect(s4d_runtime_create(&rd, &runtime), S4D_STATUS_GPU, "runtime on a GPU that is not there");
    rd.device_name = "\xff\xfe";
    expect(s4d_runtime_create(&rd, &runtime), S4D_STATUS_INVALID_ARGUMENT, "device name not UTF-8");
    rd.device_name = NULL;
    expect(s4d_set_log_callback(on_log, NULL, S4D_LOG_LEVEL_INFO), S4D_STATUS_OK, "log callback at INFO");
    expect(s4d_runtime_create(&rd, &runtime), S4D_STATUS_OK, "runtime (validation on)");
    /* Creating a runtime logs the device it chose, at INFO. */
    if (log_records == 0 || log_above_level != 0) {
        fprintf(stderr, "FAIL log callback: %d records, %d above INFO\n", log_records, log_above_level);
        failures++;
    }
    expect(s4d_set_log_callback(NULL, NULL, S4D_LOG_LEVEL_OFF), S4D_STATUS_OK, "log callback off");

    /* Assets. */
    expect(s4d_asset_open(NULL, &asset), S4D_STATUS_NULL_POINTER, "open NULL path");
    expect(s4d_asset_open("/no/such/file.s4d", &asset), S4D_STATUS_IO, "open a missing file");
    expect(s4d_asset_open("/tmp/\xff.s4d", &asset), S4D_STATUS_INVALID_ARGUMENT, "open a non-UTF-8 path");
    expect(s4d_asset_open(corrupt, &asset), S4D_STATUS_INVALID_ASSET, "open a corrupt asset");
    expect(s4d_asset_open_memory(NULL, 10, &asset), S4D_STATUS_NULL_POINTER, "open NULL memory");
    expect(s4d_asset_open_memory(pixels, 0, &asset), S4D_STATUS_INVALID_ASSET, "open 0 bytes");
    expect(s4d_asset_open_memory(pixels, sizeof pixels, &asset), S4D_STATUS_INVALID_ASSET, "open garbage");
    {
        /* Special files: refused at once as not regular files, never waited on. */
        char fifo[4096];
        snprintf(fifo, sizeof fifo, "%s/fifo.s4d", dir);
        if (mkfifo(fifo, 0600) != 0) {
            fprintf(stderr, "FAIL mkfifo %s\n", fifo);
            failures++;
        }
        expect(s4d_asset_open(fifo, &asset), S4D_STATUS_IO, "open a FIFO (does not block)");
        expect(s4d_asset_open(dir, &asset), S4D_STATUS_IO, "open a folder");
        expect(s4d_asset_open("/dev/zero", &asset), S4D_STATUS_IO, "open a device");
    }
    expect(s4d_asset_open(good, &asset), S4D_STATUS_OK, "open the good asset");
    S4dAssetInfo info = {0};
    expect(s4d_asset_get_info(asset, &info), S4D_STATUS_INVALID_ARGUMENT, "info with struct_size 0");
    expect(s4d_asset_get_info(NULL, &info), S4D_STATUS_NULL_POINTER, "info of NULL");

    /* Renderers. */
    S4dRendererDesc desc = {sizeof(S4dRendererDesc), 16, 16, 1, S4D_FORMAT_RGBA8_UNORM, S4D_SORT_ORDER_SHARED, {0, 0, 0}, 0, 0, NULL, 0, 0};
    desc.format = 7;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "format 7");
    desc.format = S4D_FORMAT_RGBA8_UNORM;
    desc.sort_order = 9;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "sort order 9");
    desc.sort_order = S4D_SORT_ORDER_SHARED;
    desc.width = 0;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "width 0");
    desc.width = 1u << 30;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "width 2^30");
    desc.width = 16;
    desc.view_count = 3;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "3 views");
    desc.view_count = 1;
    desc.frames_in_flight = 1;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "1 frame in flight");
    desc.frames_in_flight = 9;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "9 frames in flight");
    desc.frames_in_flight = 0;

    /* The Unity plugin's calls, with Unity never having loaded it. */
    S4dUnityViewDesc unity_desc = {sizeof(S4dUnityViewDesc), S4D_SORT_ORDER_SHARED, 0, 0, 0, NULL};
    uint32_t unity_view = 0;
    S4dUnityEvents events = {sizeof(S4dUnityEvents), 0, 0, 0, NULL};
    expect(s4d_unity_get_events(&events), S4D_STATUS_INVALID_ARGUMENT, "Unity events before UnityPluginLoad");
    expect(s4d_unity_view_create(asset, &unity_desc, &unity_view), S4D_STATUS_INVALID_ARGUMENT,
           "a Unity view before UnityPluginLoad");
    expect(s4d_unity_view_create(NULL, &unity_desc, &unity_view), S4D_STATUS_NULL_POINTER, "a Unity view of NULL");
    unity_desc.sort_order = 9;
    expect(s4d_unity_view_create(asset, &unity_desc, &unity_view), S4D_STATUS_INVALID_ARGUMENT,
           "a Unity view with sort order 9");
    S4dUnityFrame unity_frame;
    memset(&unity_frame, 0, sizeof unity_frame);
    unity_frame.struct_size = sizeof unity_frame;
    unity_frame.view_count = 3;
    expect(s4d_unity_view_submit(1, &unity_frame), S4D_STATUS_INVALID_ARGUMENT, "a Unity frame of 3 views");
    expect(s4d_unity_view_submit(1, NULL), S4D_STATUS_NULL_POINTER, "a NULL Unity frame");
    expect(s4d_unity_view_destroy(12345), S4D_STATUS_INVALID_ARGUMENT, "a Unity view that is not there");
    S4dUnityInfo unity_info = {sizeof(S4dUnityInfo), 1, 1, 1, 1};
    expect(s4d_unity_get_info(&unity_info), S4D_STATUS_OK, "Unity plugin info before UnityPluginLoad");
    if (unity_info.loaded || unity_info.ready) {
        fprintf(stderr, "FAIL the Unity plugin says it is loaded before UnityPluginLoad\n");
        failures++;
    }
    desc.gpu_memory_budget_bytes = 1000;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "a budget no page fits");
    /* Two pages of the demo's: fewer than any of its segments needs, so refused at creation. */
    desc.gpu_memory_budget_bytes = 256u << 10;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT,
           "a budget smaller than a segment");
    desc.gpu_memory_budget_bytes = 0;
    S4dFramePolicy start = {sizeof(S4dFramePolicy), 0, 0xFFFFFFFFu, 1.0f, 0.0, 0, 0};
    desc.policy = &start;
    start.struct_size = 8;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT, "a truncated desc->policy");
    start.struct_size = sizeof(S4dFramePolicy);
    start.lod_finest = 7;
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_INVALID_ARGUMENT,
           "desc->policy naming a level the asset lacks");
    start.lod_finest = 0;
    desc.policy = NULL;
    changed_under_an_open_asset(runtime, good, dir, 1);
    changed_under_an_open_asset(runtime, good, dir, 0);
    reader_misuse(runtime, good, corrupt);
    /* Streaming within a budget: the frame renders, and the renderer outlives its asset's handle. */
    desc.gpu_memory_budget_bytes = 64u << 20;
    S4dRenderer *streaming = NULL;
    expect(s4d_renderer_create(runtime, asset, &desc, &streaming), S4D_STATUS_OK, "a streaming renderer");
    desc.gpu_memory_budget_bytes = 0;
    expect(s4d_renderer_create(NULL, asset, &desc, &renderer), S4D_STATUS_NULL_POINTER, "renderer on NULL runtime");
    expect(s4d_renderer_create(runtime, NULL, &desc, &renderer), S4D_STATUS_NULL_POINTER, "renderer of NULL asset");
    expect(s4d_renderer_create(runtime, asset, &desc, &renderer), S4D_STATUS_OK, "renderer");
    /* The asset may go before the renderer; the runtime too (the renderer keeps it alive). */
    expect(s4d_asset_destroy(asset), S4D_STATUS_OK, "close the asset first");
    expect(s4d_runtime_destroy(runtime), S4D_STATUS_OK, "destroy the runtime before its renderer");

    expect(s4d_renderer_read_back(renderer, 0, pixels, sizeof pixels), S4D_STATUS_NOT_READY, "read back before rendering");
    S4dFramePolicy policy = {sizeof(S4dFramePolicy), 0, 0xFFFFFFFFu, 1.0f, 0.0, 0, 0};
    expect(s4d_renderer_set_policy(NULL, &policy), S4D_STATUS_NULL_POINTER, "policy of a NULL renderer");
    expect(s4d_renderer_set_policy(renderer, NULL), S4D_STATUS_NULL_POINTER, "NULL policy");
    policy.struct_size = 8;
    expect(s4d_renderer_set_policy(renderer, &policy), S4D_STATUS_INVALID_ARGUMENT, "a truncated policy");
    policy.struct_size = sizeof(S4dFramePolicy);
    policy.lod_gamma = 0.0f;
    expect(s4d_renderer_set_policy(renderer, &policy), S4D_STATUS_INVALID_ARGUMENT, "gamma 0");
    policy.lod_gamma = 1.0f;
    policy.lod_finest = 7;
    expect(s4d_renderer_set_policy(renderer, &policy), S4D_STATUS_INVALID_ARGUMENT, "a level the asset lacks");
    policy.lod_finest = 0;
    policy.frame_budget_ms = -1.0;
    expect(s4d_renderer_set_policy(renderer, &policy), S4D_STATUS_INVALID_ARGUMENT, "a negative budget");
    policy.frame_budget_ms = 0.0;
    policy.disable_active_sets = 1;
    expect(s4d_renderer_set_policy(renderer, &policy), S4D_STATUS_OK, "active sets off");
    policy.disable_active_sets = 0;
    expect(s4d_renderer_set_policy(renderer, &policy), S4D_STATUS_OK, "the default policy");
    host_image_misuse(renderer);
    S4dFrameStats stats = {.struct_size = sizeof(S4dFrameStats)};
    expect(s4d_renderer_get_stats(renderer, &stats), S4D_STATUS_NOT_READY, "stats before rendering");
    S4dView v = view();
    S4dFrameDesc frame = {sizeof(S4dFrameDesc), 1, &v, 0.5};
    frame.view_count = 2;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_INVALID_ARGUMENT, "2 views for a mono renderer");
    frame.view_count = 1;
    frame.views = NULL;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_NULL_POINTER, "NULL views");
    frame.views = &v;
    v.tan_left = 2.0f;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_INVALID_ARGUMENT, "an empty field of view");
    v = view();
    v.orientation[3] = 0.0f;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_INVALID_ARGUMENT, "a zero quaternion");
    v = view();
    frame.time_seconds = NAN;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_INVALID_ARGUMENT, "time NaN");
    frame.time_seconds = 0.5;
    frame.struct_size = 100000;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_INVALID_ARGUMENT, "struct_size 100000");
    frame.struct_size = sizeof(S4dFrameDesc);

    /* Views from matrices: column-major, a symmetric 90-degree GL projection, eye at z = 3. */
    float identity[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    float view_matrix[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, -3, 1};
    float projection[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, -1, 0, 0, -0.1f, 0};
    S4dView from_matrices;
    expect(s4d_view_from_matrices(NULL, projection, &from_matrices), S4D_STATUS_NULL_POINTER, "view matrix NULL");
    expect(s4d_view_from_matrices(view_matrix, projection, NULL), S4D_STATUS_NULL_POINTER, "view into NULL");
    expect(s4d_view_from_matrices(view_matrix, identity, &from_matrices), S4D_STATUS_INVALID_ARGUMENT,
           "an orthographic projection");
    expect(s4d_view_from_matrices(view_matrix, projection, &from_matrices), S4D_STATUS_OK, "view from matrices");
    if (from_matrices.position[2] != 3.0f || from_matrices.tan_left != -1.0f || from_matrices.tan_up != 1.0f) {
        fprintf(stderr, "FAIL view from matrices: z %f, left %f, up %f\n", from_matrices.position[2],
                from_matrices.tan_left, from_matrices.tan_up);
        failures++;
    }
    frame.views = &from_matrices;
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_OK, "render a view from matrices");
    frame.views = &v;

    /* Another thread may render: calls serialise on the runtime's lock. */
    struct job job = {renderer, S4D_STATUS_INTERNAL};
    pthread_t thread;
    pthread_create(&thread, NULL, render_elsewhere, &job);
    pthread_join(thread, NULL);
    expect(job.status, S4D_STATUS_OK, "render from another thread");
    expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_OK, "render");
    expect(s4d_renderer_read_back(renderer, 1, pixels, sizeof pixels), S4D_STATUS_INVALID_ARGUMENT, "read back view 1 of 1");
    expect(s4d_renderer_read_back(renderer, 0, pixels, 15), S4D_STATUS_INVALID_ARGUMENT, "read back into 15 bytes");
    expect(s4d_renderer_read_back(renderer, 0, NULL, sizeof pixels), S4D_STATUS_NULL_POINTER, "read back into NULL");
    expect(s4d_renderer_read_back(renderer, 0, pixels, sizeof pixels), S4D_STATUS_OK, "read back");
    {
        S4dFrameDesc f = {sizeof(S4dFrameDesc), 1, &v, 0.5};
        unsigned char streamed[16 * 16 * 4];
        expect(s4d_renderer_render(streaming, &f), S4D_STATUS_OK, "render while streaming");
        expect(s4d_renderer_read_back(streaming, 0, streamed, sizeof streamed), S4D_STATUS_OK, "read back streamed");
        /* Equal depths may blend in another order on a GPU: close, not necessarily equal. */
        double squared = 0.0;
        for (size_t i = 0; i < sizeof streamed; i++) {
            double d = (double)streamed[i] - (double)pixels[i];
            squared += d * d;
        }
        if (squared / sizeof streamed > 1.0) {
            fprintf(stderr, "FAIL the streamed frame differs from the resident one (MSE %f)\n", squared / sizeof streamed);
            failures++;
        }
        expect(s4d_renderer_destroy(streaming), S4D_STATUS_OK, "destroy the streaming renderer");
    }
    expect(s4d_renderer_get_stats(renderer, &stats), S4D_STATUS_OK, "stats");
    if (stats.frame_index != 3 || stats.lod_gamma != 1.0f || stats.lod_finest != 0) {
        fprintf(stderr, "FAIL stats of frame %llu, expected 3\n", (unsigned long long)stats.frame_index);
        failures++;
    }

    /* A host built against the first S4dFrameStats (40 bytes) gets those bytes and no more. */
    unsigned char old_stats[sizeof(S4dFrameStats)];
    memset(old_stats, 0xAB, sizeof old_stats);
    uint32_t v1_size = 40;
    memcpy(old_stats, &v1_size, sizeof v1_size);
    expect(s4d_renderer_get_stats(renderer, (S4dFrameStats *)old_stats), S4D_STATUS_OK, "stats into a v1 struct");
    for (size_t i = 40; i < sizeof old_stats; i++) {
        if (old_stats[i] != 0xAB) {
            fprintf(stderr, "FAIL stats wrote byte %zu of a 40-byte struct\n", i);
            failures++;
            break;
        }
    }
    stats.struct_size = 39;
    expect(s4d_renderer_get_stats(renderer, &stats), S4D_STATUS_INVALID_ARGUMENT, "stats struct_size 39");
    stats.struct_size = sizeof(S4dFrameStats);

    /* Captures. */
    S4dCapture *capture = NULL;
    expect(s4d_renderer_capture_stop(renderer, &capture), S4D_STATUS_NOT_READY, "stop a capture never started");
    expect(s4d_renderer_capture_start(NULL, 4), S4D_STATUS_NULL_POINTER, "capture on NULL renderer");
    expect(s4d_renderer_capture_start(renderer, 0), S4D_STATUS_INVALID_ARGUMENT, "capture of 0 frames");
    expect(s4d_renderer_capture_start(renderer, 0xFFFFFFFFu), S4D_STATUS_INVALID_ARGUMENT, "capture of 2^32-1 frames");
    expect(s4d_renderer_capture_start(renderer, 4), S4D_STATUS_OK, "capture 4 frames");
    for (int i = 0; i < 6; i++) expect(s4d_renderer_render(renderer, &frame), S4D_STATUS_OK, "render into a capture");
    expect(s4d_renderer_capture_stop(renderer, NULL), S4D_STATUS_NULL_POINTER, "stop into NULL");
    expect(s4d_renderer_capture_stop(renderer, &capture), S4D_STATUS_OK, "stop the capture");
    uint32_t captured = 0;
    uint64_t dropped = 0;
    expect(s4d_capture_get_frame_count(capture, NULL, NULL), S4D_STATUS_NULL_POINTER, "frame count into NULL");
    expect(s4d_capture_get_frame_count(capture, &captured, &dropped), S4D_STATUS_OK, "frame count");
    if (captured != 4 || dropped != 2) {
        fprintf(stderr, "FAIL capture of %u frames, %llu dropped; expected 4 and 2\n", captured,
                (unsigned long long)dropped);
        failures++;
    }
    expect(s4d_capture_get_frame(capture, 4, &stats), S4D_STATUS_INVALID_ARGUMENT, "frame 4 of 4");
    expect(s4d_capture_get_frame(capture, 0, NULL), S4D_STATUS_NULL_POINTER, "frame into NULL");
    expect(s4d_capture_get_frame(capture, 3, &stats), S4D_STATUS_OK, "the newest captured frame");
    if (stats.frame_index != 9 || stats.view_count != 1) {
        fprintf(stderr, "FAIL captured frame %llu of %u views, expected 9 of 1\n",
                (unsigned long long)stats.frame_index, stats.view_count);
        failures++;
    }
    size_t length = 0;
    char small[8];
    expect(s4d_capture_export(capture, 7, NULL, 0, &length), S4D_STATUS_INVALID_ARGUMENT, "export format 7");
    expect(s4d_capture_export(capture, S4D_CAPTURE_FORMAT_CHROME_TRACE, NULL, 0, NULL), S4D_STATUS_NULL_POINTER,
           "export length into NULL");
    expect(s4d_capture_export(capture, S4D_CAPTURE_FORMAT_CHROME_TRACE, NULL, 0, &length), S4D_STATUS_OK,
           "export size");
    expect(s4d_capture_export(capture, S4D_CAPTURE_FORMAT_CHROME_TRACE, small, sizeof small, &length),
           S4D_STATUS_INVALID_ARGUMENT, "export into 8 bytes");
    char *text = malloc(length + 1);
    expect(s4d_capture_export(capture, S4D_CAPTURE_FORMAT_CSV, NULL, 0, &length), S4D_STATUS_OK, "CSV size");
    expect(s4d_capture_export(capture, S4D_CAPTURE_FORMAT_CSV, text, length + 1, &length), S4D_STATUS_OK, "CSV");
    if (text == NULL || strncmp(text, "frame,", 6) != 0 || text[length] != '\0') {
        fprintf(stderr, "FAIL the CSV export does not start with its header and end in a NUL\n");
        failures++;
    }
    free(text);
    expect(s4d_capture_save(capture, S4D_CAPTURE_FORMAT_CSV, NULL), S4D_STATUS_NULL_POINTER, "save to NULL path");
    expect(s4d_capture_save(capture, S4D_CAPTURE_FORMAT_CSV, "/nonexistent/dir/frames.csv"), S4D_STATUS_IO,
           "save into a missing folder");
    expect(s4d_capture_save(capture, 9, "frames.csv"), S4D_STATUS_INVALID_ARGUMENT, "save format 9");
    expect(s4d_capture_destroy(capture), S4D_STATUS_OK, "destroy the capture");
    expect(s4d_capture_destroy(NULL), S4D_STATUS_OK, "destroy NULL capture");

    /* Headset playback: arguments are checked before any runtime is looked for; with no OpenXR
       runtime running (the test points XDG_RUNTIME_DIR nowhere) it says so. */
    S4dAsset *xr_asset = NULL;
    expect(s4d_asset_open(argv[1], &xr_asset), S4D_STATUS_OK, "open an asset for XR");
    S4dXrDesc xr = {.struct_size = sizeof(S4dXrDesc), .frames = 1, .scale = 1.0f, .speed = 1.0};
    S4dXrReport xr_report = {.struct_size = sizeof(S4dXrReport)};
    expect(s4d_xr_play(NULL, &xr, NULL, NULL, NULL), S4D_STATUS_NULL_POINTER, "XR with a NULL asset");
    expect(s4d_xr_play(xr_asset, NULL, NULL, NULL, NULL), S4D_STATUS_NULL_POINTER, "XR with a NULL desc");
    xr.struct_size = 8;
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, NULL), S4D_STATUS_INVALID_ARGUMENT, "XR desc struct_size 8");
    xr.struct_size = sizeof(S4dXrDesc);
    xr.scale = 0.0f;
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, NULL), S4D_STATUS_INVALID_ARGUMENT, "XR at scale 0");
    xr.scale = 1.0f;
    xr.speed = NAN;
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, NULL), S4D_STATUS_INVALID_ARGUMENT, "XR at speed NaN");
    xr.speed = 1.0;
    xr.blend_mode = 4;
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, NULL), S4D_STATUS_INVALID_ARGUMENT, "XR blend mode 4");
    xr.blend_mode = 0;
    /* A host built against the first header: its desc ends at speed (32 bytes), the fields
       after it are never read (here set to something invalid). */
    xr.struct_size = 32;
    xr.blend_mode = 99;
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, NULL), S4D_STATUS_XR, "an XR desc of the first size");
    xr.struct_size = sizeof(S4dXrDesc);
    xr.blend_mode = 0;
    xr_report.struct_size = 4;
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, &xr_report), S4D_STATUS_INVALID_ARGUMENT, "XR report struct_size 4");
    xr_report.struct_size = sizeof(S4dXrReport);
    expect(s4d_xr_play(xr_asset, &xr, NULL, NULL, &xr_report), S4D_STATUS_XR, "XR without a runtime");
    expect(s4d_asset_destroy(xr_asset), S4D_STATUS_OK, "close the XR asset");

    pack_misuse(dir, corrupt);

    /* Destroy accepts NULL. */
    expect(s4d_renderer_destroy(renderer), S4D_STATUS_OK, "destroy the renderer (and with it the runtime)");
    expect(s4d_renderer_destroy(NULL), S4D_STATUS_OK, "destroy NULL renderer");
    expect(s4d_asset_destroy(NULL), S4D_STATUS_OK, "destroy NULL asset");
    expect(s4d_runtime_destroy(NULL), S4D_STATUS_OK, "destroy NULL runtime");
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
