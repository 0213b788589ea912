// Host depth conventions (runtime/src/depth.rs): the value a depth buffer stores for view depth z,
// for a perspective projection with planes near..far (far may be +inf), standard or reverse Z.
// Reverse Z is computed directly, not as 1 - d, so that it keeps its precision far away.

#define DEPTH_NONE 0u
#define DEPTH_STANDARD 1u
#define DEPTH_REVERSED 2u

float stored_depth(uint mode, float near, float far, float z) {
    float d;
    if (mode == DEPTH_REVERSED) {
        d = isinf(far) ? near / z : near * (far - z) / ((far - near) * z);
    } else {
        d = isinf(far) ? 1.0 - near / z : far * (z - near) / ((far - near) * z);
    }
    return clamp(d, 0.0, 1.0);
}
