#!/usr/bin/env bash
# Builds the multi-call test-plane binary (kube-apiserver | kube-scheduler |
# kube-controller-manager | etcd | yaml2json) for the Kubernetes release pinned in
# versions.json, into a per-user cache OUTSIDE the repo:
#
#   ${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}/kube/v<version>/<sources hash>/kube
#
# No-op when that binary exists. The sources hash (go.mod, go.sum, main.go) is part of the
# path, so checkouts with different sources (branches, worktrees) keep their own binary
# instead of rebuilding over each other's.
# The binary path is always the last line on stdout; progress goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"

V=$(sed -n 's/.*"kubernetes": *"\([^"]*\)".*/\1/p' versions.json)
[ -n "$V" ] || { echo "build.sh: no \"kubernetes\" version in $HERE/versions.json" >&2; exit 1; }
V="${V#v}"
CACHE="${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}"
# The cache key is the version plus a hash of the sources, so editing main.go or
# go.mod (e.g. after regen.sh) rebuilds even when the version string is unchanged.
SRC_HASH=$(cat go.mod go.sum main.go | sha256sum | cut -d' ' -f1)
OUT_DIR="$CACHE/kube/v$V/${SRC_HASH:0:16}"
BIN="$OUT_DIR/kube"
STAMP="$OUT_DIR/kube.sources.sha256"
is_fresh() { [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SRC_HASH" ]; }

if is_fresh; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Go is required to build the Kubernetes test plane: install Go >= 1.26 (e.g. apt-get install golang or from go.dev)" >&2
  exit 1
fi
GOV=$(go env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r GOMAJ GOMIN <<<"${GOV:-0 0}"
if [ "$GOMAJ" -lt 1 ] || { [ "$GOMAJ" -eq 1 ] && [ "$GOMIN" -lt 26 ]; }; then
  if [ "$(go env GOTOOLCHAIN)" = "local" ]; then
    echo "Go is required to build the Kubernetes test plane: install Go >= 1.26 (e.g. apt-get install golang or from go.dev); found $(go env GOVERSION) with GOTOOLCHAIN=local" >&2
    exit 1
  fi
  echo "build.sh: $(go env GOVERSION) is older than go.mod's go line; the go command will fetch a newer toolchain (GOTOOLCHAIN=$(go env GOTOOLCHAIN))" >&2
fi

mkdir -p "$OUT_DIR"
# Several test workers may start at once: let one build, the others wait and reuse it.
exec 9>"$OUT_DIR/.build.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if is_fresh; then
  echo "$BIN"
  exit 0
fi

# go.mod/go.sum are committed and tidy: a fresh clone builds read-only, never edits them.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false"
export CGO_ENABLED=0 # static binary, no C toolchain needed (as upstream builds these components)

MINOR=$(echo "$V" | cut -d. -f2)
BUILD_DATE=$(go mod download -json "k8s.io/kubernetes@v$V" | sed -n 's/.*"Time": "\([^"]*\)".*/\1/p' | head -1)
P=k8s.io/component-base/version
LDFLAGS="-s -w -X $P.gitVersion=v$V -X $P.gitMajor=1 -X $P.gitMinor=$MINOR -X $P.gitTreeState=clean -X $P.buildDate=${BUILD_DATE:-1970-01-01T00:00:00Z}"

echo "build.sh: building Kubernetes v$V test-plane binary (cold builds take several minutes; see README.md) ..." >&2
START=$(date +%s)
TMP_BIN="$OUT_DIR/.kube.$$.tmp"
trap 'rm -f "$TMP_BIN"' EXIT
go build -trimpath -ldflags "$LDFLAGS" -o "$TMP_BIN" .
mv -f "$TMP_BIN" "$BIN"
echo "$SRC_HASH" > "$STAMP"
echo "build.sh: built $BIN in $(( $(date +%s) - START ))s" >&2
echo "$BIN"
