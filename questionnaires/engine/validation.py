"""The answer checks the step form and the submit share (pure Python, typed answers).

The step form (``forms.StepForm``) parses what was typed with Django fields, then asks these
functions whether the typed answers are ones the question's kind allows and which required
answers are missing in a repeat group's rows. ``response_submit`` asks the same functions about
the stored answers of every walked step, so a submission is checked by exactly the rules the
pages applied, without building a form.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from .conditions import evaluate, is_answered
from .definition import QuestionDef, StepDef
from .kinds import answer_problem, kind_spec
from .visibility import Visibility

REQUIRED = "required"  # the problem code of a required answer that is missing


def row_state(
    group: QuestionDef, row: Mapping[str, Any], outer: Mapping[str, Any]
) -> tuple[frozenset[str], tuple[str, ...]]:
    """(children hidden in this row, required children shown but unanswered), in order.

    A child's condition sees the answers kept outside the group (``outer``) and the row's
    earlier answered children.
    """
    row_kept: dict[str, Any] = {}
    scope = ChainMap(row_kept, outer)
    hidden: set[str] = set()
    missing: list[str] = []
    for child in group.children:
        if not evaluate(child.show_if, scope):
            hidden.add(child.key)
            continue
        value = row.get(child.key)
        if is_answered(value):
            row_kept[child.key] = value
        elif child.required:
            missing.append(child.key)
    return frozenset(hidden), tuple(missing)


def step_answer_problems(
    step: StepDef,
    *,
    kept: Mapping[str, Any],
    visibility: Visibility,
    preset: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Question key → problem code for the answers of ``step`` that count (``kept``).

    Checked: every visible, answerable question's answer against its kind
    (``kinds.answer_problem``), and in each row of a repeat group the required children that
    show in that row. Questions answered by the invitation (``preset``) are not the patient's.
    Missing required top-level answers are the walk's business (``Walk.is_complete``).
    """
    problems: dict[str, str] = {}
    for question in step.questions:
        spec = kind_spec(question.kind)
        if (
            spec is None
            or not spec.answered
            or question.read_only
            or question.key in preset
            or not visibility.shows_question(question.key)
        ):
            continue
        value = kept.get(question.key)
        if not is_answered(value):
            continue
        problem = answer_problem(question, value)
        rows = value if problem is None and question.children and isinstance(value, list) else []
        if any(row_state(question, row, kept)[1] for row in rows):
            problem = REQUIRED
        if problem:
            problems[question.key] = problem
    return problems
