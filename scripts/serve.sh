#!/usr/bin/env bash
# Run SocialSync on the embedded default: one process, in-memory broker, SQLite
# file ./socialsync.db. Extra arguments go to `socialsync serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build_web.sh
exec .venv/bin/socialsync serve "$@"
