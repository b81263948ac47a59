"""A number with a unit; stored as its exact decimal text, never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from questionnaires.engine import values as c
from questionnaires.engine.definition import Kind, QuestionDef

from .common import NUMBER_OPS, bounds_problem, number_value_problem
from .registry import AnswerProblem, KindSpec


def decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the decimal a person typed, not the binary float
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def decimal_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    number = c.as_number(value)
    if number is None:
        return "invalid"
    return bounds_problem(question, number)


def decimal_to_json(question: QuestionDef, value: Any) -> Any:
    number = decimal(value)
    return None if number is None else format(number, "f")


def decimal_from_json(question: QuestionDef, value: Any) -> Any:
    return decimal(value)


SPEC = KindSpec(
    Kind.DECIMAL,
    NUMBER_OPS,
    "decimal",
    numeric=True,
    condition_value_problem=number_value_problem,
    answer_problem=decimal_problem,
    to_json=decimal_to_json,
    from_json=decimal_from_json,
)
