#version 450
#define DEPTH_OUT 0
#include "splat_fragment.glsl"
