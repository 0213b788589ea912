// Shared by the three passes of the radix sort (sort_histogram, sort_scan, sort_scatter): a
// portable reduce-then-scan LSD sort of (u32 key, u32 value) pairs, 8 bits per pass. No
// subgroup operations and no decoupled look-back, so it runs the same on every Vulkan GPU.

#define RADIX 256u
#define WG 256u
#define ITEMS 8u
#define BLOCK (WG * ITEMS)
#define MASK_WORDS (WG / 32u)

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint shift;
    // Index of the key count in the count buffer (binding 5): the renderer counts visible
    // splats straight into a VkDrawIndirectCommand's instanceCount.
    uint count_word;
} params;

// One set for all passes; a pass declares only what it touches.
// 0 keys in, 1 values in, 2 keys out, 3 values out, 4 histogram (digit-major: hist[d * num_blocks + block]),
// 5 the key count, 6 indirect dispatch arguments for the histogram and scatter passes.
layout(std430, set = 0, binding = 5) readonly buffer Count { uint count_words[]; };

uint key_count() {
    return count_words[params.count_word];
}

uint block_count() {
    return (key_count() + BLOCK - 1u) / BLOCK;
}
