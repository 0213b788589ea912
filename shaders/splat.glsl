// The runtime primitive's math on the GPU, mirroring runtime/src/primitive.rs, sh.rs and
// reference.rs::project: shared by the slice pass and anything else that needs it.

struct Eye {
    vec4 rot0;        // world-to-camera rotation, one row per vector (camera x, y, z axes)
    vec4 rot1;
    vec4 rot2;
    vec4 position;    // camera centre
    vec4 intrinsics;  // fx, fy, cx, cy (pixels; pixel centres at half-integers)
    vec4 tan_clamp;   // x/z and y/z clamp for the EWA Jacobian: min x, max x, min y, max y
    vec4 viewport;    // width, height, near, 0
    vec4 bands0;      // where each level's band begins for this eye, f·s_k/γ: levels 0..3
    vec4 bands1;      // levels 4..7
};

struct Frame {
    Eye eyes[2];
    vec4 sort_origin;     // keys are distances along sort_axis from here (eyes' midpoint,
                          // or the left eye with FLAG_PER_EYE_SORT), or from here with
                          // FLAG_SORT_DISTANCE
    vec4 sort_axis;
    float time;
    float sh_period;
    uint view_count;
    uint capacity;        // slots per projected buffer
    uint sh_degree;
    uint sh_degree_t;
    uint motion_degree;
    uint flags;           // FLAG_* below
    uvec4 lod;            // the finest and coarsest level drawn, 0, 0
};

#define FLAG_ROTATION_F16 1u
#define FLAG_SCALE_F16 2u
#define FLAG_MOTION_F16 4u
#define FLAG_OMEGA_F16 8u
#define FLAG_SH_F16 16u
#define FLAG_HAS_OMEGA 32u
// Frame flag: each eye has its own sort (keys_right), not one shared by both.
#define FLAG_PER_EYE_SORT 64u
// Frame flag: the asset was trained with anti-aliasing (opacity compensated for the dilation).
#define FLAG_ANTIALIASED 128u
// The frame composites with a host's depth: slice keeps each eye's view depth of each splat.
#define FLAG_VIEW_DEPTH 256u
// Frame flag: splats are sorted by distance from sort_origin (rotation-invariant), not along
// sort_axis.
#define FLAG_SORT_DISTANCE 512u

const float MIN_ALPHA = 1.0 / 255.0;

// Rotation matrix of a unit quaternion (w, x, y, z), as 3DGS builds it.
mat3 quat_to_mat3(vec4 q) {
    float w = q.x, x = q.y, y = q.z, z = q.w;
    return mat3(
        1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y),
        2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x),
        2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y));
}

// The 16 real SH basis values with the 3DGS signs.
void sh_basis(vec3 d, out float y[16]) {
    float x = d.x, yy_ = d.y, z = d.z;
    float xx = x * x, yy = yy_ * yy_, zz = z * z;
    y[0] = 0.2820948;
    y[1] = -0.4886025 * yy_;
    y[2] = 0.4886025 * z;
    y[3] = -0.4886025 * x;
    y[4] = 1.0925484 * x * yy_;
    y[5] = -1.0925484 * yy_ * z;
    y[6] = 0.31539157 * (2.0 * zz - xx - yy);
    y[7] = -1.0925484 * x * z;
    y[8] = 0.5462742 * (xx - yy);
    y[9] = -0.5900436 * yy_ * (3.0 * xx - yy);
    y[10] = 2.8906114 * x * yy_ * z;
    y[11] = -0.4570458 * yy_ * (4.0 * zz - xx - yy);
    y[12] = 0.3731763 * z * (2.0 * zz - 3.0 * xx - 3.0 * yy);
    y[13] = -0.4570458 * x * (4.0 * zz - xx - yy);
    y[14] = 1.4453057 * z * (xx - yy);
    y[15] = -0.5900436 * x * (xx - 3.0 * yy);
}

// Projects a 3D Gaussian for one eye (reference.rs::project with the exact footprint), with the
// anti-aliasing compensation of `opacity` where the frame asks for it. Returns false when it is
// culled: behind the near plane, degenerate, too faint, or off screen.
bool project(Eye e, vec3 mean, mat3 cov, bool antialiased, inout float opacity, out vec2 center, out vec3 conic,
             out vec2 extent, out float depth) {
    vec3 rel = mean - e.position.xyz;
    vec3 v = vec3(dot(e.rot0.xyz, rel), dot(e.rot1.xyz, rel), dot(e.rot2.xyz, rel));
    if (!(v.z > e.viewport.z)) {
        return false;
    }
    float fx = e.intrinsics.x, fy = e.intrinsics.y;
    float tx = clamp(v.x / v.z, e.tan_clamp.x, e.tan_clamp.y);
    float ty = clamp(v.y / v.z, e.tan_clamp.z, e.tan_clamp.w);
    // Rows of J·W, J the EWA Jacobian at the clamped direction.
    vec3 t0 = (fx / v.z) * e.rot0.xyz - (fx * tx / v.z) * e.rot2.xyz;
    vec3 t1 = (fy / v.z) * e.rot1.xyz - (fy * ty / v.z) * e.rot2.xyz;
    float a0 = dot(t0, cov * t0);
    float b = dot(t0, cov * t1);
    float c0 = dot(t1, cov * t1);
    float a = a0 + 0.3;
    float c = c0 + 0.3;
    float det = a * c - b * b;
    if (det == 0.0 || isnan(det) || isinf(det)) {
        return false;
    }
    if (antialiased) {
        opacity *= sqrt(max((a0 * c0 - b * b) / det, 0.000025));
        if (opacity < MIN_ALPHA) {
            return false;
        }
    }
    conic = vec3(c, -b, a) / det;
    center = vec2(fx * v.x / v.z + e.intrinsics.z, fy * v.y / v.z + e.intrinsics.w);
    // alpha >= 1/255 inside d'Σ⁻¹d <= 2 ln(255 o): the ellipse's bounding box, plus a pixel.
    float k = 2.0 * max(log(255.0 * opacity), 0.0) + 1e-3;
    extent = sqrt(k * vec2(a, c)) + 1.0;
    if (center.x + extent.x < 0.0 || center.y + extent.y < 0.0 || center.x - extent.x > e.viewport.x ||
        center.y - extent.y > e.viewport.y) {
        return false;
    }
    depth = v.z;
    return true;
}

// A float key whose unsigned order is the float order (negative values included).
uint order_key(float f) {
    uint u = floatBitsToUint(f);
    return (u & 0x80000000u) != 0u ? ~u : u | 0x80000000u;
}
