"""Databases of a test's own on the test server, beside the test database (never the user's)."""

from contextlib import contextmanager

import psycopg
from django.conf import settings


def connect(dbname: str, **changes) -> psycopg.Connection:
    """A connection to another database on the test server, as the test user unless changed."""
    db = {**settings.DATABASES["default"], **changes}
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=dbname,
        autocommit=True,
    )


@contextmanager
def scratch_database(name: str):
    """An empty database for the block, dropped afterwards (with any connections left to it)."""
    with connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
