"""Wait until the database in DATABASE_URL accepts connections (the entrypoint runs it before migrate).

Usage: python docker/wait_for_db.py [TIMEOUT_SECONDS]

Retries only while the server is unreachable or starting; a wrong password or
a missing database fails at once, since waiting cannot fix either.
"""

import os
import signal
import sys
import time
from pathlib import Path

# Give up after this many seconds unless told otherwise.
DEFAULT_TIMEOUT = 60
# Answers that retrying cannot fix. libpq gives connection failures no SQLSTATE,
# so the server's message is matched (PostgreSQL images log in English).
FATAL_MESSAGES = ("password authentication failed", "does not exist", "no pg_hba.conf entry")


def main(timeout: float) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "malti_site.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.utils import OperationalError

    db = connection.settings_dict
    target = f"{db.get('HOST') or ''}:{db.get('PORT') or ''}/{db.get('NAME') or ''}"
    deadline = time.monotonic() + timeout

    # A connect attempt to a host that drops packets can outlast the deadline by itself.
    def give_up(signum, frame):
        print(f"[malti] gave up after {timeout:.0f}s: no answer from the database at {target}", file=sys.stderr)
        sys.exit(1)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(int(timeout) + 10)
    attempt = 0
    while True:
        attempt += 1
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except OperationalError as exc:
            reason = " ".join(str(exc).split()) or exc.__class__.__name__
            if any(message in str(exc) for message in FATAL_MESSAGES):
                print(f"[malti] the database at {target} refused Malti: {reason}", file=sys.stderr)
                print("[malti] check DATABASE_URL (user, password, database name).", file=sys.stderr)
                return 1
            if time.monotonic() >= deadline:
                print(
                    f"[malti] gave up after {timeout:.0f}s: the database at {target} does not answer: {reason}",
                    file=sys.stderr,
                )
                return 1
            if attempt == 1 or attempt % 10 == 0:
                print(f"[malti] waiting for the database at {target} ({reason})", flush=True)
            connection.close()
            time.sleep(1)
        else:
            connection.close()
            print(f"[malti] the database at {target} is up.", flush=True)
            return 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TIMEOUT))
