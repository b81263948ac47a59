"""Acceptance 6: render workers recover by themselves (PostgreSQL, real worker processes).

* A worker SIGKILLed mid-render leaves the document "rendering"; another ``sdm_worker``
  re-queues it once the lease ends and renders it, with nobody asking, into one stored PDF.
* A worker whose database goes away (connections refused and cut for 3 s) keeps running
  and renders the next document when the database is back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from questionnaires.models import SummaryDocument
from questionnaires.models.response import SummaryStatus
from questionnaires.services.summaries import summary_pdf_bytes, summary_request
from questionnaires.worker import LOST_TASK_CLASS_PATH
from tests.security.live import database_url_for_subprocesses
from tests.summary.builders import demo_answers, demo_content_ensure, submitted_response_for

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real worker processes share the test database",
    ),
]
LEASE_SECONDS = 25
WORKER_ENV = {
    "TASKS_BACKEND": "database",
    "SDM_PDF_TIME_LIMIT_SECONDS": "20",
    "SDM_RENDER_LEASE_SECONDS": str(LEASE_SECONDS),
    "SDM_WORKER_SWEEP_SECONDS": "1",
}


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(name: str):
        log = tmp_path / f"{name}.log"
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "sdm_worker",
                "--no-startup-delay",
                "--interval",
                "0.1",
                "--no-reload",
                "--worker-id",
                name,
            ],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                **WORKER_ENV,
                "DATABASE_URL": database_url_for_subprocesses(),
                "DJANGO_SETTINGS_MODULE": "sdm.settings_test",
            },
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process, log

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for(predicate, *, seconds: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll)


def _document(patient_ref: str) -> SummaryDocument:
    from questionnaires.models import Questionnaire
    from questionnaires.services.invitations import invitation_create

    invitation, _token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref=patient_ref,
        disease="psoriasis",
    )
    response = submitted_response_for(
        invitation=invitation, answers=demo_answers("psoriasis"), language="en"
    )
    return summary_request(result=response.result, audience="clinician", language="en")


def _status(document_id: int) -> str:
    return SummaryDocument.objects.filter(pk=document_id).values_list("status", flat=True)[0]


def test_a_render_whose_worker_was_killed_is_finished_by_another_within_the_lease(workers):
    demo_content_ensure()
    document = _document("KILL-1")
    first, _first_log = workers("doomed")
    _wait_for(
        lambda: _status(document.pk) == SummaryStatus.RENDERING,
        seconds=120,
        what="the first worker to claim the render",
        poll=0.02,
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert _status(document.pk) == SummaryStatus.RENDERING, "killed after the render ended"
    killed_at = time.monotonic()

    _second, second_log = workers("rescuer")
    _wait_for(
        lambda: _status(document.pk) == SummaryStatus.READY,
        seconds=LEASE_SECONDS + 120,
        what="the second worker to render the abandoned document",
    )
    assert time.monotonic() - killed_at >= LEASE_SECONDS - 1  # it waited for the lease
    stored = SummaryDocument.objects.filter(result=document.result, audience="clinician")
    assert stored.count() == 1
    rendered = stored.get()
    assert summary_pdf_bytes(document=rendered).startswith(b"%PDF-")
    assert rendered.attempts == 2  # the killed claim and the rescue
    assert "reclaimed 1 abandoned summary render" in second_log.read_text(errors="replace")
    # The killed worker's task row is closed too, so the queue shows nothing running.
    _wait_for(
        lambda: not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists(),
        seconds=30,
        what="the lost task to be closed",
    )
    lost = DBTaskResult.objects.get(worker_ids=["doomed"])
    assert (lost.status, lost.exception_class_path) == (
        TaskResultStatus.FAILED,
        LOST_TASK_CLASS_PATH,
    )


def _refuse_connections(database: str, refused: bool) -> None:
    """From the maintenance database: a database cannot shut its own door."""
    import psycopg

    params = settings.DATABASES["default"]
    with psycopg.connect(
        host=params.get("HOST") or "127.0.0.1",
        port=params.get("PORT") or 5432,
        user=params.get("USER") or "postgres",
        password=params.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        allow = "false" if refused else "true"
        admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allow}')
        if refused:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )


def test_a_worker_survives_a_database_outage_and_carries_on(workers):
    demo_content_ensure()
    worker, log = workers("survivor")
    _wait_for(
        lambda: "Starting worker" in log.read_text(errors="replace"),
        seconds=120,
        what="the worker to start",
    )
    database = settings.DATABASES["default"]["NAME"]
    try:
        _refuse_connections(database, True)
        time.sleep(3)
        _refuse_connections(database, True)  # cut what reconnected in between, if anything
    finally:
        _refuse_connections(database, False)
    assert worker.poll() is None, log.read_text(errors="replace")[-2000:]
    assert "database unavailable" in log.read_text(errors="replace")

    connection.close()  # the test's own connection was cut too
    document = _document("OUTAGE-1")
    _wait_for(
        lambda: _status(document.pk) == SummaryStatus.READY,
        seconds=120,
        what="the worker to render after the outage",
    )
    assert worker.poll() is None
