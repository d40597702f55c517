#!/usr/bin/env bash
# Provision Malti's local PostgreSQL 15 + TimescaleDB (Apache edition) cluster.
#
# - When DATABASE_URL points at a reachable server that has TimescaleDB, use it
#   and do nothing else.
# - Otherwise, on Debian: install PostgreSQL 15 and its server headers, build
#   TimescaleDB from Debian's source package (trixie) with a private apt
#   configuration (the system's sources stay untouched), and run a private
#   cluster whose data lives in .malti/pgdata on port $MALTI_DB_PORT (5433).
# - MALTI_TIMESCALEDB_LICENSE (apache, or timescale for the community edition
#   when a community build is installed) sets the cluster's timescaledb.license,
#   also in an existing cluster's configuration (restarting it if it changed).
#
# Every step is cached: a second run takes a few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${MALTI_STATE_DIR:-$ROOT/.malti}"
PORT="${MALTI_DB_PORT:-5433}"
LICENSE="${MALTI_TIMESCALEDB_LICENSE:-apache}"
PG_BIN=/usr/lib/postgresql/15/bin
TSDB_VERSION=2.19.3
PGDATA="$STATE/pgdata"
SOCKET_DIR="$STATE/run"
LOG="$STATE/postgresql.log"

say() { printf '\033[1m[malti-db]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[malti-db] %s\033[0m\n' "$*" >&2; exit 1; }

case "$LICENSE" in
  apache|timescale) ;;
  *) die "MALTI_TIMESCALEDB_LICENSE must be apache or timescale, not '$LICENSE'." ;;
esac

# 1. An external database given by DATABASE_URL wins.
if [ -n "${DATABASE_URL:-}" ] && [ -z "${MALTI_FORCE_LOCAL_DB:-}" ]; then
  case "$DATABASE_URL" in
    *"127.0.0.1:$PORT"*|*"localhost:$PORT"*) ;;  # our own cluster: fall through
    *)
      if command -v psql >/dev/null && \
         license=$(psql "$DATABASE_URL" -Atqc "SELECT current_setting('timescaledb.license', true)" 2>/dev/null); then
        [ -n "$license" ] || say "warning: $DATABASE_URL is reachable but TimescaleDB is not loaded (shared_preload_libraries)."
        say "using the database in DATABASE_URL (TimescaleDB license: ${license:-none})"
        exit 0
      fi
      die "DATABASE_URL is set but the server does not answer. Unset it to run a private local cluster."
      ;;
  esac
fi

# 2. Provisioning needs Debian (apt) and root for the package installs.
[ -r /etc/debian_version ] || die "automatic provisioning needs Debian 12; set DATABASE_URL to a PostgreSQL 15+ server with TimescaleDB instead."
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@";
  else die "installing packages needs root (or passwordless sudo): run once as root, or set DATABASE_URL."; fi
}

need_pkgs=()
for p in postgresql-15 postgresql-server-dev-15 cmake build-essential libssl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
    || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null; }
fi

# 3. Build TimescaleDB (Apache edition) once.
EXT_DIR="$("$PG_BIN/pg_config" --sharedir)/extension"
if [ ! -f "$EXT_DIR/timescaledb--$TSDB_VERSION.sql" ]; then
  APT="$STATE/apt"
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/src"
  echo "deb-src http://deb.debian.org/debian trixie main" > "$APT/sources.list"
  apt_private=(-o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
               -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Debug::NoLocking=1")
  if ! ls "$APT/src"/timescaledb_${TSDB_VERSION}*.orig.tar.* >/dev/null 2>&1; then
    say "fetching Debian's timescaledb $TSDB_VERSION source package"
    apt-get "${apt_private[@]}" -qq update
    (cd "$APT/src" && apt-get "${apt_private[@]}" -qq source --download-only timescaledb)
  fi
  BUILD="$STATE/build/timescaledb-$TSDB_VERSION"
  rm -rf "$BUILD" && mkdir -p "$BUILD"
  tar -xf "$(ls "$APT/src"/timescaledb_${TSDB_VERSION}*.orig.tar.* | head -1)" -C "$BUILD" --strip-components=1
  say "building TimescaleDB $TSDB_VERSION (Apache edition, ~20 s)"
  (cd "$BUILD" && ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DAPACHE_ONLY=ON \
      -DPG_CONFIG="$PG_BIN/pg_config" >"$STATE/build/bootstrap.log" 2>&1 \
    && make -C build -j"$(nproc)" >"$STATE/build/make.log" 2>&1) \
    || die "TimescaleDB build failed; see $STATE/build/*.log"
  as_root make -C "$BUILD/build" install >"$STATE/build/install.log" 2>&1
fi

# The community edition needs the TSL library, which the Apache build lacks.
if [ "$LICENSE" = timescale ] && [ ! -f "$("$PG_BIN/pg_config" --pkglibdir)/timescaledb-tsl-$TSDB_VERSION.so" ]; then
  die "timescaledb.license = 'timescale' needs a community build of TimescaleDB $TSDB_VERSION (no timescaledb-tsl-$TSDB_VERSION.so)."
fi

# 4. The private cluster, run as the postgres user when we are root (initdb refuses root).
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$STATE"
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  say "creating a private cluster in $PGDATA (port $PORT)"
  mkdir -p "$PGDATA" "$SOCKET_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA" "$SOCKET_DIR"
  run_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$PGDATA/postgresql.conf" <<CONF
# Malti's private cluster
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKET_DIR'
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
timescaledb.license = '$LICENSE'
max_connections = 200
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
synchronous_commit = on
max_wal_size = 2GB
timezone = 'UTC'
CONF
fi
# The license of an existing cluster follows the variable; the last setting in the file wins.
CONF="$PGDATA/postgresql.conf"
configured=$(sed -n "s/^[[:space:]]*timescaledb\.license[[:space:]]*=[[:space:]]*'\{0,1\}\([a-z]*\)'\{0,1\}.*/\1/p" "$CONF" | tail -1)
restart=
if [ "$configured" != "$LICENSE" ]; then
  say "setting timescaledb.license = '$LICENSE' (was '${configured:-unset}')"
  sed -i "/^[[:space:]]*timescaledb\.license[[:space:]]*=/d" "$CONF"
  echo "timescaledb.license = '$LICENSE'" >> "$CONF"
  restart=1
fi
mkdir -p "$SOCKET_DIR"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$SOCKET_DIR"
touch "$LOG"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$LOG"
if [ -n "$restart" ] && run_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  say "restarting PostgreSQL on 127.0.0.1:$PORT for the new license"
  run_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 -m fast restart >/dev/null || die "PostgreSQL did not restart; see $LOG"
elif ! run_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  say "starting PostgreSQL on 127.0.0.1:$PORT"
  run_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 start >/dev/null || die "PostgreSQL did not start; see $LOG"
fi

psql_su() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"; }
if [ -z "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname='malti'")" ]; then
  psql_su -c "CREATE ROLE malti LOGIN SUPERUSER PASSWORD 'malti'"
fi
if [ -z "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname='malti'")" ]; then
  psql_su -c "CREATE DATABASE malti OWNER malti"
fi
say "ready: postgres://malti:malti@127.0.0.1:$PORT/malti"
