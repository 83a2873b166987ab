#!/usr/bin/env bash
# Builds KWOK (sigs.k8s.io/kwok/cmd/kwok, the kubelet stand-in for fake nodes) at the
# version pinned in ../versions.json ("kwok"), into a per-user cache OUTSIDE the repo:
#
#   ${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}/kwok/v<version>/kwok
#   ${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}/kwok/v<version>/stages.yaml
#
# KWOK v0.8 has no built-in stages: stages.yaml (passed as --config) is the release's own
# stage files, the set kwokctl runs by default: node-initialize (Ready, addresses, keeps
# a capacity already set), node-heartbeat-with-lease, and pod-ready / pod-complete /
# pod-delete (pods go Running with an IP, and are removed when deleted).
#
# It is built from its own wrapper module (this folder's go.mod/go.sum, a `tool` line)
# rather than inside the Kubernetes wrapper: KWOK pins other k8s.io minor versions.
# No-op when that binary exists and was built from the current go.mod/go.sum.
# The binary path is always the last line on stdout (stages.yaml sits beside it);
# progress goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"

V=$(sed -n 's/.*"kwok": *"\([^"]*\)".*/\1/p' ../versions.json)
[ -n "$V" ] || { echo "kwok/build.sh: no \"kwok\" version in $HERE/../versions.json" >&2; exit 1; }
V="${V#v}"
# versions.json and go.mod must agree, or the cache dir would lie about what it holds.
if ! grep -Eq "^[[:space:]]*sigs\.k8s\.io/kwok v$V( |$)" go.mod; then
  echo "kwok/build.sh: go.mod does not require sigs.k8s.io/kwok v$V (versions.json); run: cd $HERE && go get sigs.k8s.io/kwok@v$V && go mod tidy" >&2
  exit 1
fi
CACHE="${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}"
OUT_DIR="$CACHE/kwok/v$V"
BIN="$OUT_DIR/kwok"
STAGES="$OUT_DIR/stages.yaml"
STAMP="$OUT_DIR/kwok.sources.sha256"

SRC_HASH=$(cat go.mod go.sum | sha256sum | cut -d' ' -f1)
is_fresh() { [ -x "$BIN" ] && [ -f "$STAGES" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SRC_HASH" ]; }

if is_fresh; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Go is required to build KWOK for the Kubernetes test plane: install Go >= 1.26 (e.g. apt-get install golang or from go.dev)" >&2
  exit 1
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
export CGO_ENABLED=0

echo "kwok/build.sh: building KWOK v$V (a cold build takes a few minutes; see ../README.md) ..." >&2
START=$(date +%s)
TMP_BIN="$OUT_DIR/.kwok.$$.tmp"
trap 'rm -f "$TMP_BIN"' EXIT
go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$V" -o "$TMP_BIN" sigs.k8s.io/kwok/cmd/kwok
mv -f "$TMP_BIN" "$BIN"
SRC=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
{
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    echo "# sigs.k8s.io/kwok@v$V kustomize/stage/$f"
    cat "$SRC/kustomize/stage/$f"
  done
} > "$STAGES.tmp"
mv -f "$STAGES.tmp" "$STAGES"
echo "$SRC_HASH" > "$STAMP"
echo "kwok/build.sh: built $BIN in $(( $(date +%s) - START ))s" >&2
echo "$BIN"
