"""Team scoping: a user sees the invitations and responses of their own teams, nothing else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from questionnaires.models import Response
from questionnaires.models.response import InvitationStatus
from questionnaires.selectors.access import invitations_for_user, responses_for_user
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    questionnaire = make.published_questionnaire()
    demo, other = make.team("Demo clinic"), make.team("Other clinic")
    ours = make.invitation(team=demo, questionnaire=questionnaire, state=InvitationStatus.SUBMITTED)
    theirs = make.invitation(
        team=other, questionnaire=questionnaire, state=InvitationStatus.SUBMITTED
    )
    return {"demo": demo, "other": other, "ours": ours, "theirs": theirs, "q": questionnaire}


def test_a_member_sees_only_their_teams_invitations_and_responses(world):
    clinician = make.user("clinician", team=world["demo"])
    assert list(invitations_for_user(clinician)) == [world["ours"]]
    assert list(responses_for_user(clinician)) == [world["ours"].response]


def test_a_member_of_two_teams_sees_each_invitation_once(world):
    clinician = make.user("both", team=world["demo"])
    world["other"].members.add(clinician)
    assert sorted(i.pk for i in invitations_for_user(clinician)) == sorted(
        [world["ours"].pk, world["theirs"].pk]
    )
    assert responses_for_user(clinician).count() == 2


@pytest.mark.parametrize(
    "flags", [{"is_staff": True}, {"is_superuser": True, "is_staff": True}, {}]
)
def test_staff_and_superusers_without_a_team_see_nothing(world, flags):
    admin = make.user("admin", **flags)
    assert not invitations_for_user(admin).exists()
    assert not responses_for_user(admin).exists()


def test_anonymous_and_inactive_users_see_nothing(world):
    inactive = make.user("gone", team=world["demo"], is_active=False)
    for who in (AnonymousUser(), inactive):
        assert not invitations_for_user(who).exists()
        assert not responses_for_user(who).exists()


def test_admin_previews_are_never_listed(world):
    clinician = make.user("clinician", team=world["demo"])
    preview = Response.objects.create(
        version=world["q"].published_version(), is_preview=True, invitation=None
    )
    assert preview.pk not in set(responses_for_user(clinician).values_list("pk", flat=True))
