#!/usr/bin/env bash
# Runs every benchmark of teamgate and writes BENCHMARKS.md and bench/chart.svg.
#   bench/run.sh            full sizes (under 40 minutes on the 2-core machine)
#   bench/run.sh --quick    smaller sizes (under 5 minutes once built)
# PostgreSQL figures need TEAMGATE_TEST_DATABASE_URL (fresh schemas are made
# there and dropped afterwards), e.g. postgres://postgres@127.0.0.1:5432/test.
# The HTTP figures need wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "wrk is missing: apt-get install wrk" >&2
    exit 1
fi

started=$(date +%s)
# Build everything first, so nothing compiles while figures are taken; the
# runner starts the bench executables this built, not cargo.
cargo build --release -p teamgate
cargo bench --no-run -p teamgate-bench -p teamgate-bench-compare
# Copies, so a build by someone else meanwhile cannot swap them mid-run.
mkdir -p target/bench-bin
cp target/release/teamgate target/release/teamgate-bench-run target/release/ceiling target/bench-bin/
built=$(date +%s)
echo "build took $((built - started)) s" >&2
export TEAMGATE_BENCH_BUILD_SECONDS=$((built - started))

target/bench-bin/teamgate-bench-run --root . "$@"
echo "bench/run.sh $*: $(( $(date +%s) - started )) s in all, of which build $((built - started)) s" >&2
