"""The response page (header, earlier submissions), marking reviewed, and revoking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import AuditAction, AuditEvent
from questionnaires.models.response import InvitationStatus
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


def _submitted(demo, questionnaire, *, ref="MRN-1", days_ago=0, team=None):
    invitation = make.invitation(team=team or demo, questionnaire=questionnaire, patient_ref=ref)
    return make.response(
        invitation=invitation,
        state=InvitationStatus.SUBMITTED,
        submitted_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_the_urls():
    assert reverse("clinician:response_detail", args=[7]) == "/clinic/responses/7/"
    assert reverse("clinician:response_review", args=[7]) == "/clinic/responses/7/review/"
    assert reverse("clinician:invitation_revoke", args=[7]) == "/clinic/invitations/7/revoke/"


def test_the_header_shows_reference_condition_dates_status_and_review_button(
    logged_in, demo, questionnaire
):
    response = _submitted(demo, questionnaire)
    answer = logged_in.get(reverse("clinician:response_detail", args=[response.pk]))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Patient MRN-1" in page
    assert "Plaque psoriasis" in page
    assert "Sample questionnaire (version 1)" in page
    assert 'clinic-status-submitted">Submitted<' in page
    assert reverse("clinician:response_review", args=[response.pk]) in page
    assert " style=" not in page


def test_earlier_submissions_of_the_same_patient_in_the_same_team_are_linked(
    logged_in, demo, questionnaire
):
    older = _submitted(demo, questionnaire, days_ago=200)
    current = _submitted(demo, questionnaire, days_ago=10)
    newer = _submitted(demo, questionnaire, days_ago=1)
    someone_else = _submitted(demo, questionnaire, ref="MRN-2", days_ago=100)
    other_team = _submitted(demo, questionnaire, days_ago=50, team=make.team("Other clinic"))
    page = logged_in.get(reverse("clinician:response_detail", args=[current.pk])).content.decode()
    section = page.split('id="earlier-heading"', 1)[1]
    assert reverse("clinician:response_detail", args=[older.pk]) in section
    for absent in (newer, someone_else, other_team):
        assert reverse("clinician:response_detail", args=[absent.pk]) + '"' not in section


def test_an_unsubmitted_response_has_no_review_button(logged_in, demo, questionnaire):
    invitation = make.invitation(
        team=demo, questionnaire=questionnaire, state=InvitationStatus.IN_PROGRESS
    )
    page = logged_in.get(
        reverse("clinician:response_detail", args=[invitation.response.pk])
    ).content.decode()
    assert 'clinic-status-in_progress">In progress<' in page
    assert reverse("clinician:response_review", args=[invitation.response.pk]) not in page
    assert "has not submitted" in page


def test_marking_reviewed_records_who_and_when(logged_in, demo, questionnaire, clinician):
    response = _submitted(demo, questionnaire)
    answer = logged_in.post(reverse("clinician:response_review", args=[response.pk]))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("clinician:response_detail", args=[response.pk])
    response.refresh_from_db()
    assert response.reviewed_by == clinician and response.reviewed_at is not None
    page = logged_in.get(answer["Location"]).content.decode()
    assert "Marked as reviewed." in page
    assert 'clinic-status-reviewed">Reviewed<' in page
    assert "by clinician" in page
    assert reverse("clinician:response_review", args=[response.pk]) not in page
    assert (
        logged_in.get(reverse("clinician:response_review", args=[response.pk])).status_code == 405
    )


def test_reviewing_an_unsubmitted_response_is_refused_with_a_message(
    logged_in, demo, questionnaire
):
    invitation = make.invitation(
        team=demo, questionnaire=questionnaire, state=InvitationStatus.IN_PROGRESS
    )
    url = reverse("clinician:response_review", args=[invitation.response.pk])
    page = logged_in.post(url, follow=True).content.decode()
    assert "Only a submitted response can be marked as reviewed." in page
    invitation.response.refresh_from_db()
    assert invitation.response.reviewed_at is None


def test_revoke_asks_first_then_revokes_and_audits(logged_in, demo, questionnaire, clinician):
    invitation = make.invitation(team=demo, questionnaire=questionnaire, patient_ref="R-1")
    url = reverse("clinician:invitation_revoke", args=[invitation.pk])
    confirm = logged_in.get(url)
    assert confirm.status_code == 200
    assert "Revoke the invitation for R-1?" in confirm.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None  # a GET changes nothing
    answer = logged_in.post(url)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("clinician:dashboard")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and invitation.revoked_by == clinician
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_REVOKED)
    assert (event.actor, event.team, event.invitation_id_ref) == (clinician, demo, invitation.pk)
    dashboard = logged_in.get(answer["Location"]).content.decode()
    assert "is revoked" in dashboard
    assert 'clinic-status-revoked">Revoked<' in dashboard


@pytest.mark.parametrize(
    "state", [InvitationStatus.SUBMITTED, InvitationStatus.REVOKED, InvitationStatus.EXPIRED]
)
def test_an_invitation_whose_link_no_longer_works_is_not_revoked(
    logged_in, demo, questionnaire, state
):
    invitation = make.invitation(team=demo, questionnaire=questionnaire, state=state)
    revoked_before = invitation.revoked_at
    url = reverse("clinician:invitation_revoke", args=[invitation.pk])
    assert "cannot be revoked" in logged_in.get(url).content.decode()
    assert logged_in.post(url).status_code == 409
    invitation.refresh_from_db()
    assert invitation.revoked_at == revoked_before
    assert not AuditEvent.objects.filter(action=AuditAction.INVITATION_REVOKED).exists()
