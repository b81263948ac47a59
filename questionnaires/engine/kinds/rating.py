"""A 0–10 rating (or the question's own bounds inside 0–10)."""

from __future__ import annotations

from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

from .common import NUMBER_OPS, number_value_problem
from .registry import AnswerProblem, KindSpec


def rating_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if isinstance(value, bool) or not isinstance(value, int):
        return "invalid_choice"
    low = question.min_value if question.min_value is not None else 0
    high = question.max_value if question.max_value is not None else 10
    return None if low <= value <= high else "invalid_choice"


SPEC = KindSpec(
    Kind.RATING,
    NUMBER_OPS,
    "integer",
    numeric=True,
    condition_value_problem=number_value_problem,
    answer_problem=rating_problem,
)
