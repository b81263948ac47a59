"""Keyset pagination of the dashboard: walking the pages forwards or backwards, in every order,
lists every row exactly once and in the order of the whole list, ties and nulls included."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from questionnaires.models import Result
from questionnaires.models.response import InvitationStatus
from questionnaires.selectors.dashboard import (
    SORTS,
    DashboardFilters,
    dashboard_invitations,
    dashboard_page,
)
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ROWS = 13


@pytest.fixture
def varied(demo, questionnaire):
    """13 rows whose sort values repeat: shared creation times, null and equal appointments,
    null and equal red-flag counts, so every tie-break and null rule is exercised."""
    created = timezone.now() - dt.timedelta(days=1)
    appointments = [None, TODAY + dt.timedelta(days=3), TODAY + dt.timedelta(days=7)]
    flags = [None, 0, 2, 2, 5]
    for number in range(ROWS):
        state = InvitationStatus.SUBMITTED if number % 4 else InvitationStatus.INVITED
        invitation = make.invitation(
            team=demo,
            questionnaire=questionnaire,
            state=state,
            patient_ref=f"K-{number:02d}",
            created_at=created - dt.timedelta(hours=number // 3),  # three rows per instant
        )
        invitation.appointment_date = appointments[number % 3]
        invitation.save(update_fields=["appointment_date"])
        if state == InvitationStatus.SUBMITTED:
            Result.objects.create(
                response=invitation.response,
                engine_version="test",
                definition_hash="test",
                snapshot_hash=f"keyset-{number}",
                red_flags=flags[number % 5],
            )


def _walk_forward(user, filters, size):
    page = dashboard_page(user=user, filters=filters, size=size)
    seen = [row.patient_ref for row in page.rows]
    while page.has_next:
        assert len(seen) <= ROWS, "the pages do not end"
        page = dashboard_page(user=user, filters=filters, size=size, after=page.last_pk)
        assert page.has_previous
        seen += [row.patient_ref for row in page.rows]
    return seen


def _walk_backward(user, filters, size):
    page = dashboard_page(user=user, filters=filters, size=size, last=True)
    seen = [row.patient_ref for row in page.rows]
    while page.has_previous:
        assert len(seen) <= ROWS, "the pages do not end"
        page = dashboard_page(user=user, filters=filters, size=size, before=page.first_pk)
        assert page.has_next
        seen = [row.patient_ref for row in page.rows] + seen
    return seen


@pytest.mark.parametrize(("sort", "size"), list(itertools.product(["", *SORTS], [1, 2, 5, 13, 50])))
def test_walking_the_pages_lists_every_row_once_in_order(clinician, varied, sort, size):
    filters = DashboardFilters(sort=sort)
    whole = [row.patient_ref for row in dashboard_invitations(user=clinician, filters=filters)]
    assert len(whole) == ROWS
    assert _walk_forward(clinician, filters, size) == whole
    assert _walk_backward(clinician, filters, size) == whole


def test_the_order_puts_unknown_values_last_both_ways(clinician, varied):
    for sort in SORTS:
        rows = list(dashboard_invitations(user=clinician, filters=DashboardFilters(sort=sort)))
        column = "appointment" if "appointment" in sort else "red_flags"
        values = [getattr(row, column) for row in rows]
        known = [value for value in values if value is not None]
        assert values == known + [None] * (len(values) - len(known))
        assert known == sorted(known, reverse=sort.startswith("-"))


def test_a_cursor_the_reader_cannot_see_gives_the_first_page(
    clinician, varied, demo, questionnaire
):
    other_team = make.team("Other clinic")
    hidden = make.invitation(team=other_team, questionnaire=questionnaire, patient_ref="HIDDEN")
    first = dashboard_page(user=clinician, filters=DashboardFilters(), size=4)
    for cursor in (hidden.pk, 10**12):
        after = dashboard_page(user=clinician, filters=DashboardFilters(), size=4, after=cursor)
        before = dashboard_page(user=clinician, filters=DashboardFilters(), size=4, before=cursor)
        assert [row.pk for row in after.rows] == [row.pk for row in first.rows]
        assert [row.pk for row in before.rows] == [row.pk for row in first.rows]
        assert not after.has_previous and not before.has_previous


def test_a_cursor_past_the_end_gives_the_last_page(clinician, varied):
    filters = DashboardFilters()
    last = dashboard_page(user=clinician, filters=filters, size=4, last=True)
    beyond = dashboard_page(user=clinician, filters=filters, size=4, after=last.last_pk)
    assert [row.pk for row in beyond.rows] == [row.pk for row in last.rows]
    assert not beyond.has_next


def test_the_cursor_follows_the_filters(clinician, varied):
    """A cursor row outside the filtered list is not found there: the first filtered page."""
    everything = dashboard_page(user=clinician, filters=DashboardFilters(), size=1)
    invited_only = DashboardFilters(status=InvitationStatus.INVITED)
    first_invited = dashboard_page(user=clinician, filters=invited_only, size=2)
    assert everything.rows[0].dashboard_status != InvitationStatus.INVITED
    after = dashboard_page(
        user=clinician, filters=invited_only, size=2, after=everything.rows[0].pk
    )
    assert [row.pk for row in after.rows] == [row.pk for row in first_invited.rows]
