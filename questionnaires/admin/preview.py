"""'Preview as patient' for content admins: walk any version, drafts included.

Wire it into ``QuestionnaireVersionAdmin`` (admin.py)::

    from questionnaires.admin.preview import preview_urls

    def get_urls(self):
        return preview_urls(self) + super().get_urls()

The change page then shows a "Preview as patient" link (template
``admin/questionnaires/questionnaireversion/change_form.html``). The preview page
asks for a language (and optionally a preset condition) and, on POST, creates a
``Response`` with ``is_preview=True`` and no invitation, then sends the admin into the
patient pages under ``/p/preview/<response id>/`` (staff only). Clinician lists must
filter ``is_preview=False``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from questionnaires.models import Disease, QuestionnaireVersion
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.responses import response_start_preview

PREVIEW_URL_NAME = "questionnaires_questionnaireversion_preview"


def preview_urls(model_admin) -> list:
    """URL patterns to put before the admin's own (its catch-all would swallow them)."""

    def view(request, object_id):
        return version_preview(request, object_id, model_admin=model_admin)

    return [
        path(
            "<int:object_id>/preview/",
            model_admin.admin_site.admin_view(view),
            name=PREVIEW_URL_NAME,
        )
    ]


def version_preview(request, object_id: int, *, model_admin):
    version = get_object_or_404(
        QuestionnaireVersion.objects.select_related("questionnaire"), pk=object_id
    )
    if not (request.user.is_staff and model_admin.has_view_permission(request, version)):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            response = response_start_preview(
                version=version,
                actor=request.user,
                language=request.POST.get("language", "en"),
                disease=request.POST.get("disease", ""),
            )
        except ServiceRefused as refused:
            error = "; ".join(refused.messages)
        else:
            return redirect("patient:preview_resume", response_id=response.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": version,
        "title": _("Preview %(version)s as a patient") % {"version": version},
        "languages": settings.LANGUAGES,
        "diseases": Disease.choices,
        "error": error,
    }
    return TemplateResponse(
        request, "admin/questionnaires/questionnaireversion/preview.html", context
    )
