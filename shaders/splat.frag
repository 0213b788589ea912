#version 450
// Gaussian falloff, exactly the reference's per-pixel rule; premultiplied output blended
// back to front ("over") into a float accumulation target.

layout(location = 0) flat in vec2 center;
layout(location = 1) flat in vec3 conic;
layout(location = 2) flat in vec4 color;

layout(location = 0) out vec4 out_color;

void main() {
    vec2 d = center - gl_FragCoord.xy;
    float power = -0.5 * (conic.x * d.x * d.x + conic.z * d.y * d.y) - conic.y * d.x * d.y;
    if (power > 0.0) {
        discard;
    }
    float alpha = min(0.99, color.a * exp(power));
    if (alpha < 1.0 / 255.0) {
        discard;
    }
    out_color = vec4(color.rgb * alpha, alpha);
}
