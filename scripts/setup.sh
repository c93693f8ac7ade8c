#!/usr/bin/env bash
# Installs what tsko needs on a fresh Debian 12 machine. `setup.sh` alone installs what the
# demo needs (Go, pnpm, the workspace); `setup.sh --test` adds the real components the tests
# use (registry, skopeo, umoci, podman, runc, htpasswd) and pigz for the benchmarks. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(golang-go ca-certificates git)
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
