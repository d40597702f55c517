# Shared by scripts/run.sh and scripts/test.sh: the virtualenv and local state.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${MALTI_STATE_DIR:-$ROOT/.malti}"
VENV="${MALTI_VENV:-$ROOT/.venv}"
mkdir -p "$STATE"

say() { printf '\033[1m[malti]\033[0m %s\n' "$*"; }

# Create the virtualenv and install a requirements file, once per change of it.
ensure_venv() {
  local requirements="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtualenv in $VENV"
    python3 -m venv "$VENV" 2>/dev/null || {
      apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }
  fi
  local stamp="$VENV/.installed-$(basename "$requirements")"
  local wanted; wanted="$(cat "$ROOT/requirements/"*.txt | sha256sum | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    say "installing Python packages from $requirements"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
  fi
}

redis_answers() {
  "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PY
}

build_dashboard() {
  if [ -x "$ROOT/scripts/build-dashboard.sh" ]; then
    bash "$ROOT/scripts/build-dashboard.sh"
  fi
}
