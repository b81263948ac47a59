"""Summary PDFs as files: written on render (never to the ``pdf`` column), deleted after the
commit by every path that deletes their rows, swept when orphaned, moved from old rows."""

from __future__ import annotations

import datetime
import itertools
import os
import re
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from questionnaires.models import Response, Result, SummaryDocument
from questionnaires.models.response import SummaryStatus, summary_storage
from questionnaires.services import summaries
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitations import invitation_delete
from questionnaires.services.retention import drafts_purge, response_erase
from questionnaires.services.summary_files import (
    SWEEP_MIN_AGE,
    summary_file_save,
    summary_files_move,
    summary_files_sweep,
)
from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 a stand-in for a rendered summary"
_teams = itertools.count()


@pytest.fixture(autouse=True)
def _storage(summary_storage):
    return summary_storage


@pytest.fixture
def questionnaire():
    return make.published_questionnaire()


def _result(questionnaire, *, state="submitted") -> Result:
    invitation = make.invitation(
        team=make.team(f"T-{next(_teams)}"), questionnaire=questionnaire, state=state
    )
    response = Response.objects.get(invitation=invitation)
    return Result.objects.create(
        response=response, engine_version="t", definition_hash="d", snapshot_hash="s"
    )


def _document(result: Result, **fields) -> SummaryDocument:
    fields = {
        "audience": "clinician",
        "language": "en",
        "template_version": SUMMARY_TEMPLATE_VERSION,
        **fields,
    }
    return SummaryDocument.objects.create(result=result, **fields)


def _ready_with_file(result: Result) -> tuple[SummaryDocument, str]:
    name = summary_file_save(PDF)
    return _document(result, status=SummaryStatus.READY, file=name), name


def _fake_render(monkeypatch):
    monkeypatch.setattr(summaries, "summary_context_build", lambda **kwargs: None)
    monkeypatch.setattr(
        summaries, "summary_pdf", lambda **kwargs: SimpleNamespace(pdf=PDF, pages=1)
    )


# --- render -------------------------------------------------------------------------------


def test_a_render_writes_a_file_with_a_random_name_and_no_bytes_to_the_row(
    questionnaire, monkeypatch, summary_storage
):
    _fake_render(monkeypatch)
    document = _document(_result(questionnaire))
    summaries.summary_render(document=document)
    row = SummaryDocument.objects.get(pk=document.pk)
    assert row.status == SummaryStatus.READY
    assert row.pdf is None
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", row.file.name)  # nothing about the patient
    assert (summary_storage / row.file.name).read_bytes() == PDF
    assert summaries.summary_pdf_bytes(document=row) == PDF


def test_a_render_whose_row_was_erased_meanwhile_deletes_its_file(
    questionnaire, monkeypatch, summary_storage, django_capture_on_commit_callbacks
):
    _fake_render(monkeypatch)
    document = _document(_result(questionnaire))
    written = []
    real_save = summaries.summary_file_save

    def save_then_erase(data):
        written.append(real_save(data))
        SummaryDocument.objects.filter(pk=document.pk).delete()  # the erasure wins the race
        return written[-1]

    monkeypatch.setattr(summaries, "summary_file_save", save_then_erase)
    with django_capture_on_commit_callbacks(execute=True):
        summaries.summary_render(document=document)
    assert written and not (summary_storage / written[0]).exists()
    assert list(summary_storage.iterdir()) == []


def test_a_failed_write_to_the_storage_is_a_render_failure(questionnaire, monkeypatch):
    _fake_render(monkeypatch)

    def full_disk(data):
        raise OSError("no space left")

    monkeypatch.setattr(summaries, "summary_file_save", full_disk)
    monkeypatch.setattr(summaries, "_enqueue", lambda document_id: None)
    document = _document(_result(questionnaire))
    after = summaries.summary_render(document=document)
    assert (after.status, after.error) == (SummaryStatus.PENDING, "builtins.OSError")


# --- every path that deletes documents deletes their files after the commit ----------------


def test_erasing_a_response_deletes_its_pdf_files_after_the_commit(
    questionnaire, summary_storage, django_capture_on_commit_callbacks
):
    result = _result(questionnaire)
    _document_row, name = _ready_with_file(result)
    legacy = _document(
        result, audience="patient", status=SummaryStatus.READY, pdf=b"%PDF old bytes"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response_erase(response=result.response)
        # Until the erasure commits the file stays: a rollback must not lose it.
        assert (summary_storage / name).exists()
    assert len(callbacks) >= 1
    for callback in callbacks:
        callback()
    assert not (summary_storage / name).exists()
    assert not SummaryDocument.objects.filter(pk=legacy.pk).exists()  # bytes go with the row


def test_an_erasure_that_rolls_back_keeps_the_file(
    questionnaire, summary_storage, django_capture_on_commit_callbacks
):
    result = _result(questionnaire)
    _document_row, name = _ready_with_file(result)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        response_erase(response=result.response)
        raise RuntimeError("the erasure fails after deleting the rows")
    assert SummaryDocument.objects.filter(file=name).exists()
    assert (summary_storage / name).exists()


def test_the_erase_response_command_deletes_the_files(
    questionnaire, summary_storage, django_capture_on_commit_callbacks
):
    result = _result(questionnaire)
    _document_row, name = _ready_with_file(result)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "erase_response",
            "--response",
            str(result.response_id),
            "--actor",
            "dpo",
            stdout=StringIO(),
        )
    assert not Response.objects.filter(pk=result.response_id).exists()
    assert not (summary_storage / name).exists()


