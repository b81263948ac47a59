"""Acceptance: the clinician summary shows every answer the patient gave (issue 10, line 1).

For every golden case (``tests/golden/**``), submitted through the real services, the
clinician's response page (HTML) and the clinician PDF, each read in English and in
Chinese, contain every answered, visible question with its answer. The expected text is
worked out here from the definition and the raw answers (choice labels in the reader's
language, numbers, free text as written, dates written the reader's way), not from the
summary's own formatting code.

Each case also gets an answer to every unanswered date and free-text question of the
definition, so the appointment date and the patient's own words are always checked.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from pathlib import Path

import pypdf
import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from questionnaires.answers import answers_from_json, answers_to_json
from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind
from questionnaires.engine.visibility import prune_hidden, resolve_visibility
from questionnaires.models import Response, ResponseStatus, Team
from questionnaires.pdf.rendering import MIN_PAGE_FILL, page_fills, pdf_layout
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.invitations import invitation_create
from questionnaires.services.responses import response_start
from questionnaires.services.results import result_freeze
from questionnaires.summary.context import summary_context_build
from questionnaires.summary.render import BALANCE_CLASSES, PRINT_STYLESHEET, summary_html
from tests import clinic_factories as make
from tests.summary.builders import demo_content_ensure

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
CASE_FILES = sorted(GOLDEN_DIR.glob("*/*.json"))
LANGUAGES = ("en", "zh-hans")
APPOINTMENT = datetime.date.today() + datetime.timedelta(days=17)
FREE_TEXT = {"en": "My own words about %s", "zh-hans": "我自己的话：%s"}


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _completed_answers(definition, answers: dict) -> dict:
    completed = dict(answers)
    for _, _, question in definition.iter_questions():
        if question.key in completed:
            continue
        if question.kind == Kind.DATE:
            completed[question.key] = APPOINTMENT
        elif question.kind in Kind.TEXTUAL:
            completed[question.key] = FREE_TEXT["en"] % question.key
    return completed


@pytest.fixture(scope="module")
def golden(django_db_setup, django_db_blocker):
    """(case id → response id, the clinician user's pk), built once in a rolled-back transaction."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        with override_settings(SDM_SUMMARY_RENDER_ON_SUBMIT=False):
            questionnaire = demo_content_ensure()
            team = Team.objects.create(name="Golden clinic")
            clinician = make.user("golden-clinician", team=team)
            responses = {}
            for number, path in enumerate(CASE_FILES):
                case = json.loads(path.read_text(encoding="utf-8"))
                invitation, _token = invitation_create(
                    questionnaire=questionnaire,
                    patient_ref=f"GOLD-{number:03d}",
                    disease=path.parent.name,
                    language="en",
                    team=team,
                )
                response = response_start(invitation=invitation, language="en")
                definition = version_definition(response.version)
                answers = _completed_answers(definition, case["answers"])
                # Golden cases hold what the weighing reads, not every required answer, so
                # the response is stored as submitted directly and its result frozen.
                response.answers = answers_to_json(definition, prune_hidden(definition, answers))
                response.status = ResponseStatus.SUBMITTED
                response.submitted_at = timezone.now()
                response.save()
                result_freeze(response=response)
                responses[_case_id(path)] = response.pk
    try:
        yield responses, clinician.pk
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _squash(text: str) -> str:
    """White space removed: table cells and columns wrap lines anywhere."""
    return re.sub(r"\s+", "", text)


def _date_as_written(day: datetime.date, language: str) -> str:
    if language.startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _expected_fragments(question, value, language: str) -> list[str]:
    """The text a reader must find for one answer (every part of it)."""
    labels = {
        choice.value: choice.label.get(language) or choice.label["en"]
        for choice in question.choices
    }
    if question.kind == Kind.YES_NO:
        with translation.override(language):
            return [translation.gettext("Yes") if value else translation.gettext("No")]
    if question.kind == Kind.SINGLE_CHOICE:
        return [labels[value]]
    if question.kind in (Kind.MULTIPLE_CHOICE, Kind.RANKING):
        return [labels[item] for item in value]
    if question.kind == Kind.DATE:
        day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
        return [_date_as_written(day, language)]
    if question.kind == Kind.REPEAT_GROUP:
        fragments = []
        for row in value:
            for child in question.children:
                if is_answered(row.get(child.key)):
                    fragments += [translate_text(child.text, language)]
                    fragments += _expected_fragments(child, row[child.key], language)
        return fragments
    if question.kind in Kind.TEXTUAL:
        return [line for line in str(value).splitlines() if line.strip()]
    return [str(value).rstrip("0").rstrip(".") if "." in str(value) else str(value)]


def translate_text(text, language: str) -> str:
    return text.get(language) or text["en"]


def _answered_visible(response: Response):
    definition = version_definition(response.version)
    visibility, kept = resolve_visibility(
        definition, answers_from_json(definition, response.answers)
    )
    for step in definition.steps:
        if not visibility.shows_step(step.key):
            continue
        for question in step.questions:
            if question.kind == Kind.DISPLAY or not visibility.shows_question(question.key):
                continue
            if is_answered(kept.get(question.key)):
                yield question, kept[question.key]


def _missing(text: str, response: Response, language: str) -> list[str]:
    squashed = _squash(text)
    missing = []
    for question, value in _answered_visible(response):
        for fragment in [translate_text(question.text, language)] + _expected_fragments(
            question, value, language
        ):
            if _squash(fragment) not in squashed:
                missing.append(f"{question.key}: {fragment!r}")
    return missing


def _visible_html_text(html: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities kept simple)."""
    import html as html_module

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_the_response_page_shows_every_answer(golden, client, path, language, db):
    responses, clinician_pk = golden
    response = Response.objects.get(pk=responses[_case_id(path)])
    client.force_login(make.get_user_model().objects.get(pk=clinician_pk))
    page = client.get(reverse("clinician:response_detail", args=[response.pk]), {"lang": language})
    assert page.status_code == 200
    text = _visible_html_text(page.content.decode())
    assert _missing(text, response, language) == []
    # Dates as the reader writes them, never Django's American default.
    assert _date_as_written(response.submitted_at.date(), language) in text
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. \d", text)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_the_pdf_shows_every_answer_with_no_nearly_empty_page(golden, path, language, db):
    responses, _ = golden
    response = Response.objects.get(pk=responses[_case_id(path)])
    context = summary_context_build(response=response.pk, language=language, audience="clinician")
    # The layout the summary PDF is written from (the same call ``summary_pdf`` makes).
    document = pdf_layout(
        html=summary_html(context=context),
        stylesheets=[PRINT_STYLESHEET],
        balance_classes=BALANCE_CLASSES,
    )
    fills = page_fills(document)
    assert min(fills) >= MIN_PAGE_FILL, f"a page is nearly empty: {fills}"
    pdf = document.write_pdf(pdf_tags=True)
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == len(fills)
    text = " ".join(page.extract_text() for page in pages)
    assert _missing(text, response, language) == []
    assert _squash(_date_as_written(APPOINTMENT, language)) in _squash(text)
