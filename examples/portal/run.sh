#!/usr/bin/env bash
# Portal TV, the example IPTV portal, in one command:
#
#   bash examples/portal/run.sh          then open http://127.0.0.1:8090
#
# 1. a SocialSync server at $SOCIALSYNC_URL (default http://127.0.0.1:8080): the one
#    running there, else one started here (scripts/serve.sh: the embedded default,
#    SQLite ./socialsync.db), stopped again when this script stops;
# 2. a tenant and an API key (scopes parties:write, webhooks:admin) made with the CLI
#    on the first run, kept in examples/portal/.state/portal.env for the next ones;
# 3. the portal (examples/portal/portal.py) on $PORTAL_URL (default http://127.0.0.1:8090),
#    which registers its webhook endpoint through the Python SDK as it starts.
#
# Against a server you started yourself on another database, give the CLI that
# database too: SOCIALSYNC_DATABASE_URL=sqlite:////path/to/socialsync.db.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
export SOCIALSYNC_URL="${SOCIALSYNC_URL:-http://127.0.0.1:8080}"
export PORTAL_URL="${PORTAL_URL:-http://127.0.0.1:8090}"
state="$repo/examples/portal/.state"
socialsync=".venv/bin/socialsync"

up() { curl -fsS -o /dev/null "$SOCIALSYNC_URL/healthz" 2>/dev/null; }

# 1. The server.
server_pid=""
if up; then
  echo "==> SocialSync is running at $SOCIALSYNC_URL"
else
  port="${SOCIALSYNC_URL##*:}"
  echo "==> starting SocialSync at $SOCIALSYNC_URL (scripts/serve.sh; the first run installs and builds)"
  bash scripts/serve.sh --port "${port%%/*}" &
  server_pid=$!
  trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null' EXIT
  for _ in $(seq 1 1200); do   # up to 10 min: a first run installs Python packages and builds the web client
    up && break
    kill -0 "$server_pid" 2>/dev/null || { echo "SocialSync did not start" >&2; exit 1; }
    sleep 0.5
  done
  up || { echo "SocialSync did not answer at $SOCIALSYNC_URL/healthz" >&2; exit 1; }
fi

# 2. A tenant and an API key, once. A key the server no longer knows (a new database) is made again.
key_works() {
  [ -f "$state/portal.env" ] || return 1
  # shellcheck disable=SC1091
  . "$state/portal.env"
  curl -fsS -o /dev/null -H "Authorization: Bearer $SOCIALSYNC_API_KEY" "$SOCIALSYNC_URL/api/v1/webhooks/endpoints"
}
if ! key_works; then
  echo "==> creating a tenant and an API key with the CLI"
  tenant="$("$socialsync" tenant create "Portal TV" | awk '/^tenant id:/ {print $3}')"
  key="$("$socialsync" apikey create --tenant "$tenant" --name "Portal TV backend" \
           --scope parties:write --scope webhooks:admin | awk '/^api key:/ {print $3}')"
  mkdir -p "$state"
  umask 077
  printf 'SOCIALSYNC_TENANT_ID=%s\nSOCIALSYNC_API_KEY=%s\n' "$tenant" "$key" > "$state/portal.env"
  key_works || { echo "the new API key is refused by $SOCIALSYNC_URL: is it on another database? (SOCIALSYNC_DATABASE_URL)" >&2; exit 1; }
fi
# shellcheck disable=SC1091
. "$state/portal.env"
export SOCIALSYNC_API_KEY SOCIALSYNC_TENANT_ID
echo "==> tenant $SOCIALSYNC_TENANT_ID"

# 3. The portal.
echo "==> Portal TV: open $PORTAL_URL (webhooks received: $PORTAL_URL/admin)"
.venv/bin/python examples/portal/portal.py
