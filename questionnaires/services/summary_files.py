"""The summary PDFs' files: written once, streamed when served, deleted with their row.

A rendered summary is a file in ``summary_storage()`` (``settings.STORAGES["summaries"]``,
a private folder by default), named in ``SummaryDocument.file`` by a random name that says
nothing about the patient. Rows from before the storage keep their bytes in
``SummaryDocument.pdf``; ``summary_files_move`` moves them out, one row at a time.

A file holds patient data, so it must never outlive its row:

* every service that deletes documents (directly or by cascade: ``response_erase``,
  ``drafts_purge``) first takes their file names with ``summary_files_of`` (which locks the
  rows, so no render can attach a file to a row that is being deleted), then hands them to
  ``summary_files_delete_on_commit``: the files go once the deletion has committed, never
  before (a rolled-back erasure keeps its PDFs) and never not at all;
* a render whose row is gone (or was taken by another worker) by the time it stores its
  file deletes the file it just wrote;
* ``summary_files_sweep`` (the ``summary_files_sweep`` command) deletes any file no row
  names, for what no code path can cover: a process killed between a commit and its
  on-commit deletion, rows deleted by hand in SQL, a restore of an older database.

No signals: the deletions are in the services that delete, where they can be read.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable
from functools import partial

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from questionnaires.models import SummaryDocument
from questionnaires.models.response import summary_storage

logger = logging.getLogger(__name__)

# A file younger than this may belong to a render that has written it but not yet named it
# in its row; the sweep leaves it alone.
SWEEP_MIN_AGE = datetime.timedelta(hours=1)


def summary_file_save(data: bytes) -> str:
    """Write one rendered PDF under a new random name; returns the name the storage chose."""
    return summary_storage().save(f"{uuid.uuid4().hex}.pdf", ContentFile(data))


def summary_file_open(name: str) -> File | None:
    """The stored file opened for reading (to stream, never read whole), or None when it is
    missing from the storage."""
    try:
        return summary_storage().open(name, "rb")
    except FileNotFoundError:
        return None


def summary_file_exists(name: str) -> bool:
    return summary_storage().exists(name)


def _delete_now(names: Iterable[str]) -> None:
    storage = summary_storage()
    for name in names:
        try:
            storage.delete(name)
        except FileNotFoundError:  # already gone (a sweep, a second erasure): fine
            pass
        except OSError:  # logged (no patient data in a name), the sweep will retry
            logger.exception("summary file %s could not be deleted", name)


def summary_files_delete_on_commit(names: Iterable[str]) -> None:
    """Delete these files once the current transaction commits (at once outside one).

    Deleting inside the transaction would lose the PDF of an erasure that then rolls back;
    not deleting would leave an erased patient's PDF on disk.
    """
    names = [name for name in names if name]
    if names:
        transaction.on_commit(partial(_delete_now, names))


def summary_files_of(documents: QuerySet[SummaryDocument]) -> list[str]:
    """The file names of these documents, their rows locked until the transaction ends.

    Call it inside the transaction that deletes them, before deleting: the lock keeps a
    render finishing meanwhile from naming a file in a row about to go (it waits, finds
    the row gone, and deletes its own file).
    """
    rows = (
        documents.select_for_update(of=("self",))
        .exclude(Q(file__isnull=True) | Q(file=""))
        .values_list("file", flat=True)
        .order_by("pk")
    )
    return list(rows)


def summary_files_sweep(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> list[str]:
    """Delete the stored files that no document names (older than ``SWEEP_MIN_AGE``).

    Returns the names deleted (or, with ``dry_run``, that would be).
    """
    now = now or timezone.now()
    storage = summary_storage()
    try:
        _folders, names = storage.listdir("")
    except FileNotFoundError:  # nothing was ever stored
        return []
    orphans = []
    for name in sorted(names):
        if SummaryDocument.objects.filter(file=name).exists():
            continue
        try:
            if storage.get_modified_time(name) > now - SWEEP_MIN_AGE:
                continue  # maybe a render about to name it in its row
        except FileNotFoundError:
            continue
        orphans.append(name)
    if orphans and not dry_run:
        _delete_now(orphans)
        logger.warning("deleted %d summary file(s) no document names", len(orphans))
    return orphans


def summary_files_move(*, limit: int | None = None) -> int:
    """Move the PDF bytes of rows from before the storage into it; returns rows moved.

    One row per transaction, its row locked: a row already moved (or erased meanwhile) is
    skipped, so it is safe to run again or beside the web and the workers. A file written
    for a transaction that then fails is deleted.
    """
    moved = 0
    pending = SummaryDocument.objects.filter(pdf__isnull=False).filter(
        Q(file__isnull=True) | Q(file="")
    )
    for document_id in list(pending.values_list("pk", flat=True).order_by("pk")[:limit]):
        name = None
        try:
            with transaction.atomic():
                row = (
                    SummaryDocument.objects.select_for_update()
                    .filter(pk=document_id, pdf__isnull=False)
                    .filter(Q(file__isnull=True) | Q(file=""))
                    .values_list("pdf", flat=True)
                    .first()
                )
                if row is None:
                    continue
                name = summary_file_save(bytes(row))
                SummaryDocument.objects.filter(pk=document_id).update(file=name, pdf=None)
        except BaseException:
            if name:
                _delete_now([name])
            raise
        moved += 1
    return moved
