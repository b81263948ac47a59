"""Summaries rendered by real ``manage.py db_worker`` processes (PostgreSQL only).

The test data is committed (a transactional test) so the worker processes, which have
their own database connections, can see it; they are pointed at the test database through
``DATABASE_URL``. Two workers draining one queue that holds every job twice must still
render each document exactly once (``attempts == 1``): the claim is a conditional UPDATE
that PostgreSQL serialises with a row lock, and the queue itself is claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` by django-tasks-db.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from questionnaires.models import Questionnaire, SummaryDocument, Team
from questionnaires.models.response import SummaryStatus
from questionnaires.services.invitations import invitation_create
from questionnaires.services.summaries import (  # also registers the hook
    summary_pdf_bytes,
    summary_request,
)
from questionnaires.tasks import summary_render_task
from tests.clinic_factories import PASSWORD, user
from tests.summary.builders import demo_answers, demo_content_ensure, submitted_response_for

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and a real db_worker process",
    ),
]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORKER_SECONDS = 180


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = True


def _test_database_url() -> str:
    database = settings.DATABASES["default"]
    user_part = quote(database.get("USER") or "", safe="")
    if database.get("PASSWORD"):
        user_part += ":" + quote(database["PASSWORD"], safe="")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user_part}@{host}:{port}/{quote(database['NAME'], safe='')}"


def _start_worker(worker_id: str, log_path, *, batch: bool = True) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "TASKS_BACKEND": "database",
        "DJANGO_SETTINGS_MODULE": "sdm.settings_test",
    }
    log = open(log_path, "wb")  # noqa: SIM115 - closed by the caller through the process
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            *(["--batch"] if batch else []),
            "--no-startup-delay",
            "--interval",
            "0.05",
            "--no-reload",
            "--worker-id",
            worker_id,
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(workers, logs) -> None:
    for worker, log_path in zip(workers, logs, strict=True):
        try:
            code = worker.wait(timeout=WORKER_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
        assert code == 0, log_path.read_text(errors="replace")[-3000:]


def _submitted(condition: str, patient_ref: str, *, language: str = "en", team=None):
    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref=patient_ref,
        disease=condition,
        language=language,
        team=team,
    )
    response = submitted_response_for(
        invitation=invitation, answers=demo_answers(condition), language=language
    )
    return response, token


def test_submit_then_the_worker_renders_and_the_stored_pdf_is_served(client, tmp_path, settings):
    demo_content_ensure()
    team = Team.objects.create(name="Worker team")
    user("worker-clinician", team=team)
    response, token = _submitted("psoriasis", "WRK-001", language="zh-hans", team=team)
    documents = SummaryDocument.objects.filter(result__response=response)
    # Submitting queued the two documents; nothing rendered them in this process.
    assert sorted((d.audience, d.language, d.status) for d in documents) == [
        ("clinician", "en", SummaryStatus.PENDING),
        ("patient", "zh-hans", SummaryStatus.PENDING),
    ]
    log = tmp_path / "worker.log"
    _wait([_start_worker("worker-one", log)], [log])
    assert {(d.status, d.attempts) for d in documents.all()} == {(SummaryStatus.READY, 1)}

    clinician_pdf = documents.get(audience="clinician")
    client.login(username="worker-clinician", password=PASSWORD)
    served = client.get(reverse("clinician:response_summary_pdf", args=[response.pk]) + "?lang=en")
    assert served.status_code == 200
    # The worker wrote the files to the storage this process reads (the same folder).
    body = served.getvalue()  # a stream: read once
    assert body == summary_pdf_bytes(document=clinician_pdf)
    assert body.startswith(b"%PDF-") and clinician_pdf.pdf is None
    patient_copy = client.get(reverse("patient:summary_pdf", kwargs={"token": token}))
    assert patient_copy.status_code == 200
    assert patient_copy.getvalue() == summary_pdf_bytes(document=documents.get(audience="patient"))
    # Serving stored PDFs rendered nothing again.
    assert {d.attempts for d in documents.all()} == {1}


def _wait_for(predicate, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_two_workers_never_render_the_same_document_twice(tmp_path, settings):
    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False  # the jobs are queued below, on purpose
    demo_content_ensure()
    results = [
        _submitted(condition, f"RACE-{index}")[0].result
        for index, condition in enumerate(("psoriasis", "sle", "vitiligo", "multiple_sclerosis"))
    ]
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    workers = [
        _start_worker("race-one", logs[0], batch=False),
        _start_worker("race-two", logs[1], batch=False),
    ]
    try:
        # Both workers poll the queue before any job arrives, so both can take jobs.
        _wait_for(
            lambda: all("Starting worker" in log.read_text(errors="replace") for log in logs),
            seconds=WORKER_SECONDS,
            what="both workers to start",
        )
        documents = [
            summary_request(result=result, audience=audience, language=language)
            for result in results
            for audience, language in (("clinician", "en"), ("patient", "zh-hans"))
        ]
        # Every job a second time: both workers may now pick up the same document.
        for document in documents:
            summary_render_task.enqueue(document.pk)
        _wait_for(
            lambda: (
                not DBTaskResult.objects.exclude(
                    status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
                ).exists()
            ),
            seconds=WORKER_SECONDS,
            what="the queue to drain",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert DBTaskResult.objects.count() == 16
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
    assert {(d.status, d.attempts) for d in SummaryDocument.objects.all()} == {
        (SummaryStatus.READY, 1)
    }
    # Both workers took jobs, so the single render per document was decided by the claim.
    workers_used = {
        worker_id
        for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)
        for worker_id in ids
    }
    assert workers_used == {"race-one", "race-two"}
