"""Summary PDFs: requested, rendered in the background, stored, served again without a render.

One ``SummaryDocument`` row per (result snapshot, audience, language, template version).
Its life:

    summary_request ─creates─> pending ─enqueue (after commit)─> task ─> summary_render
    summary_render: claim (pending → rendering, attempts + 1), render, then
      ok                     → ready (file, pages: the PDF written to the summary storage)
      failed, attempts left  → pending again, error stored, enqueued again
      failed, none left      → failed (shown as a status; a new request starts a fresh round)

* **Claim**: a conditional ``UPDATE … SET status='rendering' WHERE status='pending'`` (or a
  stale claim, below). The database decides who wins, on PostgreSQL (row lock, re-check
  after the other transaction commits) and on SQLite alike, so two workers never render the
  same document twice; ``attempts`` counts claims.
* **Stale claims**: while a document renders, ``rendered_at`` holds when the render started.
  A worker killed mid-render (OOM, deploy) leaves it "rendering"; after twice the time limit
  (plus a minute) the claim counts as abandoned and may be taken again.
* **Errors**: only the kind of failure is stored or logged (``RenderFailed`` messages are
  ours; any other exception is reduced to its class name), never patient text.
* **On submit** (``summary_render_enqueue``, which ``result_freeze`` calls after its
  transaction commits): the clinician PDF in the team's language and the patient's own copy
  in the patient's language. Other languages render on demand.
* **Where the PDF lives**: a file in the private summary storage (``summary_files.py``),
  named in ``file``; rows rendered before it keep their bytes in ``pdf`` and are still
  served. Whoever deletes documents deletes their files after the commit (``summary_files``).
* **The task** ``summary_render_task`` lives here, beside the service it runs and the
  functions that enqueue it (``questionnaires.tasks`` re-exports it under its old path).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from questionnaires.i18n import language_codes
from questionnaires.models import Response, Result, SummaryDocument
from questionnaires.models.response import SummaryAudience, SummaryStatus
from questionnaires.pdf.time_limit import RenderFailed
from questionnaires.services.summary_files import (
    summary_file_open,
    summary_file_save,
    summary_files_delete_on_commit,
)
from questionnaires.summary.context import summary_context_build
from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION, summary_pdf

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_MARGIN = datetime.timedelta(minutes=1)


def clinician_language() -> str:
    """The language clinician summaries are made in on submit (the team's language)."""
    return getattr(settings, "SDM_CLINICIAN_LANGUAGE", settings.LANGUAGE_CODE)


def summary_languages() -> list[str]:
    return language_codes()


def render_lease() -> datetime.timedelta:
    """How long a claim holds: ``SDM_RENDER_LEASE_SECONDS``, never less than the time limit
    (plus a margin), so a render still within its limit is never taken from its worker."""
    limit = datetime.timedelta(seconds=settings.SDM_PDF_TIME_LIMIT_SECONDS)
    configured = getattr(settings, "SDM_RENDER_LEASE_SECONDS", None)
    default = 2 * limit + STALE_MARGIN
    lease = datetime.timedelta(seconds=configured) if configured else default
    return max(lease, limit + datetime.timedelta(seconds=5))


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    return now - render_lease()


def _claimable(now: datetime.datetime) -> Q:
    abandoned = Q(rendered_at__lt=_stale_before(now)) | Q(rendered_at__isnull=True)
    return Q(status=SummaryStatus.PENDING) | (Q(status=SummaryStatus.RENDERING) & abandoned)


def _enqueue(document_id: int) -> None:
    """Enqueue the render once the current transaction commits (at once outside one).

    ``robust``: a queue that cannot take the job (the database backend's table missing, say)
    must not break the patient's submission; the document stays pending and is rendered
    when someone asks for it.
    """
    transaction.on_commit(partial(summary_render_task.enqueue, document_id), robust=True)


def summary_request(
    *, result: Result, audience: str, language: str, retry_failed: bool = False
) -> SummaryDocument:
    """The document for this snapshot, audience, language and template version.

    Created (and its render enqueued) when missing. An abandoned claim is enqueued again.
    ``retry_failed`` starts a fresh round of attempts for a failed document (a person asked
    for it again). Never renders in this call itself, except through an immediate backend.
    """
    if audience not in SummaryAudience.values:
        raise ValueError(f"unknown audience {audience!r}")
    if language not in summary_languages():
        raise ValueError(f"unknown language {language!r}")
    key = {
        "result": result,
        "audience": audience,
        "language": language,
        "template_version": SUMMARY_TEMPLATE_VERSION,
    }
    document = SummaryDocument.objects.filter(**key).defer("pdf").first()
    if document is None:
        try:
            with transaction.atomic():
                document = SummaryDocument.objects.create(**key)
        except IntegrityError:  # another request created it a moment ago
            return SummaryDocument.objects.defer("pdf").get(**key)
        _enqueue(document.pk)
    elif retry_failed and document.status == SummaryStatus.FAILED:
        reset = SummaryDocument.objects.filter(pk=document.pk, status=SummaryStatus.FAILED).update(
            status=SummaryStatus.PENDING, attempts=0
        )
        if reset:
            _enqueue(document.pk)
    elif document.status == SummaryStatus.RENDERING and (
        document.rendered_at is None or document.rendered_at < _stale_before(timezone.now())
    ):
        _enqueue(document.pk)
    # Fresh from the database: with an immediate backend the render has happened by now.
    return SummaryDocument.objects.defer("pdf").get(pk=document.pk)


def summary_reclaim_abandoned(*, now: datetime.datetime | None = None) -> list[int]:
    """Give renders whose worker died back to the queue, without anyone asking.

    A claim older than the lease (its worker was killed, or lost the database mid-render)
    goes back to pending and is enqueued again. The conditional update decides, so when
    several workers sweep at once exactly one of them re-enqueues each document.
    """
    now = now or timezone.now()
    abandoned = SummaryDocument.objects.filter(
        status=SummaryStatus.RENDERING, rendered_at__lt=_stale_before(now)
    ).values_list("pk", flat=True)
    reclaimed = []
    for document_id in list(abandoned):
        taken = SummaryDocument.objects.filter(
            pk=document_id, status=SummaryStatus.RENDERING, rendered_at__lt=_stale_before(now)
        ).update(status=SummaryStatus.PENDING)
        if taken:
            reclaimed.append(document_id)
            _enqueue(document_id)
    if reclaimed:
        logger.warning("reclaimed %d abandoned summary render(s): %s", len(reclaimed), reclaimed)
    return reclaimed


def summary_claim(*, document_id: int) -> bool:
    """Take the document for rendering; False when another worker has it or it is done."""
    now = timezone.now()
    claimed = SummaryDocument.objects.filter(Q(pk=document_id) & _claimable(now)).update(
        status=SummaryStatus.RENDERING, attempts=F("attempts") + 1, rendered_at=now
    )
    return claimed == 1


def summary_render(*, document: SummaryDocument) -> SummaryDocument:
    """Claim and render one document; store the PDF, or the failure and maybe a retry.

    Returns the document as stored afterwards (one erased meanwhile: as it was claimed). A
    document another worker holds (or that is already ready) is returned untouched:
    rendering twice is never needed.
    """
    if not summary_claim(document_id=document.pk):
        return SummaryDocument.objects.defer("pdf").get(pk=document.pk)
    claimed = (
        SummaryDocument.objects.select_related("result")
        .defer("pdf", "result__scores", "result__weighing", "result__profile_versions")
        .get(pk=document.pk)
    )
    try:
        context = summary_context_build(
            response=claimed.result.response_id,
            language=claimed.language,
            audience=claimed.audience,
        )
        rendered = summary_pdf(context=context)
    except Exception as error:  # any failure is recorded and retried, never raised to a worker
        return _record_failure(claimed, error)
    try:
        name = summary_file_save(rendered.pdf)
    except Exception as error:  # a full disk, a storage down: a failure like any other
        return _record_failure(claimed, error)
    with transaction.atomic():
        stored = SummaryDocument.objects.filter(
            pk=claimed.pk, status=SummaryStatus.RENDERING
        ).update(
            status=SummaryStatus.READY,
            file=name,
            pdf=None,
            pages=rendered.pages,
            error="",
            rendered_at=timezone.now(),
        )
        # No row took the file (erased meanwhile, or another worker's claim finished first):
        # it names nothing, so it goes. A file the row named before (none, normally) too.
        summary_files_delete_on_commit([name] if not stored else [claimed.file.name or ""])
    after = SummaryDocument.objects.defer("pdf").filter(pk=claimed.pk).first()
    if after is None:  # erased while it rendered: its file is gone too (above)
        logger.info("summary document %s was erased while it rendered", claimed.pk)
        return claimed
    logger.info(
        "summary document %s rendered (%s pages, attempt %s)",
        claimed.pk,
        rendered.pages,
        claimed.attempts,
    )
    return after


@task()
def summary_render_task(document_id: int) -> str:
    """Render one stored summary document; returns its status afterwards.

    A task only finds its row and calls the service, so the backend can change without
    touching the domain. Its argument is an id (JSON), never an object or patient data.
    """
    document = SummaryDocument.objects.defer("pdf").filter(pk=document_id).first()
    if document is None:  # the result was erased in the meantime
        return "missing"
    return summary_render(document=document).status


def failure_text(error: BaseException) -> str:
    """What may be stored and logged about a failure: our own message or the class name."""
    if isinstance(error, RenderFailed):
        return str(error)[:500]
    return f"{type(error).__module__}.{type(error).__name__}"


def _record_failure(document: SummaryDocument, error: BaseException) -> SummaryDocument:
    text = failure_text(error)
    retry = document.attempts < MAX_ATTEMPTS
    SummaryDocument.objects.filter(pk=document.pk, status=SummaryStatus.RENDERING).update(
        status=SummaryStatus.PENDING if retry else SummaryStatus.FAILED,
        error=text,
        rendered_at=timezone.now(),
    )
    logger.warning(
        "summary document %s render failed on attempt %s of %s: %s",
        document.pk,
        document.attempts,
        MAX_ATTEMPTS,
        text,
    )
    if retry:
        _enqueue(document.pk)
    return SummaryDocument.objects.defer("pdf").get(pk=document.pk)


def summary_render_enqueue(*, result: Result) -> list[SummaryDocument]:
    """On submit: the clinician PDF (team language) and the patient's copy (their language)."""
    if not getattr(settings, "SDM_SUMMARY_RENDER_ON_SUBMIT", True):
        return []
    response = result.response
    if response.is_preview:  # an admin's walk-through: rendered on demand only
        return []
    wanted = [(SummaryAudience.CLINICIAN, clinician_language())]
    patient_language = response.language if response.language in summary_languages() else None
    if patient_language:
        wanted.append((SummaryAudience.PATIENT, patient_language))
    return [
        summary_request(result=result, audience=audience, language=language)
        for audience, language in wanted
    ]


@dataclass(frozen=True)
class StoredPdf:
    """A ready PDF to serve: its ``file`` in the summary storage, or for a row from before
    the storage its bytes (``pdf``)."""

    document_id: int
    file: str | None
    pdf: bytes | None
    response_id: int
    invitation_id: int | None
    team_id: int | None


_STORED_FIELDS = (
    "pk",
    "file",
    "pdf",  # NULL (nothing read) on every row written since the file storage
    "result__response_id",
    "result__response__invitation_id",
    "result__response__invitation__team_id",
)


def _stored(row) -> StoredPdf | None:
    if row is None:
        return None
    document_id, file, pdf, response_id, invitation_id, team_id = row
    if not file and pdf is None:
        return None
    return StoredPdf(
        document_id=document_id,
        file=file or None,
        pdf=None if file else bytes(pdf),
        response_id=response_id,
        invitation_id=invitation_id,
        team_id=team_id,
    )


def summary_stored_pdf(
    *, responses: QuerySet[Response], response_id: int, audience: str, language: str
) -> StoredPdf | None:
    """The ready PDF of ``response_id``, when it is among ``responses`` (the reader's access),
    in one query; None otherwise (then fetch the response and ``summary_request``).

    Serving a stored PDF is the common case, so it costs one query besides the audit row.
    """
    row = (
        SummaryDocument.objects.filter(
            result__response__in=responses.filter(pk=response_id).values("pk"),
            audience=audience,
            language=language,
            template_version=SUMMARY_TEMPLATE_VERSION,
            status=SummaryStatus.READY,
        )
        .values_list(*_STORED_FIELDS)
        .first()
    )
    return _stored(row)


def summary_stored_of(*, document: SummaryDocument) -> StoredPdf | None:
    """The ready PDF of this document to serve (None when it has none), in one query."""
    row = (
        SummaryDocument.objects.filter(pk=document.pk, status=SummaryStatus.READY)
        .values_list(*_STORED_FIELDS)
        .first()
    )
    return _stored(row)


def summary_file_lost(*, stored: StoredPdf) -> None:
    """The storage has no file by the name the row gives (deleted by hand, a restore that
    did not bring the files, a web server that does not see the workers' folder).

    The document becomes failed, its error saying so (no patient data), so the next request
    (this one, through ``summary_request(retry_failed=True)``) renders it again. Only when
    the row still names that file: a render that has replaced it meanwhile is kept.
    """
    lost = SummaryDocument.objects.filter(
        pk=stored.document_id, status=SummaryStatus.READY, file=stored.file
    ).update(status=SummaryStatus.FAILED, file=None, error="stored file missing")
    if lost:
        logger.error(
            "summary document %s: its stored file %s is missing; it will be rendered again",
            stored.document_id,
            stored.file,
        )


def summary_pdf_bytes(*, document: SummaryDocument) -> bytes:
    """The whole stored PDF of a ready document, read into memory (for tests and commands;
    the download views stream it instead)."""
    stored = summary_stored_of(document=document)
    if stored is None:
        return b""
    if stored.file is None:
        return stored.pdf or b""
    opened = summary_file_open(stored.file)
    if opened is None:
        return b""
    with opened:
        return opened.read()
