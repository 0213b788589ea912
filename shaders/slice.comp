#version 450
// Slice + cull (DESIGN §5.1): for every primitive in the active runs of the current segment
// and drawn levels of detail, evaluate it at the frame's time, select it per eye by FLoD's
// rule, project it for each eye, and append the visible ones to the sort input with one
// record per eye for the raster. Counts what it appends per level.
#include "splat.glsl"

layout(local_size_x = 256) in;

layout(std140, set = 0, binding = 0) uniform FrameBlock { Frame frame; };
// (first primitive relative to the chunk, count, first active slot of the run, level)
layout(std430, set = 0, binding = 1) readonly buffer Runs { uvec4 runs[]; };
layout(std430, set = 0, binding = 2) readonly buffer Position { vec4 position[]; };
layout(std430, set = 0, binding = 3) readonly buffer Temporal { vec4 temporal[]; };
layout(std430, set = 0, binding = 4) readonly buffer Rotation { uint rotation_words[]; };
layout(std430, set = 0, binding = 5) readonly buffer ScaleOpacity { uint scale_words[]; };
layout(std430, set = 0, binding = 6) readonly buffer Motion { uint motion_words[]; };
layout(std430, set = 0, binding = 7) readonly buffer Omega { uint omega_words[]; };
layout(std430, set = 0, binding = 8) readonly buffer Sh { uint sh_words[]; };
layout(std430, set = 0, binding = 9) buffer Count { uint count_words[]; };
layout(std430, set = 0, binding = 10) writeonly buffer Keys { uint keys[]; };
layout(std430, set = 0, binding = 11) writeonly buffer Values { uint values[]; };
layout(std430, set = 0, binding = 12) writeonly buffer Projected0 { uvec4 projected0[]; };
layout(std430, set = 0, binding = 13) writeonly buffer Projected1 { uvec4 projected1[]; };
// The right eye's sort input, written only with FLAG_PER_EYE_SORT.
layout(std430, set = 0, binding = 14) writeonly buffer KeysRight { uint keys_right[]; };
layout(std430, set = 0, binding = 15) writeonly buffer ValuesRight { uint values_right[]; };
// Each eye's view depth of each appended splat (slot · view_count + eye), with FLAG_VIEW_DEPTH.
layout(std430, set = 0, binding = 16) writeonly buffer ViewDepth { float view_depth[]; };

layout(push_constant) uniform Push {
    uint run_offset;
    uint run_count;
    uint active_count;
} push;

// Number i of an attribute stored as f32 or f16 (two per word).
#define LOAD(words, i, half) ((half) ? unpackHalf2x16(words[(i) >> 1u])[(i) & 1u] : uintBitsToFloat(words[i]))

vec4 load4(uint kind, uint i, uint first) {
    vec4 r;
    for (uint c = 0u; c < 4u; ++c) {
        uint n = i + first + c;
        if (kind == 0u) r[c] = LOAD(rotation_words, n, (frame.flags & FLAG_ROTATION_F16) != 0u);
        else if (kind == 1u) r[c] = LOAD(scale_words, n, (frame.flags & FLAG_SCALE_F16) != 0u);
        else if (kind == 2u) r[c] = LOAD(motion_words, n, (frame.flags & FLAG_MOTION_F16) != 0u);
        else r[c] = LOAD(omega_words, n, (frame.flags & FLAG_OMEGA_F16) != 0u);
    }
    return r;
}

void write_record(uint eye, uint slot, bool ok, vec2 center, vec3 conic, vec3 color, float opacity, vec2 extent) {
    uvec4 a = uvec4(floatBitsToUint(center), floatBitsToUint(conic.xy));
    uvec4 b = uvec4(floatBitsToUint(conic.z), packHalf2x16(color.rg), packHalf2x16(vec2(color.b, ok ? opacity : 0.0)),
                    packHalf2x16(extent));
    if (eye == 0u) {
        projected0[2u * slot] = a;
        projected0[2u * slot + 1u] = b;
    } else {
        projected1[2u * slot] = a;
        projected1[2u * slot + 1u] = b;
    }
}

vec3 eval_color(uint i, vec3 dir, float dt) {
    float y[16];
    sh_basis(dir, y);
    uint spatial = (frame.sh_degree + 1u) * (frame.sh_degree + 1u);
    uint per = 3u * spatial * (frame.sh_degree_t + 1u);
    bool half_sh = (frame.flags & FLAG_SH_F16) != 0u;
    vec3 rgb = vec3(0.0);
    for (uint n = 0u; n <= frame.sh_degree_t; ++n) {
        float w = n == 0u ? 1.0 : cos(2.0 * 3.14159265 * float(n) * dt / frame.sh_period);
        vec3 group = vec3(0.0);
        for (uint j = 0u; j < spatial; ++j) {
            uint at = i * per + 3u * (n * spatial + j);
            group += y[j] * vec3(LOAD(sh_words, at, half_sh), LOAD(sh_words, at + 1u, half_sh), LOAD(sh_words, at + 2u, half_sh));
        }
        rgb += w * group;
    }
    return max(rgb + 0.5, vec3(0.0));
}

// Where level k's band begins for eye e.
float band(Eye e, uint k) {
    return k < 4u ? e.bands0[k] : e.bands1[k - 4u];
}

// FLoD's selective rule for one eye (lod/mod.rs Selection::selects): level k is drawn from
// where its floor projects to γ pixels out to where the next coarser level's does; the finest
// drawn level reaches down to the eye, the coarsest out to infinity.
bool lod_selects(Eye e, uint level, float distance) {
    bool near_ok = level == frame.lod.x || distance >= band(e, level);
    bool far_ok = level == frame.lod.y || distance < band(e, level + 1u);
    return near_ok && far_ok;
}

