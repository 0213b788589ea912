#!/usr/bin/env bash
# Builds the splat4d headset app for Android OpenXR devices (arm64-v8a) into an APK.
#   android/build.sh [debug|release]      (default: release)
# Needs: the Android SDK and NDK (ANDROID_HOME, ANDROID_NDK_HOME), Rust's aarch64-linux-android
# target, cargo-ndk, and Gradle 8.9 or newer. See android/README.md.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-release}
profile_flag=$([ "$mode" = release ] && echo --release || true)
command -v cargo-ndk >/dev/null || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
rustup target list --installed | grep -qx aarch64-linux-android \
    || { echo "Rust's Android target is missing: rustup target add aarch64-linux-android" >&2; exit 1; }
# libsplat4d_android.so into the APK's native libraries (the shaders are compiled by glslc on
# this machine, as for every build).
cargo ndk --platform 29 -t arm64-v8a -o app/src/main/jniLibs build $profile_flag -p splat4d-android
task=$([ "$mode" = release ] && echo assembleRelease || echo assembleDebug)
gradle --no-daemon "$task"
ls -l app/build/outputs/apk/"$mode"/*.apk
