"""Run a command while holding a PostgreSQL advisory lock, so that web containers starting
together (MALTI_WEB_REPLICAS) run their set-up one after another: two migrations at once
would collide, and so would two creations of the admin user.

Usage: python docker/one_at_a_time.py COMMAND [ARG...]

The lock belongs to this process's database session, so it is released when the process
ends, however it ends. Exits with the command's status.
"""

import os
import subprocess
import sys
from pathlib import Path

# Any key but the refresher's ("malti", telemetry/rollups/refresher.py); keys are per database.
SETUP_LOCK_KEY = 0x6D616C7469 + 1
LOCK_SQL = "SELECT pg_advisory_lock(%s)"


def main(command: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "malti_site.settings")
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(LOCK_SQL, [SETUP_LOCK_KEY])
    return subprocess.run(command).returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python docker/one_at_a_time.py COMMAND [ARG...]")
    sys.exit(main(sys.argv[1:]))
