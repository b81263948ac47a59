"""Answers between their engine form and their stored (JSON) form, written once.

The engine (``questionnaires.engine``) works on answers typed by question kind:
Decimal for decimal questions, ISO ``YYYY-MM-DD`` strings for dates, bool for yes/no,
int, str and lists for the rest, and a list of row dicts for a repeat group.
``Response.answers`` is a JSON column, so there a decimal is kept as its exact text
(``"72.5"``, never a float) and a date as its ISO text. Forms, services and the
exporters all go through this module, so the two forms cannot drift apart.

Unknown keys (not in the definition) pass through with the same generic conversion:
``prune_hidden`` drops them before anything counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from questionnaires.engine.definition import QuestionDef, VersionDef
from questionnaires.engine.kinds import answer_from_json, answer_to_json


def value_to_json(question: QuestionDef | None, value: Any) -> Any:
    """One engine answer as a JSON-safe value (the kind's codec, ``engine.kinds``)."""
    return _json_safe(answer_to_json(question, value))


def value_from_json(question: QuestionDef | None, value: Any) -> Any:
    """One stored answer in its engine form (a decimal that cannot be read counts as missing)."""
    return answer_from_json(question, value)


def answers_to_json(definition: VersionDef, answers: Mapping[str, Any]) -> dict[str, Any]:
    questions = definition.question_map()
    return {key: value_to_json(questions.get(key), value) for key, value in answers.items()}


def answers_from_json(definition: VersionDef, stored: Mapping[str, Any]) -> dict[str, Any]:
    questions = definition.question_map()
    return {key: value_from_json(questions.get(key), value) for key, value in stored.items()}


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
