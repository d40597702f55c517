#!/usr/bin/env bash
# Build the dashboard's JavaScript bundle (dashboard_ui/frontend → dashboard_ui/static/dashboard_ui/).
#
# Cheap to call again: `npm ci` runs only when node_modules is missing or older
# than package-lock.json, and `npm run build` only when the bundle is missing or
# older than a source file (by mtime), so the run and test commands call it every time.
#
#   scripts/build-dashboard.sh           build if stale
#   scripts/build-dashboard.sh --force   build anyway
#   scripts/build-dashboard.sh --check   exit 1 if a build is needed, build nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="$ROOT/dashboard_ui/frontend"
OUT="$ROOT/dashboard_ui/static/dashboard_ui"
MANIFEST="$OUT/manifest.json"
# What a build depends on: a change to any of these makes the bundle stale.
INPUTS=(src public package.json package-lock.json index.html vite.config.js)

say() { printf '\033[1m[dashboard]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[dashboard] %s\033[0m\n' "$*" >&2; exit 1; }

mode=build
case "${1:-}" in
  "") ;;
  --force) mode=force ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option: $1 (try --help)" ;;
esac

cd "$FRONTEND"

stale_reason() {
  if [ ! -f "$MANIFEST" ]; then
    echo "no bundle yet"
    return
  fi
  local newer
  newer="$(find "${INPUTS[@]}" -newer "$MANIFEST" -type f -print -quit 2>/dev/null || true)"
  if [ -n "$newer" ]; then
    echo "$newer changed"
  fi
}

reason="$(stale_reason)"
if [ "$mode" = check ]; then
  if [ -n "$reason" ]; then say "needs a build: $reason"; exit 1; fi
  say "bundle is up to date"; exit 0
fi
if [ "$mode" = build ] && [ -z "$reason" ]; then
  say "bundle is up to date (${MANIFEST#"$ROOT"/})"
  exit 0
fi
[ "$mode" = force ] && reason="--force"

command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 20.19+ and npm to build the dashboard"

# npm ci rewrites node_modules/.package-lock.json, so it marks when dependencies were installed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "building ($reason)"
npm run build --silent
[ -f "$MANIFEST" ] || die "the build finished without writing $MANIFEST"
say "built ${OUT#"$ROOT"/}: $(find "$OUT/assets" -name '*.js' | wc -l) scripts, $(du -sh "$OUT/assets" | cut -f1)"
