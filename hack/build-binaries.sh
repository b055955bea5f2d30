#!/usr/bin/env bash
# Builds the real Kubernetes control-plane binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler), kubectl (tests use its client-side apply), kwok, and the config-management tools
# (helm, kustomize, jsonnet) from Go modules, once, into ~/.cache/hawser/bin/<component>-<version>/. Re-running is a no-op when the binaries exist.
# No Docker and no prebuilt downloads are needed: only the Go module proxy.
set -euo pipefail

# The pinned versions live in operator/tools/versions.json, which the operator reads too
# (operator/tools/index.ts); the HAWSER_*_VERSION variables override them in both.
VERSIONS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/operator/tools/versions.json"
pinned() {
  local v
  v=$(sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" "$VERSIONS_FILE")
  if [[ -z "$v" ]]; then echo "[build-binaries] no \"$1\" version in $VERSIONS_FILE" >&2; exit 1; fi
  echo "$v"
}
K8S_VERSION="${HAWSER_K8S_VERSION:-$(pinned kubernetes)}"
KWOK_VERSION="${HAWSER_KWOK_VERSION:-$(pinned kwok)}"
HELM_VERSION="${HAWSER_HELM_VERSION:-$(pinned helm)}"
KUSTOMIZE_VERSION="${HAWSER_KUSTOMIZE_VERSION:-$(pinned kustomize)}"
JSONNET_VERSION="${HAWSER_JSONNET_VERSION:-$(pinned jsonnet)}"

CACHE="${HAWSER_CACHE:-$HOME/.cache/hawser}"
BIN_ROOT="$CACHE/bin"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
# Keep Go's caches inside ours so CI can restore a single directory.
export GOMODCACHE="${GOMODCACHE:-$CACHE/go/mod}" GOCACHE="${GOCACHE:-$CACHE/go/build}"
PARALLEL="${HAWSER_BUILD_PARALLEL:-2}"

log() { echo "[build-binaries] $*" >&2; }

build_kubernetes() {
  local out="$BIN_ROOT/kubernetes-v$K8S_VERSION"
  if [[ -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" && -x "$out/kube-scheduler" ]]; then
    log "kubernetes v$K8S_VERSION already built in $out"; return
  fi
  local minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  local staging="0.${K8S_VERSION#*.}"
  local work="$CACHE/build/kubernetes-v$K8S_VERSION"
  rm -rf "$work"; mkdir -p "$work" "$out"
  log "resolving k8s.io/kubernetes v$K8S_VERSION staging modules"
  local gomod
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module hawser.local/k8s-bins"
    echo "go 1.26.0"
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo "replace ("
    # Every staging replace of the upstream go.mod becomes the published module at the matching version.
    grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" \
      | awk -v v="v$staging" '{print "  " $1 " => " $1 " " v}'
    echo ")"
  } > "$work/go.mod"
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  log "go mod tidy (downloads modules on a cold cache)"
  (cd "$work" && go mod tidy)
  local ld=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  log "building kube-apiserver, kube-controller-manager, kube-scheduler (cold: many minutes)"
  (cd "$work" && go build -trimpath -p "$PARALLEL" -ldflags "-s -w$ld" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
}

# kubectl of the same Kubernetes version, into the same directory: the e2e tests use its
# client-side apply (the migration path from Argo CD). Its own module directory and check, so a
# machine with the control plane already built only builds kubectl.
build_kubectl() {
  local out="$BIN_ROOT/kubernetes-v$K8S_VERSION"
  if [[ -x "$out/kubectl" ]]; then log "kubectl v$K8S_VERSION already built in $out"; return; fi
  local minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  local staging="0.${K8S_VERSION#*.}"
  local work="$CACHE/build/kubectl-v$K8S_VERSION"
  rm -rf "$work"; mkdir -p "$work" "$out"
  local gomod
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module hawser.local/k8s-kubectl"
    echo "go 1.26.0"
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo "replace ("
    grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" \
      | awk -v v="v$staging" '{print "  " $1 " => " $1 " " v}'
    echo ")"
  } > "$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kubectl"\n' > "$work/tools.go"
  (cd "$work" && go mod tidy)
  local ld=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  log "building kubectl v$K8S_VERSION"
  (cd "$work" && go build -trimpath -p "$PARALLEL" -ldflags "-s -w$ld" -o "$out/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl)
  mv "$out/kubectl.tmp" "$out/kubectl"
}

# go install of a module that has no replace directives, into its own versioned directory.
install_tool() {
  local name="$1" pkg="$2" version="$3" binname="$4"
  local out="$BIN_ROOT/$name-$version"
  if [[ -x "$out/$binname" ]]; then log "$name $version already built"; return; fi
  mkdir -p "$out"
  log "building $name $version"
  GOBIN="$out" go install -trimpath -ldflags "-s -w" "$pkg@$version"
}

# The ApplicationSet Go-template renderer (hack/gotemplate) as js/wasm, with the toolchain's
# wasm_exec.js beside it. The directory name carries a hash of the Go sources, computed the same
# way by operator/appset/gotemplate.ts, so a source change is picked up without a version bump.
build_gotemplate() {
  local src
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/gotemplate" && pwd)"
  local hash
  hash=$(cd "$src" && cat go.mod go.sum $(ls *.go | LC_ALL=C sort) | sha256sum | cut -c1-16)
  local out="$BIN_ROOT/gotemplate-$hash"
  if [[ -f "$out/gotemplate.wasm" && -f "$out/wasm_exec.js" ]]; then log "gotemplate $hash already built"; return; fi
  mkdir -p "$out"
  log "building gotemplate $hash (js/wasm)"
  (cd "$src" && GOOS=js GOARCH=wasm go build -trimpath -ldflags "-s -w" -o "$out/gotemplate.wasm.tmp" .)
  local goroot; goroot="$(go env GOROOT)"
  local exec_js="$goroot/lib/wasm/wasm_exec.js"
  [[ -f "$exec_js" ]] || exec_js="$goroot/misc/wasm/wasm_exec.js"
  cp "$exec_js" "$out/wasm_exec.js"
  mv "$out/gotemplate.wasm.tmp" "$out/gotemplate.wasm"
}

# The notifications expression and template evaluator (hack/notify-wasm), built the same way;
# operator/notifications/wasm.ts computes the same hash.
build_notify_wasm() {
  local src
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/notify-wasm" && pwd)"
  local hash
  hash=$(cd "$src" && cat go.mod go.sum $(ls *.go | LC_ALL=C sort) | sha256sum | cut -c1-16)
  local out="$BIN_ROOT/notify-wasm-$hash"
  if [[ -f "$out/notify.wasm" && -f "$out/wasm_exec.js" ]]; then log "notify-wasm $hash already built"; return; fi
  mkdir -p "$out"
  log "building notify-wasm $hash (js/wasm)"
  (cd "$src" && GOOS=js GOARCH=wasm go build -trimpath -ldflags "-s -w" -o "$out/notify.wasm.tmp" .)
  local goroot; goroot="$(go env GOROOT)"
  local exec_js="$goroot/lib/wasm/wasm_exec.js"
  [[ -f "$exec_js" ]] || exec_js="$goroot/misc/wasm/wasm_exec.js"
  cp "$exec_js" "$out/wasm_exec.js"
  mv "$out/notify.wasm.tmp" "$out/notify.wasm"
}

want="${1:-all}"
case "$want" in
  kubernetes) build_kubernetes ;;
  kubectl) build_kubectl ;;
  kwok) install_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION" kwok ;;
  gotemplate) build_gotemplate ;;
  notify-wasm) build_notify_wasm ;;
  versions)
    # What would be built, one name=version a line (operator/tools/index.test.ts checks it).
    printf '%s=%s\n' kubernetes "$K8S_VERSION" kwok "$KWOK_VERSION" helm "$HELM_VERSION" \
      kustomize "$KUSTOMIZE_VERSION" jsonnet "$JSONNET_VERSION"
    exit 0 ;;
  tools)
    install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm
    install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" kustomize
    install_tool jsonnet github.com/google/go-jsonnet/cmd/jsonnet "$JSONNET_VERSION" jsonnet ;;
  all)
    install_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION" kwok
    build_kubernetes
    build_kubectl
    install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm
    install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" kustomize
    install_tool jsonnet github.com/google/go-jsonnet/cmd/jsonnet "$JSONNET_VERSION" jsonnet
    build_gotemplate
    build_notify_wasm ;;
  *) echo "usage: $0 [all|kubernetes|kubectl|kwok|tools|gotemplate|notify-wasm|versions]" >&2; exit 2 ;;
esac
log "done"
