"""Answers between their engine form and their stored (JSON) form, written once.

The engine (``questionnaires.engine``) works on answers typed by question kind:
Decimal for decimal questions, ISO ``YYYY-MM-DD`` strings for dates, bool for yes/no,
int, str and lists for the rest, and a list of row dicts for a repeat group.
``Response.answers`` is a JSON column, so there a decimal is kept as its exact text
(``"72.5"``, never a float) and a date as its ISO text. Forms, services and the
exporters all go through this module, so the two forms cannot drift apart.

``answer_text`` is an answer as a person reads it back (choice labels, not codes).

Unknown keys (not in the definition) pass through with the same generic conversion:
``prune_hidden`` drops them before anything counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind, QuestionDef, VersionDef
from questionnaires.i18n import translate


def value_to_json(question: QuestionDef | None, value: Any) -> Any:
    """One engine answer as a JSON-safe value."""
    if question is not None and question.kind == Kind.REPEAT_GROUP:
        return _rows(question, value, value_to_json)
    if question is not None and question.kind == Kind.DECIMAL:
        number = _decimal(value)
        return None if number is None else _decimal_text(number)
    return _json_safe(value)


def value_from_json(question: QuestionDef | None, value: Any) -> Any:
    """One stored answer in its engine form (a decimal that cannot be read counts as missing)."""
    if question is None:
        return value
    if question.kind == Kind.REPEAT_GROUP:
        return _rows(question, value, value_from_json)
    if question.kind == Kind.DECIMAL:
        return _decimal(value)
    if question.kind == Kind.DATE and isinstance(value, date):
        return value.isoformat()
    return value


def answers_to_json(definition: VersionDef, answers: Mapping[str, Any]) -> dict[str, Any]:
    questions = definition.question_map()
    return {key: value_to_json(questions.get(key), value) for key, value in answers.items()}


def answers_from_json(definition: VersionDef, stored: Mapping[str, Any]) -> dict[str, Any]:
    questions = definition.question_map()
    return {key: value_from_json(questions.get(key), value) for key, value in stored.items()}


def answer_text(question: QuestionDef, value: Any) -> str:
    """An answer as a patient reads it back (labels, not codes), in the active language."""
    if not is_answered(value):
        return ""
    labels = {choice.value: translate(choice.label) for choice in question.choices}
    kind = question.kind
    if kind == Kind.YES_NO:
        return gettext("Yes") if value is True else gettext("No") if value is False else ""
    if kind == Kind.SINGLE_CHOICE:
        return labels.get(value, str(value))
    if kind in (Kind.MULTIPLE_CHOICE, Kind.RANKING) and isinstance(value, list | tuple):
        return ", ".join(labels.get(item, str(item)) for item in value)
    if kind == Kind.DATE:
        parsed = value if isinstance(value, date) else _iso_date(value)
        return parsed.strftime("%d/%m/%Y") if parsed else str(value)
    if kind in Kind.NUMERIC and question.unit:
        return f"{value} {question.unit}"
    return str(value)


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _rows(group: QuestionDef, rows: Any, convert) -> Any:
    if not isinstance(rows, list | tuple):
        return None
    children = {child.key: child for child in group.children}
    return [
        {key: convert(children.get(key), value) for key, value in row.items()}
        for row in rows
        if isinstance(row, Mapping)
    ]


def _decimal(value: Any) -> Decimal | None:
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


def _decimal_text(number: Decimal) -> str:
    """Plain positional notation: "0.00001", never "1E-5"."""
    return format(number, "f")


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _decimal_text(value) if value.is_finite() else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    return value
