"""Event references checked once per statement instead of once per row (PostgreSQL).

Row-level FOREIGN KEY constraints on ``batch``, ``header`` and ``reverses`` queue three
deferred checks per inserted event; measured here, checking 100,000 events at commit took
longer than inserting them. They are replaced by:

* ``eventstore_domainevent_refs``: AFTER INSERT ... FOR EACH STATEMENT with the inserted rows
  as a transition table. It locks (FOR KEY SHARE, as a FOREIGN KEY check does) the DISTINCT
  batches, headers and reversed events the statement references and raises
  ``foreign_key_violation`` (SQLSTATE 23503) if one is missing. One query per append.
* ``..._protect_events`` BEFORE DELETE (or id change) on batches and headers: refuses while
  events reference the row. With the key-share lock above, a delete racing an append waits
  for it and then sees its events, as with a real foreign key.

Events themselves are never deleted (append-only trigger), so ``reverses`` needs no delete
guard. Reversible: the reverse drops the triggers (the AlterFields restore the constraints).
"""

import django.db.models.deletion
from django.db import migrations, models


TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION eventstore_domainevent_refs() RETURNS trigger AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT batch_id) INTO wanted FROM new_events WHERE batch_id IS NOT NULL;
    IF wanted > 0 THEN
        SELECT count(*) INTO found FROM (
            SELECT 1 FROM eventstore_transactionbatch
            WHERE id IN (SELECT batch_id FROM new_events) FOR KEY SHARE) AS locked;
        IF found <> wanted THEN
            RAISE EXCEPTION 'domain event references a missing transaction batch'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    SELECT count(DISTINCT header_id) INTO wanted FROM new_events WHERE header_id IS NOT NULL;
    IF wanted > 0 THEN
        SELECT count(*) INTO found FROM (
            SELECT 1 FROM eventstore_transactionheader
            WHERE id IN (SELECT header_id FROM new_events) FOR KEY SHARE) AS locked;
        IF found <> wanted THEN
            RAISE EXCEPTION 'domain event references a missing transaction header'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    SELECT count(DISTINCT reverses_id) INTO wanted FROM new_events WHERE reverses_id IS NOT NULL;
    IF wanted > 0 THEN
        SELECT count(*) INTO found FROM eventstore_domainevent
            WHERE position IN (SELECT reverses_id FROM new_events);
        IF found <> wanted THEN
            RAISE EXCEPTION 'domain event reverses a missing event'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_domainevent_refs ON eventstore_domainevent;
CREATE TRIGGER eventstore_domainevent_refs
    AFTER INSERT ON eventstore_domainevent REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION eventstore_domainevent_refs();

CREATE OR REPLACE FUNCTION eventstore_batch_protect_events() RETURNS trigger AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id)
       AND EXISTS (SELECT 1 FROM eventstore_domainevent WHERE batch_id = OLD.id) THEN
        RAISE EXCEPTION 'transaction batch % has domain events', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_batch_protect_events ON eventstore_transactionbatch;
CREATE TRIGGER eventstore_batch_protect_events
    BEFORE DELETE OR UPDATE OF id ON eventstore_transactionbatch
    FOR EACH ROW EXECUTE FUNCTION eventstore_batch_protect_events();

CREATE OR REPLACE FUNCTION eventstore_header_protect_events() RETURNS trigger AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id)
       AND EXISTS (SELECT 1 FROM eventstore_domainevent
                   WHERE batch_id = OLD.batch_id AND header_id = OLD.id) THEN
        RAISE EXCEPTION 'transaction header % has domain events', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_header_protect_events ON eventstore_transactionheader;
CREATE TRIGGER eventstore_header_protect_events
    BEFORE DELETE OR UPDATE OF id ON eventstore_transactionheader
    FOR EACH ROW EXECUTE FUNCTION eventstore_header_protect_events();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS eventstore_domainevent_refs ON eventstore_domainevent;
DROP FUNCTION IF EXISTS eventstore_domainevent_refs();
DROP TRIGGER IF EXISTS eventstore_batch_protect_events ON eventstore_transactionbatch;
DROP FUNCTION IF EXISTS eventstore_batch_protect_events();
DROP TRIGGER IF EXISTS eventstore_header_protect_events ON eventstore_transactionheader;
DROP FUNCTION IF EXISTS eventstore_header_protect_events();
"""


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0008_rebuild_tables_unlogged"),
    ]

    operations = [
        migrations.AlterField(
            model_name="domainevent",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="eventstore.transactionbatch",
            ),
        ),
        migrations.AlterField(
            model_name="domainevent",
            name="header",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="eventstore.transactionheader",
            ),
        ),
        migrations.AlterField(
            model_name="domainevent",
            name="reverses",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversed_by",
                to="eventstore.domainevent",
            ),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
