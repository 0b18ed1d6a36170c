"""Eligibility (issue 15): the record of every 270 inquiry answered and per-partner policies.

``EligibilityInquiry`` rows are written by COPY, thousands per batch 270: batch, header and
outcome carry no row-level foreign-key check (inbound batches and headers are never deleted;
the outcome is staged in the same transaction), and only the indexes the member page, the
batch page and the AAA report read are kept.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0010_inbound_headers_statement_level_batch_check"),
        ("outbound", "0005_outbound_file_content_permission"),
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EligibilityPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "payer_ids",
                    models.CharField(
                        blank=True,
                        help_text="2100A NM109 values that name us, comma-separated. Blank: our ISA and GS ids for this partner plus ELIGIBILITY_PAYER_IDS.",
                        max_length=500,
                    ),
                ),
                (
                    "authorised_receivers",
                    models.TextField(
                        blank=True,
                        help_text="NPIs allowed to ask through this partner, comma or space separated. Blank: any valid NPI.",
                    ),
                ),
                (
                    "member_sources",
                    models.CharField(
                        blank=True,
                        help_text="834 senders (partner codes) whose members this partner may ask about. Blank: all.",
                        max_length=500,
                    ),
                ),
                (
                    "require_last_name",
                    models.BooleanField(
                        default=True, help_text="A member id must be confirmed by the last name."
                    ),
                ),
                (
                    "require_birth_date",
                    models.BooleanField(
                        default=True,
                        help_text="The patient's birth date must be sent and must match.",
                    ),
                ),
                (
                    "name_search",
                    models.BooleanField(
                        default=True,
                        help_text="Without a member id, search by last name + first name + birth date (a unique match only).",
                    ),
                ),
                (
                    "past_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="How far back a date of service may be (days).",
                        null=True,
                    ),
                ),
                (
                    "future_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="How far ahead a date of service may be (days). Blank: to the end of the current month.",
                        null=True,
                    ),
                ),
                (
                    "realtime_window_minutes",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Window of a 271 answering one inquiry. Blank: 0.",
                        null=True,
                    ),
                ),
                (
                    "batch_window_minutes",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Window of a 271 answering several inquiries. Blank: the 271 batch window.",
                        null=True,
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "partner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="eligibility_policy",
                        to="partners.tradingpartner",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "eligibility policies",
            },
        ),
        migrations.CreateModel(
            name="EligibilityInquiry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "position",
                    models.PositiveIntegerField(help_text="Segment position of the HL in the 270."),
                ),
                ("level", models.CharField(help_text="subscriber or dependent", max_length=10)),
                (
                    "member_id",
                    models.CharField(
                        blank=True,
                        help_text="Blank when not matched.",
                        max_length=64,
                        verbose_name="member (aggregate id)",
                    ),
                ),
                (
                    "receiver_npi",
                    models.CharField(
                        blank=True, max_length=80, verbose_name="receiver id (2100B NM109)"
                    ),
                ),
                ("trace", models.CharField(max_length=50, verbose_name="our trace (TRN*1)")),
                ("as_of", models.DateField(blank=True, null=True)),
                (
                    "service_types",
                    models.CharField(blank=True, help_text="EQ01 codes asked.", max_length=300),
                ),
                (
                    "result",
                    models.CharField(
                        choices=[
                            ("ACTIVE", "Active coverage"),
                            ("INACTIVE", "Inactive / not covered"),
                            ("REJECTED", "Rejected (AAA)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("aaa_loop", models.CharField(blank=True, max_length=5)),
                (
                    "aaa_codes",
                    models.CharField(blank=True, max_length=40, verbose_name="AAA03 codes"),
                ),
                ("follow_up", models.CharField(blank=True, max_length=1, verbose_name="AAA04")),
                (
                    "answer",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="EB01, EB03, coverage, plan of each EB sent.",
                    ),
                ),
                ("answered_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "batch",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="eligibility_inquiries",
                        to="eventstore.transactionbatch",
                    ),
                ),
                (
                    "header",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="eligibility_inquiries",
                        to="eventstore.transactionheader",
                    ),
                ),
                (
                    "outcome",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        help_text="The 271 outcome (its file once assembled).",
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="eligibility_inquiries",
                        to="outbound.processingoutcome",
                    ),
                ),
                (
                    "partner",
                    models.ForeignKey(
                        help_text="Who asked (the 270's sender).",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="eligibility_inquiries",
                        to="partners.tradingpartner",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "eligibility inquiries",
                "ordering": ["-answered_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("member_id", ""), _negated=True),
                        fields=["member_id", "-answered_at"],
                        name="inquiry_member",
                    ),
                    models.Index(fields=["answered_at", "partner"], name="inquiry_answered"),
                ],
            },
        ),
    ]
