"""PostgreSQL triggers: audit rows are append-only; counters with audit rows are never deleted.

DELETE is refused; UPDATE is refused unless it is one of the allowed status moves
(ISSUED -> PERSISTED | FAILED, FAILED -> REISSUED | PERSISTED) and every identifying column is
unchanged (only ``status``, ``notes`` and ``file_name`` may change, and only with such a move).
No-op on SQLite (the services never issue such statements; the admin is read-only).
TRUNCATE is deliberately not trapped: it needs table ownership, and test databases are
flushed with it.
"""

from django.db import migrations

CREATE_SQL = r"""
CREATE OR REPLACE FUNCTION controlnumbers_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'control-number audit is append-only: DELETE refused (row %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.counter_id IS DISTINCT FROM OLD.counter_id
       OR NEW.number IS DISTINCT FROM OLD.number
       OR NEW.epoch IS DISTINCT FROM OLD.epoch
       OR NEW.outbound_file_id IS DISTINCT FROM OLD.outbound_file_id
       OR NEW.issued_at IS DISTINCT FROM OLD.issued_at
       OR NEW.retry_count IS DISTINCT FROM OLD.retry_count
       OR NEW.actor IS DISTINCT FROM OLD.actor THEN
        RAISE EXCEPTION 'control-number audit is append-only: only the status may change (row %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NOT (
        (OLD.status = 'ISSUED' AND NEW.status IN ('PERSISTED', 'FAILED'))
        OR (OLD.status = 'FAILED' AND NEW.status IN ('REISSUED', 'PERSISTED'))
    ) THEN
        RAISE EXCEPTION 'control-number audit: status % -> % refused (row %)',
            OLD.status, NEW.status, OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS controlnumbers_audit_guard ON controlnumbers_controlnumberaudit;
CREATE TRIGGER controlnumbers_audit_guard
    BEFORE UPDATE OR DELETE ON controlnumbers_controlnumberaudit
    FOR EACH ROW EXECUTE FUNCTION controlnumbers_audit_guard();

-- The audit's counter reference has no FK constraint (its per-row check halves block
-- allocation speed); this keeps the one thing the FK protected against: orphaned audit rows.
CREATE OR REPLACE FUNCTION controlnumbers_counter_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM controlnumbers_controlnumberaudit WHERE counter_id = OLD.id) THEN
        RAISE EXCEPTION 'control-number counter % has audit rows: % refused', OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS controlnumbers_counter_guard ON controlnumbers_controlnumbercounter;
CREATE TRIGGER controlnumbers_counter_guard
    BEFORE DELETE OR UPDATE OF id ON controlnumbers_controlnumbercounter
    FOR EACH ROW EXECUTE FUNCTION controlnumbers_counter_guard();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS controlnumbers_counter_guard ON controlnumbers_controlnumbercounter;
DROP FUNCTION IF EXISTS controlnumbers_counter_guard();
DROP TRIGGER IF EXISTS controlnumbers_audit_guard ON controlnumbers_controlnumberaudit;
DROP FUNCTION IF EXISTS controlnumbers_audit_guard();
"""


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL, params=None)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("controlnumbers", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
