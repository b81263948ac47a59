"""The discussion summary on the web and as PDF downloads (clinician and patient).

* ``summary_page_context(request=…, response=…)``: what the clinician's response page
  (``clinician/response_detail.html``, which audits the view) needs to include
  ``summary/summary.html``: the summary itself, always available as HTML, and the state of
  its PDF. It never waits for a render.
* ``response_summary_pdf``: ``clinic/responses/<id>/summary.pdf`` for the clinician's team
  (other teams get a 404). ``?lang=zh-hans`` reads it in another language.
* ``patient_summary_pdf``: ``p/<token>/summary.pdf``, the patient's own copy, in their
  language, once they have submitted.

A stored PDF is served as it is, streamed from the summary storage (``FileResponse``: the
file is never read whole into memory; behind nginx with ``SUMMARY_X_ACCEL_PREFIX`` set,
nginx sends it and Python only checks access and audits). Rows from before the storage
are served from their ``pdf`` bytes. A missing one is requested (with the immediate task
backend it is made during the request; with the database backend a page says it is being
prepared and refreshes); so is one whose file has gone missing from the storage. Every PDF
served is audit-logged.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from questionnaires.i18n import is_language
from questionnaires.models import AuditAction, Response, ResponseStatus, SummaryDocument, Team
from questionnaires.models.response import SummaryAudience, SummaryStatus
from questionnaires.selectors.access import responses_for_user
from questionnaires.services.audit import audit_record
from questionnaires.services.summaries import (
    StoredPdf,
    clinician_language,
    summary_file_lost,
    summary_request,
    summary_stored_of,
    summary_stored_pdf,
)
from questionnaires.services.summary_files import summary_file_exists, summary_file_open
from questionnaires.summary.context import SummaryUnavailable, summary_context_build
from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION
from questionnaires.views.access import clinician_required
from questionnaires.views.patient import Journey, journey_view, page

# How often the "being prepared" page reloads itself (seconds).
REFRESH_SECONDS = 3


@dataclass(frozen=True)
class SummaryPdfState:
    status: str  # a SummaryStatus value, or "missing" before anyone asked for it
    url: str

    @property
    def ready(self) -> bool:
        return self.status == SummaryStatus.READY

    @property
    def failed(self) -> bool:
        return self.status == SummaryStatus.FAILED


def reader_language(request: HttpRequest) -> str:
    """``?lang=`` when it is a site language, else the clinician's page language."""
    asked = request.GET.get("lang", "")
    if is_language(asked):
        return asked
    active = translation.get_language() or ""
    return active if is_language(active) else clinician_language()


def summary_page_context(*, request: HttpRequest, response: Response) -> dict:
    """The summary for the response page: ``{}`` while the response has no result."""
    language = reader_language(request)
    try:
        summary = summary_context_build(
            response=response.pk, language=language, audience=SummaryAudience.CLINICIAN
        )
    except SummaryUnavailable:
        return {}
    status = (
        SummaryDocument.objects.filter(
            result_id=summary.result_id,
            audience=SummaryAudience.CLINICIAN,
            language=language,
            template_version=SUMMARY_TEMPLATE_VERSION,
        )
        .values_list("status", flat=True)
        .first()
    )
    url = reverse("clinician:response_summary_pdf", args=[response.pk])
    return {
        "summary": summary,
        "summary_pdf": SummaryPdfState(status=status or "missing", url=f"{url}?lang={language}"),
    }


def _x_accel_prefix() -> str:
    prefix = getattr(settings, "SUMMARY_X_ACCEL_PREFIX", "")
    return prefix.rstrip("/") + "/" if prefix else ""


def _pdf_response(stored: StoredPdf, *, filename: str) -> HttpResponse | None:
    """The download of a stored PDF: streamed from the storage (or handed to nginx), or for
    a row from before the storage its bytes; None when the row's file is missing."""
    prefix = _x_accel_prefix()
    if stored.file is None:  # a row from before the storage: its bytes, already in memory
        response = FileResponse(io.BytesIO(stored.pdf or b""), content_type="application/pdf")
    elif prefix:
        if not summary_file_exists(stored.file):
            return None
        # nginx (an ``internal`` location over the storage folder) sends the file; it keeps
        # this response's Content-Type, Content-Disposition and Cache-Control.
        response = HttpResponse(content_type="application/pdf")
        response["X-Accel-Redirect"] = prefix + stored.file
    else:
        opened = summary_file_open(stored.file)
        if opened is None:
            return None
        response = FileResponse(opened, content_type="application/pdf")  # closes the file
    response["Content-Disposition"] = content_disposition_header(True, filename)
    add_never_cache_headers(response)  # patient data: never in a shared or browser cache
    return response


def _status_context(document: SummaryDocument) -> dict:
    return {
        "document": document,
        "failed": document.status == SummaryStatus.FAILED,
        "refresh_seconds": REFRESH_SECONDS,
    }


