"""Any number of options (checkboxes); the answer is the list of chosen values."""

from __future__ import annotations

from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

from .common import LIST_OPS, choice_value_problem
from .registry import AnswerProblem, KindSpec


def many_choices_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    offered = {choice.value for choice in question.choices}
    if not isinstance(value, list | tuple) or len(set(value)) != len(value):
        return "invalid_list"
    return None if all(item in offered for item in value) else "invalid_choice"


SPEC = KindSpec(
    Kind.MULTIPLE_CHOICE,
    LIST_OPS,
    "choice",
    min_choices=1,
    repeats=True,
    condition_value_problem=choice_value_problem,
    answer_problem=many_choices_problem,
)
