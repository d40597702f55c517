#!/bin/sh
# Malti's container entrypoint.
#
#   web     wait for the database, run setup, serve with gunicorn (uvicorn workers)
#   setup   migrate and ensure the admin user, one container at a time (web runs it)
#   worker  alerts; rollup refresh and retention on the Apache edition (manage.py malti_worker)
#   other   run as given, e.g. `docker compose run --rm web python manage.py malti_accounts list`
#
# Django reads its settings from the environment itself; this script reads only
# what it passes on as arguments: MALTI_WEB_WORKERS, MALTI_DB_WAIT_TIMEOUT and
# MALTI_ADMIN_* (see docker/.env.example).
set -eu
# manage.py and the helpers are found relative to the project, whatever the working directory.
cd "$(dirname "$0")/.."

say() { printf '[malti] %s\n' "$*"; }
die() { printf '[malti] %s\n' "$*" >&2; exit 1; }

# The example file's placeholders must not reach a running install.
refuse_placeholders() {
  case "${DATABASE_URL:-}" in
    *:change-me@*) die "DATABASE_URL still has the example password 'change-me': set MALTI_DB_PASSWORD in docker/.env." ;;
  esac
  if [ "${MALTI_ADMIN_PASSWORD:-}" = "change-me" ]; then
    die "MALTI_ADMIN_PASSWORD is still the example's 'change-me': set a real password in docker/.env."
  fi
}

wait_for_database() {
  # Without the pool, a refused connection fails at once instead of after the pool's timeout.
  MALTI_DB_POOL=0 python docker/wait_for_db.py "${MALTI_DB_WAIT_TIMEOUT:-60}" \
    || die "the database is not usable; Malti cannot start (see the message above)."
}

ensure_admin() {
  if [ -z "${MALTI_ADMIN_USERNAME:-}" ]; then
    say "MALTI_ADMIN_USERNAME is not set: no admin user is created (docker compose exec web python manage.py createsuperuser makes one)."
    return
  fi
  set -- --username "$MALTI_ADMIN_USERNAME" --email "${MALTI_ADMIN_EMAIL:-}"
  case "${MALTI_ADMIN_RESET_PASSWORD:-0}" in
    1|true|yes|on) set -- "$@" --reset-password ;;
  esac
  if [ -n "${MALTI_ADMIN_PASSWORD_FILE:-}" ]; then
    python manage.py ensure_admin "$@" --password-file "$MALTI_ADMIN_PASSWORD_FILE"
  elif [ -n "${MALTI_ADMIN_PASSWORD:-}" ]; then
    # Through stdin, so the password stays out of the process list.
    printf '%s' "$MALTI_ADMIN_PASSWORD" | python manage.py ensure_admin "$@" --password-file -
  else
    python manage.py ensure_admin "$@"
  fi
}

# Under a database lock: web containers starting together (MALTI_WEB_REPLICAS) take turns.
set_up() {
  python docker/one_at_a_time.py sh docker/entrypoint.sh setup-under-lock
}

case "${1:-web}" in
  web)
    refuse_placeholders
    wait_for_database
    set_up
    say "serving on port 8000 with ${MALTI_WEB_WORKERS:-2} worker process(es)"
    # --reuse-port: the kernel spreads connections over the workers (see scripts/run.sh).
    exec gunicorn malti_site.asgi:application -k uvicorn_worker.UvicornWorker \
      --workers "${MALTI_WEB_WORKERS:-2}" --bind 0.0.0.0:8000 --reuse-port --no-control-socket \
      --access-logfile - --graceful-timeout 20 --worker-tmp-dir /dev/shm \
      --forwarded-allow-ips "${MALTI_TRUSTED_PROXIES:-}"
    ;;
  setup)
    refuse_placeholders
    wait_for_database
    set_up
    ;;
  setup-under-lock)
    # Only under setup's lock.
    say "applying migrations"
    python manage.py migrate --noinput
    ensure_admin
    ;;
  worker)
    refuse_placeholders
    wait_for_database
    exec python manage.py malti_worker
    ;;
  *)
    exec "$@"
    ;;
esac
