"""Retention: expired drafts are purged, a response can be erased, the audit log stays."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from questionnaires.models import AuditAction, AuditEvent, Invitation, Response, Result
from questionnaires.services.responses import response_start
from questionnaires.services.retention import drafts_purge, response_erase
from tests.factories import clinic_definition, invite, publish
from tests.services.test_responses import answer_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return publish(clinic_definition())


def started(version, **invite_kwargs):
    invitation, _token = invite(version, **invite_kwargs)
    return response_start(invitation=invitation)


def test_only_drafts_whose_link_ended_long_enough_ago_are_purged(version, settings):
    settings.SDM_DRAFT_RETENTION_DAYS = 30
    fresh = started(version)
    old = started(version)
    Invitation.objects.filter(pk=old.invitation_id).update(
        expires_at=timezone.now() - timedelta(days=31)
    )
    recently_expired = started(version)
    Invitation.objects.filter(pk=recently_expired.invitation_id).update(
        expires_at=timezone.now() - timedelta(days=5)
    )
    submitted = answer_everything(started(version))
    from questionnaires.services.responses import response_submit

    response_submit(response=submitted, expected_revision=submitted.revision)
    Invitation.objects.filter(pk=submitted.invitation_id).update(
        expires_at=timezone.now() - timedelta(days=400)
    )

    assert drafts_purge() == 1
    assert set(Response.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        recently_expired.pk,
        submitted.pk,
    }
    event = AuditEvent.objects.get(action=AuditAction.RESPONSE_ERASED)
    assert event.detail == {"reason": "retention", "response_ids": [old.pk]}
    assert drafts_purge() == 0


def test_purge_command_dry_run_deletes_nothing(version):
    old = started(version)
    Invitation.objects.filter(pk=old.invitation_id).update(
        revoked_at=timezone.now() - timedelta(days=365)
    )
    out = StringIO()
    call_command("purge_drafts", "--dry-run", stdout=out)
    assert "1 draft(s) would be deleted" in out.getvalue()
    assert Response.objects.filter(pk=old.pk).exists()
    call_command("purge_drafts", stdout=out)
    assert not Response.objects.filter(pk=old.pk).exists()


def test_erasing_a_submitted_response_removes_answers_and_result_keeps_the_audit(version):
    from questionnaires.services.responses import response_submit

    response = answer_everything(started(version))
    response_submit(response=response, expected_revision=response.revision)
    assert Result.objects.filter(response=response).exists()
    response_erase(response=response)
    assert not Response.objects.filter(pk=response.pk).exists()
    assert not Result.objects.exists()
    invitation = Invitation.objects.get(pk=response.invitation_id)
    assert invitation.revoked_at is not None  # the link cannot start a new response
    event = AuditEvent.objects.get(action=AuditAction.RESPONSE_ERASED)
    assert event.response_id_ref == response.pk
    assert event.invitation_id_ref == invitation.pk
