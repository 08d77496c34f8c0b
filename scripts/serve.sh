#!/usr/bin/env bash
# Run SocialSync on the embedded default: one process, in-memory broker, SQLite
# file ./socialsync.db. Extra arguments go to `socialsync serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
# Every apt run below (scripts/apt_install.sh) shares one wait for the package lock.
export SOCIALSYNC_APT_DEADLINE="${SOCIALSYNC_APT_DEADLINE:-$(($(date +%s) + ${SOCIALSYNC_APT_LOCK_TIMEOUT:-120}))}"
bash scripts/setup.sh
bash scripts/build_web.sh
exec .venv/bin/socialsync serve "$@"
