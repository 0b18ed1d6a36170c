"""Indexes for the eligibility lookups (eventstore.ledger.lookup) on the live member table.

* ``member_name_birth`` (UPPER(last_name), birth_date): a 270 without a member id is matched
  by last name + first name + birth date;
* ``member_ref_set`` (member_ref, partial: non-blank only): a 270 may carry the member-level
  identifier the 834 sent in REF*23 instead of the subscriber id; most members have none,
  so the blank rows are left out of the index (and cost the projector nothing).

The rebuild (shadow) table is read by primary key only and gets neither.
"""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0012_ingestion_runs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                django.db.models.functions.text.Upper("last_name"),
                models.F("birth_date"),
                name="member_name_birth",
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                condition=models.Q(("member_ref", ""), _negated=True),
                fields=["member_ref"],
                name="member_ref_set",
            ),
        ),
    ]
