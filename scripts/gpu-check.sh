#!/usr/bin/env bash
# The checks CI cannot run: the GPU tests and the benchmarks on a real GPU (a device session's
# lent machine), as one prepared run.
#   scripts/gpu-check.sh prepare     here: release test and bench programs, stripped, the Vulkan
#                                    loader and validation layers as .debs, the shared assets and
#                                    the commit, all in .gpu/ (ignored; carry it)
#   scripts/gpu-check.sh run [PARTS] there, from the checkout's root: unpacks the .debs, runs PARTS
#                                    (default: tests render overhead composite active levels governor
#                                    stream)
#                                    and leaves tests.log, summary.txt and results.tar.gz in $OUT
# PARTS: tests (every gpu_* test, validation on), render (render.rs, 300 frames, with the 2 M
# synthetic clip), overhead (render.rs --overhead), composite (composite.rs, stereo 2×2064×2208),
# active (lod.rs, 20 M), levels, governor, stream (lod.rs, 2 M). A part that fails is named in
# summary.txt; the others still run.
set -uo pipefail
cd "$(dirname "$0")/.."
here=$PWD
gpu=$here/.gpu
tests=(gpu_render gpu_frames gpu_lod gpu_stream gpu_embedded gpu_composite gpu_sort gpu_profile)

built() { # cargo's JSON messages on stdin → "name path" of each test or bench executable
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"][0] in ("test", "bench"):
        print(m["target"]["name"], m["executable"])'
}

prepare() {
    set -e
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
    rm -rf "$gpu" && mkdir -p "$gpu/bin" "$gpu/deb"
    local args=()
    for t in "${tests[@]}"; do args+=(--test "$t"); done
    { cargo test --release -p splat4d "${args[@]}" --no-run --message-format=json
      cargo bench -p splat4d --bench render --bench lod --bench composite --no-run --message-format=json; } | built |
        while read -r name path; do strip -o "$gpu/bin/$name" "$path"; done
    ls "$gpu/bin"
    # The machine there has the NVIDIA driver but no loader and no layers (device README).
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    mkdir -p /tmp/amd64/partial
    apt-get "${o[@]}" update -qq
    (cd "$gpu/deb" && apt-get "${o[@]}" download libvulkan1 vulkan-validationlayers)
    cp -r "${SPLAT4D_ASSETS:-../shared/assets}" "$gpu/assets"
    git rev-parse --short=12 HEAD >"$gpu/commit"
    if ! git diff --quiet HEAD; then echo "$(cat "$gpu/commit")+changes" >"$gpu/commit"; fi
    du -sh "$gpu"
}

run() {
    local out=${OUT:?run is for the device machine, where OUT is set}
    local parts=${*:-tests render overhead composite active levels governor stream}
    for f in "$gpu"/deb/*.deb; do dpkg -x "$f" /; done
    ldconfig
    local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f "$icd" ] && export VK_DRIVER_FILES=$icd
    export SPLAT4D_ASSETS=$gpu/assets SPLAT4D_COMMIT=$(cat "$gpu/commit")
    local results=$out/results summary=$out/summary.txt
    mkdir -p "$results"
    { echo "commit $SPLAT4D_COMMIT, $(date -u +%FT%TZ)"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1; } >"$summary"
    outcome() { # part, status
        if [ "$2" = 0 ]; then echo "ok     $1" >>"$summary"; else echo "FAILED $1 (exit $2)" >>"$summary"; fi
    }
    for part in $parts; do
        echo "== $part" | tee -a "$out/tests.log"
        case $part in
        tests)
            for t in "${tests[@]}"; do
                timeout 300 "$gpu/bin/$t" --test-threads=4 --nocapture >>"$out/tests.log" 2>&1
                outcome "$t" $?
            done
            # Each test's own figures (worst PSNR, upload path, SKIPPED lines), for the record.
            grep -E 'dB|SKIPPED|differ|uploads|test result' "$out/tests.log" >"$results/test-figures.txt"
            ;;
        render | overhead)
            local extra=(--frames 300 --synthetic 2000000)
            [ "$part" = overhead ] && extra=(--overhead --frames 300)
            (cd runtime && timeout 400 "$gpu/bin/render" "${extra[@]}" --json "$results/$part.json" \
                "$gpu/assets/4d/technicolor-sam.splatv" "$gpu/assets/4d/fireworks-timesliced.splatv") >>"$out/tests.log" 2>&1
            outcome "$part" $?
            ;;
        composite)
            (cd runtime && timeout 300 "$gpu/bin/composite" --frames 60 --json "$results/composite.json" \
                "$gpu/assets/4d/technicolor-sam.splatv") >>"$out/tests.log" 2>&1
            outcome "$part" $?
            ;;
        active | levels | governor | stream)
            local n=2000000
            [ "$part" = active ] && n=20000000
            (cd runtime && timeout 400 "$gpu/bin/lod" --part "$part" --primitives $n --json "$results/$part.json") >>"$out/tests.log" 2>&1
            outcome "$part" $?
            ;;
        *) echo "unknown part $part" >>"$summary" ;;
        esac
    done
    tar -C "$out" -czf "$out/results.tar.gz" results && rm -rf "$results"
    cat "$summary"
}

case ${1:-} in
prepare) prepare ;;
run) shift && run "$@" ;;
*) sed -n '2,13p' "$0" >&2 && exit 2 ;;
esac
