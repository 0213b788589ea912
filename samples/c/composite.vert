#version 450
// composite.c's own geometry: flat-coloured triangles in the asset's space.
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 color;
layout(push_constant) uniform Push { mat4 view_projection; } push;
layout(location = 0) out vec3 out_color;

void main() {
    gl_Position = push.view_projection * vec4(position, 1.0);
    out_color = color;
}
