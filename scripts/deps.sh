#!/usr/bin/env bash
# Installs the system packages splat4d builds and tests with, when they are missing (Debian/Ubuntu):
# glslc compiles the shaders; the Vulkan loader, Mesa's drivers (lavapipe, a software GPU) and the
# Khronos validation layer run the GPU code anywhere; g++ builds libFuzzer.
set -euo pipefail
packages=(glslc libvulkan1 mesa-vulkan-drivers vulkan-validationlayers g++)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]}" >&2
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
