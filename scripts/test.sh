#!/usr/bin/env bash
# The whole test suite: lint, types, unit, contract, integration, browser.
# Installs what it needs: Python packages, the web client build, and (as root, with
# apt-get) Debian's chromium and ffmpeg for the browser tests.
# Needs nothing running: finds PostgreSQL on 127.0.0.1:5432 when it is there
# (SOCIALSYNC_TEST_POSTGRES_URL to point elsewhere), and Redis on 127.0.0.1:6379
# (SOCIALSYNC_TEST_REDIS_URL), or starts a Redis of its own. Without them, outside
# CI, their cases are skipped and listed as such; under CI=true they fail.
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

# reachable URL DEFAULT_PORT: whether something listens at the URL's host and port.
reachable() {
  .venv/bin/python - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
socket.create_connection((u.hostname or "127.0.0.1", u.port or int(sys.argv[2])), timeout=2).close()
PY
}

pg_url="${SOCIALSYNC_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if ! reachable "$pg_url" 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "==> starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  else
    echo "==> PostgreSQL is not reachable at $pg_url: its test cases will be SKIPPED" \
         "(under CI=true they fail instead)"
  fi
fi

# Redis: the one at SOCIALSYNC_TEST_REDIS_URL (default 127.0.0.1:6379), else one of
# our own on a free port, stopped when the tests end. Fault tests start their own.
redis_url="${SOCIALSYNC_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
if ! reachable "$redis_url" 6379; then
  if command -v redis-server >/dev/null 2>&1; then
    redis_port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    redis_dir="$(mktemp -d)"
    echo "==> no Redis at $redis_url: starting one on 127.0.0.1:$redis_port for the tests"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
    trap 'redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$redis_dir"' EXIT
    export SOCIALSYNC_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  else
    echo "==> Redis is not reachable at $redis_url and redis-server is missing: its test cases will be" \
         "SKIPPED (under CI=true they fail instead)"
  fi
fi

echo "==> ruff"
.venv/bin/ruff check socialsync tests loadtests
echo "==> import rules (lint-imports: the contracts in pyproject.toml, docs/architecture.md)"
.venv/bin/lint-imports --no-cache
echo "==> mypy --strict socialsync"
.venv/bin/mypy
echo "==> tsc --noEmit, import check and vitest (web client)"
(
  cd web_client
  npx --no-install tsc --noEmit -p .
  for project in widget demo moderation test; do
    if [ -f "$project/tsconfig.json" ]; then npx --no-install tsc --noEmit -p "$project"; fi
  done
  npm test --silent
)
echo "==> dependency audit (pip-audit, npm audit --audit-level=high: fails on fixable known vulnerabilities)"
.venv/bin/python scripts/dep_audit.py
echo "==> pytest"
.venv/bin/pytest "$@"
