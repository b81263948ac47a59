"""Triage on the dashboard: a red-flag column and the appointment date, both sortable."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from questionnaires.models import Result
from questionnaires.models.response import InvitationStatus
from questionnaires.views import clinician as clinician_views
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db

URL = "/clinic/"
TODAY = timezone.localdate()


def _refs(answer) -> list[str]:
    return re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)<', answer.content.decode())


def _submitted(team, questionnaire, ref, *, flags=None, appointment=None, answered_date=None):
    invitation = make.invitation(
        team=team, questionnaire=questionnaire, state=InvitationStatus.SUBMITTED, patient_ref=ref
    )
    if appointment is not None:
        invitation.appointment_date = appointment
        invitation.save(update_fields=["appointment_date"])
    response = invitation.response
    if answered_date is not None:
        response.answers = {**response.answers, "visit_date": answered_date.isoformat()}
        response.save(update_fields=["answers"])
    Result.objects.create(
        response=response,
        engine_version="test",
        definition_hash="test",
        snapshot_hash=f"test-{ref}",
        red_flags=flags,
    )
    return invitation


@pytest.fixture
def rows(demo, questionnaire):
    _submitted(demo, questionnaire, "FLAGS-3", flags=3, appointment=TODAY + dt.timedelta(days=9))
    _submitted(demo, questionnaire, "FLAGS-0", flags=0, answered_date=TODAY + dt.timedelta(days=2))
    _submitted(demo, questionnaire, "FLAGS-1", flags=1, appointment=TODAY + dt.timedelta(days=5))
    _submitted(demo, questionnaire, "UNCOUNTED", flags=None)  # frozen before flags were counted
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="NOT-YET")


def test_the_columns_show_the_red_flags_and_the_appointment(logged_in, rows):
    page = logged_in.get(URL).content.decode()
    assert "3 red flags" in page and "1 red flag<" in page
    assert 'class="clinic-flag"' in page
    nine_days = TODAY + dt.timedelta(days=9)
    assert f"{nine_days.day} {nine_days:%b} {nine_days.year}" in page  # "4 Dec 2026"
    # The patient's own answer counts when the clinic gave no date.
    two_days = TODAY + dt.timedelta(days=2)
    assert f"{two_days.day} {two_days:%b} {two_days.year}" in page


def test_sorting_by_red_flags_puts_the_most_first_and_unknown_last(logged_in, rows):
    most_first = _refs(logged_in.get(URL, {"sort": "-flags"}))
    assert most_first[:3] == ["FLAGS-3", "FLAGS-1", "FLAGS-0"]
    assert set(most_first[3:]) == {"UNCOUNTED", "NOT-YET"}
    fewest_first = _refs(logged_in.get(URL, {"sort": "flags"}))
    assert fewest_first[:3] == ["FLAGS-0", "FLAGS-1", "FLAGS-3"]


def test_sorting_by_appointment_puts_the_soonest_first(logged_in, rows):
    soonest = _refs(logged_in.get(URL, {"sort": "appointment"}))
    assert soonest[:3] == ["FLAGS-0", "FLAGS-1", "FLAGS-3"]
    latest = _refs(logged_in.get(URL, {"sort": "-appointment"}))
    assert latest[:3] == ["FLAGS-3", "FLAGS-1", "FLAGS-0"]


def test_the_sort_links_toggle_and_keep_the_filters(logged_in, rows):
    page = logged_in.get(URL, {"sort": "appointment", "condition": "psoriasis"}).content.decode()
    assert 'aria-sort="ascending"' in page
    assert "sort=-appointment" in page and "condition=psoriasis" in page


def test_an_unknown_sort_is_ignored(logged_in, rows):
    answer = logged_in.get(URL, {"sort": "password; drop table"})
    assert answer.status_code == 200
    assert len(_refs(answer)) == 5


def test_the_query_count_does_not_grow_with_the_rows(
    logged_in, demo, questionnaire, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(clinician_views, "DASHBOARD_PAGE_SIZE", 500)
    for index in range(3):
        _submitted(demo, questionnaire, f"FEW-{index}", flags=index, appointment=TODAY)
    with django_assert_max_num_queries(8) as few:
        assert len(_refs(logged_in.get(URL, {"sort": "-flags"}))) == 3
    for index in range(60):
        _submitted(demo, questionnaire, f"MANY-{index}", flags=index % 4, answered_date=TODAY)
    with django_assert_max_num_queries(8) as many:
        assert len(_refs(logged_in.get(URL, {"sort": "appointment"}))) == 63
    assert len(few.captured_queries) == len(many.captured_queries)
