"""Shared helpers for the management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from questionnaires.models import (
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    VersionStatus,
)
from questionnaires.models.response import hash_token
from questionnaires.services.invitations import response_of


def version_for(slug: str, number: int | None) -> QuestionnaireVersion:
    """The requested version, or the published one, or else the newest draft."""
    try:
        questionnaire = Questionnaire.objects.get(slug=slug)
    except Questionnaire.DoesNotExist:
        raise CommandError(f"No questionnaire with slug '{slug}'.") from None
    versions = questionnaire.versions.all()
    if number is not None:
        version = versions.filter(number=number).first()
        if version is None:
            raise CommandError(f"'{slug}' has no version {number}.")
        return version
    version = (
        versions.filter(status=VersionStatus.PUBLISHED).first()
        or versions.filter(status=VersionStatus.DRAFT).order_by("-number").first()
        or versions.order_by("-number").first()
    )
    if version is None:
        raise CommandError(f"'{slug}' has no versions.")
    return version


class VersionOptionMixin:
    """Lets a command take ``--version N`` (a questionnaire version) instead of Django's
    built-in ``--version`` (the Django version), which other tools' interfaces require."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)


def response_for(*, response_id: int | None, token: str | None, select_related=()):
    """The response named by ``--response ID`` or ``--token TOKEN`` (clinic tools only).

    An expired or revoked link still names its response here: these commands are run by
    the clinic, not by the patient.
    """
    queryset = Response.objects.select_related(*select_related)
    if response_id is not None:
        response = queryset.filter(pk=response_id).first()
        if response is None:
            raise CommandError(f"No response with id {response_id}.")
        return response
    invitation = Invitation.objects.filter(token_hash=hash_token(token or "")).first()
    if invitation is None:
        raise CommandError("No invitation matches this token.")
    response = response_of(invitation)
    if response is None:
        raise CommandError("This invitation has no response yet.")
    return queryset.get(pk=response.pk)
