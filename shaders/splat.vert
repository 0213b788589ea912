#version 450
#extension GL_EXT_multiview : require
#define MULTIVIEW 1
#include "splat_vertex.glsl"
