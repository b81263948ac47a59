"""manage.py render_summary: one summary to a file, by response id or invitation token."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext

from questionnaires.models import AuditAction, AuditEvent, Questionnaire, Response
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.invitations import invitation_create
from questionnaires.services.responses import response_start
from tests.summary import fixtures as summary_fixtures
from tests.summary.builders import CLINICIAN_PDF_MAX_PAGES, demo_answers, submitted_response_for

# The shared demo data (built once per module, rolled back after it).
module_demo = summary_fixtures.module_demo
demo = summary_fixtures.demo


def _pdf_text(path) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return len(reader.pages), " ".join(page.extract_text() for page in reader.pages)


def test_renders_a_response_to_a_pdf_file_and_audits_it(demo, tmp_path):
    out = tmp_path / "summary.pdf"
    response_id = demo.responses["multiple_sclerosis"]
    call_command("render_summary", "--response", str(response_id), "--out", str(out))
    pages, text = _pdf_text(out)
    assert 1 <= pages <= CLINICIAN_PDF_MAX_PAGES
    assert "Red flags" in text
    (event,) = AuditEvent.objects.filter(
        action=AuditAction.SUMMARY_PDF_DOWNLOADED, response_id_ref=response_id
    )
    assert event.detail == {"audience": "clinician", "language": "en", "via": "render_summary"}


def test_renders_by_token_in_chinese(demo, tmp_path, settings):
    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False
    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="CMD-001",
        disease="sle",
    )
    response = submitted_response_for(
        invitation=invitation, answers=demo_answers("sle"), language="en"
    )
    out = tmp_path / "summary-zh.pdf"
    call_command("render_summary", "--token", token, "--out", str(out), "--lang", "zh-hans")
    questions = version_definition(response.version).question_map()
    kidney = next(c for c in questions["sle_kidney"].choices if c.value == "yes_now")
    _pages, text = _pdf_text(out)
    assert questions["safety_infection"].text["zh-hans"][:12] in text
    assert kidney.label["zh-hans"] in text


def test_the_patient_copy_as_html(demo, tmp_path):
    out = tmp_path / "summary.html"
    call_command(
        "render_summary",
        "--response",
        str(demo.chinese),
        "--out",
        str(out),
        "--audience",
        "patient",
        "--html",
    )
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert '<blockquote lang="zh-hans"' in html
    assert "Your goals and questions" in html


def test_errors_are_clear(demo, tmp_path):
    out = str(tmp_path / "x.pdf")
    with pytest.raises(CommandError, match="No response with id"):
        call_command("render_summary", "--response", "999999", "--out", out)
    with pytest.raises(CommandError, match="No invitation matches"):
        call_command("render_summary", "--token", "nope", "--out", out)
    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref="CMD-002",
        disease="sle",
    )
    with pytest.raises(CommandError, match="no response yet"):
        call_command("render_summary", "--token", token, "--out", out)
    started = response_start(invitation=invitation)
    assert Response.objects.filter(pk=started.pk, status="in_progress").exists()
    with pytest.raises(CommandError, match="has not been submitted"):
        call_command("render_summary", "--response", str(started.pk), "--out", out)
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "condition", ["psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo"]
)
def test_each_conditions_demo_case_is_a_valid_pdf_within_the_page_limit(
    demo, tmp_path, condition, language
):
    out = tmp_path / f"{condition}-{language}.pdf"
    call_command(
        "render_summary",
        "--response",
        str(demo.responses[condition]),
        "--out",
        str(out),
        "--lang",
        language,
    )
    assert out.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))  # parses the whole file
    assert 1 <= len(reader.pages) <= CLINICIAN_PDF_MAX_PAGES
    text = "".join(page.extract_text() for page in reader.pages)
    with translation.override(language):
        disclaimer = gettext("Not a recommendation")
    assert disclaimer != "Not a recommendation" or language == "en"
    assert disclaimer.replace(" ", "") in text.replace(" ", "").replace("\n", "")
