#version 450
// Pass 1: per block of BLOCK keys, how many have each digit.
#include "radix.glsl"

layout(std430, set = 0, binding = 0) readonly buffer KeysIn { uint keys_in[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Hist { uint hist[]; };

shared uint counts[RADIX];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint count = key_count();
    uint num_blocks = block_count();
    uint block = gl_WorkGroupID.x;
    counts[tid] = 0u;
    barrier();
    uint base = block * BLOCK;
    for (uint i = 0u; i < ITEMS; ++i) {
        uint idx = base + i * WG + tid;
        if (idx < count) {
            atomicAdd(counts[(keys_in[idx] >> params.shift) & 0xffu], 1u);
        }
    }
    barrier();
    hist[tid * num_blocks + block] = counts[tid];
}
