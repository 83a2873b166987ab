#!/usr/bin/env bash
# Regenerates go.mod/go.sum for another Karpenter release. Only for version bumps:
#
#   ./regen.sh 1.15.1        then commit go.mod and go.sum
#
# `go get -t` records the benchmark's test-only dependencies (ginkgo, gomega, the fake
# controller-runtime client ...) in go.sum, which `go test -c -mod=readonly` needs.
# Do not run `go mod tidy` here: tidy keeps only what this module's own packages and tests
# import, and would drop those test dependencies of sigs.k8s.io/karpenter again.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
V="${1:?usage: regen.sh <karpenter version, e.g. 1.15.0>}"
V="${V#v}"
PKG=sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling
FALLBACK=$(sed -n 's/.*"downloadToolchain": *"\([^"]*\)".*/\1/p' "$HERE/../kube/versions.json")

# Karpenter's go.mod may need a newer Go than the local one; the go command then refuses
# the module unless it may fetch that toolchain.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$FALLBACK}"
export GOFLAGS="-mod=mod"
cp go.mod go.mod.bak
cp go.sum go.sum.bak
trap 'rm -f go.mod.bak go.sum.bak' EXIT
printf 'module cloudspectra/test-tooling/karpenter-bench\n\ngo 1.26\n' > go.mod
: > go.sum
if ! go get -t "$PKG@v$V"; then
  mv go.mod.bak go.mod
  mv go.sum.bak go.sum
  echo "regen.sh: sigs.k8s.io/karpenter v$V did not download (see above); go.mod and go.sum are unchanged" >&2
  exit 1
fi
echo "regen.sh: go.mod now requires sigs.k8s.io/karpenter v$V; run ./build.sh, then commit go.mod and go.sum" >&2
