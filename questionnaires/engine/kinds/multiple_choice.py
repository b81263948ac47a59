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
    if not all(item in offered for item in value):
        return "invalid_choice"
    if len(value) > 1 and exclusive_chosen(question, value):
        return "exclusive_with_others"
    return None


def exclusive_chosen(question: QuestionDef, value: Any) -> str | None:
    """The value of an exclusive option ("None of these") among the chosen ones, if any."""
    chosen = set(value) if isinstance(value, list | tuple) else set()
    exclusive = (choice.value for choice in question.choices if choice.exclusive)
    return next((value for value in exclusive if value in chosen), None)


SPEC = KindSpec(
    Kind.MULTIPLE_CHOICE,
    LIST_OPS,
    "choice",
    min_choices=1,
    repeats=True,
    condition_value_problem=choice_value_problem,
    answer_problem=many_choices_problem,
)
