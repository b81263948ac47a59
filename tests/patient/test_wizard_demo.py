"""End to end on the shipped demo questionnaire: every condition's branch, walked without JS.

The answers are the simplest the definition accepts (first choice, lowest number, …),
built from the definition itself and sent as the step forms would send them.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from questionnaires.engine.definition import Kind, QuestionDef
from questionnaires.models import Response, Result
from questionnaires.patient.forms import FormWalk
from questionnaires.services.definitions import version_create_from_definition, version_publish
from tests.factories import PatientBrowser, fresh_rate_limits, invite  # noqa: F401
from tests.paths import REPO_ROOT

DEMO = REPO_ROOT / "questionnaires/content/questionnaires/treatment-discussion.json"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not DEMO.exists(), reason="the demo questionnaire is not written yet"),
]


def simplest_answer(question: QuestionDef):
    kind = question.kind
    if kind in (Kind.SINGLE_CHOICE,):
        return question.choices[0].value
    if kind == Kind.MULTIPLE_CHOICE:
        return [question.choices[0].value]
    if kind == Kind.RANKING:
        return [choice.value for choice in question.choices]
    if kind == Kind.YES_NO:
        return False
    if kind in (Kind.INTEGER, Kind.RATING):
        return int(question.min_value) if question.min_value is not None else 1
    if kind == Kind.DECIMAL:
        return question.min_value if question.min_value is not None else 1
    if kind == Kind.DATE:
        return date.today().isoformat()
    if kind in Kind.TEXTUAL:
        return "ok"
    if kind == Kind.REPEAT_GROUP:
        return [{child.key: simplest_answer(child) for child in question.children}]
    return None


@pytest.fixture
def demo_version():
    from questionnaires.interop import sdm_json

    definition = sdm_json.load_bytes(DEMO.read_bytes())
    return version_publish(version=version_create_from_definition(definition=definition))


@pytest.mark.parametrize(
    "condition", ["psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo"]
)
def test_demo_questionnaire_can_be_walked_and_submitted(client, demo_version, condition):
    _invitation, token = invite(demo_version, disease=condition)
    browser = PatientBrowser(client, token)
    url = browser.start()["Location"]
    visited = []
    while "/step/" in url:
        step = url.rstrip("/").rsplit("/", 1)[1]
        visited.append(step)
        assert browser.client.get(url).status_code == 200
        walk = FormWalk.for_response(browser.response())
        answers = {
            question.key: simplest_answer(question)
            for question in walk.step(step).questions
            if question.kind != Kind.DISPLAY and not question.read_only
        }
        data = walk.form_classes[step].data_for_answers(answers, prefix=step)
        posted = browser.post(step, {key: data.getlist(key) for key in data})
        assert posted.status_code == 302, posted.content.decode()[:3000]
        url = posted["Location"]
        assert len(visited) < 30
    assert url == browser.url("check")
    assert f"activity_{condition}" in visited
    assert browser.client.get(url).status_code == 200
    assert browser.submit()["Location"] == browser.url("done")
    response = Response.objects.get()
    assert response.is_submitted and response.answers["condition"] == condition
    assert Result.objects.filter(response=response).exists()


def test_a_past_appointment_date_is_refused_with_the_questions_message(client, demo_version):
    """Issue 10: a past appointment date was accepted."""
    _invitation, token = invite(demo_version, disease="psoriasis")
    patient = PatientBrowser(client, token)
    patient.start()
    yesterday = timezone.localdate() - timedelta(days=1)
    about = {
        "about_you-age": "40",
        "about_you-visit_date-day": str(yesterday.day),
        "about_you-visit_date-month": str(yesterday.month),
        "about_you-visit_date-year": str(yesterday.year),
    }
    refused = patient.post("about_you", about)
    assert refused.status_code == 200
    assert (
        "“When is your clinic appointment?”: enter a date that is today or later"
        in refused.content.decode()
    )
    assert "visit_date" not in (patient.response().answers or {})

    tomorrow = timezone.localdate() + timedelta(days=1)
    about.update(
        {
            "about_you-visit_date-day": str(tomorrow.day),
            "about_you-visit_date-month": str(tomorrow.month),
            "about_you-visit_date-year": str(tomorrow.year),
        }
    )
    assert patient.post("about_you", about).status_code == 302
    assert patient.response().answers["visit_date"] == tomorrow.isoformat()
