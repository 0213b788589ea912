// Gaussian falloff, exactly the reference's per-pixel rule; premultiplied output blended
// back to front ("over") into a float accumulation target. With DEPTH_OUT the splat's view
// depth is blended the same way into a second target: Σ αᵢ·Tᵢ·zᵢ, which the resolve divides by
// the coverage Σ αᵢ·Tᵢ for the expected depth. Included by splat.frag and splat_depth.frag.

// A host's depth is tested, never written, by this pass: testing before the shader runs
// changes nothing but the work on fragments behind the host's surfaces, which is skipped.
layout(early_fragment_tests) in;

layout(location = 0) flat in vec2 center;
// The conic, and the centre's view depth in w.
layout(location = 1) flat in vec4 conic;
layout(location = 2) flat in vec4 color;

layout(location = 0) out vec4 out_color;
#if DEPTH_OUT
layout(location = 1) out vec4 out_depth;
#endif

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
#if DEPTH_OUT
    out_depth = vec4(conic.w * alpha, 0.0, 0.0, alpha);
#endif
}
