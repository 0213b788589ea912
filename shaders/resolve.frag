#version 450
// Resolve (DESIGN §5.4): the accumulated splats into the target. Cleared, the target gets them
// over the background; kept, the hardware blends them over the host's pixels ("over",
// premultiplied), so this writes the splats' premultiplied colour. For an _SRGB target values
// are decoded to linear for the hardware's encode: over the background exactly the trained
// display value is stored; over a kept host image the hardware blends in linear light, as it
// does every layer a host draws into such a target.

layout(input_attachment_index = 0, set = 0, binding = 0) uniform subpassInput accumulated;

layout(push_constant) uniform Push {
    vec4 background;
    uint srgb_target;
    uint keep;  // blended over the host's pixels, not over the background
} push;

layout(location = 0) out vec4 out_color;

vec3 srgb_to_linear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), greaterThan(c, vec3(0.04045)));
}

void main() {
    vec4 acc = subpassLoad(accumulated);
    float a = clamp(acc.a, 0.0, 1.0);
    if (push.keep != 0u) {
        vec3 rgb = clamp(acc.rgb, 0.0, 1.0);
        if (push.srgb_target != 0u) {
            rgb = a > 0.0 ? srgb_to_linear(clamp(acc.rgb / a, 0.0, 1.0)) * a : vec3(0.0);
        }
        out_color = vec4(rgb, a);
    } else {
        vec3 rgb = clamp(acc.rgb + (1.0 - a) * push.background.rgb, 0.0, 1.0);
        out_color = vec4(push.srgb_target != 0u ? srgb_to_linear(rgb) : rgb, a);
    }
}