// Slices primitive g of the dispatch; returns whether it was appended, and its level.
bool slice(uint g, out uint level) {
    level = 0u;
    if (g >= push.active_count) {
        return false;
    }
    // The run holding active slot g: binary search on the runs' first slots.
    uint lo = 0u, hi = push.run_count - 1u;
    while (lo < hi) {
        uint mid = (lo + hi + 1u) >> 1u;
        if (runs[push.run_offset + mid].z <= g) lo = mid; else hi = mid - 1u;
    }
    uvec4 run = runs[push.run_offset + lo];
    uint i = run.x + (g - run.z);
    level = run.w;

    // The time test first, on the 16-byte temporal record alone: a primitive outside its
    // window (most of a long clip's, with active sets off) costs that one read.
    vec4 temp = temporal[i];
    float t = frame.time;
    if (!(t >= temp.x && t < temp.y)) {
        return false;
    }
    vec4 pos_t0 = position[i];
    float dt = t - pos_t0.w;
    float u = dt / temp.z;
    vec4 so = load4(1u, 4u * i, 0u);
    float opacity = so.w * exp(-0.5 * u * u);
    if (opacity < MIN_ALPHA) {
        return false;
    }
    // p(t) = p + dt (v + dt (a + dt j)), evaluated as the reference does.
    vec3 motion = vec3(0.0);
    for (int o = int(frame.motion_degree) - 1; o >= 0; --o) {
        motion = load4(2u, 4u * frame.motion_degree * i, 4u * uint(o)).xyz + dt * motion;
    }
    vec3 mean = pos_t0.xyz + dt * motion;
    vec4 q = load4(0u, 4u * i, 0u);
    if ((frame.flags & FLAG_HAS_OMEGA) != 0u) {
        q += load4(3u, 4u * i, 0u) * dt;
    }
    // Zero where a trainer left the rotation zero: the identity, as Primitive::rotation_at.
    float qlen = length(q);
    if (isnan(qlen) || isinf(qlen)) {
        return false;
    }
    if (qlen == 0.0) {
        q = vec4(1.0, 0.0, 0.0, 0.0);
        qlen = 1.0;
    }
    mat3 m = quat_to_mat3(q / qlen) * mat3(so.x, 0.0, 0.0, 0.0, so.y, 0.0, 0.0, 0.0, so.z);
    mat3 cov = m * transpose(m);

    vec2 center[2];
    vec3 conic[2];
    vec2 extent[2];
    vec3 color[2];
    // Each eye's: anti-aliasing scales opacity by the footprint that eye sees.
    float alpha[2] = float[2](opacity, opacity);
    bool antialiased = (frame.flags & FLAG_ANTIALIASED) != 0u;
    bool ok[2] = bool[2](false, false);
    float depth[2] = float[2](0.0, 0.0);
    bool any_ok = false;
    for (uint e = 0u; e < frame.view_count; ++e) {
        ok[e] = lod_selects(frame.eyes[e], level, length(mean - frame.eyes[e].position.xyz)) &&
                project(frame.eyes[e], mean, cov, antialiased, alpha[e], center[e], conic[e], extent[e], depth[e]);
        if (ok[e]) {
            vec3 to = pos_t0.xyz - frame.eyes[e].position.xyz;
            vec3 dir = dot(to, to) > 0.0 ? normalize(to) : vec3(0.0);
            color[e] = eval_color(i, dir, pos_t0.w - t);
            any_ok = true;
        }
    }
    if (!any_ok) {
        return false;
    }
    uint slot = atomicAdd(count_words[1], 1u);
    // Splats an eye does not draw, for the frame's counters: few (those at the edge of one
    // eye's frustum only), so these atomics cost far less than counting what each eye draws.
    for (uint e = 0u; e < frame.view_count; ++e) {
        if (!ok[e]) {
            atomicAdd(count_words[4u + e], 1u);
        }
    }
    // Far first: the raster blends back to front.
    vec3 from_origin = mean - frame.sort_origin.xyz;
    bool by_distance = (frame.flags & FLAG_SORT_DISTANCE) != 0u;
    keys[slot] = ~order_key(by_distance ? length(from_origin) : dot(from_origin, frame.sort_axis.xyz));
    values[slot] = slot;
    if ((frame.flags & FLAG_PER_EYE_SORT) != 0u) {
        // The right eye in its own view depth, as the reference orders splats for one camera.
        keys_right[slot] = ~order_key(dot(mean - frame.eyes[1].position.xyz, frame.eyes[1].rot2.xyz));
        values_right[slot] = slot;
    }
    for (uint e = 0u; e < frame.view_count; ++e) {
        write_record(e, slot, ok[e], center[e], conic[e], color[e], alpha[e], extent[e]);
        if ((frame.flags & FLAG_VIEW_DEPTH) != 0u) {
            view_depth[slot * frame.view_count + e] = depth[e];
        }
    }
    return true;
}

// Splats appended per level, summed in the workgroup first: one global atomic per level and
// workgroup instead of one per splat.
shared uint level_counts[8];

void main() {
    if (gl_LocalInvocationIndex < 8u) {
        level_counts[gl_LocalInvocationIndex] = 0u;
    }
    memoryBarrierShared();
    barrier();
    uint level;
    if (slice(gl_GlobalInvocationID.x, level)) {
        atomicAdd(level_counts[level], 1u);
    }
    memoryBarrierShared();
    barrier();
    uint k = gl_LocalInvocationIndex;
    if (k < 8u && level_counts[k] != 0u) {
        atomicAdd(count_words[8u + k], level_counts[k]);
    }
}
