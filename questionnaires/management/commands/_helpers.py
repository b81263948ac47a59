"""Shared helpers for the management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from questionnaires.models import Questionnaire, QuestionnaireVersion, VersionStatus


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