def test_purging_drafts_deletes_their_pdf_files_after_the_commit(
    questionnaire, summary_storage, django_capture_on_commit_callbacks
):
    # A draft has no result normally; were one ever left with a document, its file goes too.
    result = _result(questionnaire, state="in_progress")
    _document_row, name = _ready_with_file(result)
    kept = _result(questionnaire)
    _kept_row, kept_name = _ready_with_file(kept)
    result.response.invitation.__class__.objects.filter(pk=result.response.invitation_id).update(
        expires_at=timezone.now() - datetime.timedelta(days=400)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge(days=30) == 1
    assert not (summary_storage / name).exists()
    assert (summary_storage / kept_name).exists()


def test_an_invitation_with_a_pdf_cannot_be_deleted_so_its_file_stays(
    questionnaire, summary_storage, django_capture_on_commit_callbacks
):
    # invitation_delete refuses an invitation with a response (Response.invitation is
    # PROTECT): documents never go by that path; erasure is the way, tested above.
    result = _result(questionnaire)
    _document_row, name = _ready_with_file(result)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceRefused):
        invitation_delete(invitation=result.response.invitation, actor=None)
    assert (summary_storage / name).exists()


# --- the sweep and the move --------------------------------------------------------------


def _age(path, *, by: datetime.timedelta) -> None:
    then = time.time() - by.total_seconds()
    os.utime(path, (then, then))


def test_the_sweep_deletes_old_files_no_row_names_and_nothing_else(questionnaire, summary_storage):
    _document_row, named = _ready_with_file(_result(questionnaire))
    orphan = summary_file_save(PDF)
    young_orphan = summary_file_save(PDF)  # maybe a render about to name it
    for name in (named, orphan):
        _age(summary_storage / name, by=SWEEP_MIN_AGE * 2)
    assert summary_files_sweep(dry_run=True) == [orphan]
    assert (summary_storage / orphan).exists()
    out = StringIO()
    call_command("summary_files_sweep", stdout=out)
    assert "1 summary file(s) deleted" in out.getvalue()
    assert sorted(p.name for p in summary_storage.iterdir()) == sorted([named, young_orphan])


def test_the_sweep_of_an_empty_storage_does_nothing(summary_storage):
    assert not summary_storage.exists()
    assert summary_files_sweep() == []


def test_moving_old_rows_bytes_to_the_storage_is_idempotent(questionnaire, summary_storage):
    result = _result(questionnaire)
    legacy = _document(result, status=SummaryStatus.READY, pdf=PDF)
    _modern, name = _ready_with_file(_result(questionnaire))
    out = StringIO()
    call_command("summary_files_move", stdout=out)
    assert "1 document(s) moved" in out.getvalue()
    row = SummaryDocument.objects.get(pk=legacy.pk)
    assert row.pdf is None and row.file.name != name
    assert (summary_storage / row.file.name).read_bytes() == PDF
    assert summary_files_move() == 0
    assert len(list(summary_storage.iterdir())) == 2


def test_a_move_that_fails_deletes_the_file_it_wrote(questionnaire, summary_storage, monkeypatch):
    from django.db.models import QuerySet

    legacy = _document(_result(questionnaire), status=SummaryStatus.READY, pdf=PDF)
    real_update = QuerySet.update

    def failing_update(self, **fields):
        if "file" in fields:
            raise RuntimeError("the database went away")
        return real_update(self, **fields)

    monkeypatch.setattr(QuerySet, "update", failing_update)
    with pytest.raises(RuntimeError):
        summary_files_move()
    monkeypatch.undo()
    assert SummaryDocument.objects.get(pk=legacy.pk).pdf is not None
    assert list(summary_storage.iterdir()) == []


# --- the storage itself ----------------------------------------------------------------------


def test_the_summary_storage_makes_no_urls_and_is_nowhere_served(settings):
    with pytest.raises(ValueError, match="no URL"):
        summary_storage().url("x.pdf")
    location = os.path.realpath(summary_storage().location)
    served = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    if settings.MEDIA_ROOT:
        served.append(settings.MEDIA_ROOT)
    for folder in served:
        folder = os.path.realpath(folder)
        assert os.path.commonpath([location, folder]) != folder


def test_the_test_runs_storage_is_outside_the_repository(settings):
    location = os.path.realpath(summary_storage().location)
    assert os.path.commonpath([location, str(settings.BASE_DIR)]) != str(settings.BASE_DIR)


@pytest.mark.parametrize("inside", ["static", "media", "parent"])
def test_a_summary_folder_served_by_url_is_refused_by_a_system_check(settings, tmp_path, inside):
    from questionnaires.storage import summary_storage_check

    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    location = {
        "static": tmp_path / "static" / "summaries",
        "media": tmp_path / "media",
        "parent": tmp_path,  # holds the static folder
    }[inside]
    settings.STORAGES = {
        **settings.STORAGES,
        "summaries": {**settings.STORAGES["summaries"], "OPTIONS": {"location": str(location)}},
    }
    assert {message.id for message in summary_storage_check()} == {"sdm.E001"}


def test_the_configured_summary_folder_passes_the_system_check():
    from questionnaires.storage import summary_storage_check

    assert summary_storage_check() == []
