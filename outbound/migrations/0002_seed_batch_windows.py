"""Seed the default batch windows (operators edit them in the admin afterwards)."""

from django.db import migrations

DEFAULTS = [
    # response type, window minutes, priority, SLA minutes
    ("TA1", 0, 10, 5),
    ("271", 2, 20, 5),
    ("999", 5, 30, 15),
    ("277CA", 60, 40, 240),
    ("835", 1440, 50, None),
]


def seed(apps, schema_editor):
    BatchWindow = apps.get_model("outbound", "BatchWindow")
    for response_type, minutes, priority, sla in DEFAULTS:
        BatchWindow.objects.get_or_create(
            response_type=response_type,
            defaults={
                "window_minutes": minutes,
                "max_batch_size": 100,
                "priority": priority,
                "sla_minutes": sla,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("outbound", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
