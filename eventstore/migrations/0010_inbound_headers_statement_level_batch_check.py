"""Header -> batch references checked once per statement; one redundant st01 index less.

A large 837 inserts 10^5 transaction headers with one COPY. The row-level FOREIGN KEY on
``batch`` queued a deferred check per row: measured on 172,000 headers, the commit took
0.45 s with it and 0.05 s without. It is replaced (PostgreSQL) by:

* ``eventstore_transactionheader_refs``: AFTER INSERT ... FOR EACH STATEMENT over the
  inserted rows (a transition table). It locks the DISTINCT referenced batches FOR KEY SHARE,
  as a foreign-key check does, and raises ``foreign_key_violation`` (SQLSTATE 23503) if one
  is missing;
* ``eventstore_transactionheader_keep_batch``: BEFORE UPDATE OF batch_id refuses to move a
  header to another batch (a set belongs to the file it came in);
* ``eventstore_batch_protect_headers``: BEFORE DELETE (or id change) on batches refuses while
  headers reference the row. With the key-share lock above, a delete racing an insert waits
  for it and then sees its headers, as with a real foreign key.

``st01`` had its own index (and a ``LIKE`` twin) beside ``header_st01_routing`` on
(st01, routing_status), which serves the same lookups: two index insertions per header less.
Reversible: the reverse drops the triggers, the AlterFields restore constraint and index.
"""

import django.db.models.deletion
from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION eventstore_transactionheader_refs() RETURNS trigger AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT batch_id) INTO wanted FROM new_headers;
    IF wanted > 0 THEN
        SELECT count(*) INTO found FROM (
            SELECT 1 FROM eventstore_transactionbatch
            WHERE id IN (SELECT batch_id FROM new_headers) FOR KEY SHARE) AS locked;
        IF found <> wanted THEN
            RAISE EXCEPTION 'transaction header references a missing transaction batch'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_transactionheader_refs ON eventstore_transactionheader;
CREATE TRIGGER eventstore_transactionheader_refs
    AFTER INSERT ON eventstore_transactionheader REFERENCING NEW TABLE AS new_headers
    FOR EACH STATEMENT EXECUTE FUNCTION eventstore_transactionheader_refs();

CREATE OR REPLACE FUNCTION eventstore_transactionheader_keep_batch() RETURNS trigger AS $$
BEGIN
    IF NEW.batch_id IS DISTINCT FROM OLD.batch_id THEN
        RAISE EXCEPTION 'transaction header % cannot move to another batch', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_transactionheader_keep_batch ON eventstore_transactionheader;
CREATE TRIGGER eventstore_transactionheader_keep_batch
    BEFORE UPDATE OF batch_id ON eventstore_transactionheader
    FOR EACH ROW EXECUTE FUNCTION eventstore_transactionheader_keep_batch();

CREATE OR REPLACE FUNCTION eventstore_batch_protect_headers() RETURNS trigger AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id)
       AND EXISTS (SELECT 1 FROM eventstore_transactionheader WHERE batch_id = OLD.id) THEN
        RAISE EXCEPTION 'transaction batch % has transaction headers', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS eventstore_batch_protect_headers ON eventstore_transactionbatch;
CREATE TRIGGER eventstore_batch_protect_headers
    BEFORE DELETE OR UPDATE OF id ON eventstore_transactionbatch
    FOR EACH ROW EXECUTE FUNCTION eventstore_batch_protect_headers();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS eventstore_transactionheader_refs ON eventstore_transactionheader;
DROP FUNCTION IF EXISTS eventstore_transactionheader_refs();
DROP TRIGGER IF EXISTS eventstore_transactionheader_keep_batch ON eventstore_transactionheader;
DROP FUNCTION IF EXISTS eventstore_transactionheader_keep_batch();
DROP TRIGGER IF EXISTS eventstore_batch_protect_headers ON eventstore_transactionbatch;
DROP FUNCTION IF EXISTS eventstore_batch_protect_headers();
"""


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0009_events_statement_level_references"),
    ]

    operations = [
        migrations.AlterField(
            model_name="transactionheader",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="headers",
                to="eventstore.transactionbatch",
            ),
        ),
        migrations.AlterField(
            model_name="transactionheader",
            name="st01",
            field=models.CharField(blank=True, max_length=3),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
