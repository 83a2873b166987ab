#!/usr/bin/env bash
# Compiles Karpenter's own scheduling benchmark (the test binary of
# sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling, build tag test_performance)
# for the Karpenter version pinned in go.mod, into a per-user cache OUTSIDE the repo:
#
#   ${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}/karpenter-bench/v<version>/scheduling.test
#
# No-op when that binary exists and was built from the current go.mod/go.sum/tools.go.
# The binary path is always the last line on stdout; progress goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"

PKG=sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling
V=$(sed -n 's/^[[:space:]]*sigs\.k8s\.io\/karpenter v\([^ ]*\).*/\1/p' go.mod | head -1)
[ -n "$V" ] || { echo "build.sh: no sigs.k8s.io/karpenter requirement in $HERE/go.mod" >&2; exit 1; }
CACHE="${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}"
OUT_DIR="$CACHE/karpenter-bench/v$V"
BIN="$OUT_DIR/scheduling.test"
STAMP="$OUT_DIR/scheduling.test.sources.sha256"
BUILD_INFO="$OUT_DIR/scheduling.test.build.json"

# The cache key is the version plus a hash of the module files, so a regenerated go.sum
# rebuilds even when the version string is unchanged.
SRC_HASH=$(cat go.mod go.sum tools.go | sha256sum | cut -d' ' -f1)
is_fresh() { [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SRC_HASH" ]; }

if is_fresh; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Go is required to build Karpenter's scheduling benchmark: install Go >= 1.26 (e.g. apt-get install golang or from go.dev)" >&2
  exit 1
fi

# Karpenter's go.mod asks for a newer patch release than many machines have (v1.15.0 says
# go 1.26.9). With GOTOOLCHAIN=local the go command refuses the module outright, so fall
# back to the toolchain the Kubernetes test plane already uses for the same reason; the go
# command fetches it from the module proxy once (about 300 MB in the module cache).
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
NEED_GO=$(sed -n 's/^go \([0-9.]*\).*/\1/p' go.mod)
HAVE_GO=$(go env GOVERSION | sed -n 's/^go\([0-9.]*\).*/\1/p')
if ! version_ge "${HAVE_GO:-0}" "$NEED_GO"; then
  FALLBACK=$(sed -n 's/.*"downloadToolchain": *"\([^"]*\)".*/\1/p' "$HERE/../kube/versions.json")
  [ -n "$FALLBACK" ] || { echo "build.sh: go.mod needs Go >= $NEED_GO, found go$HAVE_GO, and no downloadToolchain in ../kube/versions.json" >&2; exit 1; }
  echo "build.sh: go.mod needs Go >= $NEED_GO, found go$HAVE_GO; using GOTOOLCHAIN=$FALLBACK" >&2
  export GOTOOLCHAIN="$FALLBACK"
fi

mkdir -p "$OUT_DIR"
# Two bench runs may start at once: let one build, the other wait and reuse it.
exec 9>"$OUT_DIR/.build.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if is_fresh; then
  echo "$BIN"
  exit 0
fi

# go.mod/go.sum are committed (see regen.sh): a fresh clone builds read-only, never edits them.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false"
export CGO_ENABLED=0

echo "build.sh: compiling Karpenter v$V's scheduling benchmark (a cold build takes a few minutes on 2 cores; see README.md) ..." >&2
START=$(date +%s)
TMP_BIN="$OUT_DIR/.scheduling.test.$$.tmp"
trap 'rm -f "$TMP_BIN"' EXIT
go test -c -vet=off -trimpath -tags test_performance -o "$TMP_BIN" "$PKG"
mv -f "$TMP_BIN" "$BIN"
SECONDS_TAKEN=$(( $(date +%s) - START ))
# What the Node wrapper reports beside the figures: which Karpenter, which compiler, how long.
printf '{"karpenterVersion":"v%s","goVersion":"%s","builtAt":"%s","buildSeconds":%d}\n' \
  "$V" "$(go env GOVERSION)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SECONDS_TAKEN" > "$BUILD_INFO"
echo "$SRC_HASH" > "$STAMP"
echo "build.sh: built $BIN in ${SECONDS_TAKEN}s" >&2
echo "$BIN"
