"""Earlier visits: the same patient (patient_ref), the same team, submitted before, newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from questionnaires.models.response import InvitationStatus
from questionnaires.selectors.access import responses_for_user
from questionnaires.selectors.visits import earlier_visits
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make.team("Demo clinic"), make.published_questionnaire()


def _visit(clinic, *, ref="MRN-1", days_ago=0, team=None, state=InvitationStatus.SUBMITTED):
    demo, questionnaire = clinic
    invitation = make.invitation(team=team or demo, questionnaire=questionnaire, patient_ref=ref)
    return make.response(
        invitation=invitation,
        state=state,
        submitted_at=timezone.now() - dt.timedelta(days=days_ago)
        if state == InvitationStatus.SUBMITTED
        else None,
    )


def test_only_the_same_patients_earlier_submissions_in_the_same_team_newest_first(clinic):
    oldest = _visit(clinic, days_ago=300)
    older = _visit(clinic, days_ago=200)
    current = _visit(clinic, days_ago=10)
    _visit(clinic, days_ago=1)  # later than the current one
    _visit(clinic, ref="MRN-2", days_ago=100)  # another patient
    _visit(clinic, days_ago=50, team=make.team("Other clinic"))  # same ref, another team
    assert list(earlier_visits(current)) == [older, oldest]


def test_within_narrows_to_what_the_reader_may_see(clinic):
    demo, _questionnaire = clinic
    older = _visit(clinic, days_ago=200)
    current = _visit(clinic, days_ago=10)
    member = make.user("clinician", team=demo)
    outsider = make.user("outsider", team=make.team("Other clinic"))
    assert list(earlier_visits(current, within=responses_for_user(member))) == [older]
    assert list(earlier_visits(current, within=responses_for_user(outsider))) == []
