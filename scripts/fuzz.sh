#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, with AddressSanitizer, debug assertions and overflow
# checks (cargo-fuzz's defaults), and prints how many inputs each one ran.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#
# Each target starts from its corpus in the repository (fuzz/corpus/TARGET: what earlier runs
# found, minimised), plus seeds made here from the shared test assets and the project's own
# writers (fuzz/seeds/, not tracked). New inputs that reach new code are written to the corpus
# folder: to keep them for the next run, minimise (`cargo fuzz cmin TARGET`) and commit it.
# -reduce_inputs=0: libFuzzer otherwise replaces a corpus file by a smaller input that covers the
# same, deleting the tracked file, and CI fails its check that no tracked file changed.
# A crash leaves its input under fuzz/artifacts/ and fails the script.
#
# The sanitizer needs an unstable rustc flag (-Zsanitizer=address) and the machine has the stable
# toolchain only: RUSTC_BOOTSTRAP=1 lets stable rustc take it, for the fuzz builds alone.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
assets=${SPLAT4D_ASSETS:-$root/../shared/assets}
[ -f "$assets/README.md" ] || { echo "fuzz.sh: shared assets not found at $assets (set SPLAT4D_ASSETS)" >&2; exit 1; }
targets=(open_asset import_4dgs_ply import_3dgs_ply import_splatv import_splat
    import_spz import_compressed_ply import_sog import_gltf import_ksplat)
cd "$root/fuzz"
corpus=$root/fuzz/corpus
seeds=$root/fuzz/seeds
for t in "${targets[@]}"; do mkdir -p "$corpus/$t" "$seeds/$t"; done
cp "$assets"/3d/*.ply "$assets"/4d/fireworks-frames/frame_000.ply "$seeds/import_3dgs_ply/"
cp "$assets"/4d/*.splatv "$seeds/import_splatv/"
cp "$assets"/3d/minimal.splat "$seeds/import_splat/"
# The compressed formats start from a 126-splat file of each made by splat-transform (the format
# tests' files exceed -max_len) and from its fixtures.
data=$root/runtime/tests/data/splat-transform
cp "$data"/minimal-v*.spz "$data"/tiny/t.spz "$seeds/import_spz/"
cp "$data"/tiny/t.compressed.ply "$seeds/import_compressed_ply/"
cp "$data"/tiny/t.sog "$seeds/import_sog/"
cp "$data"/tiny/t.glb "$seeds/import_gltf/"
cp "$data"/minimal.ksplat "$data"/tiny/t.ksplat "$seeds/import_ksplat/"
# 4DGS PLYs and packed assets are made by the project itself.
python3 "$root/tests/export/make_checkpoint.py" "$seeds/ck.pth"
python3 "$root/scripts/export_4dgs_ply.py" "$seeds/ck.pth" -o "$seeds/import_4dgs_ply/seed.ply" --time-range 0 10 >/dev/null
rm -f "$seeds/ck.pth"
cargo run -q --release --manifest-path "$root/Cargo.toml" -p splat4d-cli -- \
    pack "$assets/3d/minimal.splat" -o "$seeds/open_asset/minimal.s4d" 2>/dev/null
cargo run -q --release --manifest-path "$root/Cargo.toml" -p splat4d-cli -- \
    pack "$seeds/import_4dgs_ply/seed.ply" -o "$seeds/open_asset/fourdgs.s4d" 2>/dev/null
flags=(-O --debug-assertions --sanitizer address)
RUSTC_BOOTSTRAP=1 cargo fuzz build "${flags[@]}"
for target in "${targets[@]}"; do
    log=$root/fuzz/$target.log
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "${flags[@]}" "$target" "$corpus/$target" "$seeds/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
        -reduce_inputs=0 >"$log" 2>&1; then
        tail -40 "$log" >&2
        echo "fuzz target $target failed; its input is under fuzz/artifacts/$target" >&2
        exit 1
    fi
    runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    peak=$(grep -o 'peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$')
    kept=$(find "$corpus/$target" -type f | wc -l)
    echo "fuzz $target: ${seconds}s, $runs inputs ($((runs / seconds))/s), corpus of $kept, peak $peak MB (ASan)"
done
echo "fuzz: all targets ran ${seconds}s under AddressSanitizer without a crash"
