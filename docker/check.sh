#!/usr/bin/env bash
# Check Malti's Docker files without a Docker engine.
#
#   docker/check.sh                  validate compose.yml alone and with each overlay
#   docker/check.sh --print-compose  print the path of the compose binary (fetching it if needed)
#
# Uses `docker compose` when the plugin is installed, $MALTI_COMPOSE when set,
# otherwise Debian trixie's docker-compose package (a static Go binary that runs
# on Debian 12), fetched once with a private apt configuration into
# .malti/docker-compose: the system's apt sources stay untouched.
# Runs hadolint and shellcheck too when they are installed.
#
# Exit status: 0 all passed, 1 a check failed, 77 no compose binary could be obtained.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${MALTI_STATE_DIR:-$ROOT/.malti}"
CACHE="$STATE/docker-compose"
PLUGIN="$CACHE/root/usr/libexec/docker/cli-plugins/docker-compose"

if [ -t 2 ]; then BOLD=$'\033[1m' RED=$'\033[31m' PLAIN=$'\033[0m'; else BOLD='' RED='' PLAIN=''; fi
say() { printf '%s[docker-check]%s %s\n' "$BOLD" "$PLAIN" "$*" >&2; }
fail() { printf '%s[docker-check] %s%s\n' "$RED" "$*" "$PLAIN" >&2; exit 1; }
unavailable() { printf '[docker-check] %s\n' "$*" >&2; exit 77; }

fetch_compose() {
  if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    unavailable "no compose binary: install the docker compose plugin, or set MALTI_COMPOSE (fetching it needs apt-get and dpkg)"
  fi
  local apt="$CACHE/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$CACHE/debs"
  echo "deb http://deb.debian.org/debian trixie main" > "$apt/sources.list"
  local private=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                 -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
                 -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  say "fetching Debian trixie's docker-compose package (once)"
  apt-get "${private[@]}" -qq update >/dev/null 2>&1 \
    || unavailable "could not reach deb.debian.org to fetch docker-compose"
  rm -f "$CACHE/debs"/*.deb
  (cd "$CACHE/debs" && apt-get "${private[@]}" -qq download docker-compose >/dev/null 2>&1) \
    || unavailable "could not download the docker-compose package"
  rm -rf "$CACHE/root"
  dpkg -x "$CACHE/debs"/docker-compose_*.deb "$CACHE/root"
  [ -x "$PLUGIN" ] || fail "the docker-compose package has no $PLUGIN"
}

# Sets COMPOSE to the command that runs compose.
resolve_compose() {
  if [ -n "${MALTI_COMPOSE:-}" ]; then
    COMPOSE=("$MALTI_COMPOSE")
  elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  else
    if [ ! -x "$PLUGIN" ]; then
      mkdir -p "$CACHE"
      # Concurrent test runs must not unpack over each other.
      exec 9>"$CACHE/.lock"
      flock 9
      [ -x "$PLUGIN" ] || fetch_compose
      exec 9>&-
    fi
    COMPOSE=("$PLUGIN")
  fi
}

resolve_compose
if [ "${1:-}" = "--print-compose" ]; then
  printf '%s\n' "${COMPOSE[@]}"
  exit 0
fi
[ $# -eq 0 ] || fail "unknown argument: $1 (try --print-compose, or none)"

cd "$ROOT"
say "using $("${COMPOSE[@]}" version 2>/dev/null | head -1)"
status=0
check() {
  local label="$1"; shift
  local output
  if output="$("$@" 2>&1 >/dev/null)"; then
    say "ok: $label"
  else
    printf '%s[docker-check] FAILED: %s%s\n%s\n' "$RED" "$label" "$PLAIN" "$output" >&2
    status=1
  fi
}
# --quiet validates without printing the resolved file; the apache profile adds the worker.
# A clean environment, so that variables exported in this shell cannot stand in for the example's.
clean=(env -i "PATH=$PATH" "HOME=${HOME:-/tmp}")
check "compose.yml" \
  "${clean[@]}" "${COMPOSE[@]}" -f docker/compose.yml --env-file docker/.env.example --profile apache config --quiet
check "compose.yml + compose.prod.yml" \
  "${clean[@]}" "${COMPOSE[@]}" -f docker/compose.yml -f docker/compose.prod.yml --env-file docker/.env.example --profile apache config --quiet
check "compose.yml + compose.scale.yml" \
  "${clean[@]}" "${COMPOSE[@]}" -f docker/compose.yml -f docker/compose.scale.yml --env-file docker/.env.example --profile apache config --quiet
check "entrypoint.sh parses (sh -n)" sh -n docker/entrypoint.sh
check "python helpers parse" python3 -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' \
  docker/wait_for_db.py docker/healthcheck.py docker/one_at_a_time.py

if command -v hadolint >/dev/null; then
  check "hadolint Dockerfile" hadolint --failure-threshold warning docker/Dockerfile
else
  say "skipped: hadolint is not installed"
fi
if command -v shellcheck >/dev/null; then
  check "shellcheck" shellcheck docker/entrypoint.sh docker/check.sh
else
  say "skipped: shellcheck is not installed"
fi

[ $status -eq 0 ] && say "all checks passed"
exit $status
