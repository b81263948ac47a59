"""The dashboard's SQL status, filters and counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from questionnaires.models.response import InvitationStatus
from questionnaires.selectors.dashboard import (
    DashboardFilters,
    dashboard_invitations,
    dashboard_status_counts,
)
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    questionnaire = make.published_questionnaire()
    demo = make.team("Demo clinic")
    clinician = make.user("clinician", team=demo)
    return questionnaire, demo, clinician


def _statuses(user, filters=None):
    filters = filters or DashboardFilters()
    return {
        row.patient_ref: row.dashboard_status
        for row in dashboard_invitations(user=user, filters=filters)
    }


def test_every_state_gets_its_status(setup):
    questionnaire, demo, clinician = setup
    for state in InvitationStatus.values:
        make.invitation(team=demo, questionnaire=questionnaire, state=state, patient_ref=state)
    assert _statuses(clinician) == {state: state for state in InvitationStatus.values}


def test_a_submitted_response_stays_submitted_after_its_link_expires_or_is_revoked(setup):
    questionnaire, demo, clinician = setup
    submitted = make.invitation(
        team=demo, questionnaire=questionnaire, state=InvitationStatus.SUBMITTED, patient_ref="A"
    )
    submitted.expires_at = timezone.now() - dt.timedelta(days=1)
    submitted.revoked_at = timezone.now()
    submitted.save()
    assert _statuses(clinician) == {"A": InvitationStatus.SUBMITTED}


def test_revoked_wins_over_expired_before_submission(setup):
    questionnaire, demo, clinician = setup
    row = make.invitation(
        team=demo, questionnaire=questionnaire, state=InvitationStatus.EXPIRED, patient_ref="B"
    )
    row.revoked_at = timezone.now()
    row.save()
    assert _statuses(clinician) == {"B": InvitationStatus.REVOKED}


def test_an_in_progress_response_whose_link_expired_is_expired(setup):
    questionnaire, demo, clinician = setup
    row = make.invitation(
        team=demo, questionnaire=questionnaire, state=InvitationStatus.IN_PROGRESS, patient_ref="C"
    )
    row.expires_at = timezone.now() - dt.timedelta(seconds=1)
    row.save()
    assert _statuses(clinician) == {"C": InvitationStatus.EXPIRED}


def test_status_filter_and_counts_happen_in_the_database(setup, django_assert_num_queries):
    questionnaire, demo, clinician = setup
    wanted = {
        "invited": 3,
        "in_progress": 1,
        "submitted": 2,
        "reviewed": 1,
        "expired": 0,
        "revoked": 2,
    }
    for state, how_many in wanted.items():
        for index in range(how_many):
            make.invitation(
                team=demo, questionnaire=questionnaire, state=state, patient_ref=f"{state}-{index}"
            )
    with django_assert_num_queries(1):
        counts = dashboard_status_counts(user=clinician, filters=DashboardFilters())
    assert counts == wanted
    with django_assert_num_queries(1):
        submitted = list(
            dashboard_invitations(user=clinician, filters=DashboardFilters(status="submitted"))
        )
    assert sorted(row.patient_ref for row in submitted) == ["submitted-0", "submitted-1"]


def test_filters_by_condition_reference_and_invitation_date(setup):
    questionnaire, demo, clinician = setup
    now = timezone.now()
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="MRN-100",
        disease="psoriasis",
        created_at=now - dt.timedelta(days=10),
    )
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="MRN-200",
        disease="vitiligo",
        created_at=now - dt.timedelta(days=3),
    )
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="XYZ-300",
        disease="vitiligo",
        created_at=now,
    )
    assert set(_statuses(clinician, DashboardFilters(disease="vitiligo"))) == {"MRN-200", "XYZ-300"}
    assert set(_statuses(clinician, DashboardFilters(patient_ref="mrn"))) == {"MRN-100", "MRN-200"}
    today = timezone.localdate()
    ten_days_ago = today - dt.timedelta(days=10)
    assert set(
        _statuses(clinician, DashboardFilters(created_from=ten_days_ago, created_to=ten_days_ago))
    ) == {"MRN-100"}
    assert set(
        _statuses(clinician, DashboardFilters(created_from=today - dt.timedelta(days=5)))
    ) == {
        "MRN-200",
        "XYZ-300",
    }
    # The "to" day is inclusive: everything up to the end of today.
    assert len(_statuses(clinician, DashboardFilters(created_to=today))) == 3


def test_rows_are_newest_first_and_carry_the_questionnaire_title(setup):
    questionnaire, demo, clinician = setup
    now = timezone.now()
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="old",
        created_at=now - dt.timedelta(days=2),
    )
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="new", created_at=now)
    rows = list(dashboard_invitations(user=clinician, filters=DashboardFilters()))
    assert [row.patient_ref for row in rows] == ["new", "old"]
    assert {row.questionnaire_title for row in rows} == {"Sample questionnaire"}


def test_questionnaire_title_follows_the_active_language(setup):
    from django.utils import translation

    questionnaire, demo, clinician = setup
    make.invitation(team=demo, questionnaire=questionnaire)
    with translation.override("zh-hans"):
        rows = list(dashboard_invitations(user=clinician, filters=DashboardFilters()))
    assert rows[0].questionnaire_title == "示例问卷"


def test_other_teams_rows_are_neither_listed_nor_counted(setup):
    questionnaire, demo, clinician = setup
    other = make.team("Other clinic")
    make.invitation(team=other, questionnaire=questionnaire, patient_ref="theirs")
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="ours")
    assert set(_statuses(clinician)) == {"ours"}
    assert dashboard_status_counts(user=clinician, filters=DashboardFilters())["invited"] == 1
