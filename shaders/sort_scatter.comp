#version 450
// Pass 3: every key goes to its block's offset for its digit plus its rank among the keys
// with that digit before it in the block. Keys are taken in order, WG per round, and ranked
// with per-digit bit masks of the round's threads, so the sort is stable.
#include "radix.glsl"

layout(std430, set = 0, binding = 0) readonly buffer KeysIn { uint keys_in[]; };
layout(std430, set = 0, binding = 1) readonly buffer ValuesIn { uint values_in[]; };
layout(std430, set = 0, binding = 2) writeonly buffer KeysOut { uint keys_out[]; };
layout(std430, set = 0, binding = 3) writeonly buffer ValuesOut { uint values_out[]; };
layout(std430, set = 0, binding = 4) readonly buffer Hist { uint hist[]; };

shared uint offsets[RADIX];
shared uint masks[RADIX * MASK_WORDS];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint count = key_count();
    uint num_blocks = block_count();
    uint block = gl_WorkGroupID.x;
    offsets[tid] = hist[tid * num_blocks + block];
    uint base = block * BLOCK;
    for (uint round = 0u; round < ITEMS; ++round) {
        // Thread t owns digit t's mask words and offset between rounds.
        for (uint w = 0u; w < MASK_WORDS; ++w) {
            masks[tid * MASK_WORDS + w] = 0u;
        }
        barrier();
        uint idx = base + round * WG + tid;
        bool valid = idx < count;
        uint key = 0u;
        uint digit = 0u;
        if (valid) {
            key = keys_in[idx];
            digit = (key >> params.shift) & 0xffu;
            atomicOr(masks[digit * MASK_WORDS + (tid >> 5u)], 1u << (tid & 31u));
        }
        barrier();
        if (valid) {
            uint word = tid >> 5u;
            uint rank = uint(bitCount(masks[digit * MASK_WORDS + word] & ((1u << (tid & 31u)) - 1u)));
            for (uint w = 0u; w < word; ++w) {
                rank += uint(bitCount(masks[digit * MASK_WORDS + w]));
            }
            uint dst = offsets[digit] + rank;
            keys_out[dst] = key;
            values_out[dst] = values_in[idx];
        }
        barrier();
        uint total = 0u;
        for (uint w = 0u; w < MASK_WORDS; ++w) {
            total += uint(bitCount(masks[tid * MASK_WORDS + w]));
        }
        offsets[tid] += total;
    }
}
