#version 450
// Pass 2: one workgroup turns the digit-major histogram into exclusive offsets in place, so
// hist[d * num_blocks + b] becomes where block b's first key with digit d goes.
#include "radix.glsl"

layout(std430, set = 0, binding = 4) buffer Hist { uint hist[]; };

shared uint sums[WG];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint count = key_count();
    uint num_blocks = block_count();
    uint n = RADIX * num_blocks;
    uint carry = 0u;
    for (uint base = 0u; base < n; base += WG * 4u) {
        // Each thread owns four consecutive entries: scan them serially, the threads' sums
        // in shared memory (Hillis-Steele), then write back with the running carry.
        uint first = base + tid * 4u;
        uint v[4];
        uint local = 0u;
        for (uint k = 0u; k < 4u; ++k) {
            v[k] = first + k < n ? hist[first + k] : 0u;
            local += v[k];
        }
        sums[tid] = local;
        barrier();
        for (uint offset = 1u; offset < WG; offset <<= 1u) {
            uint add = tid >= offset ? sums[tid - offset] : 0u;
            barrier();
            sums[tid] += add;
            barrier();
        }
        uint running = carry + sums[tid] - local;
        for (uint k = 0u; k < 4u; ++k) {
            if (first + k < n) {
                hist[first + k] = running;
            }
            running += v[k];
        }
        carry += sums[WG - 1u];
        // Everyone has read sums[WG - 1] before the next chunk overwrites it.
        barrier();
    }
}
