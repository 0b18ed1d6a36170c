"""Seed the event position counter and protect domain events on PostgreSQL.

The trigger rejects UPDATE and DELETE on eventstore_domainevent (append-only log). TRUNCATE is
left alone on purpose: it is an administrator's operation (and the test runner's flush).
"""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION eventstore_domainevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'eventstore_domainevent is append-only: % rejected (position %)',
        TG_OP, OLD.position USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_domainevent_append_only ON eventstore_domainevent;
CREATE TRIGGER eventstore_domainevent_append_only
    BEFORE UPDATE OR DELETE ON eventstore_domainevent
    FOR EACH ROW EXECUTE FUNCTION eventstore_domainevent_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS eventstore_domainevent_append_only ON eventstore_domainevent;
DROP FUNCTION IF EXISTS eventstore_domainevent_append_only();
"""


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


def seed_counter(apps, schema_editor):
    PositionCounter = apps.get_model("eventstore", "PositionCounter")
    PositionCounter.objects.get_or_create(name="events", defaults={"last_position": 0})


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0002_events_log")]

    operations = [
        migrations.RunPython(seed_counter, migrations.RunPython.noop),
        migrations.RunPython(install_trigger, remove_trigger),
    ]
