"""What a draft changes against the published version, in lines a content editor can read.

Steps are matched by key, questions by key across the whole version (so a question moved
to another step reads as moved, not as removed and added), choices by coded value. The
comparison covers what a patient sees or what changes the walk: titles and wording in
every language, kind, required, bounds, conditions, choices and their scores. Pure Python
over two ``VersionDef`` trees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from questionnaires.engine.definition import QuestionDef, StepDef, VersionDef

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

_QUESTION_FIELDS = (
    ("text", "wording"),
    ("help", "hint"),
    ("kind", "kind"),
    ("required", "required"),
    ("min_value", "minimum"),
    ("max_value", "maximum"),
    ("unit", "unit"),
    ("show_if", "condition"),
    ("criterion", "weighing criterion"),
)


@dataclass(frozen=True)
class Change:
    kind: str  # added / removed / changed
    where: str  # e.g. "step 'safety' › question 'pregnant'"
    detail: str = ""


def _show(value: Any) -> str:
    if value is None or value == "" or value == {}:
        return "—"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _text_change(before, after) -> str:
    parts = []
    for language in sorted(set(before) | set(after)):
        if before.get(language) != after.get(language):
            parts.append(
                f"[{language}] “{before.get(language, '') or '—'}” → "
                f"“{after.get(language, '') or '—'}”"
            )
    return "; ".join(parts)


def version_diff(published: VersionDef | None, draft: VersionDef) -> list[Change]:
    """Every change from ``published`` to ``draft`` (all "added" when nothing is published)."""
    if published is None:
        return [Change(ADDED, f"step '{step.key}'") for step in draft.steps]
    changes: list[Change] = []
    if published.title != draft.title:
        changes.append(Change(CHANGED, "title", _text_change(published.title, draft.title)))
    old_steps = {step.key: step for step in published.steps}
    new_steps = {step.key: step for step in draft.steps}
    old_questions = _questions_by_key(published)
    new_questions = _questions_by_key(draft)
    for step in draft.steps:
        where = f"step '{step.key}'"
        if step.key not in old_steps:
            changes.append(Change(ADDED, where, _question_list(step)))
            continue
        changes.extend(_step_changes(old_steps[step.key], step, where))
    for step in published.steps:
        if step.key not in new_steps:
            changes.append(Change(REMOVED, f"step '{step.key}'", _question_list(step)))
    if [s.key for s in published.steps if s.key in new_steps] != [
        s.key for s in draft.steps if s.key in old_steps
    ]:
        changes.append(Change(CHANGED, "step order", " → ".join(step.key for step in draft.steps)))
    for key, (step_key, question) in new_questions.items():
        where = f"step '{step_key}' › question '{key}'"
        if key not in old_questions:
            changes.append(Change(ADDED, where, _first_text(question.text)))
            continue
        old_step_key, old_question = old_questions[key]
        if old_step_key != step_key:
            changes.append(Change(CHANGED, where, f"moved from step '{old_step_key}'"))
        changes.extend(_question_changes(old_question, question, where))
    for key, (step_key, question) in old_questions.items():
        if key not in new_questions:
            changes.append(
                Change(REMOVED, f"step '{step_key}' › question '{key}'", _first_text(question.text))
            )
    return changes


def _questions_by_key(definition: VersionDef) -> dict[str, tuple[str, QuestionDef]]:
    found: dict[str, tuple[str, QuestionDef]] = {}
    for step in definition.steps:
        for question in step.questions:
            found.setdefault(question.key, (step.key, question))
            for child in question.children:
                found.setdefault(child.key, (step.key, child))
    return found


def _first_text(text) -> str:
    return text.get("en") or next(iter(text.values()), "")


def _question_list(step: StepDef) -> str:
    return ", ".join(question.key for question in step.questions)


def _step_changes(before: StepDef, after: StepDef, where: str) -> list[Change]:
    changes = []
    if before.title != after.title:
        changes.append(Change(CHANGED, where, "title " + _text_change(before.title, after.title)))
    if before.intro != after.intro:
        changes.append(
            Change(CHANGED, where, "introduction " + _text_change(before.intro, after.intro))
        )
    if before.show_if != after.show_if:
        changes.append(
            Change(
                CHANGED,
                where,
                f"condition {_show(before.show_if)} → {_show(after.show_if)}",
            )
        )
    old_order = [q.key for q in before.questions]
    new_order = [q.key for q in after.questions]
    common_old = [key for key in old_order if key in new_order]
    common_new = [key for key in new_order if key in old_order]
    if common_old != common_new:
        changes.append(Change(CHANGED, where, "question order " + " → ".join(new_order)))
    return changes


def _question_changes(before: QuestionDef, after: QuestionDef, where: str) -> list[Change]:
    changes = []
    for name, label in _QUESTION_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        if name in ("text", "help"):
            detail = f"{label} {_text_change(old, new)}"
        else:
            detail = f"{label} {_show(old)} → {_show(new)}"
        changes.append(Change(CHANGED, where, detail))
    old_choices = {choice.value: choice for choice in before.choices}
    new_choices = {choice.value: choice for choice in after.choices}
    for value, choice in new_choices.items():
        choice_where = f"{where} › choice '{value}'"
        if value not in old_choices:
            changes.append(Change(ADDED, choice_where, _first_text(choice.label)))
            continue
        old = old_choices[value]
        if old.label != choice.label:
            changes.append(
                Change(CHANGED, choice_where, "label " + _text_change(old.label, choice.label))
            )
        if old.score != choice.score:
            changes.append(
                Change(CHANGED, choice_where, f"score {_show(old.score)} → {_show(choice.score)}")
            )
    for value, choice in old_choices.items():
        if value not in new_choices:
            changes.append(
                Change(REMOVED, f"{where} › choice '{value}'", _first_text(choice.label))
            )
    if [c for c in old_choices if c in new_choices] != [c for c in new_choices if c in old_choices]:
        changes.append(Change(CHANGED, where, "choice order " + ", ".join(new_choices)))
    return changes
