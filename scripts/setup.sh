#!/usr/bin/env bash
# Installs what tsko needs on a fresh Debian 12 machine. `setup.sh` alone installs what the
# demo needs (Go, pnpm, the workspace); `setup.sh --test` adds the real components the tests
# use (registry, skopeo, umoci, podman, runc, htpasswd, pigz for the benchmarks) and builds
# the Go peers the tests compare against (ko, a registry with the OCI 1.1 referrers API) into
# the rig's folder. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Go: the one already on PATH when it is new enough; Debian's golang-go (1.19) only where
# there is none. 1.19 cannot read `toolchain` lines or `go 1.21.0` versions, so with it the
# demo works but the tests (which build such modules and go-install ko) cannot.
GO_MIN_MINOR=22
go_minor() { go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }
packages=(ca-certificates git)
if ! command -v go >/dev/null; then
  packages+=(golang-go)
fi
if [ "${1:-}" = "--test" ]; then
  packages+=(
    docker-registry  # CNCF distribution: the real registry under test
    apache2-utils    # htpasswd (bcrypt) for the basic-auth registry
    skopeo umoci     # independent readers of what we write
    podman runc      # pull and run the images we build
    openssl
    pigz             # the peer of `pnpm bench`'s gzip rows (no test needs it)
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pnpm from npm: corepack fails its signature check on these machines.
want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  npm install -g --silent "pnpm@${want_pnpm}"
fi
pnpm install --frozen-lockfile --reporter=append-only

minor=$(go_minor)
if [ -z "$minor" ] || [ "$minor" -lt "$GO_MIN_MINOR" ]; then
  echo "setup: $(command -v go) is $(go env GOVERSION 2>/dev/null || echo 'not working'); tsko's tests need Go >= 1.$GO_MIN_MINOR on PATH." >&2
  [ "${1:-}" = "--test" ] && exit 1
fi
if [ "${1:-}" = "--test" ]; then
  # Node 22 beside the machine's Node 20: CI runs the tests on both. From the npm registry's
  # `node` package (a binary inside a registry package; nothing else is downloaded).
  node22_version=22.23.3
  if [ "$(.tmp/node22/node_modules/.bin/node --version 2>/dev/null || true)" != "v$node22_version" ]; then
    mkdir -p .tmp/node22
    npm install --prefix .tmp/node22 --no-save --no-audit --no-fund --loglevel=error "node@$node22_version"
  fi
  # ko, the referrers registry and the Pulumi CLI, built from the module proxy at pinned
  # versions (cached).
  node --import tsx test/rig/src/install-tools.ts
fi
