#!/usr/bin/env bash
# Every test splat4d has. Installs what the tests need when it is missing (scripts/deps.sh, numpy,
# cargo-fuzz), then: format, lints, the lean runtime build, the test suite, bounded fuzzing, and a
# check that no tracked file changed. Refuses to run with SPLAT4D_BLESS set.
#   scripts/test.sh                      everything (fuzz 30 s per target)
#   SPLAT4D_FUZZ_SECONDS=0 scripts/test.sh   skip fuzzing
# Needs the shared test assets at ../shared/assets (or $SPLAT4D_ASSETS), and root for the chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

# Blessing rewrites golden images and the header instead of checking them: never here.
if [ -n "${SPLAT4D_BLESS+set}" ]; then
    echo "scripts/test.sh: SPLAT4D_BLESS is set (to '$SPLAT4D_BLESS'): the tests would rewrite what they check." >&2
    echo "Unset it; bless with 'SPLAT4D_BLESS=1 cargo test -p splat4d --test golden' (or --test header) alone." >&2
    exit 1
fi
# What the tracked files hold now, to check at the end that no test changed one.
tracked_before=$(git diff HEAD --binary 2>/dev/null | sha256sum || true)

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
else
    step "fuzzing SKIPPED (SPLAT4D_FUZZ_SECONDS=0): no fuzz target ran"
fi
step "no tracked file changed"
if git rev-parse --git-dir >/dev/null 2>&1; then
    if [ "$(git diff HEAD --binary | sha256sum)" != "$tracked_before" ]; then
        git status --short --untracked-files=no >&2
        echo "scripts/test.sh: the tests changed tracked files (above)" >&2
        exit 1
    fi
    echo "tracked files as they were"
else
    echo "not a git checkout: nothing to compare"
fi
