#!/usr/bin/env bash
# One entry point for a fresh machine: installs whatever is missing (Debian packages, npm
# dependencies, the Go-built control-plane and tool binaries, cached under ~/.cache/hawser), then
# runs the demo or the tests.
#   bash hack/dev.sh demo   # local control plane + operator + loopback git server + seed 002
#   bash hack/dev.sh test   # the whole test suite (what CI runs)
#   bash hack/dev.sh setup  # only install
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[hawser] $*" >&2; }

setup_apt() {
  local missing=()
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v git >/dev/null || missing+=(git)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v gpg >/dev/null || missing+=(gnupg) # GPG commit verification (AppProject signatureKeys)
  command -v git-lfs >/dev/null || missing+=(git-lfs) # Git LFS content of repositories with enableLfs
  # The render sandbox: prlimit, unshare and choom (util-linux) and mount run every tool.
  { command -v prlimit && command -v unshare && command -v choom; } >/dev/null || missing+=(util-linux)
  command -v mount >/dev/null || missing+=(mount)
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server) # git ssh transport tests run a local sshd
  command -v chromium >/dev/null || missing+=(chromium) # the Web UI tests (test/ui) drive Debian's headless Chromium
  command -v go >/dev/null || [[ -x /usr/local/go/bin/go ]] || missing+=(golang-go)
  command -v node >/dev/null || missing+=(nodejs npm)
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # Debian's etcd package may start a system service on its default ports; Hawser's clusters use
  # their own etcd processes on free ports, so it does not matter whether that one runs.
}

setup_npm() {
  local stamp=node_modules/.hawser-lock-hash
  local want; want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund
    echo "$want" > "$stamp"
  fi
  npm run --silent build
}

setup_binaries() {
  export PATH="/usr/local/go/bin:$PATH"
  bash hack/build-binaries.sh all
}

setup() { setup_apt; setup_npm; setup_binaries; }

case "${1:-}" in
  setup) setup ;;
  test) setup; shift; exec npm test -- "$@" ;;
  demo) setup; shift; exec node --import tsx hack/demo.ts "$@" ;;
  *) echo "usage: bash hack/dev.sh setup|test|demo" >&2; exit 2 ;;
esac
