"""A one-statement append of a single event (PostgreSQL): ``eventstore_append_event(...)``.

The one-event-per-transaction path (handlers, operators, reversals of one event) cost five
round trips through the general append: counter UPDATE, version read, COPY (two: the COPY
command, then its data) and COMMIT, each on this machine about as long as the insert itself.
The function does the same steps in the same order inside the server, so an autocommit call
is one round trip and its own transaction:

1. ``UPDATE`` the events counter row (the append lock, held until commit; recreated when a
   test flush removed it) and take ``last_position + 1``;
2. with a fresh snapshot, which a VOLATILE function takes per statement *after* the lock, so
   every append that held the lock before is visible: the next version of the aggregate, or
   the check that the caller's expected version is stored (else SQLSTATE ``EV001``, mapped to
   ``ConcurrencyError``);
3. ``INSERT`` the row: the unique (aggregate, version) and reversed-once indexes, the
   append-only and statement-level reference triggers apply as to any insert.

Any error aborts the calling statement, counter update included: no hole. Reversible.
"""

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION eventstore_append_event(
    p_aggregate_id varchar, p_expected integer, p_event_id uuid, p_aggregate_type varchar,
    p_event_type varchar, p_schema_version smallint, p_data jsonb, p_metadata jsonb,
    p_batch_id bigint, p_header_id bigint, p_occurred_at timestamptz,
    p_recorded_at timestamptz, p_reverses bigint,
    OUT o_position bigint, OUT o_version integer
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    UPDATE eventstore_positioncounter SET last_position = last_position + 1
        WHERE name = 'events' RETURNING last_position INTO o_position;
    IF o_position IS NULL THEN
        -- seeded by migration 0003; a test flush may have removed it
        INSERT INTO eventstore_positioncounter AS c (name, last_position) VALUES ('events', 1)
            ON CONFLICT (name) DO UPDATE SET last_position = c.last_position + 1
            RETURNING c.last_position INTO o_position;
    END IF;
    IF p_expected IS NULL THEN
        SELECT coalesce(max(aggregate_version), 0) + 1 INTO o_version
            FROM eventstore_domainevent WHERE aggregate_id = p_aggregate_id;
    ELSE
        IF p_expected > 0 AND NOT EXISTS (
            SELECT 1 FROM eventstore_domainevent
            WHERE aggregate_id = p_aggregate_id AND aggregate_version = p_expected
        ) THEN
            -- aggregate ids are keyed hashes, not PHI
            RAISE EXCEPTION 'aggregate % is behind the expected version %',
                p_aggregate_id, p_expected USING ERRCODE = 'EV001';
        END IF;
        o_version := p_expected + 1;
    END IF;
    INSERT INTO eventstore_domainevent (
        position, event_id, aggregate_type, aggregate_id, aggregate_version, event_type,
        schema_version, data, metadata, batch_id, header_id, occurred_at, recorded_at,
        is_reversal, reverses_id
    ) VALUES (
        o_position, p_event_id, p_aggregate_type, p_aggregate_id, o_version, p_event_type,
        p_schema_version, p_data, p_metadata, p_batch_id, p_header_id, p_occurred_at,
        p_recorded_at, p_reverses IS NOT NULL, p_reverses
    );
END;
$$;
"""

DROP_SQL = """
DROP FUNCTION IF EXISTS eventstore_append_event(
    varchar, integer, uuid, varchar, varchar, smallint, jsonb, jsonb, bigint, bigint,
    timestamptz, timestamptz, bigint);
"""


def install_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_SQL, params=None)


def remove_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0015_inbound_channel_api"),
    ]

    operations = [
        migrations.RunPython(install_function, remove_function),
    ]
