#!/usr/bin/env bash
# The whole test suite: lint, types, unit, contract, integration, browser.
# Installs what it needs: Python packages, the web client build, and (as root, with
# apt-get) Debian's chromium and ffmpeg for the browser tests.
# Needs nothing running: finds PostgreSQL on 127.0.0.1:5432 when it is there
# (SOCIALSYNC_TEST_POSTGRES_URL to point elsewhere). Without it, outside CI, the
# PostgreSQL cases are skipped and listed as such; under CI=true they fail.
# Extra arguments go to pytest (e.g. -k chat, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

if ! command -v chromium >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium and ffmpeg (Debian packages) for the browser tests"
    apt-get update -qq && apt-get install -y -qq chromium ffmpeg >/dev/null
  else
    echo "==> chromium or ffmpeg missing and cannot be installed here: browser tests will be SKIPPED" \
         "(under CI=true they fail instead)"
  fi
fi
bash scripts/build_web.sh

# The deployment tests: docker-compose v1 validates docker-compose.yml without a
# Docker engine; haproxy checks deploy/haproxy.cfg; redis-server for the Redis tests.
deploy_packages=()
command -v docker-compose >/dev/null 2>&1 || deploy_packages+=(docker-compose)
command -v haproxy >/dev/null 2>&1 || deploy_packages+=(haproxy)
command -v redis-server >/dev/null 2>&1 || deploy_packages+=(redis-server)
if [ "${#deploy_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${deploy_packages[*]} (Debian packages) for the deployment tests"
    if ! (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${deploy_packages[@]}" >/dev/null); then
      echo "==> apt-get could not install ${deploy_packages[*]}: those deployment tests will be SKIPPED" \
           "(under CI=true the docker-compose and Redis ones fail)"
    fi
  else
    echo "==> ${deploy_packages[*]} missing and cannot be installed here (needs root and apt-get):" \
         "those deployment tests will be SKIPPED (under CI=true the docker-compose and Redis ones fail)"
  fi
fi

pg_url="${SOCIALSYNC_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if ! .venv/bin/python - "$pg_url" <<'PY' 2>/dev/null
import socket, sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), timeout=2).close()
PY
then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "==> starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  else
    echo "==> PostgreSQL is not reachable at $pg_url: its test cases will be SKIPPED" \
         "(under CI=true they fail instead)"
  fi
fi

echo "==> ruff"
.venv/bin/ruff check socialsync tests loadtests
echo "==> mypy --strict socialsync/domain"
.venv/bin/mypy
echo "==> tsc --noEmit (web client)"
(
  cd web_client
  npx --no-install tsc --noEmit -p .
  for project in widget demo moderation; do
    if [ -f "$project/tsconfig.json" ]; then npx --no-install tsc --noEmit -p "$project"; fi
  done
)
echo "==> pytest"
.venv/bin/pytest "$@"
