"""Publishing as a two-step action: a confirmation page, then the publish service.

The page shows everything the publish decision rests on: the linter's result, every
stored simulator test case's result, how many patients are mid-way on the version this
publish retires, and what changes against it. Confirming calls ``version_publish``,
which checks all of it again under a lock; a refusal is shown on the same page as errors,
each problem once.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from questionnaires.admin.diff import version_diff
from questionnaires.models import QuestionnaireVersion, Response, ResponseStatus, VersionStatus
from questionnaires.services import definitions as definition_services
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.simulation_cases import simulation_cases_run

PUBLISH_URL_NAME = "questionnaires_questionnaireversion_publish"


def publish_urls(model_admin) -> list:
    def view(request, object_id):
        return version_publish_confirm(request, object_id, model_admin=model_admin)

    return [
        path(
            "<int:object_id>/publish/",
            model_admin.admin_site.admin_view(view),
            name=PUBLISH_URL_NAME,
        )
    ]


def publish_context(version: QuestionnaireVersion) -> dict:
    """What the confirmation page shows (fetched once, then computed)."""
    definition = definition_services.definition_for_version(version)
    from questionnaires.engine.lint import lint

    published = (
        QuestionnaireVersion.objects.filter(
            questionnaire=version.questionnaire, status=VersionStatus.PUBLISHED
        )
        .select_related("questionnaire")
        .first()
    )
    published_definition = (
        definition_services.definition_for_version(published) if published else None
    )
    midway = (
        Response.objects.filter(
            version=published, status=ResponseStatus.IN_PROGRESS, is_preview=False
        ).count()
        if published
        else 0
    )
    return {
        "lint_problems": lint(definition),
        "case_outcomes": simulation_cases_run(version=version, definition=definition),
        "published": published,
        "midway": midway,
        "changes": version_diff(published_definition, definition),
    }


def version_publish_confirm(request, object_id: int, *, model_admin):
    version = get_object_or_404(
        QuestionnaireVersion.objects.select_related("questionnaire"), pk=object_id
    )
    opts = model_admin.model._meta
    if not request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
        raise PermissionDenied
    change_url = reverse("admin:questionnaires_questionnaireversion_change", args=[version.pk])
    if version.status != VersionStatus.DRAFT:
        messages.error(
            request,
            _("%(version)s is not a draft; only a draft can be published.") % {"version": version},
        )
        return redirect(change_url)
    refusal: list[str] = []
    if request.method == "POST":
        try:
            definition_services.version_publish(version=version, actor=request.user)
        except ServiceRefused as refused:
            refusal = list(dict.fromkeys(refused.messages))  # each problem once
        else:
            messages.success(request, _("%(version)s published.") % {"version": version})
            return redirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "original": version,
        "title": _("Publish %(version)s?") % {"version": version},
        "refusal": refusal,
        "change_url": change_url,
        **publish_context(version),
    }
    return TemplateResponse(
        request,
        "admin/questionnaires/questionnaireversion/publish_confirm.html",
        context,
        status=409 if refusal else 200,
    )
