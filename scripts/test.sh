#!/usr/bin/env bash
# The whole test suite: lint, types, unit, contract, integration, browser.
# Installs what it needs: Python packages, the web client build, and (as root, with
# apt-get: scripts/apt_install.sh) Debian's chromium, ffmpeg, docker-compose, haproxy
# and redis-server; what it cannot install it names, with the tests that skip.
# Needs nothing running: finds PostgreSQL on 127.0.0.1:5432 when it is there
# (SOCIALSYNC_TEST_POSTGRES_URL to point elsewhere), and Redis on 127.0.0.1:6379
# (SOCIALSYNC_TEST_REDIS_URL), or starts a Redis of its own. Without them, outside
# CI, their cases are skipped and listed as such; under CI=true they fail.
# Extra arguments: one pytest run with them, in series (e.g. tests/unit -x, -k chat).
set -euo pipefail
cd "$(dirname "$0")/.."
# Every apt run below (scripts/apt_install.sh) shares one wait for the package lock.
export SOCIALSYNC_APT_DEADLINE="${SOCIALSYNC_APT_DEADLINE:-$(($(date +%s) + ${SOCIALSYNC_APT_LOCK_TIMEOUT:-120}))}"
bash scripts/setup.sh test,loadtests  # loadtests: matplotlib, for the test that the plots are legible

# Debian packages (as root, with apt-get: scripts/apt_install.sh waits for the package
# lock and names what it could not install). chromium and ffmpeg: the browser tests
# and the sample clips they play (build_web.sh); docker-compose v1 validates
# docker-compose.yml without a Docker engine; haproxy checks deploy/haproxy.cfg;
# redis-server for the Redis tests when no Redis is running.
skipped="SKIPPED (under CI=true they fail instead)"
bash scripts/apt_install.sh \
  "chromium|chromium|the browser tests are $skipped" \
  "ffmpeg|ffmpeg|the demo page has no sample clips and the browser tests that play them are $skipped" \
  || true
bash scripts/build_web.sh
bash scripts/apt_install.sh --no-recommends \
  "docker-compose|docker-compose|the compose file's validation test is $skipped" \
  "haproxy|haproxy|the balancer configuration test is $skipped" \
  "redis-server|redis-server|the fault tests (tests/failover start Redis servers of their own) and, with no Redis running, every Redis and cluster test are $skipped" \
  || true

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
.venv/bin/ruff check socialsync tests loadtests examples
.venv/bin/ruff format --check socialsync tests loadtests examples
echo "==> import rules (lint-imports: the contracts in pyproject.toml, docs/architecture.md)"
.venv/bin/lint-imports --no-cache
echo "==> mypy --strict socialsync"
.venv/bin/mypy
echo "==> tsc --noEmit, import check and vitest (web client)"
(
  cd web_client
  npx --no-install tsc --noEmit -p .
  for project in widget demo moderation dashboard embed test; do
    if [ -f "$project/tsconfig.json" ]; then npx --no-install tsc --noEmit -p "$project"; fi
  done
  npm test --silent
)
echo "==> dependency audit (pip-audit, npm audit --audit-level=high: fails on fixable known vulnerabilities)"
.venv/bin/python scripts/dep_audit.py
# Without arguments: the tests that measure timing (players in sync, camera frames,
# WebRTC) run one at a time; the rest, fault and recovery tests included, two at a time
# (pytest-xdist, a file per worker: each test has its own server, port, Redis prefix and
# database, and the fault tests their own Redis and node processes).
# With arguments: one pytest run of those.
if [ "$#" -gt 0 ]; then
  echo "==> pytest $*"
  .venv/bin/pytest "$@"
else
  serial=(tests/rtc)
  for name in sync sync_network sync_live sync_ads buffering cameras camera_reset camera_unmute \
              clips clip_h264_playback cluster_sdk portal; do
    serial+=("tests/browser/test_$name.py")
  done
  echo "==> pytest: everything that measures no timing, two at a time"
  .venv/bin/pytest -n 2 --dist loadfile tests "${serial[@]/#/--ignore=}"
  echo "==> pytest: what measures timing (sync, cameras, WebRTC), one at a time"
  .venv/bin/pytest "${serial[@]}"
fi
