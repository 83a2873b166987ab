#!/usr/bin/env bash
# Fetches the Karpenter CRDs of the release pinned in versions.json through the Go
# module proxy (no GitHub access needed) and converts them to JSON, into:
#
#   ${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}/karpenter/v<version>/
#     karpenter.k8s.aws_ec2nodeclasses.{yaml,json}
#     karpenter.sh_nodepools.{yaml,json}
#     karpenter.sh_nodeclaims.{yaml,json}
#     karpenter.sh_nodeoverlays.{yaml,json}   (when the release has it)
#     manifest.json                           (versions, sources, file list; written last)
#
# Source: github.com/aws/karpenter-provider-aws@v<version>/pkg/apis/crds. That directory
# carries the karpenter.sh CRDs too, as the AWS chart installs them: the
# sigs.k8s.io/karpenter copies plus AWS-only CEL rules (restricted "karpenter.k8s.aws"
# label domain). Only when a karpenter.sh CRD is missing there is it taken from the
# sigs.k8s.io/karpenter version that the provider's go.mod requires.
#
# No-op when manifest.json exists. The directory is the last line on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

json_field() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$2" | head -1; }
KV=$(json_field karpenter "$HERE/versions.json"); KV="${KV#v}"
FALLBACK_TOOLCHAIN=$(json_field downloadToolchain "$HERE/versions.json")
[ -n "$KV" ] || { echo "crds.sh: no \"karpenter\" version in $HERE/versions.json" >&2; exit 1; }
CACHE="${FABRIC_TEST_CACHE:-$HOME/.cache/cloudspectra-fabric}"
OUT="$CACHE/karpenter/v$KV"

if [ -f "$OUT/manifest.json" ]; then
  echo "$OUT"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "Go is required to build the Kubernetes test plane: install Go >= 1.26 (e.g. apt-get install golang or from go.dev)" >&2
  exit 1
fi

# yaml2json is a subcommand of the test-plane binary (sigs.k8s.io/yaml); build.sh is a no-op when cached.
BIN=$("$HERE/build.sh" | tail -1)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# `go mod download -json mod@ver`, run outside any module (a throwaway temp dir) so no go.mod
# is read or edited; prints the extracted module directory. A module whose go.mod asks for a
# newer Go than the local one is refused by the go command (with GOTOOLCHAIN=local) even for a
# download; retry then with the toolchain from versions.json, which the module proxy serves.
download_dir() {
  local out
  out=$(cd "$WORK" && GO111MODULE=on go mod download -json "$1" 2>&1) || true
  if ! grep -q '"Dir":' <<<"$out" && grep -q 'requires go' <<<"$out" && [ -n "$FALLBACK_TOOLCHAIN" ]; then
    echo "crds.sh: $1 needs a newer Go; downloading it with GOTOOLCHAIN=$FALLBACK_TOOLCHAIN" >&2
    out=$(cd "$WORK" && GO111MODULE=on GOTOOLCHAIN="$FALLBACK_TOOLCHAIN" go mod download -json "$1" 2>&1) || true
  fi
  local dir
  dir=$(sed -n 's/.*"Dir": *"\(.*\)".*/\1/p' <<<"$out" | head -1)
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "crds.sh: go mod download $1 failed:" >&2
    echo "$out" >&2
    return 1
  fi
  echo "$dir"
}

echo "crds.sh: fetching github.com/aws/karpenter-provider-aws@v$KV CRDs via the Go module proxy ..." >&2
PROVIDER_DIR=$(download_dir "github.com/aws/karpenter-provider-aws@v$KV")
CORE_V=$(awk '$1=="sigs.k8s.io/karpenter" && $2 ~ /^v/ {print $2; exit}' "$PROVIDER_DIR/go.mod")
[ -n "$CORE_V" ] || { echo "crds.sh: provider go.mod does not require sigs.k8s.io/karpenter" >&2; exit 1; }

STAGE="$WORK/out"
mkdir -p "$STAGE"
FILES=()
SOURCES=()
CORE_DIR=""
for f in karpenter.k8s.aws_ec2nodeclasses karpenter.sh_nodepools karpenter.sh_nodeclaims karpenter.sh_nodeoverlays; do
  src="$PROVIDER_DIR/pkg/apis/crds/$f.yaml"
  from="github.com/aws/karpenter-provider-aws@v$KV"
  if [ ! -f "$src" ] && [ "${f#karpenter.sh_}" != "$f" ]; then
    if [ -z "$CORE_DIR" ]; then
      echo "crds.sh: $f not in the provider; fetching sigs.k8s.io/karpenter@$CORE_V ..." >&2
      CORE_DIR=$(download_dir "sigs.k8s.io/karpenter@$CORE_V")
    fi
    src="$CORE_DIR/pkg/apis/crds/$f.yaml"
    from="sigs.k8s.io/karpenter@$CORE_V"
  fi
  if [ ! -f "$src" ]; then
    [ "$f" = karpenter.sh_nodeoverlays ] && continue # optional: only in newer releases
    echo "crds.sh: $f.yaml not found in $from/pkg/apis/crds" >&2
    exit 1
  fi
  cp "$src" "$STAGE/$f.yaml"
  chmod 644 "$STAGE/$f.yaml" # module cache files are read-only
  "$BIN" yaml2json "$STAGE/$f.yaml" > "$STAGE/$f.json"
  FILES+=("\"$f.json\"")
  SOURCES+=("\"$f\": \"$from/pkg/apis/crds/$f.yaml\"")
done

join() { local IFS=','; echo "$*"; }
cat > "$STAGE/manifest.json" <<JSON
{
  "karpenterProvider": "v$KV",
  "karpenterCoreRequired": "$CORE_V",
  "files": [$(join "${FILES[@]}")],
  "sources": {$(join "${SOURCES[@]}")}
}
JSON

mkdir -p "$(dirname "$OUT")"
rm -rf "$OUT.tmp.$$"
mv "$STAGE" "$OUT.tmp.$$"
if ! mv -T "$OUT.tmp.$$" "$OUT" 2>/dev/null; then
  if [ -f "$OUT/manifest.json" ]; then
    rm -rf "$OUT.tmp.$$" # a concurrent run won the race; its result is identical
  else
    rm -rf "$OUT" && mv -T "$OUT.tmp.$$" "$OUT" # leftover incomplete directory
  fi
fi
echo "crds.sh: Karpenter CRDs in $OUT" >&2
echo "$OUT"
