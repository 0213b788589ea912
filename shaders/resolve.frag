#version 450
// Resolve (DESIGN §5.4): composite the accumulated splats over the background and write the
// target. For an _SRGB target the display-referred value is decoded to linear first, so the
// hardware's encode stores exactly the trained value.

layout(input_attachment_index = 0, set = 0, binding = 0) uniform subpassInput accumulated;

layout(push_constant) uniform Push {
    vec4 background;
    uint srgb_target;
} push;

layout(location = 0) out vec4 out_color;

vec3 srgb_to_linear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), greaterThan(c, vec3(0.04045)));
}

void main() {
    vec4 acc = subpassLoad(accumulated);
    vec3 rgb = clamp(acc.rgb + (1.0 - acc.a) * push.background.rgb, 0.0, 1.0);
    out_color = vec4(push.srgb_target != 0u ? srgb_to_linear(rgb) : rgb, acc.a);
}
