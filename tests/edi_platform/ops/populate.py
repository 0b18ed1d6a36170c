"""A small but complete installation for the operations tests: every app has rows.

Run in a child process on the database it fills (``manage.py shell -c``): the demo loop
(partners, 837s and an 834, their TA1/999 files), five 834 fixtures of a family (events,
projections, a reconciliation report, a rejected set), a reversed batch, snapshots, a
replay (shadow tables), assembly, hand-issued control numbers, schedules (django-celery-beat),
users with a group and permissions (many-to-many tables), a session and an admin log entry.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


def populate() -> dict:
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import Group, Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from controlnumbers.services import allocate_envelope
    from eventstore.inbound.models import TransactionBatch
    from eventstore.inbound.services.ingest import ingest_bytes
    from eventstore.ledger.services.replay import replay_events
    from eventstore.ledger.services.reversal import batch_reverse
    from eventstore.ledger.services.snapshots import snapshots_create
    from outbound.services.assembly import outbound_assemble
    from tests.factories import TradingPartnerFactory

    call_command("seed_demo", samples=True, verbosity=0)
    call_command("setup_schedules", verbosity=0)
    TradingPartnerFactory(
        code="FAMILY",
        their_isa_qualifier="ZZ",
        their_isa_id="SENDER",
        their_gs_code="SENDER",
        usage_indicator="T",
    )
    for name in (
        "834_add_family.edi",
        "834_change_address_plan.edi",
        "834_terminate_spouse.edi",
        "834_audit_full.edi",
        "834_malformed_date.edi",
    ):
        ingest_bytes(data=(FIXTURES / name).read_bytes(), original_name=name)
    spouse = TransactionBatch.objects.get(original_name="834_terminate_spouse.edi")
    batch_reverse(batch_id=spouse.pk, reason="sent in error (test)")
    snapshots_create()
    replay_events(batch_size=2)
    outbound_assemble(ignore_windows=True)
    for _ in range(3):
        allocate_envelope(
            partner_code="PARTNERB", transaction_type="271", outbound_file_id=uuid.uuid4()
        )
    admin = User.objects.create_superuser("ops-admin", "", "pw-ops-admin-1")
    group = Group.objects.create(name="operators")
    group.permissions.set(Permission.objects.filter(codename__startswith="view_")[:5])
    analyst = User.objects.create_user("analyst", "", "pw-analyst-1")
    analyst.groups.add(group)
    analyst.user_permissions.add(Permission.objects.get(codename="reset_counter"))
    session = SessionStore()
    session["note"] = "x"
    session.create()
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=Group.objects.all(),
        action_flag=ADDITION,
        change_message=json.dumps([{"added": {}}]),
        single_object=True,
    )
    assert ContentType.objects.exists()
    return {"batches": TransactionBatch.objects.count()}
