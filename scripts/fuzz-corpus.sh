#!/usr/bin/env bash
# Rewrites the fuzz corpus kept in the repository (fuzz/corpus/TARGET) from what the last
# scripts/fuzz.sh runs found: only inputs that reach code the seeds (fuzz/seeds, rebuilt by every
# run from the shared assets) do not, and only those of at most 4 KB, so the repository stays
# small; large inputs grow back from the seeds in seconds. Commit fuzz/corpus afterwards.
#   scripts/fuzz.sh 60 && scripts/fuzz-corpus.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
bin=target/x86_64-unknown-linux-gnu/release
for target in open_asset import_4dgs_ply import_3dgs_ply import_splatv import_splat \
    import_spz import_compressed_ply import_sog import_gltf import_ksplat; do
    [ -x "$bin/$target" ] && [ -d "seeds/$target" ] || { echo "fuzz-corpus.sh: run scripts/fuzz.sh first" >&2; exit 1; }
    work=$(mktemp -d)
    cp seeds/"$target"/* "$work/"
    # -merge=1 adds to the first folder only the inputs of the others that add coverage.
    "$bin/$target" -merge=1 -max_len=65536 -rss_limit_mb=4096 "$work" "corpus/$target" >/dev/null 2>&1
    for seed in seeds/"$target"/*; do rm -f "$work/$(basename "$seed")"; done
    rm -rf "corpus/$target"
    mkdir -p "corpus/$target"
    find "$work" -type f -size -4097c -exec cp {} "corpus/$target/" \;
    rm -rf "$work"
    echo "corpus/$target: $(find "corpus/$target" -type f | wc -l) inputs, $(du -sh --apparent-size "corpus/$target" | cut -f1)"
done
