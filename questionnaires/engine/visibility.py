"""Which steps and questions a patient sees, and which answers therefore count.

One walk in patient order decides everything. A condition only sees the answers
of questions already found visible, so an answer to a question that became
hidden counts as unanswered, and whatever depended on it hides in turn. Because
every condition may only refer to earlier questions (the linter enforces it),
one pass is enough: nothing is re-evaluated, and the cost is linear in the size
of the definition plus the answers.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import evaluate, is_answered
from .definition import Kind, QuestionDef, VersionDef


@dataclass(frozen=True)
class Visibility:
    steps: tuple[str, ...]  # visible step keys, in walking order
    questions: frozenset[str]  # visible top-level question keys

    def shows_step(self, key: str) -> bool:
        return key in self.steps

    def shows_question(self, key: str) -> bool:
        return key in self.questions


def compute_visibility(definition: VersionDef, answers: Mapping[str, Any]) -> Visibility:
    """The visible steps and top-level questions for ``answers``."""
    return resolve_visibility(definition, answers)[0]


def prune_hidden(definition: VersionDef, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers that count: given answers to visible questions.

    Dropped: answers to hidden questions, to unknown keys and to display text, and
    unanswered values (None, "", []). Inside a repeat group each row keeps only the
    group's own children that are visible in that row; a row left empty is dropped,
    and so is a group left without rows.
    """
    return resolve_visibility(definition, answers)[1]


def resolve_visibility(
    definition: VersionDef, answers: Mapping[str, Any]
) -> tuple[Visibility, dict[str, Any]]:
    """Visibility and pruned answers from one walk, for callers that need both.

    Raises ``ConditionError`` for a malformed condition (a linted definition has none).
    """
    visible_steps: list[str] = []
    visible_questions: set[str] = set()
    # The answers kept so far are exactly what later conditions may see.
    kept: dict[str, Any] = {}
    for step in definition.steps:
        if not evaluate(step.show_if, kept):
            continue
        visible_steps.append(step.key)
        for question in step.questions:
            if not evaluate(question.show_if, kept):
                continue
            if not question.hidden:  # a hidden item (e.g. a calculated one) still counts
                visible_questions.add(question.key)
            value = _kept_value(question, answers.get(question.key), outer=kept)
            if is_answered(value):
                kept[question.key] = value
    return Visibility(tuple(visible_steps), frozenset(visible_questions)), kept


def _kept_value(question: QuestionDef, value: Any, *, outer: Mapping[str, Any]) -> Any:
    if question.kind == Kind.DISPLAY:
        return None
    if question.kind == Kind.REPEAT_GROUP:
        return _kept_rows(question, value, outer=outer)
    return value


def _kept_rows(group: QuestionDef, rows: Any, *, outer: Mapping[str, Any]) -> list[dict]:
    """The group's rows, each pruned with its own earlier siblings plus the outer answers."""
    if not isinstance(rows, list | tuple):
        return []
    kept_rows = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        kept_row: dict[str, Any] = {}
        scope = ChainMap(kept_row, outer)  # the row's own answers shadow outer ones
        for child in group.children:
            value = row.get(child.key)
            # A child's visibility matters only for an answer to keep: an unanswered
            # child adds nothing to what later siblings can see either way.
            if is_answered(value) and child.kind != Kind.DISPLAY and evaluate(child.show_if, scope):
                kept_row[child.key] = value
        if kept_row:
            kept_rows.append(kept_row)
    return kept_rows
