"""The admin's invitation pages: read, revoke and delete unused ones, each audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from questionnaires.models import AuditAction, AuditEvent, Invitation
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitations import invitation_create, invitation_delete
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    root = get_user_model().objects.create_superuser("root", password="root-pass-12345")
    client.force_login(root)
    client.user = root
    return client


@pytest.fixture
def unused():
    questionnaire = make.published_questionnaire()
    invitation, _token = invitation_create(
        questionnaire=questionnaire, patient_ref="P-UNUSED", team=make.team("Team A")
    )
    return invitation


def test_deleting_an_unused_invitation_in_the_admin_is_audited(admin_client, unused):
    url = reverse("admin:questionnaires_invitation_delete", args=[unused.pk])
    answer = admin_client.post(url, {"post": "yes"})
    assert answer.status_code == 302
    assert not Invitation.objects.filter(pk=unused.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_DELETED)
    assert (event.invitation_id_ref, event.actor, event.team) == (
        unused.pk,
        admin_client.user,
        unused.team,
    )


def test_the_bulk_delete_action_is_audited_per_invitation(admin_client, unused):
    other, _token = invitation_create(
        questionnaire=unused.questionnaire, patient_ref="P-OTHER", team=unused.team
    )
    answer = admin_client.post(
        reverse("admin:questionnaires_invitation_changelist"),
        {"action": "delete_selected", "_selected_action": [unused.pk, other.pk], "post": "yes"},
    )
    assert answer.status_code == 302
    deleted = AuditEvent.objects.filter(action=AuditAction.INVITATION_DELETED)
    assert sorted(deleted.values_list("invitation_id_ref", flat=True)) == sorted(
        [unused.pk, other.pk]
    )


def test_an_answered_invitation_is_not_deleted(admin_client):
    answered = make.invitation(
        team=make.team("Team A"),
        questionnaire=make.published_questionnaire(),
        state="submitted",
    )
    url = reverse("admin:questionnaires_invitation_delete", args=[answered.pk])
    admin_client.post(url, {"post": "yes"})
    assert Invitation.objects.filter(pk=answered.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.INVITATION_DELETED).exists()
    with pytest.raises(ServiceRefused):
        invitation_delete(invitation=answered, actor=admin_client.user)


def test_the_admin_cannot_move_an_invitation_to_another_team(admin_client, unused):
    other_team = make.team("Team B")
    url = reverse("admin:questionnaires_invitation_change", args=[unused.pk])
    page = admin_client.get(url)
    assert page.status_code == 200  # read-only view: no field to change the team with
    assert 'name="team"' not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    admin_client.post(url, {"team": other_team.pk, "patient_ref": "MOVED"})
    unused.refresh_from_db()
    assert (unused.team.name, unused.patient_ref) == ("Team A", "P-UNUSED")


def test_revoking_from_the_list_goes_through_the_audited_service(admin_client, unused):
    answer = admin_client.post(
        reverse("admin:questionnaires_invitation_changelist"),
        {"action": "revoke_selected", "_selected_action": [unused.pk]},
    )
    assert answer.status_code == 302
    unused.refresh_from_db()
    assert unused.revoked_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.INVITATION_REVOKED, invitation_id_ref=unused.pk
    ).exists()
