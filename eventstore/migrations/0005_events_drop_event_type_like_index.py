"""Drop the ``varchar_pattern_ops`` index Django adds beside ``DomainEvent.event_type``.

On PostgreSQL a ``db_index=True`` CharField gets two indexes: a plain one (kept: the event
stream filter and the member history look events up by type) and a ``*_like`` one that only
serves ``LIKE 'prefix%'`` queries, which nothing issues on event types. Every append paid for
maintaining it; the batched append measured faster without it. Applied migrations are never
edited, hence this one. Reversible: the reverse recreates the index under Django's own name.
"""

from django.db import migrations


def _like_index_name(schema_editor) -> str:
    # Django's own naming (the same call its schema editor makes), so a later AlterField on
    # event_type finds the index it expects when it exists and "DROP INDEX IF EXISTS" when not.
    return schema_editor._create_index_name("eventstore_domainevent", ["event_type"], "_like")


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {schema_editor.quote_name(_like_index_name(schema_editor))}",
            params=None,
        )


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(_like_index_name(schema_editor))} "
            "ON eventstore_domainevent (event_type varchar_pattern_ops)",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0004_events_merge_inbound")]

    operations = [migrations.RunPython(drop_like_index, create_like_index)]
