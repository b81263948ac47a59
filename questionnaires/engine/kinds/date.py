"""A date; the engine form is ISO ``YYYY-MM-DD`` text."""

from __future__ import annotations

from datetime import date
from typing import Any

from questionnaires.engine import values as c
from questionnaires.engine.definition import Kind, QuestionDef

from .common import DATE_OPS, quote
from .registry import AnswerProblem, KindSpec


def date_value_problem(question: QuestionDef, value: Any) -> str | None:
    if c.as_date(value) is None:
        return (
            f"question '{question.key}' takes a date; {quote(value)} is not a date written "
            "YYYY-MM-DD"
        )
    return None


def date_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    return None if c.as_date(value) is not None else "invalid"


def date_from_json(question: QuestionDef, value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


SPEC = KindSpec(
    Kind.DATE,
    DATE_OPS,
    "date",
    condition_value_problem=date_value_problem,
    answer_problem=date_problem,
    from_json=date_from_json,
)
