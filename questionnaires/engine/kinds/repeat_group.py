"""Rows of child questions (one per prior treatment, say); the answer is a list of dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from questionnaires.engine import values as c
from questionnaires.engine.definition import Kind, QuestionDef

from .registry import AnswerProblem, KindSpec, answer_from_json, answer_problem, answer_to_json


def rows_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if not isinstance(value, list | tuple) or not all(isinstance(row, dict) for row in value):
        return "invalid_rows"
    if question.max_rows is not None and len(value) > question.max_rows:
        return "too_many_forms"
    children = {child.key: child for child in question.children}
    for row in value:
        for key, item in row.items():
            child = children.get(key)
            if child is None:
                return "invalid_rows"
            if c.is_answered(item):
                problem = answer_problem(child, item)
                if problem:
                    return problem
    return None


def rows_codec(convert: Callable[[QuestionDef, Any], Any]) -> Callable[[QuestionDef, Any], Any]:
    def rows(group: QuestionDef, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return None
        children = {child.key: child for child in group.children}
        return [
            {key: convert(children.get(key), item) for key, item in row.items()}
            for row in value
            if isinstance(row, dict)
        ]

    return rows


SPEC = KindSpec(
    Kind.REPEAT_GROUP,
    c.PRESENCE_OPS,
    "group",
    in_repeat_row=False,
    repeats=True,
    answer_problem=rows_problem,
    to_json=rows_codec(answer_to_json),
    from_json=rows_codec(answer_from_json),
)
