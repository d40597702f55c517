#!/usr/bin/env bash
# Run Malti locally: database, demo data, web server on http://127.0.0.1:8000 and the worker.
# The first run creates the demo logins and keys; later runs keep them (and the data).
#   --reset-demo   new passwords for admin and demo, the demo keys revoked and new ones printed
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

demo_args=()
for arg in "$@"; do
  case "$arg" in
    --reset-demo) demo_args+=(--reset) ;;
    -h|--help) sed -n '2,4s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $arg (scripts/run.sh [--reset-demo])" >&2; exit 2 ;;
  esac
done

bash scripts/provision-db.sh
ensure_venv requirements/base.txt
build_dashboard

# A stable secret for this checkout, kept out of git.
[ -s "$STATE/secret_key" ] || "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$STATE/secret_key"
export MALTI_SECRET_KEY_FILE="$STATE/secret_key"
export MALTI_ALLOWED_HOSTS="${MALTI_ALLOWED_HOSTS:-127.0.0.1,localhost}"
export MALTI_SECURE_COOKIES="${MALTI_SECURE_COOKIES:-0}"   # plain HTTP on loopback
export MALTI_STATIC_ROOT="${MALTI_STATIC_ROOT:-$STATE/static}"
export DATABASE_URL="${DATABASE_URL:-postgres://malti:malti@127.0.0.1:${MALTI_DB_PORT:-5433}/malti}"
PORT="${MALTI_PORT:-8000}"
WORKERS="${MALTI_WEB_WORKERS:-2}"
REDIS="${MALTI_REDIS_URL:-redis://127.0.0.1:6379/0}"
if redis_answers "$REDIS"; then
  export MALTI_REDIS_URL="$REDIS"
  say "rate limits are shared through Redis at $REDIS"
else
  unset MALTI_REDIS_URL
  WORKERS=1
  say "Redis is not reachable at $REDIS: serving with one process and per-process rate limits"
fi

manage() { "$VENV/bin/python" manage.py "$@"; }
manage migrate --noinput -v 0
manage collectstatic --noinput -v 0
manage malti_demo --url "http://127.0.0.1:$PORT" ${demo_args[@]+"${demo_args[@]}"}

say "starting the worker (rollup refresh and retention)"
manage malti_worker &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true' EXIT INT TERM

say "serving on http://127.0.0.1:$PORT (Ctrl-C stops Malti)"
# --reuse-port: a socket per worker, the kernel spreads connections over them. On one
# shared socket a uvicorn worker accepts every pending connection at once, so a few
# busy keep-alive clients can all land on one worker and one core (bench/README.md).
"$VENV/bin/gunicorn" malti_site.asgi:application -k uvicorn_worker.UvicornWorker \
  --workers "$WORKERS" --bind "127.0.0.1:$PORT" --reuse-port --no-control-socket --access-logfile - --graceful-timeout 10 \
  --forwarded-allow-ips "${MALTI_TRUSTED_PROXIES:-}"  # X-Forwarded-For only from trusted proxies
