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
    assert list(page._request._messages) == []  # no error on the first showing
    assert (page.context_data["warning"], page.context_data["intro"]) == ("", "")
    page.render()
    text = page.content.decode()
    assert 'href="/admin/partners/tradingpartner/"' in text  # back to the list
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


def test_the_page_shows_what_it_was_given_and_errors_as_errors(rf, admin_user):
    from django.contrib import messages

    modeladmin = admin.site._registry[TradingPartner]
    request = post(rf, admin_user, {})
    page = confirm_action(
        modeladmin,
        request,
        action="close_it",
        title="Close these",
        columns=["Item", "State"],
        rows=ROWS,
        perform=lambda cleaned, eligible: None,
        submit_label="Close",
        warning="Cannot be undone",
        form_class=ValueForm,
        initial={"value": 41},
    )
    data = page.context_data
    assert (data["title"], data["action"], data["columns"]) == (
        "Close these",
        "close_it",
        ["Item", "State"],
    )
    assert (data["intro"], data["warning"], data["details"]) == ("", "Cannot be undone", "")
    assert data["form"]["value"].value() == 41  # the initial value is offered
    assert data["eligible_count"] == 1 and data["rows"] == ROWS
    page.render()
    text = page.content.decode()
    assert "Close these" in text and "Cannot be undone" in text and 'value="close_it"' in text
    # the selection goes back with the confirming POST, under the admin's checkbox name
    assert '<input type="hidden" name="_selected_action" value="1">' in text
    assert '<input type="hidden" name="_selected_action" value="2">' in text
    # nothing qualifies: the confirming POST says so, as an error
    request = post(rf, admin_user, {"confirm": "yes", "value": "1"})
    confirm_action(
        modeladmin,
        request,
        action="close_it",
        title="Close these",
        columns=["Item"],
        rows=[ConfirmRow(pk=2, cells=["two"], blocker="locked")],
        perform=lambda cleaned, eligible: None,
        submit_label="Close",
        form_class=ValueForm,
    )
    assert [(m.message, m.level) for m in request._messages] == [
        ("None of the selected items qualifies for this action.", messages.ERROR)
    ]


def test_an_action_without_a_form_performs_with_empty_data(rf, admin_user):
    performed: list = []
    modeladmin = admin.site._registry[TradingPartner]
    result = confirm_action(
        modeladmin,
        post(rf, admin_user, {"confirm": "yes"}),
        action="do_it",
        title="Do it",
        columns=["Item"],
        rows=ROWS,
        perform=lambda cleaned, eligible: performed.append((cleaned, [r.pk for r in eligible])),
        submit_label="Yes",
        form_class=None,
    )
    assert result is None and performed == [({}, [1])]
    page = confirm_action(
        modeladmin,
        post(rf, admin_user, {}),
        action="do_it",
        title="Do it",
        columns=["Item"],
        rows=ROWS,
        perform=lambda cleaned, eligible: performed.append("again"),
        submit_label="Yes",
        form_class=None,
    )
    assert page.context_data["form"] is None and len(performed) == 1
