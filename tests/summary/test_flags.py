"""Red-flag rules: data over the condition language, no database."""

from __future__ import annotations

import pytest

from questionnaires.summary import flags
from questionnaires.summary.flags import (
    ANSWER_FLAGS,
    answer_flags_raised,
    has_decisional_conflict,
    is_severe,
)

ALL_ASKED = [flag.question for flag in ANSWER_FLAGS]


def test_every_flag_names_the_question_its_condition_tests():
    from questionnaires.engine.conditions import referenced_keys

    for flag in ANSWER_FLAGS:
        assert referenced_keys(flag.when) == {flag.question}, flag.question
        assert str(flag.matters_for)


def test_a_yes_to_a_safety_question_raises_its_flag_and_a_no_does_not():
    raised = answer_flags_raised({"safety_tb": True, "safety_infection": False}, asked=ALL_ASKED)
    assert [flag.question for flag in raised] == ["safety_tb"]


def test_unanswered_and_unasked_questions_raise_nothing():
    assert answer_flags_raised({}, asked=ALL_ASKED) == []
    # Asked by another version only: the answer is ignored.
    assert answer_flags_raised({"safety_tb": True}, asked=["safety_infection"]) == []


@pytest.mark.parametrize(
    ("answer", "raised"), [("positive", True), ("not_known", True), ("negative", False)]
)
def test_jcv_status_flags_unless_negative(answer, raised):
    found = answer_flags_raised({"safety_jcv": answer}, asked=ALL_ASKED)
    assert bool(found) is raised


def test_flags_keep_the_order_of_the_rules_not_of_the_answers():
    answers = {"safety_smoker": True, "safety_infection": True, "safety_pregnancy": True}
    raised = [flag.question for flag in answer_flags_raised(answers, asked=ALL_ASKED)]
    assert raised == ["safety_infection", "safety_pregnancy", "safety_smoker"]


def test_a_symptom_in_a_multiple_choice_answer_raises_its_flag():
    raised = answer_flags_raised(
        {"sle_symptoms": ["rash", "chest_pain_breathing"]}, asked=ALL_ASKED
    )
    assert [flag.question for flag in raised] == ["sle_symptoms"]


@pytest.mark.parametrize(
    ("score", "severe"),
    [
        ({"key": "activity_psoriasis", "severity": "severe"}, True),
        ({"key": "activity_psoriasis", "severity": "very_severe"}, True),
        ({"key": "activity_psoriasis", "severity": "moderate"}, False),
        ({"key": "activity_psoriasis", "severity": None}, False),
        # The SURE scale's bands are about readiness, reported on their own.
        ({"key": "sure", "severity": "severe"}, False),
    ],
)
def test_severe_bands(score, severe):
    assert is_severe(score) is severe


@pytest.mark.parametrize(
    ("score", "conflict"),
    [("0", True), ("3", True), ("3.00", True), ("4", False), (None, False)],
)
def test_sure_of_three_or_less_is_decisional_conflict(score, conflict):
    assert has_decisional_conflict({"key": flags.SURE_SCALE_KEY, "score": score}) is conflict


def test_only_the_sure_scale_counts_for_decisional_conflict():
    assert has_decisional_conflict({"key": "activity_sle", "score": "1"}) is False
