#version 450
// For passes without multiview (one view, or one eye at a time where multiview is missing).
#define MULTIVIEW 0
#include "splat_vertex.glsl"
