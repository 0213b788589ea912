// Raster (DESIGN §5.3): one instanced quad per visible splat, in sorted order, sized to where
// its alpha can still reach 1/255. With multiview, gl_ViewIndex picks the eye's record; without,
// the pass's eye comes in a push constant. Included by splat.vert and splat_single.vert.
// Compositing with a host's depth, each quad lies at its centre's depth in the host's
// convention, so the host's depth test keeps or hides the splat as the reference does.
#include "depth.glsl"

layout(std430, set = 0, binding = 0) readonly buffer Order { uint order[]; };
layout(std430, set = 0, binding = 1) readonly buffer Projected0 { uvec4 projected0[]; };
layout(std430, set = 0, binding = 2) readonly buffer Projected1 { uvec4 projected1[]; };
// The right eye's order: the same buffer as `order` unless each eye is sorted on its own.
layout(std430, set = 0, binding = 3) readonly buffer OrderRight { uint order_right[]; };
// Each eye's view depth of each splat (slot · view_count + eye), written with FLAG_VIEW_DEPTH.
layout(std430, set = 0, binding = 4) readonly buffer ViewDepth { float view_depth[]; };

layout(push_constant) uniform Push {
    vec2 viewport;
    uint eye;  // added to gl_ViewIndex: the eye of a single-view pass
    uint depth_mode;  // DEPTH_*: none, or the host depth's convention
    float near;
    float far;
    uint view_count;
} push;

layout(location = 0) flat out vec2 out_center;
// The conic, and the centre's view depth (for depth out).
layout(location = 1) flat out vec4 out_conic;
layout(location = 2) flat out vec4 out_color;

void main() {
#if MULTIVIEW
    uint eye = uint(gl_ViewIndex) + push.eye;
#else
    uint eye = push.eye;
#endif
    uint slot = eye == 0u ? order[gl_InstanceIndex] : order_right[gl_InstanceIndex];
    uvec4 a = eye == 0u ? projected0[2u * slot] : projected1[2u * slot];
    uvec4 b = eye == 0u ? projected0[2u * slot + 1u] : projected1[2u * slot + 1u];
    vec2 ba = unpackHalf2x16(b.z);
    float opacity = ba.y;
    if (opacity == 0.0) {
        // Not visible in this eye: a degenerate primitive, clipped away.
        gl_Position = vec4(0.0, 0.0, 2.0, 1.0);
        return;
    }
    vec2 center = uintBitsToFloat(a.xy);
    vec2 extent = unpackHalf2x16(b.w);
    vec2 corner = vec2(float(gl_VertexIndex & 1), float(gl_VertexIndex >> 1)) * 2.0 - 1.0;
    vec2 pixel = center + corner * extent;
    float z = 0.0;
    float stored = 0.0;
    if (push.depth_mode != DEPTH_NONE) {
        z = view_depth[slot * push.view_count + eye];
        stored = stored_depth(push.depth_mode, push.near, push.far, z);
    }
    gl_Position = vec4(pixel / push.viewport * 2.0 - 1.0, stored, 1.0);

    out_center = center;
    out_conic = vec4(uintBitsToFloat(a.zw), uintBitsToFloat(b.x), z);
    out_color = vec4(unpackHalf2x16(b.y), ba.x, opacity);
}
