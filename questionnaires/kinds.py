"""Question kinds, the Django side: form field and its inverse, template data, answer text.

The pure side of a kind (validation, JSON codec, condition operators, lint rules, FHIR type)
is its ``engine.kinds.KindSpec``. A kind added in code registers both: a ``KindSpec`` with
``engine.kinds.register_kind`` and a ``FormKind`` here with ``register_form_kind``; the step
forms (``patient/forms/``), the answer text read back to patients and clinicians and the field
template (``templates/patient/_field.html``) then handle it with no other change.

The twelve built-in kinds are still built by the code in ``patient/forms/``
(``build_field``, ``raw_values``, ``field_item``) and ``answer_text`` below; moving each
into a ``FormKind`` of its own is the next step (docs/architecture.md, "A question kind").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext, gettext_lazy

from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind, QuestionDef
from questionnaires.formatting import date_text, list_text
from questionnaires.i18n import translate

if TYPE_CHECKING:  # annotations only
    from django import forms


def _text_answer(question: QuestionDef, value: Any) -> str:
    return str(value)


def _text_input(question: QuestionDef, value: Any, name: str) -> dict[str, list[str]]:
    return {name: [str(value)]}


@dataclass(frozen=True)
class FormKind:
    """How one kind appears in a step form (see the module docstring)."""

    code: str
    # The form field for a question of this kind; ``common`` holds label, help and
    # ``required=False`` (the step form decides "required" after its visibility walk).
    field: Callable[[QuestionDef, dict[str, Any]], forms.Field]
    # The inverse of cleaning: the request data that shows ``value`` under field ``name``.
    raw_values: Callable[[QuestionDef, Any, str], dict[str, list[str]]] = _text_input
    required_message: Any = field(default_factory=lambda: gettext_lazy("Enter your answer"))
    answer_text: Callable[[QuestionDef, Any], str] = _text_answer
    # Template data beyond the common item (``forms.field_item``): e.g. ``{"inputmode": "email"}``.
    template_item: Callable[[QuestionDef, Any], dict[str, Any]] = lambda question, value: {}


_FORM_KINDS: dict[str, FormKind] = {}


def register_form_kind(form_kind: FormKind) -> FormKind:
    if form_kind.code in Kind.ALL:
        raise ValueError(
            f"{form_kind.code!r} is a built-in kind; its form side is in patient/forms/fields.py"
        )
    _FORM_KINDS[form_kind.code] = form_kind
    return form_kind


def unregister_form_kind(code: str) -> None:
    _FORM_KINDS.pop(code, None)


def form_kind(code: str) -> FormKind | None:
    """The form side of a kind added in code (None for the built-in kinds)."""
    return _FORM_KINDS.get(code)


def answer_text(question: QuestionDef, value: Any) -> str:
    """An answer as a patient reads it back (labels, not codes), in the active language."""
    if not is_answered(value):
        return ""
    added = form_kind(question.kind)
    if added is not None:
        return added.answer_text(question, value)
    labels = {choice.value: translate(choice.label) for choice in question.choices}
    kind = question.kind
    if kind == Kind.YES_NO:
        return gettext("Yes") if value is True else gettext("No") if value is False else ""
    if kind == Kind.SINGLE_CHOICE:
        return labels.get(value, str(value))
    if kind in (Kind.MULTIPLE_CHOICE, Kind.RANKING) and isinstance(value, list | tuple):
        # "甲、乙" in Chinese, which never puts a comma between the items of a list.
        return list_text(labels.get(item, str(item)) for item in value)
    if kind == Kind.DATE:
        parsed = value if isinstance(value, date) else _iso_date(value)
        # As the reader's language writes a date: "4 December 2026", "2026年12月4日".
        return date_text(parsed) if parsed else str(value)
    if kind in Kind.NUMERIC and question.unit:
        return f"{value} {question.unit}"
    return str(value)


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
