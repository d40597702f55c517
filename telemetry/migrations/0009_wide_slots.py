"""BIGINT histogram slots from the 1-hour level up; refresh windows that follow raw retention;
idempotency receipts pruned by a TimescaleDB job on the community edition.

Apache edition: ALTER COLUMN TYPE on the rollup hypertables and the open-bucket
tables (each rewritten once).

Community edition: a continuous aggregate cannot change its query, so each one
from 1 hour up is dropped and made again with BIGINT slots. The level below
keeps less history (5 minutes: 90 days under 1 hour's 720), so the rows it
cannot rebuild -- those before its first whole bucket -- are kept aside in
malti_0009_kept_*. Finest level first, the new aggregate is refreshed up to
the first whole bucket of its (already rebuilt) level below, which settles
that range (a later refresh will not recompute it), the kept rows before it
are put back into its materialisation, and the complete buckets after it are
refreshed from the level below. (If the level below is empty, the kept rows show again
at the first refresh that materialises new traffic.) Not atomic: CALL
refresh_continuous_aggregate cannot run in a transaction; every step can run
again after a failure, and kept rows stay until they are back.

No reverse: BIGINT slots work with the code before this migration.
"""

from django.conf import settings
from django.db import migrations, transaction

from telemetry.migrations.sql import wide_slots as sql
from telemetry.migrations.sql.rollups import is_community


def _keep_for(apps, level: str) -> str:
    stored = apps.get_model("telemetry", "RetentionPolicy").objects.filter(level=level).first()
    return stored.keep_for if stored else settings.MALTI_RETENTION_DEFAULTS[level]


def _relations():
    for level, interval, below in sql.LEVELS:
        for materialisation in sql.MATERIALISATIONS:
            yield level, interval, below, materialisation


def _slot_type(cursor, relation: str) -> str | None:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [relation])
    if not cursor.fetchone()[0]:
        return None
    cursor.execute(sql.SLOT_TYPE_SQL, [relation])
    return cursor.fetchone()[0]


def widen_apache(cursor):
    names = [sql.relation(level, m[0]) for level, _, _, m in _relations()] + list(sql.OPEN_TABLES)
    for name in names:
        if _slot_type(cursor, name) == "integer":
            cursor.execute(sql.WIDEN_TABLE_SQL.format(relation=name))


def _materialised(cursor, relation: str) -> str:
    cursor.execute(sql.MATERIALISED_TABLE_SQL, [relation])
    return cursor.fetchone()[0]


def _keep_and_drop(connection):
    """Keep the rows the level below cannot rebuild, then drop the narrow aggregates (one transaction)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(sql.CREATE_KEPT_STATE_SQL)
        narrow = []
        for level, interval, below, (name, _, _) in _relations():
            relation = sql.relation(level, name)
            if _slot_type(cursor, relation) != "integer":
                continue
            cursor.execute(sql.REBUILD_FROM_SQL.format(below=sql.relation(below, name)), [interval, interval, interval])
            rebuild_from = cursor.fetchone()[0]
            cursor.execute(sql.SAVE_STATE_SQL, [relation])
            kept = sql.kept_table(relation)
            cursor.execute(
                sql.KEEP_ROWS_SQL.format(kept=kept, materialised=_materialised(cursor, relation)), [rebuild_from]
            )
            narrow.append(relation)
        for relation in reversed(narrow):  # coarse levels depend on finer ones
            cursor.execute(sql.DROP_VIEW_SQL.format(relation=relation))


def _rebuild(connection, relation: str, interval: str, below: str):
    with connection.cursor() as cursor:
        # The level below is whole from here on (it was rebuilt first, its kept rows included).
        cursor.execute(sql.REBUILD_FROM_SQL.format(below=below), [interval, interval, interval])
        rebuild_from = cursor.fetchone()[0]
        # Settles everything before rebuild_from (nothing there is recomputed again), then puts the kept rows back.
        cursor.execute(sql.REFRESH_SQL, [relation, None, rebuild_from])
        cursor.execute(sql.KEPT_EXISTS_SQL, [sql.kept_table(relation)])
        if cursor.fetchone()[0]:
            with transaction.atomic(using=connection.alias):
                materialised = _materialised(cursor, relation)
                cursor.execute(sql.DELETE_BEFORE_SQL.format(materialised=materialised), [rebuild_from])
                kept = sql.kept_table(relation)
                cursor.execute(sql.RESTORE_SQL.format(materialised=materialised, kept=kept), [rebuild_from])
                cursor.execute(sql.DROP_KEPT_SQL.format(kept=kept))
        # Complete buckets only, as the refresh policies do: the open one is read in real time.
        cursor.execute(sql.OPEN_BUCKET_SQL, [interval])
        (open_bucket,) = cursor.fetchone()
        if rebuild_from is not None and rebuild_from < open_bucket:
            cursor.execute(sql.REFRESH_SQL, [relation, rebuild_from, open_bucket])


def widen_community(apps, connection):
    _keep_and_drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql.READ_STATE_SQL)
        rebuild = {row[0] for row in cursor.fetchall()}
    for level, interval, below, materialisation in _relations():  # finest first
        relation = sql.relation(level, materialisation[0])
        if relation not in rebuild:
            continue
        with connection.cursor() as cursor:
            cursor.execute(sql.create_view_sql(level, interval, below, materialisation))
            cursor.execute(sql.index_sql(level, materialisation))
            cursor.execute(sql.ADD_RETENTION_POLICY_SQL, [relation, _keep_for(apps, level)])
        _rebuild(connection, relation, interval, sql.relation(below, materialisation[0]))
    with connection.cursor() as cursor:
        cursor.execute(sql.DROP_STATE_SQL)


def follow_raw_retention(apps, connection):
    """Each refresh policy's window: raw retention plus the level's margin (see telemetry/rollups/continuous.py)."""
    raw = _keep_for(apps, "raw")
    levels = [("1min", "1 minute", None), ("5min", "5 minutes", None), *sql.LEVELS]
    with connection.cursor() as cursor:
        for level, _, _ in levels:
            beyond, end, every = sql.REFRESH_POLICY[level]
            for name, _, _ in sql.MATERIALISATIONS:
                relation = sql.relation(level, name)
                cursor.execute(sql.REMOVE_REFRESH_POLICY_SQL, [relation])
                cursor.execute(sql.ADD_REFRESH_POLICY_SQL, [relation, raw, beyond, end, every])


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if not is_community(schema_editor):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            widen_apache(cursor)
        return
    widen_community(apps, connection)
    follow_raw_retention(apps, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql.CREATE_PRUNE_PROCEDURE_SQL)
        cursor.execute(sql.ADD_PRUNE_JOB_SQL)


def backwards(apps, schema_editor):
    if is_community(schema_editor):
        schema_editor.execute(sql.REMOVE_PRUNE_JOB_SQL)
        schema_editor.execute(sql.DROP_PRUNE_PROCEDURE_SQL)


class Migration(migrations.Migration):
    atomic = False  # CALL refresh_continuous_aggregate refuses to run in a transaction

    dependencies = [("telemetry", "0008_open_buckets")]

    operations = [migrations.RunPython(forwards, backwards)]
