/*
 * Headset playback from C, with splat4d owning the OpenXR session and its frame loop (a native
 * headset app). The control callback steers playback; here it pauses at the start for a second
 * of frames, then plays on.
 *
 *   xr ASSET.s4d [FRAMES]      (SPLAT4D_VALIDATION=1 turns the validation layers on)
 *
 * Needs an OpenXR runtime: a headset's, or Monado's simulated one (monado-service).
 */
#include <stdio.h>
#include <stdlib.h>

#include "splat4d.h"

struct steering {
    uint32_t turns;
    uint32_t paused_turns;
};

static uint32_t control(void *user, S4dPlaybackState *playback) {
    struct steering *s = user;
    s->turns++;
    if (s->turns == 1) {
        /* Hold the first frame of the asset for a while, */
        playback->time_seconds = 0.0;
        playback->playing = 0;
    } else if (!playback->playing) {
        /* then play on. */
        if (++s->paused_turns >= 30) playback->playing = 1;
    }
    return 1; /* 0 would end the session */
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ASSET.s4d [FRAMES]\n", argv[0]);
        return 2;
    }
    S4dAsset *asset = NULL;
    if (s4d_asset_open(argv[1], &asset) != S4D_STATUS_OK) {
        const char *message = "";
        s4d_last_error(&message);
        fprintf(stderr, "%s\n", message);
        return 1;
    }
    const char *validation = getenv("SPLAT4D_VALIDATION");
    S4dXrDesc desc = {.struct_size = sizeof(S4dXrDesc),
                      .validation = validation && validation[0] == '1',
                      .frames = argc > 2 ? strtoull(argv[2], NULL, 10) : 0,
                      .scale = 1.0f,
                      .looping = 1,
                      .speed = 1.0};
    S4dXrReport report = {.struct_size = sizeof(S4dXrReport)};
    struct steering steering = {0, 0};
    S4dStatus status = s4d_xr_play(asset, &desc, control, &steering, &report);
    s4d_asset_destroy(asset);
    if (status != S4D_STATUS_OK) {
        const char *message = "";
        s4d_last_error(&message);
        fprintf(stderr, "s4d_xr_play: status %d: %s\n", (int)status, message);
        return 1;
    }
    printf("%llu frames at %ux%u per eye, %u control turns, focused %u, last session state %d, "
           "%u validation messages, blend mode %u, depth format %u\n",
           (unsigned long long)report.frames_submitted, report.width, report.height, steering.turns,
           report.reached_focused, report.last_state, report.validation_messages, report.blend_mode,
           report.depth_format);
    /* 8 is XR_SESSION_STATE_EXITING: the session ended cleanly. */
    int clean = report.reached_focused && report.last_state == 8 && report.validation_messages == 0;
    return clean && steering.turns > 0 ? 0 : 1;
}
