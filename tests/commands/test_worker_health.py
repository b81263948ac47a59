"""worker_health reports queue depth and the oldest waiting render, and fails when stale."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from questionnaires.models import Questionnaire, SummaryDocument
from questionnaires.services.invitations import invitation_create
from tests.summary.builders import demo_answers, demo_content_ensure, submitted_response_for

pytestmark = pytest.mark.django_db


def _health(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("worker_health", *args, stdout=out)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(out.getvalue())


def test_an_empty_queue_is_healthy():
    code, report = _health()
    assert code == 0
    assert report["waiting_renders"] == 0
    assert report["oldest_waiting_render_seconds"] is None
    assert report["healthy"] is True


def test_a_render_waiting_too_long_is_reported_and_fails():
    demo_content_ensure()
    invitation, _token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="HEALTH-1",
        disease="psoriasis",
    )
    response = submitted_response_for(
        invitation=invitation, answers=demo_answers("psoriasis"), language="en"
    )
    SummaryDocument.objects.create(
        result=response.result,
        audience="clinician",
        language="en",
        template_version="test",
        created_at=timezone.now() - timedelta(minutes=30),
    )
    code, report = _health("--max-age", "600")
    assert code == 1
    assert report["waiting_renders"] == 1
    assert report["oldest_waiting_render_seconds"] >= 1800
    assert _health("--max-age", "7200")[0] == 0
