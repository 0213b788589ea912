/*
 * The host scene shared by composite.c and the Unity-role test host (tests/unity/): a floor
 * under the splats and a box through them, built from the asset's bounds, and the matrix
 * product both use for their cameras. Static functions: include it in one translation unit.
 */
#ifndef SPLAT4D_COMPOSITE_SCENE_H
#define SPLAT4D_COMPOSITE_SCENE_H

#include <string.h>

#include "splat4d.h"

/* The host's scene, in the asset's space: a floor under the splats and a box through them. */
typedef struct {
    float position[3], color[3];
} Vertex;

static int quad(Vertex *out, const float corners[4][3], float r, float g, float b) {
    static const int order[6] = {0, 1, 2, 0, 2, 3};
    for (int i = 0; i < 6; i++) {
        memcpy(out[i].position, corners[order[i]], sizeof out[i].position);
        out[i].color[0] = r;
        out[i].color[1] = g;
        out[i].color[2] = b;
    }
    return 6;
}

static int scene(Vertex *out, const S4dAssetInfo *info) {
    float c[3], e[3];
    for (int i = 0; i < 3; i++) {
        c[i] = 0.5f * (info->bounds_min[i] + info->bounds_max[i]);
        e[i] = info->bounds_max[i] - info->bounds_min[i];
    }
    int n = 0;
    float y = info->bounds_min[1] + 0.15f * e[1];
    const float floor[4][3] = {{c[0] - 3 * e[0], y, c[2] - 3 * e[2]}, {c[0] + 3 * e[0], y, c[2] - 3 * e[2]},
                               {c[0] + 3 * e[0], y, c[2] + 2}, {c[0] - 3 * e[0], y, c[2] + 2}};
    n += quad(out + n, floor, 0.35f, 0.3f, 0.25f);
    /* A box from the floor up through the middle of the splats, its front face at their centre. */
    float x0 = c[0] - 0.08f * e[0], x1 = c[0] + 0.25f * e[0];
    float y0 = y, y1 = c[1] + 0.5f * e[1];
    float z0 = c[2] - 0.25f * e[2], z1 = c[2] + 0.05f * e[2];
    const float front[4][3] = {{x0, y0, z1}, {x1, y0, z1}, {x1, y1, z1}, {x0, y1, z1}};
    const float left[4][3] = {{x0, y0, z0}, {x0, y0, z1}, {x0, y1, z1}, {x0, y1, z0}};
    const float top[4][3] = {{x0, y1, z1}, {x1, y1, z1}, {x1, y1, z0}, {x0, y1, z0}};
    n += quad(out + n, front, 0.2f, 0.45f, 0.8f);
    n += quad(out + n, left, 0.15f, 0.3f, 0.55f);
    n += quad(out + n, top, 0.4f, 0.6f, 0.9f);
    return n;
}

/* Column-major 4x4 product a·b. */
static void multiply(float out[16], const float a[16], const float b[16]) {
    for (int col = 0; col < 4; col++)
        for (int row = 0; row < 4; row++) {
            float sum = 0;
            for (int k = 0; k < 4; k++) sum += a[k * 4 + row] * b[col * 4 + k];
            out[col * 4 + row] = sum;
        }
}

#endif
