"""Answers back into raw form data (the inverse of cleaning), and the part of a condition
that still depends on what is typed on the step being filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from questionnaires.engine.conditions import evaluate, is_answered
from questionnaires.engine.definition import Kind, QuestionDef
from questionnaires.kinds import form_kind

from .fields import (
    NO,
    YES,
    max_rows,
)

# --- raw form data from answers (the inverse of cleaning) -------------------------------


def raw_values(question: QuestionDef, value: Any, name: str) -> dict[str, list[str]]:
    """The request data a browser would send for ``value`` under the field name ``name``."""
    if not is_answered(value):
        return {}
    added = form_kind(question.kind)
    if added is not None:
        return added.raw_values(question, value, name)
    kind = question.kind
    if kind == Kind.YES_NO:
        return {name: [YES if value else NO]} if isinstance(value, bool) else {}
    if kind in (Kind.MULTIPLE_CHOICE,):
        return {name: [str(item) for item in value]} if isinstance(value, list | tuple) else {}
    if kind == Kind.RANKING:
        if not isinstance(value, list | tuple):
            return {}
        position = {item: index for index, item in enumerate(value)}
        return {
            f"{name}-{index}": [str(position[choice.value] + 1)]
            for index, choice in enumerate(question.choices)
            if choice.value in position
        }
    if kind == Kind.DATE:
        parsed = value if isinstance(value, date) else _iso_date(value)
        if parsed is None:
            return {}
        return {
            f"{name}-day": [str(parsed.day)],
            f"{name}-month": [str(parsed.month)],
            f"{name}-year": [str(parsed.year)],
        }
    if kind == Kind.DECIMAL and isinstance(value, Decimal):
        return {name: [format(value, "f")]}
    return {name: [str(value)]}


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _before_today(value: Any) -> bool:
    day = value if isinstance(value, date) else _iso_date(value)
    return day is not None and day < timezone.localdate()


def group_raw_values(group: QuestionDef, rows: Any, prefix: str) -> dict[str, list[str]]:
    """A formset's data for ``rows`` (at least one empty row, so there is a row to fill in)."""
    rows = [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []
    rows = rows[: max_rows(group)]
    data: dict[str, list[str]] = {
        f"{prefix}-TOTAL_FORMS": [str(max(len(rows), 1))],
        f"{prefix}-INITIAL_FORMS": ["0"],
        f"{prefix}-MIN_NUM_FORMS": ["0"],
        f"{prefix}-MAX_NUM_FORMS": [str(max_rows(group))],
    }
    for index, row in enumerate(rows):
        for child in group.children:
            data.update(raw_values(child, row.get(child.key), f"{prefix}-{index}-{child.key}"))
    return data


# --- conditions that depend on the step being filled in ---------------------------------


def residual_condition(
    condition: Mapping[str, Any] | None,
    *,
    unknown: frozenset[str],
    answers: Mapping[str, Any],
) -> bool | dict[str, Any]:
    """``condition`` with every test on a known question replaced by its outcome.

    Returns True or False when the known answers decide it, otherwise the part that
    still depends on the ``unknown`` questions (those of the step being filled in),
    which the browser may evaluate as the patient types (progressive enhancement).
    """
    if not condition:
        return True
    if "all" in condition or "any" in condition:
        combinator = "all" if "all" in condition else "any"
        deciding = combinator == "any"  # the value that decides the combinator at once
        rest = []
        for part in condition[combinator]:
            outcome = residual_condition(part, unknown=unknown, answers=answers)
            if outcome is deciding:
                return deciding
            if outcome is not (not deciding):
                rest.append(outcome)
        if not rest:
            return not deciding
        return rest[0] if len(rest) == 1 else {combinator: rest}
    if "not" in condition:
        outcome = residual_condition(condition["not"], unknown=unknown, answers=answers)
        return (not outcome) if isinstance(outcome, bool) else {"not": outcome}
    if condition.get("q") in unknown:
        return dict(condition)
    return evaluate(condition, answers)
