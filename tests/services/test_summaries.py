"""Summary documents: request, render once, store, retry failures, claim once, on submit."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.utils import timezone

from questionnaires.models import Result, SummaryDocument
from questionnaires.models.response import SummaryStatus
from questionnaires.pdf.time_limit import RenderTimeout
from questionnaires.services import summaries
from questionnaires.services.summaries import (
    MAX_ATTEMPTS,
    summary_claim,
    summary_pdf_bytes,
    summary_request,
)
from tests.summary import fixtures as summary_fixtures
from tests.summary.builders import CLINICIAN_PDF_MAX_PAGES, demo_answers, submitted_response_for

# The shared demo data (built once per module, rolled back after it).
module_demo = summary_fixtures.module_demo
demo = summary_fixtures.demo

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SECRET = "my neighbour Mrs Example knows about my rash"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def result(demo) -> Result:
    return Result.objects.get(response_id=demo.responses["sle"])


def _request(result, *, audience="clinician", language="en", **kwargs):
    return summary_request(result=result, audience=audience, language=language, **kwargs)


def test_a_request_renders_once_and_stores_the_pdf(result, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = _request(result)
    document.refresh_from_db()
    assert document.status == SummaryStatus.READY
    assert document.attempts == 1
    assert 1 <= document.pages <= CLINICIAN_PDF_MAX_PAGES
    assert summary_pdf_bytes(document=document).startswith(b"%PDF-")
    assert document.error == ""


def test_a_second_request_serves_the_stored_pdf_without_rendering(
    result, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _request(result)
    stored = summary_pdf_bytes(document=first)

    def must_not_render(**kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(summaries, "summary_pdf", must_not_render)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = _request(result)
    assert callbacks == []  # nothing enqueued
    assert second.pk == first.pk
    assert second.attempts == 1
    assert summary_pdf_bytes(document=second) == stored


def test_documents_are_keyed_by_audience_language_and_template_version(
    result, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        english = _request(result)
        chinese = _request(result, language="zh-hans")
        patient = _request(result, audience="patient")
    assert len({english.pk, chinese.pk, patient.pk}) == 3
    monkeypatch.setattr(summaries, "SUMMARY_TEMPLATE_VERSION", "next")
    with django_capture_on_commit_callbacks(execute=True):
        newer = _request(result)
    assert newer.pk != english.pk
    assert newer.template_version == "next"


def test_a_failing_render_is_retried_then_marked_failed_without_patient_text(
    result, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    calls = []

    def failing(**kwargs):
        calls.append(kwargs)
        raise ValueError(SECRET)

    monkeypatch.setattr(summaries, "summary_pdf", failing)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        document = _request(result)
    document.refresh_from_db()
    assert len(calls) == MAX_ATTEMPTS == 3
    assert document.status == SummaryStatus.FAILED
    assert document.attempts == 3
    assert document.error == "builtins.ValueError"
    assert SECRET not in caplog.text
    assert document.pdf is None


def test_a_failure_then_a_success(result, django_capture_on_commit_callbacks, monkeypatch):
    real = summaries.summary_pdf
    outcomes = iter([RenderTimeout("PDF render exceeded the time limit of 60 s")])

    def flaky(**kwargs):
        failure = next(outcomes, None)
        if failure is not None:
            raise failure
        return real(**kwargs)

    monkeypatch.setattr(summaries, "summary_pdf", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        document = _request(result)
    document.refresh_from_db()
    assert document.status == SummaryStatus.READY
    assert document.attempts == 2
    assert document.error == ""


def test_a_timeout_is_stored_as_what_it_was(
    result, django_capture_on_commit_callbacks, monkeypatch
):
    def too_slow(**kwargs):
        raise RenderTimeout("PDF render exceeded the time limit of 60 s")

    monkeypatch.setattr(summaries, "summary_pdf", too_slow)
    with django_capture_on_commit_callbacks(execute=True):
        document = _request(result)
    document.refresh_from_db()
    assert document.status == SummaryStatus.FAILED
    assert "time limit" in document.error


def test_asking_again_for_a_failed_document_starts_a_fresh_round(
    result, django_capture_on_commit_callbacks, monkeypatch
):
    real = summaries.summary_pdf
    monkeypatch.setattr(summaries, "summary_pdf", lambda **kwargs: (_ for _ in ()).throw(OSError))
    with django_capture_on_commit_callbacks(execute=True):
        failed = _request(result)
    failed.refresh_from_db()
    assert failed.status == SummaryStatus.FAILED
    monkeypatch.setattr(summaries, "summary_pdf", real)
    with django_capture_on_commit_callbacks(execute=True):
        untouched = _request(result)
    assert untouched.status == SummaryStatus.FAILED  # only a person's explicit retry resets
    with django_capture_on_commit_callbacks(execute=True):
        retried = _request(result, retry_failed=True)
    retried.refresh_from_db()
    assert retried.status == SummaryStatus.READY
    assert retried.attempts == 1


def test_a_document_is_claimed_once(result, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        document = _request(result)  # enqueued, not run
    assert summary_claim(document_id=document.pk) is True
    assert summary_claim(document_id=document.pk) is False
    document.refresh_from_db()
    assert (document.status, document.attempts) == (SummaryStatus.RENDERING, 1)


def test_an_abandoned_claim_can_be_taken_again(
    result, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=False):
        document = _request(result)
    assert summary_claim(document_id=document.pk)
    long_ago = timezone.now() - datetime.timedelta(
        seconds=2 * settings.SDM_PDF_TIME_LIMIT_SECONDS + 120
    )
    SummaryDocument.objects.filter(pk=document.pk).update(rendered_at=long_ago)
    assert summary_claim(document_id=document.pk) is True
    # A fresh claim is not abandoned.
    assert summary_claim(document_id=document.pk) is False
    document.refresh_from_db()
    assert document.attempts == 2


def test_a_request_for_an_abandoned_claim_enqueues_it_again(
    result, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=False):
        document = _request(result)
    summary_claim(document_id=document.pk)
    with django_capture_on_commit_callbacks(execute=True) as fresh:
        _request(result)
    assert fresh == []  # still being rendered by someone: nothing to do
    SummaryDocument.objects.filter(pk=document.pk).update(
        rendered_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        recovered = _request(result)
    recovered.refresh_from_db()
    assert recovered.status == SummaryStatus.READY


def test_unknown_audiences_and_languages_are_refused(result):
    with pytest.raises(ValueError):
        _request(result, audience="insurer")
    with pytest.raises(ValueError):
        _request(result, language="fr")


def test_submitting_renders_the_clinician_and_the_patient_copy(
    demo, django_capture_on_commit_callbacks, settings
):
    from questionnaires.models import Questionnaire, Team
    from questionnaires.services.invitations import invitation_create

    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = True  # the test settings turn it off
    invitation, _token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="NEW-001",
        disease="vitiligo",
        language="zh-hans",
        team=Team.objects.get(pk=demo.team_id),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = submitted_response_for(
            invitation=invitation, answers=demo_answers("vitiligo"), language="zh-hans"
        )
    documents = SummaryDocument.objects.filter(result__response=response)
    assert sorted((d.audience, d.language, d.status) for d in documents) == [
        ("clinician", "en", SummaryStatus.READY),
        ("patient", "zh-hans", SummaryStatus.READY),
    ]


def test_rendering_on_submit_can_be_turned_off(demo, django_capture_on_commit_callbacks, settings):
    from questionnaires.models import Questionnaire
    from questionnaires.services.invitations import invitation_create

    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False
    invitation, _token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="NEW-002",
        disease="sle",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = submitted_response_for(
            invitation=invitation, answers=demo_answers("sle"), language="en"
        )
    assert not SummaryDocument.objects.filter(result__response=response).exists()
