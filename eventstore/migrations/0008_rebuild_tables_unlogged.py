"""Make the rebuild's shadow tables cheaper to fill (PostgreSQL only).

* ``UNLOGGED``: the shadow rows are scratch data that ``replay_events`` writes and then swaps
  into the live tables (which stay logged); skipping the WAL makes the rebuild's writes much
  cheaper. A server crash empties unlogged tables: ``replay_events`` detects that (checkpoint
  past 0, no rows) and starts over instead of swapping in a partial projection.
* The shadow tables' ``last_name`` indexes (plain and ``_like``) serve no query: the shadow is
  only read by primary key, by member id and by the swap. The live ``last_name`` ``_like``
  index serves no query either (the admin searches names with ``icontains``).

Applied migrations are never edited, hence this one. Reversible.
"""

from django.db import migrations

SHADOW_TABLES = ("eventstore_memberrebuild", "eventstore_enrollmentrebuild")
# (table, column, suffix, opclass): suffix and opclass as Django creates them.
DROPPED = (
    ("eventstore_memberrebuild", "last_name", "", ""),
    ("eventstore_memberrebuild", "last_name", "_like", "varchar_pattern_ops"),
    ("eventstore_member", "last_name", "_like", "varchar_pattern_ops"),
)


def _name(schema_editor, table: str, column: str, suffix: str) -> str:
    # Django's own naming (the call its schema editor makes when it creates these indexes).
    return schema_editor.quote_name(schema_editor._create_index_name(table, [column], suffix))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, suffix, _opclass in DROPPED:
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {_name(schema_editor, table, column, suffix)}", params=None
        )
    for table in SHADOW_TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SHADOW_TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET LOGGED", params=None)
    for table, column, suffix, opclass in DROPPED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_name(schema_editor, table, column, suffix)} "
            f"ON {table} ({column} {opclass})",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0007_events_leaner_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
