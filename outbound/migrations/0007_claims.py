"""Claims (issue 16): the claim registry, per-partner edit settings and the counter of our
payer claim control numbers.

``Claim`` rows are written thousands per statement: partner, batch, header and outcome
carry no row-level foreign-key check (inbound rows and partners are never deleted; the
outcome is staged in the same transaction); (header, position) is unique (a set routed
again records nothing twice) and so is the claim control number; a check keeps it given
to accepted claims only.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0013_member_eligibility_lookup_indexes"),
        ("outbound", "0006_eligibility"),
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClaimNumberCounter",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("last_value", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "claim number counter",
            },
        ),
        migrations.CreateModel(
            name="Claim",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "claim_type",
                    models.CharField(
                        choices=[
                            ("P", "837P professional"),
                            ("I", "837I institutional"),
                            ("D", "837D dental"),
                        ],
                        max_length=1,
                    ),
                ),
                (
                    "position",
                    models.PositiveIntegerField(
                        help_text="Segment position of the CLM in its set."
                    ),
                ),
                (
                    "patient_control_number",
                    models.CharField(max_length=38, verbose_name="patient control number (CLM01)"),
                ),
                (
                    "total_charge",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=18,
                        null=True,
                        verbose_name="total charge (CLM02)",
                    ),
                ),
                (
                    "frequency_code",
                    models.CharField(blank=True, max_length=1, verbose_name="frequency (CLM05-3)"),
                ),
                (
                    "facility_code",
                    models.CharField(
                        blank=True,
                        max_length=2,
                        verbose_name="facility / place of service (CLM05-1)",
                    ),
                ),
                (
                    "bill_type",
                    models.CharField(blank=True, max_length=4, verbose_name="bill type (837I)"),
                ),
                (
                    "billing_provider_npi",
                    models.CharField(
                        blank=True, max_length=80, verbose_name="billing provider NPI"
                    ),
                ),
                (
                    "billing_provider_tax_id",
                    models.CharField(
                        blank=True, max_length=30, verbose_name="billing provider tax id"
                    ),
                ),
                (
                    "subscriber_id",
                    models.CharField(
                        blank=True, max_length=80, verbose_name="subscriber id (2010BA NM109)"
                    ),
                ),
                (
                    "subscriber_member",
                    models.CharField(
                        blank=True, max_length=64, verbose_name="subscriber (member aggregate id)"
                    ),
                ),
                (
                    "patient_member",
                    models.CharField(
                        blank=True, max_length=64, verbose_name="patient (member aggregate id)"
                    ),
                ),
                ("patient_is_subscriber", models.BooleanField(default=True)),
                ("patient_last_name", models.CharField(blank=True, max_length=60)),
                ("patient_first_name", models.CharField(blank=True, max_length=35)),
                ("patient_birth_date", models.DateField(blank=True, null=True)),
                ("service_from", models.DateField(blank=True, null=True)),
                ("service_to", models.DateField(blank=True, null=True)),
                ("line_count", models.PositiveIntegerField(default=0)),
                (
                    "payer_claim_control_number",
                    models.BigIntegerField(
                        blank=True,
                        help_text="Given to accepted claims only; unique, never reused.",
                        null=True,
                        verbose_name="our claim control number (REF*1K)",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("ACCEPTED", "Accepted into adjudication (277CA A2)"),
                            ("REJECTED", "Rejected in the 277CA"),
                            ("REJECTED_999", "Rejected by the 999 (no 277CA)"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "reasons",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="[edit code, STC category, status code, entity, line] per reason.",
                    ),
                ),
                (
                    "reason",
                    models.TextField(blank=True, help_text="Why, for people (codes, no data)."),
                ),
                ("duplicate_of", models.BigIntegerField(blank=True, null=True)),
                (
                    "replaces",
                    models.BigIntegerField(
                        blank=True,
                        help_text="The claim a replacement (frequency 7/8) replaces.",
                        null=True,
                    ),
                ),
                ("received_at", models.DateTimeField()),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "batch",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="claims",
                        to="eventstore.transactionbatch",
                    ),
                ),
                (
                    "header",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="claims",
                        to="eventstore.transactionheader",
                    ),
                ),
                (
                    "outcome",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        help_text="The 277CA outcome (none when the 999 rejected the set).",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="claims",
                        to="outbound.processingoutcome",
                    ),
                ),
                (
                    "partner",
                    models.ForeignKey(
                        db_constraint=False,
                        help_text="Who sent the 837.",
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="claims",
                        to="partners.tradingpartner",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["patient_control_number"], name="claim_pcn"),
                    models.Index(fields=["subscriber_id"], name="claim_subscriber_id"),
                    models.Index(
                        fields=["billing_provider_npi", "service_from"], name="claim_npi_dates"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("header", "position"), name="claim_header_position"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("payer_claim_control_number__isnull", False)),
                        fields=("payer_claim_control_number",),
                        name="claim_control_number_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("payer_claim_control_number__isnull", False),
                                ("status", "ACCEPTED"),
                            ),
                            models.Q(
                                models.Q(("status", "ACCEPTED"), _negated=True),
                                ("payer_claim_control_number__isnull", True),
                            ),
                            _connector="OR",
                        ),
                        name="claim_control_number_iff_accepted",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ClaimEditSetting",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "edit",
                    models.CharField(
                        help_text="The edit's code (see the edits table).", max_length=30
                    ),
                ),
                ("enabled", models.BooleanField(default=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "partner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="claim_edit_settings",
                        to="partners.tradingpartner",
                    ),
                ),
            ],
            options={
                "ordering": ["partner", "edit"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("partner", "edit"), name="claim_edit_per_partner"
                    )
                ],
            },
        ),
    ]
