"""Import and export in the admin.

Import is two steps. Uploading a file (FHIR R4 Questionnaire or our JSON) only reads it:
the page shows what it holds (steps and questions), what the importer could not carry over
exactly (each with the item it concerns) and which version it would become. Nothing is
written until the admin confirms; cancelling, or not coming back, writes nothing. Between
the two steps the file waits in the admin's own server-side session (database sessions;
never a cookie) for at most ``PENDING_IMPORT_SECONDS``. A questionnaire file is content,
not patient data.

Export downloads any version, published or not, in either format.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from questionnaires.models import QuestionnaireVersion
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.interop import (
    questionnaire_import,
    questionnaire_import_preview,
    version_export,
    version_export_notes,
)

SESSION_KEY = "sdm_pending_imports"
PENDING_IMPORT_SECONDS = 30 * 60
MAX_PENDING_IMPORTS = 3
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # as the importers' own limit


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Questionnaire file"),
        help_text=gettext_lazy("A FHIR R4 Questionnaire or an SDM questionnaire, as JSON."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            ("auto", gettext_lazy("Recognise from the file")),
            ("fhir", gettext_lazy("FHIR R4 Questionnaire")),
            ("sdm", gettext_lazy("SDM questionnaire JSON")),
        ],
        initial="auto",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MiB.") % {"size": MAX_UPLOAD_BYTES >> 20}
            )
        return upload


def detect_format(data: bytes) -> str:
    """ "fhir" when the file is a FHIR resource, else "sdm" (its importer says what is wrong)."""
    try:
        document = json.loads(data)
    except ValueError:
        return "sdm"
    return "fhir" if isinstance(document, dict) and "resourceType" in document else "sdm"


def interop_urls(model_admin) -> list:
    site = model_admin.admin_site

    def wrap(view):
        def wrapped(request, *args, **kwargs):
            return view(request, *args, model_admin=model_admin, **kwargs)

        return site.admin_view(wrapped)

    return [
        path("import/", wrap(import_upload), name="questionnaires_questionnaireversion_import"),
        path(
            "import/<str:token>/",
            wrap(import_review),
            name="questionnaires_questionnaireversion_import_review",
        ),
        path(
            "<int:object_id>/export/<str:fmt>/",
            wrap(version_export_download),
            name="questionnaires_questionnaireversion_export",
        ),
    ]


def _require(request, model_admin, action: str) -> None:
    opts = model_admin.model._meta
    if not request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        raise PermissionDenied


def _pending(request) -> dict:
    """The admin's pending uploads, the expired ones dropped."""
    pending = request.session.get(SESSION_KEY, {})
    now = time.time()
    fresh = {
        token: entry
        for token, entry in pending.items()
        if now - entry.get("at", 0) < PENDING_IMPORT_SECONDS
    }
    if fresh != pending:
        request.session[SESSION_KEY] = fresh
    return fresh


def _base_context(request, model_admin, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
    }


def import_upload(request, *, model_admin):
    _require(request, model_admin, "add")
    refusal: list[str] = []
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        fmt = form.cleaned_data["format"]
        if fmt == "auto":
            fmt = detect_format(data)
        try:
            questionnaire_import_preview(data=data, fmt=fmt)
        except ServiceRefused as refused:
            refusal = list(dict.fromkeys(refused.messages))
        else:
            pending = _pending(request)
            while len(pending) >= MAX_PENDING_IMPORTS:
                pending.pop(min(pending, key=lambda token: pending[token]["at"]))
            token = secrets.token_urlsafe(16)
            pending[token] = {
                "at": time.time(),
                "name": form.cleaned_data["file"].name[:200],
                "format": fmt,
                "data": base64.b64encode(data).decode("ascii"),
            }
            request.session[SESSION_KEY] = pending
            return redirect("admin:questionnaires_questionnaireversion_import_review", token=token)
    context = {
        **_base_context(request, model_admin, _("Import a questionnaire")),
        "form": form,
        "refusal": refusal,
    }
    return TemplateResponse(
        request,
        "admin/questionnaires/questionnaireversion/import_upload.html",
        context,
        status=400 if refusal else 200,
    )


def import_review(request, token: str, *, model_admin):
    _require(request, model_admin, "add")
    pending = _pending(request)
    entry = pending.get(token)
    if entry is None:
        messages.error(
            request,
            _("That upload is no longer waiting (it expired or was handled); upload it again."),
        )
        return redirect("admin:questionnaires_questionnaireversion_import")
    data = base64.b64decode(entry["data"])
    if request.method == "POST":
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        if "cancel" in request.POST:
            messages.info(request, _("Import cancelled; nothing was written."))
            return redirect("admin:questionnaires_questionnaireversion_changelist")
        try:
            outcome = questionnaire_import(data=data, fmt=entry["format"], actor=request.user)
        except ServiceRefused as refused:
            for message in dict.fromkeys(refused.messages):
                messages.error(request, message)
            return redirect("admin:questionnaires_questionnaireversion_import")
        messages.success(
            request,
            _("Imported as %(version)s, a draft.") % {"version": outcome.version},
        )
        return redirect("admin:questionnaires_questionnaireversion_change", outcome.version.pk)
    try:
        preview = questionnaire_import_preview(data=data, fmt=entry["format"])
    except ServiceRefused as refused:  # the importers changed since the upload
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        for message in dict.fromkeys(refused.messages):
            messages.error(request, message)
        return redirect("admin:questionnaires_questionnaireversion_import")
    definition = preview.definition
    context = {
        **_base_context(request, model_admin, _("Check the import before confirming")),
        "token": token,
        "file_name": entry["name"],
        "format": entry["format"],
        "definition": definition,
        "steps": [
            {
                "key": step.key,
                "title": step.title.get("en") or next(iter(step.title.values()), ""),
                "questions": [
                    {
                        "key": question.key,
                        "kind": question.kind,
                        "choices": len(question.choices),
                        "children": len(question.children),
                    }
                    for question in step.questions
                ],
            }
            for step in definition.steps
        ],
        "notes": preview.notes,
        "existing_versions": preview.existing_versions,
        "question_count": len(definition.question_map()),
    }
    return TemplateResponse(
        request, "admin/questionnaires/questionnaireversion/import_review.html", context
    )


def version_export_download(request, object_id: int, fmt: str, *, model_admin):
    _require(request, model_admin, "view")
    version = get_object_or_404(
        QuestionnaireVersion.objects.select_related("questionnaire"), pk=object_id
    )
    if fmt not in {"sdm", "fhir"}:
        raise Http404
    filename, content = version_export(version=version, fmt=fmt)
    if fmt == "fhir":
        # The download replaces nothing on screen; the notes show on the next page opened.
        for note in version_export_notes(version=version):
            messages.warning(request, _("FHIR export: %(note)s") % {"note": note})
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def import_url() -> str:
    return reverse("admin:questionnaires_questionnaireversion_import")
