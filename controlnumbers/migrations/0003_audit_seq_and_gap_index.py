"""Audit ``seq`` (row ordinal per counter) and the gap-report index; seq is immutable too.

Rows written before this migration keep seq NULL: the gap report reads their ranges in full.
"""

from django.db import migrations, models

# The append-only guard of 0002, with seq added to the columns that never change.
GUARD_SQL = r"""
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
       OR NEW.seq IS DISTINCT FROM OLD.seq
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
"""


def _guard_seq(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL, params=None)


def _noop(apps, schema_editor):
    pass  # the 0002 function without seq would do no better


class Migration(migrations.Migration):
    dependencies = [
        ("controlnumbers", "0002_audit_append_only_trigger"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="controlnumberaudit",
            name="cn_audit_counter_issued",
        ),
        migrations.AddField(
            model_name="controlnumberaudit",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="controlnumbercounter",
            name="issued_count",
            field=models.BigIntegerField(
                default=0, help_text="Audit rows issued from this counter (all epochs)."
            ),
        ),
        migrations.AddIndex(
            model_name="controlnumberaudit",
            index=models.Index(fields=["counter", "issued_at"], name="cn_audit_counter_issued"),
        ),
        migrations.AddIndex(
            model_name="controlnumberaudit",
            index=models.Index(
                fields=["counter", "epoch", "issued_at", "number", "seq"],
                name="cn_audit_counter_epoch_issued",
            ),
        ),
        migrations.RunPython(_guard_seq, _noop, elidable=False),
    ]
