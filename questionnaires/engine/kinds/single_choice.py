"""One option of several (radio buttons); the answer is the choice's value."""

from __future__ import annotations

from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

from .common import CHOICE_OPS, choice_value_problem
from .registry import AnswerProblem, KindSpec


def one_choice_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    offered = {choice.value for choice in question.choices}
    return None if isinstance(value, str) and value in offered else "invalid_choice"


SPEC = KindSpec(
    Kind.SINGLE_CHOICE,
    CHOICE_OPS,
    "choice",
    min_choices=1,
    condition_value_problem=choice_value_problem,
    answer_problem=one_choice_problem,
)
