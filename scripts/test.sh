#!/usr/bin/env bash
# Every test splat4d has. Installs what the tests need when it is missing (scripts/deps.sh, numpy,
# cargo-fuzz), then: format, lints, the lean runtime build, the test suite, bounded fuzzing.
#   scripts/test.sh                      everything (fuzz 30 s per target)
#   SPLAT4D_FUZZ_SECONDS=0 scripts/test.sh   skip fuzzing
# Needs the shared test assets at ../shared/assets (or $SPLAT4D_ASSETS), and root for the chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

scripts/deps.sh
python=${PYTHON:-python3}
if ! "$python" -c 'import numpy' 2>/dev/null; then
    step "installing numpy (for the 4DGS exporter)"
    "$python" -m pip install --quiet numpy
fi
fuzz_seconds=${SPLAT4D_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ] && ! cargo fuzz --version >/dev/null 2>&1; then
    step "installing cargo-fuzz"
    cargo install --quiet --locked cargo-fuzz
fi

step "cargo fmt"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "runtime without the packer (what a headset player links)"
cargo clippy --quiet -p splat4d --no-default-features -- -D warnings
step "libsplat4d.so (the C hosts in the tests link it; cargo test does not build it)"
cargo build -p splat4d
step "cargo test (test programs run against trixie's Mesa lavapipe, scripts/vk-chroot.sh)"
scripts/vk-chroot.sh up
trap 'scripts/vk-chroot.sh down' EXIT
CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/scripts/vk-chroot.sh exec" cargo test --workspace
if [ "$fuzz_seconds" != 0 ]; then
    step "fuzzing (${fuzz_seconds}s per target)"
    scripts/fuzz.sh "$fuzz_seconds"
fi
