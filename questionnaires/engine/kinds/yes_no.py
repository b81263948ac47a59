"""Yes or no; the answer is a bool."""

from __future__ import annotations

from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

from .common import CHOICE_OPS, quote
from .registry import AnswerProblem, KindSpec


def yes_no_value_problem(question: QuestionDef, value: Any) -> str | None:
    if not isinstance(value, bool):
        return (
            f"question '{question.key}' is yes/no; compare it with true or false, "
            f"not {quote(value)}"
        )
    return None


def yes_no_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    return None if isinstance(value, bool) else "invalid_choice"


SPEC = KindSpec(
    Kind.YES_NO,
    CHOICE_OPS,
    "boolean",
    condition_value_problem=yes_no_value_problem,
    answer_problem=yes_no_problem,
)
