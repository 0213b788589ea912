#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, seeded with the shared test assets.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Needs cargo-fuzz (`cargo install cargo-fuzz`); builds without a sanitizer so that it runs on
# the stable toolchain. A crash leaves its input under fuzz/artifacts/ and fails the script.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
assets=${SPLAT4D_ASSETS:-$root/../shared/assets}
[ -f "$assets/README.md" ] || { echo "fuzz.sh: shared assets not found at $assets (set SPLAT4D_ASSETS)" >&2; exit 1; }
cd "$root/fuzz"
corpus=$root/fuzz/corpus
mkdir -p "$corpus"/{open_asset,import_4dgs_ply,import_3dgs_ply,import_splatv,import_splat}
cp "$assets"/3d/*.ply "$assets"/4d/fireworks-frames/frame_000.ply "$corpus/import_3dgs_ply/"
cp "$assets"/4d/*.splatv "$corpus/import_splatv/"
cp "$assets"/3d/minimal.splat "$corpus/import_splat/"
# 4DGS PLYs and packed assets are made by the project itself.
python3 "$root/tests/export/make_checkpoint.py" "$corpus/ck.pth"
python3 "$root/scripts/export_4dgs_ply.py" "$corpus/ck.pth" -o "$corpus/import_4dgs_ply/seed.ply" --time-range 0 10 >/dev/null
rm -f "$corpus/ck.pth"
cargo run -q --release --manifest-path "$root/Cargo.toml" -p splat4d-cli -- \
    pack "$assets/3d/minimal.splat" -o "$corpus/open_asset/minimal.s4d" 2>/dev/null
cargo run -q --release --manifest-path "$root/Cargo.toml" -p splat4d-cli -- \
    pack "$corpus/import_4dgs_ply/seed.ply" -o "$corpus/open_asset/fourdgs.s4d" 2>/dev/null
cargo fuzz build -s none -O
for target in open_asset import_4dgs_ply import_3dgs_ply import_splatv import_splat; do
    log=$root/fuzz/$target.log
    if ! cargo fuzz run -s none -O "$target" "$corpus/$target" -- -max_total_time="$seconds" \
        -max_len=65536 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 >"$log" 2>&1; then
        tail -40 "$log" >&2
        echo "fuzz target $target failed; its input is under fuzz/artifacts/$target" >&2
        exit 1
    fi
    echo "fuzz $target: ${seconds}s, $(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs, peak $(grep -o 'peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$') MB"
done
echo "fuzz: all targets ran ${seconds}s without a crash"
