#!/usr/bin/env bash
# Run Malti's whole test suite: provisions the database, Redis check, Chromium, the bundle.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/telemetry -x).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/provision-db.sh
ensure_venv requirements/test.txt

# Browser tests drive Debian's Chromium (a browser download by a tool fails here).
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

REDIS="${MALTI_REDIS_URL:-redis://127.0.0.1:6379/15}"
if ! redis_answers "$REDIS"; then
  if command -v redis-server >/dev/null; then
    say "starting a Redis server for the tests"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    sleep 1
  fi
  redis_answers "$REDIS" || { echo "Redis is needed for the rate-limit tests (MALTI_REDIS_URL=$REDIS)" >&2; exit 1; }
fi
export MALTI_REDIS_URL="$REDIS"

build_dashboard
export DATABASE_URL="${DATABASE_URL:-postgres://malti:malti@127.0.0.1:${MALTI_DB_PORT:-5433}/malti}"
exec "$VENV/bin/pytest" "$@"
