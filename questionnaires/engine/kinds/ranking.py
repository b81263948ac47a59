"""Every option put in order; the answer is the list of values, most important first."""

from __future__ import annotations

from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

from .common import LIST_OPS, choice_value_problem
from .registry import AnswerProblem, KindSpec


def ranking_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    offered = [choice.value for choice in question.choices]
    if not isinstance(value, list | tuple) or sorted(value) != sorted(offered):
        return "incomplete_ranking"
    return None


SPEC = KindSpec(
    Kind.RANKING,
    LIST_OPS,
    "choice",
    min_choices=2,
    repeats=True,
    condition_value_problem=choice_value_problem,
    answer_problem=ranking_problem,
)
