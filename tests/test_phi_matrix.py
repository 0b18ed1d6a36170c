"""PHI only for those allowed to see it: every model is classified, and a staff user who may
view every list of the platform but holds none of the PHI permissions never reads a name,
a birth date or a member id on any admin page, download or CSV; with the permission, the
same pages show them (so the check can see PHI where it is)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from edi_platform.core.adminkit import PhiFieldsMixin
from edi_platform.core.phi import phi_class
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from eventstore.models import Member, TransactionBatch
from outbound.models import Claim, OutboundFile
from outbound.services.assembly import outbound_assemble
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]

OUR_APPS = ("core", "partners", "controlnumbers", "eventstore", "outbound", "api")
PHI_PERMISSIONS = ("view_member", "view_raw_file", "view_file_content")
# distinctive values planted in the files: a last name, a member id, a birth date, and a bad
# date that the 999 copies back (IK404) next to the member id (CTX)
PHI = ("ZZPHILAST", "PHIMEMBER77", "19770707", "19771399")


def test_every_model_of_the_platform_is_classified():
    ours = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    missing = [m._meta.label for m in ours if phi_class(m) is None]
    assert missing == []


def test_every_admin_of_a_model_with_phi_hides_its_phi_fields():
    for model, model_admin in admin.site._registry.items():
        entry = phi_class(model)
        if entry is not None and entry.holds_phi:
            assert isinstance(model_admin, PhiFieldsMixin), model._meta.label


@pytest.fixture
def planted():
    onboard_partner(ta1_policy="always")
    good = sample().replace(b"TESTLAST", b"ZZPHILAST").replace(b"SYNTH00001", b"PHIMEMBER77")
    good = good.replace(b"DMG*D8*19800101", b"DMG*D8*19770707")
    bad = sample(isa13="000000202").replace(b"SYNTH00001", b"PHIMEMBER77")
    bad = bad.replace(b"DMG*D8*19800101", b"DMG*D8*19771399")
    assert ingest_bytes(data=good, original_name="good.x12").status == "ACCEPTED"
    assert ingest_bytes(data=bad, original_name="bad.x12").status == "REJECTED"
    project_pending()
    # a claim of the same member: the claim registry, its journey and the 277CA name them
    claim = sample("837p_valid.x12", isa13="000000203").replace(b"TESTLAST", b"ZZPHILAST")
    claim = claim.replace(b"SYNTH0001", b"PHIMEMBER77").replace(b"19800101", b"19770707")
    assert ingest_bytes(data=claim, original_name="claim.x12").status == "ACCEPTED"
    outbound_assemble(ignore_windows=True)
    assert OutboundFile.objects.filter(transaction_type="999").count() >= 1
    assert Claim.objects.filter(patient_last_name="ZZPHILAST").exists()
    assert OutboundFile.objects.filter(transaction_type="277CA").exists()


def staff(client, django_user_model, *, phi: bool):
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    wanted = Permission.objects.filter(content_type__app_label__in=OUR_APPS).filter(
        codename__startswith="view_"
    )
    if not phi:
        wanted = wanted.exclude(codename__in=PHI_PERMISSIONS)
    user.user_permissions.add(*wanted)
    client.force_login(user)
    return client


def pages() -> list[str]:
    urls = [reverse("admin:index"), reverse("reports:index")]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in OUR_APPS:
            continue
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        for obj in model._default_manager.order_by("pk")[:20]:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    from edi_platform.core.reports import _reports

    for slug in _reports:
        urls.append(reverse("reports:report", args=[slug]))
        urls.append(reverse("reports:report", args=[slug]) + "?format=csv")
    urls.append(reverse("admin:outbound_processingoutcome_changelist") + "?format=pending-csv")
    # the console: the dashboard and the journey search (whatever is typed into it)
    for term in (*PHI, "000000202", "202", "1", "0001", "good.x12"):
        urls.append(f"{reverse('console-search')}?q={term}")
    for member in Member.objects.all():
        urls.append(reverse("admin:eventstore_member_events", args=[member.pk]) + "?format=csv")
    for batch in TransactionBatch.objects.all():
        urls.append(reverse("admin:eventstore_transactionbatch_raw", args=[batch.pk]))
    for file in OutboundFile.objects.all():
        urls.append(reverse("admin:outbound_outboundfile_download", args=[file.pk]))
    return urls


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode("latin-1")


def test_without_the_phi_permissions_no_page_shows_phi(client, django_user_model, planted):
    c = staff(client, django_user_model, phi=False)
    leaks, refused = [], 0
    for url in pages():
        response = c.get(url)
        assert response.status_code < 500, url
        refused += response.status_code == 403
        text = body(response)
        if url.startswith(reverse("console-search")):  # what the user typed is shown back
            text = text.replace(url.split("?q=", 1)[1], "")
        leaks += [(url, value) for value in PHI if value in text]
    assert leaks == []
    assert refused >= 4  # member events, raw files, file downloads, the PHI report


def test_with_the_phi_permissions_the_same_pages_show_it(client, django_user_model, planted):
    c = staff(client, django_user_model, phi=True)
    seen = set()
    for url in pages():
        text = body(c.get(url))
        seen.update(value for value in PHI if value in text)
    assert seen == set(PHI)


def api_urls() -> list[str]:
    """Every GET of the HTTP API, with the planted member's ids in its lookups."""
    urls = ["/api/v1/files", "/api/v1/enrollments/active", "/api/v1/claims"]
    for identifier in ("PHIMEMBER77", "SYNTH00001"):
        urls.append(f"/api/v1/members?subscriber_id={identifier}")
        urls.append(f"/api/v1/members?member_id={identifier}")
        urls.append(f"/api/v1/claims?subscriber_id={identifier}")
    for member in Member.objects.all():
        urls.append(f"/api/v1/members/{member.pk}/events")
    for batch in TransactionBatch.objects.all():
        urls.append(f"/api/v1/interchanges/{batch.pk}")
    for file in OutboundFile.objects.all():
        urls.append(f"/api/v1/files/{file.pk}/content")
    for claim in Claim.objects.all():
        urls.append(f"/api/v1/claims/{claim.pk}")
    return urls


@pytest.mark.parametrize("phi", [False, True])
def test_the_api_shows_phi_only_with_the_phi_permissions(
    client, django_user_model, planted, phi, settings
):
    settings.API_THROTTLE_RATE = "100000/min"
    from api.access import ApiAccessRecord
    from api.keys.services import api_key_create

    staff(client, django_user_model, phi=phi)
    user = django_user_model.objects.get(username="viewer")
    secret = api_key_create(name="matrix", user=user, acting_user=None).secret
    seen, statuses = set(), set()
    for url in api_urls():
        response = client.get(url, HTTP_AUTHORIZATION=f"Api-Key {secret}")
        assert response.status_code < 500, url
        statuses.add(response.status_code)
        text = response.content.decode("latin-1")
        if "?" in url:  # what the caller asked for is not shown back, but may be in the URL
            text = text.replace(url.split("=", 1)[1], "")
        seen.update(value for value in (*PHI, "1977-07-07") if value in text)  # JSON dates
    records = ApiAccessRecord.objects.all()
    if phi:
        assert {"ZZPHILAST", "PHIMEMBER77", "1977-07-07"} <= seen
        assert records.exists() and all(r.username == "viewer" for r in records)
        # the access records themselves carry no PHI
        assert not any(v in str(r.resource_ids) for r in records for v in PHI)
    else:
        assert seen == set() and 403 in statuses
        assert not records.exists()
