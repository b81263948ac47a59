"""What several kinds share: operator sets, condition-value checks, answer checks, codecs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from questionnaires.engine import values as c
from questionnaires.engine.definition import QuestionDef

from .registry import AnswerProblem

CHOICE_OPS = (c.EQ, c.NE, c.IN, c.NOT_IN, c.ANSWERED, c.NOT_ANSWERED)
LIST_OPS = (c.CONTAINS, c.CONTAINS_ANY, c.ANSWERED, c.NOT_ANSWERED)
NUMBER_OPS = (c.EQ, c.NE, c.GT, c.GTE, c.LT, c.LTE, c.IN, c.NOT_IN, c.ANSWERED, c.NOT_ANSWERED)
DATE_OPS = (c.EQ, c.NE, c.GT, c.GTE, c.LT, c.LTE, c.ANSWERED, c.NOT_ANSWERED)


def quote(value: Any) -> str:
    """A value as an author wrote it in JSON: strings quoted, true/false/null bare."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def choice_value_problem(question: QuestionDef, value: Any) -> str | None:
    if value not in [choice.value for choice in question.choices]:
        return f"{quote(value)} is not one of the choices of question '{question.key}'"
    return None


def number_value_problem(question: QuestionDef, value: Any) -> str | None:
    if c.as_number(value) is None:
        return f"question '{question.key}' takes a number; {quote(value)} is not one"
    return None


def text_value_problem(question: QuestionDef, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"question '{question.key}' takes text; {quote(value)} is not text"
    return None


def bounds_problem(question: QuestionDef, number: Decimal) -> AnswerProblem:
    if question.min_value is not None and number < question.min_value:
        return "min_value"
    if question.max_value is not None and number > question.max_value:
        return "max_value"
    return None


def text_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if not isinstance(value, str):
        return "invalid"
    if "\x00" in value:
        return "null_characters_not_allowed"
    if question.max_length is not None and len(value) > question.max_length:
        return "max_length"
    return None
