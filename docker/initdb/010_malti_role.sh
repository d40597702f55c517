#!/bin/sh
# Malti's own database role, created when the timescaledb container initialises a new volume
# (compose mounts this file into /docker-entrypoint-initdb.d, after the image's TimescaleDB setup).
# The role logs in with MALTI_DB_PASSWORD and owns POSTGRES_DB and its public schema, so
# migrations can create and change Malti's tables; it is not a superuser.
# For a volume created before this script existed, run it once by hand:
#   docker compose -f docker/compose.yml --env-file docker/.env exec timescaledb \
#     sh /docker-entrypoint-initdb.d/010_malti_role.sh
# No `exit` and no `set -e`: the image's entrypoint sources scripts that are not executable.
role="${MALTI_DB_USER:-malti}"
if [ -z "${MALTI_DB_PASSWORD:-}" ]; then
  echo "010_malti_role.sh: MALTI_DB_PASSWORD is not set; Malti's role is not created." >&2
  false
elif [ "$role" = "${POSTGRES_USER:-postgres}" ]; then
  echo "010_malti_role.sh: MALTI_DB_USER is the superuser $role; choose another name for Malti's role." >&2
  false
else
  psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-malti}" \
    -v role="$role" -v password="$MALTI_DB_PASSWORD" <<'SQL' &&
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'role') \gexec
SELECT format('ALTER SCHEMA public OWNER TO %I', :'role') \gexec
SQL
  echo "010_malti_role.sh: Malti connects as $role, the owner of ${POSTGRES_DB:-malti} (not a superuser)."
fi
