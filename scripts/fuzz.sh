#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (see fuzz/src/lib.rs) for a short while
# under libFuzzer, coverage-guided, through cargo-fuzz on the stable
# toolchain (`--sanitizer none`: teamgate has no unsafe code). Where
# cargo-fuzz cannot be had, falls back to the stable driver (random
# mutation of the seeds, no coverage feedback) and says so.
#
#   FUZZ_SECONDS   time per target (default 20)
#   FUZZ_TARGETS   space-separated subset (default: all)
#   FUZZ_DRIVER    `stable` to use the stable driver even where cargo-fuzz works
#
# A longer run of one target, keeping its corpus between runs:
#   cargo fuzz run --sanitizer none NAME fuzz/corpus/NAME fuzz/seeds/NAME -- -max_total_time=3600
# A failing input is saved under fuzz/artifacts/NAME/ and replays with
#   cargo fuzz run --sanitizer none NAME fuzz/artifacts/NAME/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-20}
targets=${FUZZ_TARGETS:-$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^teamgate-fuzz$\|^stable$')}

log=target/fuzz-build.log
mkdir -p target
if [[ ${FUZZ_DRIVER:-} != stable ]] && ! command -v cargo-fuzz >/dev/null; then
    cargo install --locked --quiet cargo-fuzz --version '^0.13' || true
fi
if [[ ${FUZZ_DRIVER:-} == stable ]] || ! command -v cargo-fuzz >/dev/null \
    || ! cargo fuzz build --sanitizer none >/dev/null 2>"$log"; then
    echo "fuzz: libFuzzer not used (FUZZ_DRIVER=${FUZZ_DRIVER:-}, or see $log);" \
        "the stable driver runs instead, without coverage feedback"
    TEAMGATE_FUZZ_SECONDS=$seconds cargo test -p teamgate-fuzz --test stable -- --nocapture 2>&1
    exit
fi

corpus=$(mktemp -d -t teamgate-fuzz.XXXXXX)
trap 'rm -rf "$corpus"' EXIT
summary=()
for target in $targets; do
    mkdir -p "$corpus/$target"
    started=$(date +%s)
    if ! cargo fuzz run --sanitizer none "$target" "$corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$corpus/$target.log" 2>&1; then
        tail -n 60 "$corpus/$target.log"
        echo "fuzz: target $target FAILED; the input is under fuzz/artifacts/$target/"
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$corpus/$target.log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$corpus/$target.log" | tail -n 1)
    summary+=("$target: ${runs:-?} inputs, ${cov:-cov: ?} edges, $(( $(date +%s) - started ))s")
done
echo "fuzz (libFuzzer via cargo-fuzz, ${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
echo "${#summary[@]} passed, 0 failed"
