#version 450
// For frames that hand their depth back to a host.
#define DEPTH_OUT 1
#include "splat_fragment.glsl"
