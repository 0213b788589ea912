#!/usr/bin/env bash
# Runs programs against a current Vulkan software stack: Debian trixie's Mesa lavapipe, Vulkan
# loader and Khronos validation layer, in a cached minimal chroot. The host's (Debian 12) lavapipe
# is Mesa 22.3, which renders only the first view of a multiview pass, so the GPU tests run here.
# It also has gcc/g++, binutils and Mono: tests build, run and inspect C, C++ and C# hosts in it;
# Monado (an OpenXR runtime) with the OpenXR loader: the XR tests start its service there; and
# Xvfb with xwd: the desktop player is tested in a virtual X display.
# Binaries built on the host run unchanged inside (trixie's glibc is newer).
#
#   scripts/vk-chroot.sh up            create or refresh the chroot, mount what it needs
#   scripts/vk-chroot.sh exec CMD...   run CMD inside, in the current directory (after `up`)
#   scripts/vk-chroot.sh down          unmount
# As cargo's runner: CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/scripts/vk-chroot.sh exec"
# Needs root (debootstrap, mount, chroot). SPLAT4D_CHROOT sets the location.
set -euo pipefail
root=${SPLAT4D_CHROOT:-/var/cache/splat4d/trixie}
repo=$(cd "$(dirname "$0")/.." && pwd -P)
# The folder holding the checkout and shared/ beside it, and shared/ itself if that is a link
# to somewhere else: tests name the assets as ../shared/assets from the checkout.
parent=$(cd "$repo/.." && pwd -P)
shared_real=$(cd "$parent/shared" 2>/dev/null && pwd -P || true)
packages="mesa-vulkan-drivers libvulkan1 vulkan-validationlayers python3 python3-numpy gcc g++ libc6-dev binutils mono-mcs mono-runtime libvulkan-dev monado-service libopenxr1-monado libopenxr-loader1 libopenxr-dev openxr-layer-corevalidation xvfb x11-apps libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxi6 libxrandr2"
mirror=$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -o -E 'https?://[^ ]+/debian/?$' | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

die() { echo "vk-chroot: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, mount, chroot)"

bound=""
bind() {   # bind $1 at the same path inside, unless a folder bound before already holds it
    [ -d "$1" ] || return 0
    for b in $bound; do case "$1/" in "$b"/*) return 0 ;; esac; done
    bound="$bound $1"
    mkdir -p "$root$1"
    mountpoint -q "$root$1" || mount --bind "$1" "$root$1"
}

up() {
    if [ ! -f "$root/.ready" ] || [ "$(cat "$root/.ready")" != "$packages" ]; then
        command -v debootstrap >/dev/null || {
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        }
        down
        if [ ! -x "$root/usr/bin/apt-get" ]; then
            rm -rf --one-file-system "$root"
            mkdir -p "$root"
            echo "vk-chroot: debootstrap trixie from $mirror" >&2
            debootstrap --variant=minbase trixie "$root" "$mirror" >/dev/null || die "debootstrap failed"
        fi
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
            sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages >/dev/null && apt-get clean" \
            || die "apt-get in the chroot failed"
        echo "$packages" >"$root/.ready"
    fi
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    if ! mountpoint -q "$root/dev"; then mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"; fi
    # /tmp first: binds below it (a checkout in /tmp) must not be hidden by it.
    bind /tmp
    [ "$parent" = / ] || bind "$parent"
    [ -z "$shared_real" ] || bind "$shared_real"
    bind "${CARGO_TARGET_DIR:-$repo/target}"
}

down() {   # unmount everything below the chroot, deepest first
    # (grep finds nothing when nothing is mounted: not an error)
    { findmnt -rno TARGET | grep "^$root/" || true; } | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    exec)
        shift
        mountpoint -q "$root/proc" || die "not set up: run '$0 up' first"
        # The host's driver and layer paths mean nothing inside.
        exec chroot "$root" /usr/bin/env -u LD_LIBRARY_PATH -u VK_ICD_FILENAMES -u VK_DRIVER_FILES \
            -u VK_LAYER_PATH PATH=/usr/bin:/bin HOME=/root sh -c 'cd "$1" && shift && exec "$@"' sh "$(pwd -P)" "$@" ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
esac
