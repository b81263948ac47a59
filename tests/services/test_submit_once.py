"""One submit of the demo questionnaire types, walks and scores the answers once each.

``response_submit`` reads the response once (``walk.Walk``: one JSON → typed conversion, one
visibility walk), checks the stored answers with the step form's pure rules, and hands the
walked answers on to ``result_freeze`` and the weighing (``PreparedAnswers``), which score the
scales once and never convert or walk again.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest

from questionnaires.answers import answers_from_json
from questionnaires.engine.scoring import score_scales
from questionnaires.engine.visibility import resolve_visibility
from questionnaires.models import Result
from questionnaires.services.invitations import invitation_create
from questionnaires.services.responses import response_submit
from tests.summary.builders import demo_answers, demo_content_ensure, submitted_response_for

pytestmark = pytest.mark.django_db

COUNTED = {
    "visibility walks": resolve_visibility,
    "JSON → typed conversions": answers_from_json,
    "scale scorings": score_scales,
}


def count_calls(monkeypatch) -> Counter:
    """Wrap each counted function wherever a module of the project holds it by name."""
    calls: Counter = Counter()
    for label, original in COUNTED.items():

        def counting(*args, _label=label, _original=original, **kwargs):
            calls[_label] += 1
            return _original(*args, **kwargs)

        for name, module in list(sys.modules.items()):
            if not name.startswith("questionnaires") or module is None:
                continue
            for attribute, value in list(vars(module).items()):
                if value is original:
                    monkeypatch.setattr(module, attribute, counting)
    return calls


@pytest.mark.parametrize("condition", ["psoriasis", "multiple_sclerosis"])
def test_one_submit_converts_walks_and_scores_once(condition, monkeypatch):
    questionnaire = demo_content_ensure()
    invitation, _token = invitation_create(
        questionnaire=questionnaire, patient_ref="ONCE-1", disease=condition, language="en"
    )
    # Answer every step but do not submit yet (the helper submits at the end: stop it there).
    submitted = []
    monkeypatch.setattr(
        "tests.summary.builders.response_submit",
        lambda *, response, expected_revision: submitted.append(response) or response,
    )
    submitted_response_for(invitation=invitation, answers=demo_answers(condition), language="en")
    response = submitted[0]

    calls = count_calls(monkeypatch)
    done = response_submit(response=response, expected_revision=response.revision)

    assert done.is_submitted
    result = Result.objects.get(response=done)
    assert result.scores and result.weighing["options"]  # the scales scored, options weighed
    assert calls == Counter(
        {"visibility walks": 1, "JSON → typed conversions": 1, "scale scorings": 1}
    )
