#version 450
// Before the passes: the workgroup count of the histogram and scatter passes, from the key
// count on the GPU, so the CPU never waits to learn how many splats are visible.
#include "radix.glsl"

layout(std430, set = 0, binding = 6) writeonly buffer Dispatch { uint dispatch[3]; };

void main() {
    if (gl_LocalInvocationID.x == 0u) {
        dispatch[0] = block_count();
        dispatch[1] = 1u;
        dispatch[2] = 1u;
    }
}
