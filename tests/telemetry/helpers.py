from django.db import connection


def raw_count(service=None) -> int:
    with connection.cursor() as cursor:
        if service is None:
            cursor.execute("SELECT count(*) FROM requests")
        else:
            cursor.execute("SELECT count(*) FROM requests WHERE service = %s", [service])
        return cursor.fetchone()[0]


def raw_rows(columns="service, node, method, endpoint, context, status, response_time, consumer, created_at"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM requests ORDER BY created_at")
        return cursor.fetchall()
