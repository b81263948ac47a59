"""A whole number within the question's bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

from .common import NUMBER_OPS, bounds_problem, number_value_problem
from .registry import AnswerProblem, KindSpec


def integer_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if isinstance(value, bool) or not isinstance(value, int):
        return "invalid"
    return bounds_problem(question, Decimal(value))


SPEC = KindSpec(
    Kind.INTEGER,
    NUMBER_OPS,
    "integer",
    numeric=True,
    condition_value_problem=number_value_problem,
    answer_problem=integer_problem,
)
