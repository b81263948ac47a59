"""The summary web include and the PDF downloads: access, audit, languages, status pages."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from questionnaires.models import (
    AuditAction,
    AuditEvent,
    Questionnaire,
    Response,
    SummaryDocument,
    Team,
)
from questionnaires.models.response import SummaryStatus
from questionnaires.services.invitations import invitation_create
from questionnaires.views.summary import summary_page_context
from tests.clinic_factories import PASSWORD, user
from tests.summary.builders import demo_answers, submitted_response_for

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Stores tasks and never runs them: a queue with no worker running yet.
NO_WORKER = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, monkeypatch):
    settings.TASKS = IMMEDIATE
    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False  # each test asks for what it needs
    # A view runs in autocommit, where "after commit" is at once; the test's transaction
    # would defer the enqueue to its end, so it is enqueued at once here, as in production.
    # (The on-commit behaviour itself is tested in tests/services/test_summaries.py.)
    from questionnaires.services import summaries
    from questionnaires.tasks import summary_render_task

    monkeypatch.setattr(summaries, "_enqueue", summary_render_task.enqueue)


@pytest.fixture
def clinician(team):
    return user("clinician-a", team=team)


@pytest.fixture
def other_clinician(demo):
    return user("clinician-b", team=Team.objects.get(pk=demo.other_team_id))


def _pdf_url(response_id: int, **query) -> str:
    url = reverse("clinician:response_summary_pdf", args=[response_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _downloads(response_id: int):
    return AuditEvent.objects.filter(
        action=AuditAction.SUMMARY_PDF_DOWNLOADED, response_id_ref=response_id
    )


@pytest.fixture
def patient_journey(team):
    """(token, response) of a patient who answered in Chinese and submitted."""
    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="VIEW-001",
        disease="atopic_dermatitis",
        language="zh-hans",
        team=team,
    )
    response = submitted_response_for(
        invitation=invitation, answers=demo_answers("atopic_dermatitis"), language="zh-hans"
    )
    return token, response


# --- clinician PDF ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get(_pdf_url(demo.responses["sle"]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_another_teams_clinician_gets_not_found(client, demo, other_clinician):
    client.login(username="clinician-b", password=PASSWORD)
    assert client.get(_pdf_url(demo.responses["sle"])).status_code == 404
    assert not _downloads(demo.responses["sle"]).exists()


def test_a_user_without_a_team_is_refused(client, demo):
    user("no-team")
    client.login(username="no-team", password=PASSWORD)
    assert client.get(_pdf_url(demo.responses["sle"])).status_code == 403


def test_the_team_downloads_the_pdf_and_each_download_is_audited(client, demo, clinician):
    response_id = demo.responses["sle"]
    client.login(username="clinician-a", password=PASSWORD)
    first = client.get(_pdf_url(response_id))
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.streaming  # streamed from the storage, never read whole into memory
    body = first.getvalue()
    assert body.startswith(b"%PDF-")
    assert first["Content-Length"] == str(len(body))
    assert first["Content-Disposition"] == f'attachment; filename="summary-{response_id}-en.pdf"'
    assert "no-store" in first["Cache-Control"]
    second = client.get(_pdf_url(response_id))
    assert second.getvalue() == body
    document = SummaryDocument.objects.get(result__response_id=response_id)
    assert document.attempts == 1  # the second download did not render again
    events = list(_downloads(response_id))
    assert len(events) == 2
    assert {event.actor_id for event in events} == {clinician.pk}
    assert events[0].detail == {"audience": "clinician", "language": "en"}


def test_a_stored_pdf_is_still_not_found_for_another_team(client, demo, clinician, other_clinician):
    response_id = demo.responses["sle"]
    client.login(username="clinician-a", password=PASSWORD)
    assert client.get(_pdf_url(response_id)).status_code == 200
    client.logout()
    client.login(username="clinician-b", password=PASSWORD)
    assert client.get(_pdf_url(response_id)).status_code == 404
    assert _downloads(response_id).count() == 1


def test_serving_a_stored_pdf_costs_one_query_besides_login_and_audit(
    client, demo, clinician, django_assert_num_queries
):
    response_id = demo.responses["sle"]
    client.login(username="clinician-a", password=PASSWORD)
    client.get(_pdf_url(response_id))
    # session, user, the user's teams; the stored PDF with the access check; the audit row.
    with django_assert_num_queries(5):
        assert client.get(_pdf_url(response_id)).status_code == 200


def test_the_clinician_can_read_it_in_another_language(client, demo, clinician):
    client.login(username="clinician-a", password=PASSWORD)
    response = client.get(_pdf_url(demo.responses["sle"], lang="zh-hans"))
    assert response.status_code == 200
    document = SummaryDocument.objects.get(result__response_id=demo.responses["sle"])
    assert document.language == "zh-hans"


def test_without_a_worker_the_pdf_is_being_prepared(client, demo, clinician, settings):
    settings.TASKS = NO_WORKER
    client.login(username="clinician-a", password=PASSWORD)
    response = client.get(_pdf_url(demo.responses["sle"]))
    assert response.status_code == 202
    assert b"being prepared" in response.content
    assert b'http-equiv="refresh"' in response.content
    assert not _downloads(demo.responses["sle"]).exists()


def test_a_failed_pdf_says_so(client, demo, clinician, monkeypatch):
    from questionnaires.services import summaries

    def failing(**kwargs):
        raise OSError("no fonts")

    monkeypatch.setattr(summaries, "summary_pdf", failing)
    client.login(username="clinician-a", password=PASSWORD)
    response = client.get(_pdf_url(demo.responses["sle"]))
    assert response.status_code == 503
    assert b"could not be made" in response.content


def test_a_patient_token_does_not_open_the_clinician_summary(client, patient_journey):
    token, response = patient_journey
    # The patient's own pages work with the token ...
    assert client.get(reverse("patient:done", kwargs={"token": token})).status_code == 200
    # ... but the clinician's download needs a clinician's login, token or not.
    answer = client.get(_pdf_url(response.pk) + f"?token={token}")
    assert answer.status_code == 302
    assert reverse("login") in answer["Location"]


# --- the patient's copy ------------------------------------------------------------------------


def test_the_patient_downloads_their_copy_in_their_language(client, patient_journey):
    token, response = patient_journey
    answer = client.get(reverse("patient:summary_pdf", kwargs={"token": token}))
    assert answer.status_code == 200
    assert answer.getvalue().startswith(b"%PDF-")
    assert answer["Content-Disposition"] == 'attachment; filename="my-summary.pdf"'
    document = SummaryDocument.objects.get(result__response=response)
    assert (document.audience, document.language) == ("patient", "zh-hans")
    (event,) = _downloads(response.pk)
    assert event.actor_id is None
    assert event.detail == {"audience": "patient", "language": "zh-hans"}


def test_before_submitting_there_is_no_summary(client, team):
    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="VIEW-002",
        disease="sle",
        team=team,
    )
    answer = client.get(reverse("patient:summary_pdf", kwargs={"token": token}))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("patient:landing", kwargs={"token": token})


def test_an_unknown_token_gets_nothing(client, demo):
    answer = client.get(reverse("patient:summary_pdf", kwargs={"token": "not-a-real-token"}))
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("text/html")


# --- the web include -----------------------------------------------------------------------------


def test_the_page_context_and_include_show_the_summary_without_waiting(demo, clinician):
    response = Response.objects.get(pk=demo.responses["psoriasis"])
    request = RequestFactory().get(f"/clinic/responses/{response.pk}/")
    request.user = clinician
    context = summary_page_context(request=request, response=response)
    assert context["summary"].response_id == response.pk
    assert context["summary_pdf"].status == "missing"  # nothing rendered for a page view
    assert not SummaryDocument.objects.filter(result__response=response).exists()
    html = render_to_string("summary/summary.html", context, request=request)
    for heading in ("Red flags", "Disease activity", "Decision readiness", "About this summary"):
        assert f">{heading}</h3>" in html
    assert _pdf_url(response.pk, lang="en") in html
    assert " style=" not in html


def test_the_page_context_reports_a_ready_pdf(demo, clinician):
    from questionnaires.services.summaries import summary_request

    response = Response.objects.get(pk=demo.responses["psoriasis"])
    summary_request(result=response.result, audience="clinician", language="en")
    request = RequestFactory().get("/")
    request.user = clinician
    assert summary_page_context(request=request, response=response)["summary_pdf"].status == (
        SummaryStatus.READY
    )


def test_an_unsubmitted_response_has_no_summary_context(team, clinician):
    invitation, _token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="VIEW-003",
        disease="sle",
        team=team,
    )
    from questionnaires.services.responses import response_start

    response = response_start(invitation=invitation)
    request = RequestFactory().get("/")
    request.user = clinician
    assert summary_page_context(request=request, response=response) == {}


def test_a_head_request_is_not_a_download(client, demo, clinician):
    response_id = demo.responses["sle"]
    client.login(username="clinician-a", password=PASSWORD)
    assert client.head(_pdf_url(response_id)).status_code == 200
    assert not _downloads(response_id).exists()
    assert client.get(_pdf_url(response_id)).status_code == 200
    assert _downloads(response_id).count() == 1


def test_a_damaged_stored_weighing_is_said_first_and_the_answers_still_show(
    client, demo, clinician
):
    """A stored result the snapshot reader refuses (damaged, or written by code that no
    longer exists) is no 500: the page says first that the options could not be read, and
    where, and still shows the answers and their red flags."""
    from questionnaires.models import Result

    result = Result.objects.get(response_id=demo.responses["psoriasis"])
    damaged = dict(result.weighing)
    damaged["ranked"] = [
        {key: value for key, value in damaged["ranked"][0].items() if key != "fit"}
    ]
    Result.objects.filter(pk=result.pk).update(weighing=damaged)  # as damage would: no save()
    client.login(username="clinician-a", password=PASSWORD)

    page = client.get(reverse("clinician:response_detail", args=[result.response_id]))

    assert page.status_code == 200
    html = page.content.decode()
    flags = html[html.index('class="flag-list') :]
    first_flag = flags[: flags.index("</li>")]
    assert "flag-result_unreadable" in first_flag
    assert "The stored options of this response could not be read" in first_flag
    assert "weighing.ranked[0].fit: missing" in first_flag
    assert "flag-answer" in flags  # the answers' own red flags are still raised
    assert "the stored result could not be read (see the first section)" in html
    assert "no condition was given" not in html


# --- where the stored PDF comes from: the storage, streamed; old rows' bytes ----------------

FAKE_PDF = b"%PDF-1.7 a stand-in for a rendered summary"


def _fake_renders(monkeypatch) -> None:
    from types import SimpleNamespace

    from questionnaires.services import summaries

    monkeypatch.setattr(
        summaries, "summary_pdf", lambda **kwargs: SimpleNamespace(pdf=FAKE_PDF, pages=1)
    )


def _ready_document(response_id: int, **fields) -> SummaryDocument:
    from questionnaires.models import Result
    from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION

    return SummaryDocument.objects.create(
        result=Result.objects.get(response_id=response_id),
        audience="clinician",
        language="en",
        template_version=SUMMARY_TEMPLATE_VERSION,
        status=SummaryStatus.READY,
        pages=1,
        **fields,
    )


def test_a_stored_pdf_is_streamed_from_the_storage(
    client, demo, clinician, summary_storage, monkeypatch
):
    from django.http import FileResponse

    _fake_renders(monkeypatch)
    response_id = demo.responses["sle"]
    client.login(username="clinician-a", password=PASSWORD)
    answer = client.get(_pdf_url(response_id))
    assert isinstance(answer, FileResponse)
    assert answer.getvalue() == FAKE_PDF
    document = SummaryDocument.objects.get(result__response_id=response_id)
    assert document.pdf is None  # nothing in the row
    assert (summary_storage / document.file.name).read_bytes() == FAKE_PDF


def test_an_old_row_with_its_bytes_in_the_database_is_still_served(client, demo, clinician):
    response_id = demo.responses["sle"]
    _ready_document(response_id, pdf=b"%PDF-1.4 rendered before the file storage")
    client.login(username="clinician-a", password=PASSWORD)
    answer = client.get(_pdf_url(response_id))
    assert answer.status_code == 200
    body = answer.getvalue()
    assert body == b"%PDF-1.4 rendered before the file storage"
    assert answer["Content-Length"] == str(len(body))
    assert "no-store" in answer["Cache-Control"]
    assert _downloads(response_id).count() == 1


def test_a_lost_file_is_prepared_again_not_a_server_error(
    client, demo, clinician, settings, summary_storage
):
    settings.TASKS = NO_WORKER
    response_id = demo.responses["sle"]
    document = _ready_document(response_id, file="0123456789abcdef0123456789abcdef.pdf")
    client.login(username="clinician-a", password=PASSWORD)
    answer = client.get(_pdf_url(response_id))
    assert answer.status_code == 202
    assert b"being prepared" in answer.content
    document.refresh_from_db()
    assert (document.status, document.file.name) == (SummaryStatus.PENDING, None)
    assert document.error == "stored file missing"
    assert not _downloads(response_id).exists()


def test_a_lost_file_is_rendered_again_and_served_at_once_with_an_immediate_queue(
    client, demo, clinician, summary_storage, monkeypatch
):
    _fake_renders(monkeypatch)
    response_id = demo.responses["sle"]
    _ready_document(response_id, file="0123456789abcdef0123456789abcdef.pdf")
    client.login(username="clinician-a", password=PASSWORD)
    answer = client.get(_pdf_url(response_id))
    assert answer.status_code == 200
    assert answer.getvalue() == FAKE_PDF
    assert _downloads(response_id).count() == 1


def test_a_file_lost_again_right_after_rendering_says_it_failed(
    client, demo, clinician, summary_storage, monkeypatch
):
    """The web server cannot see the files the render wrote: a failure page, no loop."""
    from questionnaires.views import summary as views

    _fake_renders(monkeypatch)
    monkeypatch.setattr(views, "summary_file_open", lambda name: None)
    client.login(username="clinician-a", password=PASSWORD)
    answer = client.get(_pdf_url(demo.responses["sle"]))
    assert answer.status_code == 503
    assert b"could not be made" in answer.content


def test_the_patients_lost_file_is_prepared_again(
    client, patient_journey, settings, summary_storage
):
    token, response = patient_journey
    settings.TASKS = NO_WORKER
    from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION

    SummaryDocument.objects.create(
        result=response.result,
        audience="patient",
        language="zh-hans",
        template_version=SUMMARY_TEMPLATE_VERSION,
        status=SummaryStatus.READY,
        file="0123456789abcdef0123456789abcdef.pdf",
    )
    answer = client.get(reverse("patient:summary_pdf", kwargs={"token": token}))
    assert answer.status_code == 202
    assert not _downloads(response.pk).exists()


def test_behind_nginx_the_file_is_handed_over_with_x_accel_redirect(
    client, demo, clinician, settings, summary_storage, monkeypatch
):
    _fake_renders(monkeypatch)
    response_id = demo.responses["sle"]
    client.login(username="clinician-a", password=PASSWORD)
    client.get(_pdf_url(response_id))  # rendered and stored
    settings.SUMMARY_X_ACCEL_PREFIX = "/_summaries"
    answer = client.get(_pdf_url(response_id))
    name = SummaryDocument.objects.get(result__response_id=response_id).file.name
    assert answer.status_code == 200
    assert answer["X-Accel-Redirect"] == f"/_summaries/{name}"
    assert answer.content == b""  # nginx sends the file
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"] == f'attachment; filename="summary-{response_id}-en.pdf"'
    assert "no-store" in answer["Cache-Control"]
    assert _downloads(response_id).count() == 2
    # A lost file is not handed to nginx (its 404 would be no clear page).
    (summary_storage / name).unlink()
    settings.TASKS = NO_WORKER
    assert client.get(_pdf_url(response_id)).status_code == 202
