"""Community edition: retention waits for the continuous aggregates.

TimescaleDB's retention policies drop chunks on schedule whether or not the
aggregates reading them have materialised them: a refresh policy that
stalls (failing, or background workers off) turned into lost data. They are
replaced by one job of Malti's, `malti_apply_retention`, that drops a
relation's chunks only when they are past retention *and* older than what
every aggregate reading it has materialised and than its pending
invalidations (`malti_retention_guard`). `retention set` changes the job's
config. The Apache edition has no policies: Malti's worker does the same.
"""

import json

from django.conf import settings
from django.db import migrations

# Frozen: the levels and materialisations as of this migration.
LEVEL_NAMES = ("1min", "5min", "1hour", "6hour", "1day", "1week")
MATERIALISATION_NAMES = ("svc", "status", "node", "endpoint", "consumer", "")


def _relations(level):
    if level == "raw":
        return ["requests"]
    return [f"requests_{name}_{level}" if name else f"requests_{level}" for name in MATERIALISATION_NAMES]


IS_COMMUNITY_SQL = "SELECT current_setting('timescaledb.license', true) = 'timescale'"
# The oldest moment the aggregates reading `relation` still need from it.
CREATE_GUARD = """
CREATE OR REPLACE FUNCTION malti_retention_guard(relation regclass) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    WITH source AS (
        SELECT hypertable.id
        FROM _timescaledb_catalog.hypertable AS hypertable
        JOIN pg_namespace AS namespace ON namespace.nspname = hypertable.schema_name
        JOIN pg_class AS class ON class.relnamespace = namespace.oid AND class.relname = hypertable.table_name
        WHERE class.oid = relation
        UNION ALL
        SELECT cagg.mat_hypertable_id
        FROM _timescaledb_catalog.continuous_agg AS cagg
        JOIN pg_namespace AS namespace ON namespace.nspname = cagg.user_view_schema
        JOIN pg_class AS class ON class.relnamespace = namespace.oid AND class.relname = cagg.user_view_name
        WHERE class.oid = relation
    )
    SELECT least(
        (SELECT min(_timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(reader.mat_hypertable_id)))
         FROM _timescaledb_catalog.continuous_agg AS reader
         WHERE reader.raw_hypertable_id IN (SELECT id FROM source)),
        (SELECT min(_timescaledb_functions.to_timestamp(pending.lowest_modified_value))
         FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log AS pending
         WHERE pending.hypertable_id IN (SELECT id FROM source))
    )
$$
"""
CREATE_JOB_PROCEDURE = """
CREATE OR REPLACE PROCEDURE malti_apply_retention(job_id integer, config jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    target record;
BEGIN
    FOR target IN
        SELECT to_regclass(key) AS relation, value::interval AS keep_for
        FROM jsonb_each_text(config->'drop_after')
        WHERE to_regclass(key) IS NOT NULL
    LOOP
        PERFORM drop_chunks(
            target.relation, older_than => least(now() - target.keep_for, malti_retention_guard(target.relation))
        );
    END LOOP;
END
$$
"""
ADD_JOB_SQL = "SELECT add_job('malti_apply_retention', INTERVAL '10 minutes', config => %s::jsonb)"
DELETE_JOBS_SQL = (
    "SELECT delete_job(job_id) FROM timescaledb_information.jobs WHERE proc_name = 'malti_apply_retention'"
)
DROP_JOB_PROCEDURE = "DROP PROCEDURE IF EXISTS malti_apply_retention(integer, jsonb)"
DROP_GUARD = "DROP FUNCTION IF EXISTS malti_retention_guard(regclass)"
CURRENT_SCHEMA_SQL = "SELECT current_schema()"
ADD_RETENTION_POLICY_SQL = (
    "SELECT add_retention_policy(%s::regclass, drop_after => %s::interval, if_not_exists => true)"
)
REMOVE_RETENTION_POLICY_SQL = "SELECT remove_retention_policy(%s::regclass, if_exists => true)"


def _is_community(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(IS_COMMUNITY_SQL)
        return bool(cursor.fetchone()[0])


def _keep_for(apps):
    stored = dict(apps.get_model("telemetry", "RetentionPolicy").objects.values_list("level", "keep_for"))
    return {level: stored.get(level, default) for level, default in settings.MALTI_RETENTION_DEFAULTS.items()}


def use_malti_job(apps, schema_editor):
    if not _is_community(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CURRENT_SCHEMA_SQL)
        schema = cursor.fetchone()[0]
        drop_after = {}
        for level, keep_for in _keep_for(apps).items():
            for relation in _relations(level):
                cursor.execute(REMOVE_RETENTION_POLICY_SQL, [relation])
                drop_after[f"{schema}.{relation}"] = keep_for
        cursor.execute(CREATE_GUARD)
        cursor.execute(CREATE_JOB_PROCEDURE)
        cursor.execute(ADD_JOB_SQL, [json.dumps({"drop_after": drop_after})])


def use_policies(apps, schema_editor):
    if not _is_community(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DELETE_JOBS_SQL)
        cursor.execute(DROP_JOB_PROCEDURE)
        cursor.execute(DROP_GUARD)
        for level, keep_for in _keep_for(apps).items():
            for relation in _relations(level):
                cursor.execute(ADD_RETENTION_POLICY_SQL, [relation, keep_for])


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0009_wide_slots")]

    operations = [migrations.RunPython(use_malti_job, use_policies)]
