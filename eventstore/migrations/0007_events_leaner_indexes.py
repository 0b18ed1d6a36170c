"""Fewer indexes on the event log: every one of them is maintained on each append.

* ``event_type``: unindexed (reports group the whole log by type; a type filter is a scan);
* ``batch`` and ``header``: one (batch, header) index instead of one each (set queries pass
  the header's batch too);
* ``reverses``: a partial unique index (only reversal events have a value) instead of a full
  one over a column that is NULL for nearly every event;
* a partial expression index for MemberAdded events by subscriber id (member history).
"""

import django.db.models.deletion
import django.db.models.fields.json
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0006_projection_drop_redundant_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="domainevent",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="eventstore.transactionbatch",
            ),
        ),
        migrations.AlterField(
            model_name="domainevent",
            name="event_type",
            field=models.CharField(max_length=60),
        ),
        migrations.AlterField(
            model_name="domainevent",
            name="header",
            field=models.ForeignKey(
                blank=True,
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
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversed_by",
                to="eventstore.domainevent",
            ),
        ),
        migrations.AddIndex(
            model_name="domainevent",
            index=models.Index(fields=["batch", "header"], name="event_batch_header"),
        ),
        migrations.AddIndex(
            model_name="domainevent",
            index=models.Index(
                django.db.models.fields.json.KeyTextTransform("subscriber_id", "data"),
                condition=models.Q(("event_type", "MemberAdded")),
                name="event_member_added_subscriber",
            ),
        ),
        migrations.AddConstraint(
            model_name="domainevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reverses__isnull", False)),
                fields=("reverses",),
                name="event_reversed_once",
            ),
        ),
    ]
