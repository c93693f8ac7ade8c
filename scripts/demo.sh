#!/usr/bin/env bash
# The main job end to end on a fresh machine: install Go and the workspace, build the
# packages, then build examples/hello for two platforms into an OCI layout (no registry).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm demo
