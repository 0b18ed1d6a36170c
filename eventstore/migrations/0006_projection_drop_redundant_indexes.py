"""Drop projection-table indexes that no query uses, so projector and rebuild writes are cheaper.

Every projection batch COPYs its member and enrollment rows; each index is maintained per row.

* ``*_like`` (``varchar_pattern_ops``) indexes, which Django adds beside every indexed
  CharField on PostgreSQL, only serve ``LIKE 'prefix%'``: the admin searches these columns
  with exact (``=``) or ``icontains`` lookups, neither of which uses them.
* ``enrollment.member_id`` is the leading column of the (member, coverage_key) unique index,
  which already serves every lookup by member: its own index is redundant.
* The rebuild (shadow) tables are only read by aggregate id (primary key), by member id (the
  unique index) and by the swap's full copy: their partner and subscriber indexes are dropped
  too. The live tables keep theirs (admin search by subscriber id, reports by partner).

Applied migrations are never edited, hence this one. Reversible: the reverse recreates each
index under Django's own name, so later schema changes find what they expect.
"""

from django.db import migrations

# (table, column, suffix, opclass): suffix and opclass as Django creates them.
DROPPED = (
    ("eventstore_member", "aggregate_id", "_like", "varchar_pattern_ops"),
    ("eventstore_member", "partner_code", "_like", "varchar_pattern_ops"),
    ("eventstore_member", "subscriber_id", "_like", "varchar_pattern_ops"),
    ("eventstore_enrollment", "member_id", "", ""),
    ("eventstore_enrollment", "member_id", "_like", "varchar_pattern_ops"),
    ("eventstore_memberrebuild", "aggregate_id", "_like", "varchar_pattern_ops"),
    ("eventstore_memberrebuild", "partner_code", "", ""),
    ("eventstore_memberrebuild", "partner_code", "_like", "varchar_pattern_ops"),
    ("eventstore_memberrebuild", "subscriber_id", "", ""),
    ("eventstore_memberrebuild", "subscriber_id", "_like", "varchar_pattern_ops"),
    ("eventstore_enrollmentrebuild", "member_id", "", ""),
    ("eventstore_enrollmentrebuild", "member_id", "_like", "varchar_pattern_ops"),
)


def _name(schema_editor, table: str, column: str, suffix: str) -> str:
    # Django's own naming (the call its schema editor makes when it creates these indexes).
    return schema_editor.quote_name(schema_editor._create_index_name(table, [column], suffix))


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, suffix, _opclass in DROPPED:
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {_name(schema_editor, table, column, suffix)}", params=None
        )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, suffix, opclass in DROPPED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_name(schema_editor, table, column, suffix)} "
            f"ON {table} ({column} {opclass})",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0005_events_drop_event_type_like_index")]

    operations = [migrations.RunPython(drop_indexes, create_indexes)]
