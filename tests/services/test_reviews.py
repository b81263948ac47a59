"""response_mark_reviewed: who and when, once, only for submitted responses of the actor's team."""

from __future__ import annotations

import pytest

from questionnaires.models import AuditAction, AuditEvent, Response
from questionnaires.models.response import InvitationStatus
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.reviews import response_mark_reviewed
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return make.team("Demo clinic")


@pytest.fixture
def questionnaire():
    return make.published_questionnaire()


def _response(demo, questionnaire, state=InvitationStatus.SUBMITTED) -> Response:
    return make.invitation(team=demo, questionnaire=questionnaire, state=state).response


def test_marks_who_and_when_and_writes_one_audit_row(demo, questionnaire):
    clinician = make.user("clinician", team=demo)
    response = _response(demo, questionnaire)
    reviewed = response_mark_reviewed(response=response, actor=clinician)
    response.refresh_from_db()
    assert response.reviewed_by == clinician
    assert response.reviewed_at is not None
    assert reviewed.reviewed_at == response.reviewed_at
    event = AuditEvent.objects.get(action=AuditAction.SUMMARY_REVIEWED)
    assert (event.actor, event.team, event.response_id_ref, event.invitation_id_ref) == (
        clinician,
        demo,
        response.pk,
        response.invitation_id,
    )


def test_the_first_review_is_kept(demo, questionnaire):
    first, second = make.user("first", team=demo), make.user("second", team=demo)
    response = _response(demo, questionnaire)
    response_mark_reviewed(response=response, actor=first)
    when = Response.objects.get(pk=response.pk).reviewed_at
    response_mark_reviewed(response=response, actor=second)
    response.refresh_from_db()
    assert (response.reviewed_by, response.reviewed_at) == (first, when)
    assert AuditEvent.objects.filter(action=AuditAction.SUMMARY_REVIEWED).count() == 1


def test_refuses_a_response_that_is_not_submitted(demo, questionnaire):
    clinician = make.user("clinician", team=demo)
    response = _response(demo, questionnaire, InvitationStatus.IN_PROGRESS)
    with pytest.raises(ServiceRefused, match="Only a submitted response"):
        response_mark_reviewed(response=response, actor=clinician)
    response.refresh_from_db()
    assert response.reviewed_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.SUMMARY_REVIEWED).exists()


@pytest.mark.parametrize("flags", [{}, {"is_staff": True, "is_superuser": True}])
def test_refuses_an_actor_outside_the_team(demo, questionnaire, flags):
    outsider = make.user("outsider", team=make.team("Other clinic"), **flags)
    response = _response(demo, questionnaire)
    with pytest.raises(ServiceRefused, match="member of the patient's team"):
        response_mark_reviewed(response=response, actor=outsider)
    response.refresh_from_db()
    assert response.reviewed_at is None


def test_refuses_an_admin_preview(demo, questionnaire):
    clinician = make.user("clinician", team=demo)
    preview = Response.objects.create(
        version=questionnaire.published_version(), is_preview=True, invitation=None
    )
    with pytest.raises(ServiceRefused, match="preview"):
        response_mark_reviewed(response=preview, actor=clinician)
