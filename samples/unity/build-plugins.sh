#!/bin/sh
# Builds libsplat4d.so and puts it into the package's Plugins/ with the .meta Unity reads for a
# native plugin: the platforms it is for, and "Load on startup" (isPreloaded), which lets the
# plugin turn on multiview as Unity creates its Vulkan device.
#
#   samples/unity/build-plugins.sh            Linux x86_64 (Editor and standalone player)
#   samples/unity/build-plugins.sh android    Android arm64-v8a too (needs the Android NDK and
#                                             cargo-ndk: cargo install cargo-ndk; rustup target
#                                             add aarch64-linux-android)
#
# LIB=path/to/libsplat4d.so takes that Linux library instead of building one; PACKAGE=dir puts
# Plugins/ there instead of beside this script (the test suite does both).
set -eu
script=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$script/../.." && pwd)
here=${PACKAGE:-$script}
mkdir -p "$here/Plugins/x86_64" "$here/Plugins/Android/arm64-v8a"

# meta PATH PLATFORM-BLOCK: Unity's PluginImporter settings, with a GUID fixed by the path.
meta() {
    guid=$(printf '%s' "splat4d:$1" | md5sum | cut -c1-32)
    cat > "$here/$1.meta" <<META
fileFormatVersion: 2
guid: $guid
PluginImporter:
  externalObjects: {}
  serializedVersion: 2
  iconMap: {}
  executionOrder: {}
  defineConstraints: []
  isPreloaded: 1
  isOverridable: 0
  isExplicitlyReferenced: 0
  validateReferences: 1
  platformData:
$2
  userData:
  assetBundleName:
  assetBundleVariant:
META
}

if [ -z "${LIB:-}" ]; then
    cargo build --release -p splat4d --manifest-path "$root/Cargo.toml"
    LIB="$root/target/release/libsplat4d.so"
fi
cp "$LIB" "$here/Plugins/x86_64/libsplat4d.so"
meta Plugins/x86_64/libsplat4d.so "  - first:
      Any:
    second:
      enabled: 0
      settings: {}
  - first:
      Editor: Editor
    second:
      enabled: 1
      settings:
        CPU: x86_64
        DefaultValueInitialized: true
        OS: Linux
  - first:
      Standalone: Linux64
    second:
      enabled: 1
      settings:
        CPU: x86_64"
echo "Plugins/x86_64/libsplat4d.so"

if [ "${1:-}" = android ]; then
    # A player does not pack: built without the packer (s4d_pack refuses), smaller.
    (cd "$root" && cargo ndk -t arm64-v8a build --release -p splat4d --no-default-features)
    cp "$root/target/aarch64-linux-android/release/libsplat4d.so" "$here/Plugins/Android/arm64-v8a/libsplat4d.so"
    meta Plugins/Android/arm64-v8a/libsplat4d.so "  - first:
      Any:
    second:
      enabled: 0
      settings: {}
  - first:
      Android: Android
    second:
      enabled: 1
      settings:
        CPU: ARM64"
    echo "Plugins/Android/arm64-v8a/libsplat4d.so"
fi
