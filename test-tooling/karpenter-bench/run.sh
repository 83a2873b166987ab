#!/usr/bin/env bash
# Runs Karpenter's own scheduling benchmark (built by build.sh) and prints Go's benchmark
# output unchanged, e.g.
#
#   ./run.sh                                   BenchmarkScheduling2000, once
#   ./run.sh 'BenchmarkScheduling(1000|2000)$' 3x
#   ./run.sh BenchmarkScheduling2000 1x -test.count=5    (extra flags go to the test binary)
#
# A name is anchored (^name$); anything else is passed to -test.bench as a regular expression.
# benchtime is Go's: "3x" runs the measured loop 3 times, "20s" until 20 s have passed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BENCH="${1:-BenchmarkScheduling2000}"
BENCHTIME="${2:-1x}"
shift $(( $# < 2 ? $# : 2 ))
[[ "$BENCH" =~ ^[A-Za-z0-9_]+$ ]] && BENCH="^$BENCH\$"

BIN=$("$HERE/build.sh" | tail -1)
# The test binary may write profiles into its working directory; keep them out of the repo.
cd "$(dirname "$BIN")"
exec "$BIN" -test.run='^$' -test.bench="$BENCH" -test.benchtime="$BENCHTIME" -test.benchmem "$@"
