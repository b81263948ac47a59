"""Step-level editing: every page of a version stays under Django's field limit, at any size.

Fields are counted in the rendered HTML (every named input, select and textarea, the
hidden ones included), which is what a browser posts, not what the code thinks it renders.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model

from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, StepDef, VersionDef
from questionnaires.models import Question, QuestionnaireVersion, Step
from questionnaires.services.definitions import version_clone, version_create_from_definition
from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
from tests.builders import sample_definition, text

pytestmark = pytest.mark.django_db

FIELD_LIMIT = 1000


class _NamedFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"input", "select", "textarea"} and attributes.get("name"):
            if attributes.get("type") in {"submit", "button", "reset"}:
                return  # only the button clicked is posted; counted once below
            self.names.append(attributes["name"])


def posted_field_count(html: str) -> int:
    parser = _NamedFields()
    parser.feed(html)
    return len(parser.names) + 1  # + the save button clicked


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 12))
    return client


@pytest.fixture
def demo_draft():
    slug, number, _ = demo_questionnaire_ensure(path=DEMO_QUESTIONNAIRES[0])
    published = QuestionnaireVersion.objects.get(questionnaire__slug=slug, number=number)
    return version_clone(version=published)


def big_step_definition(questions: int = 40, choices: int = 12) -> VersionDef:
    return VersionDef(
        slug="big-step",
        title=text("Big step"),
        steps=(
            StepDef(
                key="intro",
                title=text("Intro"),
                questions=(QuestionDef(key="consent", kind=Kind.YES_NO, text=text("OK?")),),
            ),
            StepDef(
                key="big",
                title=text("Big"),
                questions=tuple(
                    QuestionDef(
                        key=f"q{number}",
                        kind=Kind.SINGLE_CHOICE,
                        text=text(f"Question {number}"),
                        help=text(f"Hint {number}"),
                        show_if={"q": "consent", "op": "eq", "value": True},
                        choices=tuple(
                            ChoiceDef(f"c{index}", text(f"Choice {index}"), Decimal(index))
                            for index in range(choices)
                        ),
                    )
                    for number in range(questions)
                ),
            ),
        ),
    )


def change_pages(version: QuestionnaireVersion) -> list[str]:
    pages = [f"/admin/questionnaires/questionnaireversion/{version.pk}/change/"]
    pages += [
        f"/admin/questionnaires/step/{pk}/change/"
        for pk in Step.objects.filter(version=version).values_list("pk", flat=True)
    ]
    pages += [
        f"/admin/questionnaires/question/{pk}/change/"
        for pk in Question.objects.filter(step__version=version).values_list("pk", flat=True)
    ]
    return pages


def assert_every_page_under_the_limit(admin_client, version) -> dict[str, int]:
    counts = {}
    for url in change_pages(version):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert 'name="_save"' in html, f"{url} cannot be saved"
        counts[url] = posted_field_count(html)
    over = {url: count for url, count in counts.items() if count >= FIELD_LIMIT}
    assert not over, over
    return counts


def test_every_change_page_of_the_demo_draft_is_under_the_field_limit(admin_client, demo_draft):
    counts = assert_every_page_under_the_limit(admin_client, demo_draft)
    # The version page, 11 steps and every question (sub-questions included) were rendered.
    assert len(counts) == 1 + 11 + Question.objects.filter(step__version=demo_draft).count()


def test_a_step_of_40_questions_with_12_choices_each_is_under_the_field_limit(admin_client):
    version = version_create_from_definition(definition=big_step_definition())
    counts = assert_every_page_under_the_limit(admin_client, version)
    big_step = Step.objects.get(version=version, key="big")
    assert counts[f"/admin/questionnaires/step/{big_step.pk}/change/"] > 40 * 5  # all rows there


def test_a_step_page_lists_its_questions_and_links_each_to_its_page(admin_client):
    version = version_create_from_definition(definition=sample_definition())
    step = Step.objects.get(version=version, key="symptoms")
    html = admin_client.get(f"/admin/questionnaires/step/{step.pk}/change/").content.decode()
    for question in Question.objects.filter(step=step):
        assert f"/admin/questionnaires/question/{question.pk}/change/" in html
    assert "itch is not &#x27;none&#x27;" in html  # the sleep question's condition, readable


def test_the_version_page_lists_steps_with_counts_and_the_linters_problems(admin_client):
    version = version_create_from_definition(definition=sample_definition())
    sleep = Question.objects.get(step__version=version, key="sleep")
    sleep.show_if = {"q": "relapses", "op": "gte", "value": 1}
    sleep.save()
    html = admin_client.get(
        f"/admin/questionnaires/questionnaireversion/{version.pk}/change/"
    ).content.decode()
    for step in Step.objects.filter(version=version):
        assert f"/admin/questionnaires/step/{step.pk}/change/" in html
    assert "1 problem(s)" in html  # on the first step's row
    assert "no problems" in html  # the second step's


def test_a_page_over_the_limit_says_so_and_offers_no_save(admin_client, settings):
    version = version_create_from_definition(definition=big_step_definition(questions=12))
    big_step = Step.objects.get(version=version, key="big")
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 60
    html = admin_client.get(f"/admin/questionnaires/step/{big_step.pk}/change/").content.decode()
    assert 'data-testid="field-limit-warning"' in html
    assert "more than the 60 the server accepts" in html
    assert 'name="_save"' not in html


def test_published_step_and_question_pages_are_view_only(admin_client):
    from questionnaires.services.definitions import version_publish

    version = version_publish(
        version=version_create_from_definition(definition=sample_definition())
    )
    step = Step.objects.filter(version=version).first()
    question = Question.objects.filter(step=step).first()
    for url in (
        f"/admin/questionnaires/step/{step.pk}/change/",
        f"/admin/questionnaires/question/{question.pk}/change/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.post(url, {}).status_code == 403


def _grow(version: QuestionnaireVersion, step_key: str, extra: int) -> None:
    step = Step.objects.get(version=version, key=step_key)
    for number in range(extra):
        question = Question.objects.create(
            step=step, key=f"grown{number}", kind=Kind.SINGLE_CHOICE, text="Grown", order=100
        )
        for index in range(3):
            question.choices.create(value=f"v{index}", label=f"V{index}", order=index)


@pytest.mark.parametrize("page", ["version", "step"])
def test_query_counts_do_not_grow_with_the_questions(admin_client, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = version_create_from_definition(definition=big_step_definition(questions=3))
    step = Step.objects.get(version=version, key="big")
    url = (
        f"/admin/questionnaires/questionnaireversion/{version.pk}/change/"
        if page == "version"
        else f"/admin/questionnaires/step/{step.pk}/change/"
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    queries()  # warm caches (content types, sessions) outside the comparison
    small = queries()
    _grow(version, "big", 20)
    assert queries() == small


EMPTY_HEADER = re.compile(r"<th\b[^>]*>\s*</th>")


def test_inline_tables_name_every_column_in_the_readers_language(admin_client, demo_draft):
    """nested-admin's tabular inlines left the first column's header empty (axe-core:
    empty-table-header); the project's copy of the template names the row's model."""
    step = Step.objects.filter(version=demo_draft).first()
    question = Question.objects.filter(step=step, choices__isnull=False).first()
    pages = {
        f"/admin/questionnaires/questionnaireversion/{demo_draft.pk}/change/": "步骤",
        f"/admin/questionnaires/step/{step.pk}/change/": "问题",
        f"/admin/questionnaires/question/{question.pk}/change/": "选项",
    }
    for url, model_name in pages.items():
        html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert EMPTY_HEADER.findall(html) == [], url
        header = f'<th class="original"><span class="visually-hidden">{model_name}</span></th>'
        assert header in html, url


def test_the_admin_login_page_has_an_h1_in_the_readers_language(client):
    html = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", html) == ["登录"]