def _audit_download(
    request: HttpRequest, *, stored: StoredPdf, actor, audience: str, language: str
) -> None:
    if request.method != "GET":  # a HEAD (link checkers, prefetch) downloads nothing
        return
    audit_record(
        action=AuditAction.SUMMARY_PDF_DOWNLOADED,
        actor=actor,
        # Ids are enough for the audit row's foreign key (no query for the team).
        team=Team(pk=stored.team_id) if stored.team_id else None,
        invitation_id=stored.invitation_id,
        response_id=stored.response_id,
        object_repr=f"response {stored.response_id}",
        detail={"audience": audience, "language": language},
    )


def _stored_or_requested(
    response: Response, *, audience: str, language: str
) -> StoredPdf | SummaryDocument:
    """The PDF after asking for it (rendered at once by an immediate backend), or the
    document whose status to show when it is not ready."""
    document = summary_request(
        result=response.result, audience=audience, language=language, retry_failed=True
    )
    if document.status != SummaryStatus.READY:
        return document
    stored = summary_stored_of(document=document)
    return stored if stored is not None else document


def _served(
    request: HttpRequest, stored: StoredPdf, *, filename: str, actor, audience: str, language: str
) -> HttpResponse | SummaryDocument:
    """The download, audited; or, when the row's file is missing from the storage, the
    document (now failed, so asking again renders it anew) whose status to show."""
    answer = _pdf_response(stored, filename=filename)
    if answer is None:
        summary_file_lost(stored=stored)
        return SummaryDocument.objects.defer("pdf").get(pk=stored.document_id)
    _audit_download(request, stored=stored, actor=actor, audience=audience, language=language)
    return answer


def _download(
    request: HttpRequest,
    stored: StoredPdf | None,
    *,
    fetch: Callable[[], Response],
    filename: Callable[[StoredPdf], str],
    actor,
    audience: str,
    language: str,
) -> tuple[HttpResponse | SummaryDocument, Response | None]:
    """Serve ``stored`` (found by the view's first query). When there is none, or its file
    is lost, fetch the response (``fetch``: its access check), ask for the document and
    serve it if it is ready; else return the document whose status to show."""
    if stored is not None:
        served = _served(
            request,
            stored,
            filename=filename(stored),
            actor=actor,
            audience=audience,
            language=language,
        )
        if not isinstance(served, SummaryDocument):
            return served, None
    response = fetch()
    outcome = _stored_or_requested(response, audience=audience, language=language)
    if isinstance(outcome, SummaryDocument):
        return outcome, response
    # Lost again right after rendering (the web server does not see the workers' storage):
    # the failed document says so, rather than rendering again in a loop.
    served = _served(
        request,
        outcome,
        filename=filename(outcome),
        actor=actor,
        audience=audience,
        language=language,
    )
    return served, response


@require_http_methods(["GET", "HEAD"])
@clinician_required
def response_summary_pdf(request: HttpRequest, pk: int, *, teams) -> HttpResponse:
    language = reader_language(request)
    audience = SummaryAudience.CLINICIAN
    # The common case in one query: a stored PDF of a response this clinician may see.
    stored = summary_stored_pdf(
        responses=responses_for_user(request.user),
        response_id=pk,
        audience=audience,
        language=language,
    )
    outcome, response = _download(
        request,
        stored,
        fetch=lambda: get_object_or_404(
            responses_for_user(request.user)
            .select_related("invitation__team", "result")
            .filter(status=ResponseStatus.SUBMITTED, result__isnull=False),
            pk=pk,
        ),
        filename=lambda served: f"summary-{served.response_id}-{language}.pdf",
        actor=request.user,
        audience=audience,
        language=language,
    )
    if not isinstance(outcome, SummaryDocument):
        return outcome
    page_response = render(
        request,
        "summary/pdf_status.html",
        {
            **_status_context(outcome),
            "response": response,
            "back_url": reverse("clinician:response_detail", args=[pk]),
        },
        status=503 if outcome.status == SummaryStatus.FAILED else 202,
    )
    add_never_cache_headers(page_response)
    return page_response


@require_http_methods(["GET", "HEAD"])
@journey_view
def patient_summary_pdf(request: HttpRequest, journey: Journey) -> HttpResponse:
    """The patient's own copy, in their language, once submitted."""
    response = journey.response
    if response is None or not response.is_submitted:
        return redirect(journey.url("landing"))
    language = journey.language
    if not is_language(language):
        language = settings.LANGUAGE_CODE
    audience = SummaryAudience.PATIENT
    stored = summary_stored_pdf(
        responses=Response.objects.filter(pk=response.pk),
        response_id=response.pk,
        audience=audience,
        language=language,
    )

    def submitted() -> Response:
        if getattr(response, "result", None) is None:
            raise Http404
        return response

    outcome, _response = _download(
        request,
        stored,
        fetch=submitted,
        filename=lambda served: "my-summary.pdf",
        actor=None,
        audience=audience,
        language=language,
    )
    if not isinstance(outcome, SummaryDocument):
        return outcome
    return page(
        request,
        "summary/patient_pdf_status.html",
        {**_status_context(outcome), "back_url": journey.url("done")},
        journey=journey,
        status=503 if outcome.status == SummaryStatus.FAILED else 202,
    )
