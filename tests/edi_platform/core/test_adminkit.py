"""The admin kit's confirmation page: nothing happens on the first POST, only qualifying rows
are acted on, a refusal shows the page again, and the button is off when nothing qualifies."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage

from edi_platform.core.adminkit import ActionRefused, ConfirmRow, confirm_action
from edi_platform.partners.models import TradingPartner

pytestmark = pytest.mark.django_db


class ValueForm(forms.Form):
    value = forms.IntegerField()


def post(rf, user, data):
    request = rf.post("/", data)
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def run(rf, user, data, rows, performed, *, refuse=False):
    modeladmin = admin.site._registry[TradingPartner]

    def perform(cleaned, eligible):
        if refuse:
            raise ActionRefused("value refused by the service")
        performed.append((cleaned["value"], [r.pk for r in eligible]))

    return confirm_action(
        modeladmin,
        post(rf, user, data),
        action="do_it",
        title="Do it",
        columns=["Item"],
        rows=rows,
        perform=perform,
        submit_label="Yes, do it",
        form_class=ValueForm,
    )


ROWS = [ConfirmRow(pk=1, cells=["one"]), ConfirmRow(pk=2, cells=["two"], blocker="locked")]


def test_first_post_shows_the_page_and_does_nothing(rf, admin_user):
    performed: list = []
    page = run(rf, admin_user, {}, ROWS, performed)
    page.render()
    text = page.content.decode()
    assert performed == [] and "Yes, do it" in text and "locked" in text
    assert "1 of 2 selected items qualifies" in text and 'name="value"' in text


def test_the_confirming_post_acts_on_qualifying_rows_only(rf, admin_user):
    performed: list = []
    assert run(rf, admin_user, {"confirm": "yes", "value": "5"}, ROWS, performed) is None
    assert performed == [(5, [1])]


def test_an_invalid_form_or_a_refusal_shows_the_page_again(rf, admin_user):
    performed: list = []
    page = run(rf, admin_user, {"confirm": "yes", "value": "x"}, ROWS, performed)
    assert page is not None and performed == []
    page = run(rf, admin_user, {"confirm": "yes", "value": "5"}, ROWS, performed, refuse=True)
    page.render()
    assert b"alue refused by the service" in page.content and performed == []


def test_the_button_is_off_and_nothing_runs_when_no_row_qualifies(rf, admin_user):
    performed: list = []
    blocked = [ConfirmRow(pk=2, cells=["two"], blocker="locked")]
    page = run(rf, admin_user, {}, blocked, performed)
    page.render()
    assert b'value="Yes, do it" disabled' in page.content
    assert run(rf, admin_user, {"confirm": "yes", "value": "5"}, blocked, performed) is not None
    assert performed == []
