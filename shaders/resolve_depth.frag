#version 450
// Depth out (renderer/composite.rs), after the colour resolve in the same subpass: the splats'
// expected depth, the weighted sum over the coverage, where they cover at least half the
// pixel. Elsewhere nothing is written; the depth test (LESS_OR_EQUAL, or GREATER_OR_EQUAL
// reversed) keeps the host's where it is nearer. Writes no colour (its write mask is empty).
#include "depth.glsl"

layout(input_attachment_index = 0, set = 0, binding = 0) uniform subpassInput accumulated;
layout(input_attachment_index = 1, set = 0, binding = 1) uniform subpassInput accumulated_depth;

layout(push_constant) uniform Push {
    vec4 background;
    uint srgb_target;
    uint keep;
    uint depth_mode;
    float near;
    float far;
} push;

void main() {
    float a = subpassLoad(accumulated).a;
    if (a < 0.5) {
        discard;
    }
    gl_FragDepth = stored_depth(push.depth_mode, push.near, push.far, subpassLoad(accumulated_depth).r / a);
}
