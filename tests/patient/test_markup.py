"""The cached question markup writes the same bytes as the templates (patient/markup.py).

Every step of every shipped questionnaire, for every condition (each has its own activity
step) and both languages, is requested twice per state: with the markup cache off (the
templates render every question) and on (after a request that filled it), and the pages
must be identical. The states: empty (a step reached for the first time), with errors (the
step posted empty, then posted with a value that fails its check), with a draft of typed
text that needs escaping, and with every answer saved. Only the CSRF token differs between
two requests, by design, so it is blanked before comparing.
"""

from __future__ import annotations

import re
from functools import partial

import pytest
from django.test import Client

from questionnaires.models import Questionnaire, Team
from questionnaires.patient import markup
from questionnaires.patient.forms import FormWalk
from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
from questionnaires.services.invitations import invitation_create
from tests.factories import PatientBrowser, fresh_rate_limits  # noqa: F401
from tests.summary.builders import CONDITIONS, demo_answers

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
# Text a patient might type that the markup must escape exactly as the template does; the
# private-use characters are the cache's own markers.
AWKWARD = '<b>"Tom & Jerry\'s"</b> \ue000 1 \ue001 & 数据'


def shipped_questionnaires() -> list[Questionnaire]:
    slugs = [demo_questionnaire_ensure(path=path)[0] for path in DEMO_QUESTIONNAIRES]
    return list(Questionnaire.objects.filter(slug__in=slugs).order_by("slug"))


def both_ways(monkeypatch, fetch) -> tuple[str, str]:
    """(page with the cache off, page from the cache); the fetch must change nothing stored."""
    monkeypatch.setattr(markup, "USE_CACHE", False)
    plain = fetch()
    monkeypatch.setattr(markup, "USE_CACHE", True)
    fetch()  # fills the cache for this state (its own render goes through the cache too)
    cached = fetch()
    assert plain.status_code == cached.status_code
    return CSRF.sub("csrf", plain.content.decode()), CSRF.sub("csrf", cached.content.decode())


def step_payload(browser: PatientBrowser, step: str, answers: dict) -> dict:
    response = browser.response()
    walk = FormWalk.for_response(response)
    values = {
        question.key: answers[question.key]
        for question in walk.step(step).questions
        if question.key in answers and question.key not in walk.preset
    }
    data = walk.form_classes[step].data_for_answers(values, prefix=step)
    return {key: data.getlist(key) for key in data}


def failing_payload(payload: dict) -> dict:
    """The answers with every typed number and date made out of range or unreal."""
    failing = dict(payload)
    for name in payload:
        if name.endswith(("-age", "_kg", "_12m", "_days", "-year")):
            failing[name] = ["99999"]
        if name.endswith("-day"):
            failing[name] = ["45"]
    return failing


@pytest.mark.parametrize("condition", CONDITIONS)
def test_every_step_renders_the_same_bytes_from_the_cache_as_from_the_templates(
    monkeypatch, condition
):
    markup._markup.clear()  # then both languages in turn through the same cache
    for language in ("en", "zh-hans"):
        walk_comparing(monkeypatch, condition, language)


def walk_comparing(monkeypatch, condition: str, language: str) -> None:
    team = Team.objects.get_or_create(name="Markup team")[0]
    seen: set[str] = set()
    for questionnaire in shipped_questionnaires():
        _invitation, token = invitation_create(
            questionnaire=questionnaire,
            patient_ref=f"MARKUP-{condition}-{language}",
            disease=condition,
            language=language,
            team=team,
        )
        client = Client()
        browser = PatientBrowser(client, token)
        url = browser.start()["Location"]
        answers = demo_answers(condition)
        steps = []
        while "/step/" in url:
            step = url.rstrip("/").rsplit("/", 1)[1]
            steps.append(step)
            plain, cached = both_ways(monkeypatch, partial(browser.get, step))
            assert cached == plain, (condition, language, step, "empty")
            posted_empty = partial(browser.post, step, {"wizard_next": "1"})
            plain, cached = both_ways(monkeypatch, posted_empty)
            assert cached == plain, (condition, language, step, "posted empty")
            if "error-summary" in plain:
                seen.add("errors")
            payload = step_payload(browser, step, answers)
            failing = failing_payload(payload)
            if failing != payload:
                plain, cached = both_ways(
                    monkeypatch, partial(browser.post, step, {**failing, "wizard_next": "1"})
                )
                assert "error-summary" in plain, (step, "the failing answers must fail")
                assert cached == plain, (condition, language, step, "posted failing")
                seen.add("failing")
            typed = {
                name: [AWKWARD] if name.endswith(("goal", "own_questions")) else values
                for name, values in payload.items()
            }
            if typed != payload:
                # "Save and come back later" keeps the typed text as a draft, shown again.
                browser.post(step, {**typed, "wizard_save_exit": "1"})
                plain, cached = both_ways(monkeypatch, partial(browser.get, step))
                assert "&lt;b&gt;&quot;Tom &amp; Jerry&#x27;s&quot;" in plain
                assert cached == plain, (condition, language, step, "draft")
                seen.add("draft")
            posted = browser.post(step, {**payload, "wizard_next": "1"})
            assert posted.status_code == 302, posted.content.decode()[:3000]
            url = posted["Location"]
        assert url == browser.url("check")
        for step in steps:  # every answer saved: the values, checks and selections shown
            plain, cached = both_ways(monkeypatch, partial(browser.get, step))
            assert cached == plain, (condition, language, step, "answered")
            plain, cached = both_ways(
                monkeypatch, partial(browser.get, step, **{"return": "check"})
            )
            assert cached == plain, (condition, language, step, "answered, from the check page")
        assert len(steps) >= 7, steps  # about you, activity, history, safety, priorities, …
    assert seen == {"errors", "failing", "draft"}


def test_the_cache_serves_most_questions_of_an_answered_step(monkeypatch):
    """The comparison above means something only if the cache is used: after one patient, a
    second patient's pages are built from it (a miss renders the template)."""
    markup._markup.clear()
    builds = []
    real_parts = markup._parts
    monkeypatch.setattr(markup, "_parts", lambda *a: builds.append(1) or real_parts(*a))
    team = Team.objects.get_or_create(name="Markup team")[0]
    (questionnaire,) = shipped_questionnaires()
    for number in range(2):
        _invitation, token = invitation_create(
            questionnaire=questionnaire,
            patient_ref=f"MARKUP-HITS-{number}",
            disease="psoriasis",
            language="en",
            team=team,
        )
        browser = PatientBrowser(Client(), token)
        url = browser.start()["Location"]
        step = url.rstrip("/").rsplit("/", 1)[1]
        before = len(builds)
        assert browser.get(step).status_code == 200
        built = len(builds) - before
        if number == 0:
            assert built > 0
        else:
            assert built == 0
