"""Objects for the clinician-workspace tests: teams, clinicians, invitations in every state.

Invitations that need a known token go through the real ``invitation_create`` service; rows
for the dashboard states are written directly (the patient journey that normally creates
responses is tested elsewhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.utils import timezone

from questionnaires.models import Invitation, Questionnaire, Response, ResponseStatus, Team
from questionnaires.models.response import InvitationStatus, hash_token
from questionnaires.services.definitions import version_create_from_definition, version_publish
from tests.builders import sample_definition, text

PASSWORD = "a-test-password-1234"


def published_questionnaire(
    slug: str = "sample", *, disease: str = "", languages=("en", "zh-hans")
) -> Questionnaire:
    definition = replace(
        sample_definition(slug),
        disease=disease,
        languages=tuple(languages),
        title=text("Sample questionnaire", "示例问卷"),
        estimated_minutes=12,
    )
    version = version_publish(version=version_create_from_definition(definition=definition))
    return version.questionnaire


def user(username: str, *, team: Team | None = None, **flags):
    account = get_user_model().objects.create_user(username=username, password=PASSWORD, **flags)
    if team is not None:
        team.members.add(account)
    return account


def team(name: str) -> Team:
    return Team.objects.create(name=name)


_counter = iter(range(10**9))


def invitation(
    *,
    team: Team,
    questionnaire: Questionnaire,
    state: str = InvitationStatus.INVITED,
    patient_ref: str = "P-0001",
    disease: str = "psoriasis",
    created_at: dt.datetime | None = None,
    reviewer=None,
) -> Invitation:
    """An invitation (and response) in one of the dashboard states."""
    now = timezone.now()
    created_at = created_at or now - dt.timedelta(days=1)
    expires_at = created_at + dt.timedelta(days=14)
    if state == InvitationStatus.EXPIRED:
        expires_at = now - dt.timedelta(minutes=1)
    row = Invitation.objects.create(
        token_hash=hash_token(f"test-token-{next(_counter)}"),
        patient_ref=patient_ref,
        team=team,
        questionnaire=questionnaire,
        disease=disease,
        created_at=created_at,
        expires_at=expires_at,
        revoked_at=now if state == InvitationStatus.REVOKED else None,
    )
    if state in {
        InvitationStatus.IN_PROGRESS,
        InvitationStatus.SUBMITTED,
        InvitationStatus.REVIEWED,
    }:
        response(invitation=row, state=state, reviewer=reviewer)
    return row


def response(*, invitation: Invitation, state: str, reviewer=None, submitted_at=None) -> Response:
    submitted = state in {InvitationStatus.SUBMITTED, InvitationStatus.REVIEWED}
    now = timezone.now()
    return Response.objects.create(
        invitation=invitation,
        version=invitation.questionnaire.published_version(),
        status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.IN_PROGRESS,
        language=invitation.language,
        answers={"itch": "some"},
        started_at=invitation.created_at,
        submitted_at=(submitted_at or now) if submitted else None,
        reviewed_at=now if state == InvitationStatus.REVIEWED else None,
        reviewed_by=reviewer if state == InvitationStatus.REVIEWED else None,
    )
