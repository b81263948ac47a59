"""The step form: one field per answerable question of a step, required-ness decided after
one visibility walk, and plain render data for the GOV.UK templates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext, ngettext

from questionnaires.engine.conditions import is_answered, referenced_keys
from questionnaires.engine.definition import Kind, QuestionDef, StepDef, VersionDef
from questionnaires.engine.kinds import answer_problem
from questionnaires.engine.kinds.multiple_choice import exclusive_chosen
from questionnaires.engine.validation import row_state
from questionnaires.engine.visibility import resolve_visibility
from questionnaires.i18n import translate
from questionnaires.kinds import answer_text, form_kind

from .fields import (
    DATE_PARTS,
    MAX_NUMBER_CHARACTERS,
    SELECT_AFTER_OPTIONS,
    TAMPER_CODES,
    max_rows,
    required_message,
)
from .raw import (
    _before_today,
    group_raw_values,
    raw_values,
    residual_condition,
)

# --- the step form -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepContext:
    """What a step form needs to know about the rest of the response."""

    definition: VersionDef
    answers: Mapping[str, Any]  # saved answers, engine form, all steps
    kept: Mapping[str, Any]  # what the visibility walk kept of ``answers``
    visible_questions: frozenset[str]
    preset: frozenset[str] = frozenset()


@dataclass
class GroupState:
    question: QuestionDef
    formset: forms.BaseFormSet
    errors: list[str] = field(default_factory=list)
    hidden: bool = False  # hidden by an answer on the same step: its rows do not count


class RowForm(forms.Form):
    """One row of a repeat group; fields are added per group by ``step_form_classes``."""

    def add_error_once(self, name: str, message: str) -> None:
        if name not in self.errors:
            self.add_error(name, message)


class StepForm(forms.Form):
    """Base of every generated step form; ``step``, ``definition`` and ``groups`` set per class."""

    step: StepDef
    definition: VersionDef
    group_formsets: Mapping[str, type[forms.BaseFormSet]] = {}
    same_step_earlier: Mapping[str, frozenset[str]] = {}

    def __init__(self, data=None, files=None, *, context: StepContext, quiet=False, **kwargs):
        kwargs.pop("initial", None)  # the wizard always binds data built from the answers
        super().__init__(data, files, **kwargs)
        self.context = context
        self.quiet = quiet  # render values but no error messages (a draft being shown again)
        self.shown: list[tuple[QuestionDef, dict | None]] = []
        self.groups: dict[str, GroupState] = {}
        self.answer_values: dict[str, Any] = {}
        # The visibility walk over the saved answers plus what was typed: once stored, it
        # is exactly the walk of the new saved state, so the wizard reuses it.
        self.merged_visibility = None
        self.merged_kept: dict[str, Any] = {}
        for question in self.step.questions:
            residual = self._residual(question)
            if residual is False:
                self.fields.pop(question.key, None)
                continue
            self.shown.append((question, None if residual is True else residual))
            if question.kind == Kind.REPEAT_GROUP and not question.read_only:
                formset_class = self.group_formsets[question.key]
                self.groups[question.key] = GroupState(
                    question,
                    formset_class(
                        data if self.is_bound else None,
                        prefix=self.add_prefix(question.key),
                        auto_id=self.auto_id,
                    ),
                )

    def _residual(self, question: QuestionDef) -> bool | dict:
        if question.key in self.context.preset:
            return False
        unknown = referenced_keys(question.show_if) & self.same_step_earlier.get(
            question.key, frozenset()
        )
        if not unknown:
            return question.key in self.context.visible_questions
        return residual_condition(
            question.show_if, unknown=frozenset(unknown), answers=self.context.kept
        )

    @property
    def owned_keys(self) -> list[str]:
        """The answers this form writes: every shown question that takes an answer."""
        return [
            question.key
            for question, _residual in self.shown
            if question.kind != Kind.DISPLAY and not question.read_only
        ]

    # --- validation -------------------------------------------------------------------

    def is_valid(self) -> bool:
        valid = super().is_valid()  # runs clean(), which validates the groups too
        return valid and not any(self._group_has_errors(state) for state in self.groups.values())

    def clean(self):
        cleaned = super().clean()
        typed: dict[str, Any] = {}
        for key in self.owned_keys:
            state = self.groups.get(key)
            typed[key] = self._typed_rows(state) if state else cleaned.get(key)
        merged = {k: v for k, v in self.context.answers.items() if k not in typed}
        merged.update({k: v for k, v in typed.items() if is_answered(v)})
        visibility, kept = resolve_visibility(self.definition, merged)
        self.merged_visibility, self.merged_kept = visibility, kept
        for question, _residual in self.shown:
            key = question.key
            if key not in typed:
                continue
            if key not in visibility.questions:
                self._forget(key)  # hidden now: neither required nor kept
                continue
            if key in self.groups:
                self._check_rows(self.groups[key], outer=kept)
            elif is_answered(typed[key]) and not self._has_error(key):
                self._check_answer(question, typed[key])
            if question.required and not is_answered(kept.get(key)) and not self._has_error(key):
                self._require(question)
        self.answer_values = {key: kept.get(key) for key in typed}
        return cleaned

    def _typed_rows(self, state: GroupState) -> list[dict]:
        formset = state.formset
        formset.is_valid()  # fills every row's cleaned_data and errors
        rows = []
        for row_form in formset.forms:
            if not row_form.has_changed():
                continue  # an empty row is no row
            data = getattr(row_form, "cleaned_data", {})
            rows.append({child.key: data.get(child.key) for child in state.question.children})
        return rows

    def _check_rows(self, state: GroupState, *, outer: Mapping[str, Any]) -> None:
        """Required children per row: a child counts only when visible in its row."""
        children = {child.key: child for child in state.question.children}
        for row_form in state.formset.forms:
            if not row_form.has_changed():
                continue
            data = getattr(row_form, "cleaned_data", {})
            hidden, missing = row_state(state.question, data, outer)  # shared with the submit
            for key in hidden:
                row_form.errors.pop(key, None)
            for key in missing:
                row_form.add_error_once(key, required_message(children[key].kind))

    def _check_answer(self, question: QuestionDef, value: Any) -> None:
        """The kind's pure validator (``engine.kinds``), the one the submit shares: the field
        has parsed the input; this decides whether the typed answer is one the kind allows."""
        problem = answer_problem(question, value)
        if problem is None and question.not_in_past and _before_today(value):
            # Not an answer_problem of the kind: a stored date does not become wrong as days
            # pass, so the submit does not recheck it; the page asks for a real future date.
            message = gettext("“%(question)s”: enter a date that is today or later") % {
                "question": translate(question.text)
            }
            self.add_error(question.key, ValidationError(message, code="in_the_past"))
        elif problem == "exclusive_with_others":
            only = next(c for c in question.choices if c.value == exclusive_chosen(question, value))
            message = gettext(
                "“%(question)s”: you chose “%(option)s” and other options. Choose either "
                "“%(option)s” or the options that apply"
            ) % {"question": translate(question.text), "option": translate(only.label)}
            self.add_error(question.key, ValidationError(message, code=problem))
        elif problem:
            self.add_error(
                question.key, ValidationError(gettext("Check this answer"), code=problem)
            )

    def _has_error(self, key: str) -> bool:
        if key in self.groups:
            return self._group_has_errors(self.groups[key])
        return key in self.errors

    def _require(self, question: QuestionDef) -> None:
        message = required_message(question.kind)
        if question.key in self.groups:
            self.groups[question.key].errors.append(message)
        else:
            self.add_error(question.key, message)

    def _forget(self, key: str) -> None:
        self.errors.pop(key, None)
        self.cleaned_data.pop(key, None)
        if key in self.groups:
            self.groups[key].hidden = True

    @staticmethod
    def _group_has_errors(state: GroupState) -> bool:
        if state.hidden:
            return False
        formset = state.formset
        return bool(
            state.errors or formset.non_form_errors() or any(form.errors for form in formset.forms)
        )

    def error_codes(self) -> set[str]:
        """Every error code on the form, its rows and its formsets (for tamper detection)."""
        codes = {error.code for errors in self.errors.as_data().values() for error in errors}
        for state in self.groups.values():
            formset = state.formset
            codes.update(error.code for error in formset.non_form_errors().as_data())
            for row_form in formset.forms:
                codes.update(
                    error.code for errors in row_form.errors.as_data().values() for error in errors
                )
        return codes

    def has_tampered_input(self) -> bool:
        return bool(self.error_codes() & TAMPER_CODES)

    # --- data in and out --------------------------------------------------------------

    @classmethod
    def data_for_answers(cls, answers: Mapping[str, Any], *, prefix: str) -> MultiValueDict:
        """The request data that shows ``answers`` in this step's form."""
        data: dict[str, list[str]] = {}
        for question in cls.step.questions:
            name = f"{prefix}-{question.key}"
            if question.kind == Kind.REPEAT_GROUP:
                data.update(group_raw_values(question, answers.get(question.key), name))
            elif question.kind != Kind.DISPLAY:
                data.update(raw_values(question, answers.get(question.key), name))
        return MultiValueDict(data)

    def draft_data(self) -> dict[str, list[str]]:
        """What was typed on this step (its own fields only), to keep without validating."""
        own = f"{self.prefix}-"
        return {
            key: [str(value) for value in values]
            for key, values in self.data.lists()
            if key.startswith(own)
        }

    # --- render data ------------------------------------------------------------------

    def question_items(self) -> list[dict[str, Any]]:
        items = []
        for question, residual in self.shown:
            item: dict[str, Any] = {
                "key": question.key,
                "kind": question.kind,
                "wrapper_id": f"question-{self.prefix}-{question.key}",
                "text": translate(question.text),
                "hint": translate(question.help),
                "unit": question.unit,
                "required": question.required,
                "show_if": json.dumps(residual, sort_keys=True) if residual else "",
            }
            if question.kind == Kind.DISPLAY:
                item["display"] = True
            elif question.read_only:
                item["read_only"] = True
                item["value_text"] = answer_text(question, self.context.answers.get(question.key))
                item["computed"] = bool(question.expressions.get("calculated"))
            elif question.key in self.groups:
                item.update(self._group_item(self.groups[question.key]))
            elif question.key in self.fields:
                item.update(field_item(self, question.key, question, quiet=self.quiet))
            items.append(item)
        return items

    def _group_item(self, state: GroupState) -> dict[str, Any]:
        formset = state.formset
        group_id = f"id_{self.add_prefix(state.question.key)}"
        rows = []
        for index, row_form in enumerate(formset.forms):
            rows.append(
                {
                    "index": index,
                    "number": index + 1,
                    "id": f"{group_id}-row-{index}",
                    "children": [
                        field_item(
                            row_form,
                            child.key,
                            child,
                            quiet=self.quiet or state.hidden,
                            in_row=True,
                        )
                        for child in state.question.children
                        if child.key in row_form.fields
                    ],
                }
            )
        quiet = self.quiet or state.hidden
        errors = [] if quiet else [*state.errors, *formset.non_form_errors()]
        return {
            "group": True,
            "id": group_id,
            "error_id": f"{group_id}-error" if errors else "",
            "errors": [str(error) for error in errors],
            "management_form": formset.management_form,
            "rows": rows,
            "can_add": len(rows) < max_rows(state.question),
            "max_rows": max_rows(state.question),
        }

    def error_summary(self) -> list[dict[str, str]]:
        """One entry per error, linking to the input to fix (GOV.UK error summary)."""
        if self.quiet or not self.is_bound:
            return []
        entries = []
        for item in self.question_items():
            if item.get("group"):
                entries.extend({"text": text, "href": f"#{item['id']}"} for text in item["errors"])
                for row in item["rows"]:
                    for child in row["children"]:
                        entries.extend(
                            {
                                "text": gettext("%(question)s, entry %(number)d: %(message)s")
                                % {"question": item["text"], "number": row["number"], "message": e},
                                "href": f"#{child['first_input_id']}",
                            }
                            for e in child["errors"]
                        )
            else:
                entries.extend(
                    {"text": text, "href": f"#{item['first_input_id']}"}
                    for text in item.get("errors", [])
                )
        non_field = [] if self.quiet else self.non_field_errors()
        entries.extend({"text": str(text), "href": "#main"} for text in non_field)
        return entries


def field_item(
    form: forms.Form, name: str, question: QuestionDef, *, quiet: bool, in_row: bool = False
) -> dict:
    """Render data for one bound field: ids, names, value, options and messages.

    ``in_row``: the field is one detail of a repeat-group row, where a single choice is a
    select so that each entry stays a few lines tall on a phone.
    """
    bound = form[name]
    input_id = bound.auto_id
    errors = [] if quiet else [str(error) for error in bound.errors]
    hint = translate(question.help)
    if not hint and question.kind == Kind.DATE:
        hint = gettext("For example, 27 3 2024")
    hint_id = f"{input_id}-hint" if hint else ""
    error_id = f"{input_id}-error" if errors else ""
    value = bound.value()
    item: dict[str, Any] = {
        "name": bound.html_name,
        "id": input_id,
        "first_input_id": input_id,
        "label": translate(question.text),
        "hint": hint,
        "hint_id": hint_id,
        "errors": errors,
        "error_id": error_id,
        "described_by": " ".join(filter(None, (hint_id, error_id))),
        "unit": question.unit,
        "kind": question.kind,
    }
    kind = question.kind
    if kind in (Kind.SINGLE_CHOICE, Kind.YES_NO, Kind.RATING, Kind.MULTIPLE_CHOICE):
        chosen = (
            {str(v) for v in value}
            if isinstance(value, list | tuple)
            else ({str(value)} if value not in (None, "") else set())
        )
        exclusive = {choice.value for choice in question.choices if choice.exclusive}
        item["options"] = [
            {
                "value": str(option_value),
                "label": str(label),
                "id": f"{input_id}_{index}",
                "checked": str(option_value) in chosen,
                # "None of these": set apart by "or" (GOV.UK); sdm.js unticks the others.
                "exclusive": kind == Kind.MULTIPLE_CHOICE and option_value in exclusive,
            }
            for index, (option_value, label) in enumerate(bound.field.choices)
        ]
        item["first_input_id"] = f"{input_id}_0"
        item["multiple"] = kind == Kind.MULTIPLE_CHOICE
        item["inline"] = kind in (Kind.YES_NO, Kind.RATING)
        if kind == Kind.SINGLE_CHOICE and (in_row or len(item["options"]) > SELECT_AFTER_OPTIONS):
            item["select"] = True
            item["first_input_id"] = input_id
    elif kind == Kind.DATE:
        parts = list(value or []) + [""] * len(DATE_PARTS)
        labels = {"day": gettext("Day"), "month": gettext("Month"), "year": gettext("Year")}
        item["parts"] = [
            {
                "name": f"{bound.html_name}-{part}",
                "id": f"{input_id}-{part}",
                "label": labels[part],
                "value": str(parts[index])[:MAX_NUMBER_CHARACTERS],
                "width": 4 if part == "year" else 2,
            }
            for index, part in enumerate(DATE_PARTS)
        ]
        item["first_input_id"] = f"{input_id}-day"
    elif kind == Kind.RANKING:
        ranks = list(value or []) + [""] * len(question.choices)
        count = len(question.choices)
        item["parts"] = [
            {
                "name": f"{bound.html_name}-{index}",
                "id": f"{input_id}-{index}",
                "label": translate(choice.label),
                "value": str(ranks[index]),
                "options": [str(number) for number in range(1, count + 1)],
                "numbers": [
                    {"value": str(number), "selected": str(number) == str(ranks[index])}
                    for number in range(1, count + 1)
                ],
            }
            for index, choice in enumerate(question.choices)
        ]
        item["first_input_id"] = f"{input_id}-0"
        item["instruction"] = gettext(
            "Give each option a number from 1 to %(count)d. 1 is the most important to you."
        ) % {"count": count}
    else:
        text = "" if value is None else str(value)
        item["value"] = text
        item["textarea"] = kind == Kind.LONG_TEXT
        item["max_length"] = getattr(bound.field, "max_length", None)
        if kind in Kind.TEXTUAL and item["max_length"]:
            item.update(_character_count(item, item["max_length"]))
        item["inputmode"] = {Kind.INTEGER: "numeric", Kind.DECIMAL: "decimal"}.get(kind, "")
        item["numeric"] = kind in Kind.NUMERIC
        added = form_kind(kind)
        if added is not None:
            item.update(added.template_item(question, value))
    return item


def _character_count(item: dict[str, Any], limit: int) -> dict[str, Any]:
    """The GOV.UK character count: the limit is said before typing (and without JavaScript);
    static/js/sdm.js turns it into a live count from the two messages given here."""
    info_id = f"{item['id']}-info"
    return {
        "count_info_id": info_id,
        "count_info": gettext("You can enter up to %(limit)d characters") % {"limit": limit},
        # "%(count)s" is filled in by the script; one form for 1, one for any other number.
        "count_left": [
            ngettext(
                "You have %(count)s character remaining",
                "You have %(count)s characters remaining",
                number,
            )
            for number in (1, 2)
        ],
        "count_over": [
            ngettext(
                "You have %(count)s character too many",
                "You have %(count)s characters too many",
                number,
            )
            for number in (1, 2)
        ],
        "described_by": " ".join(filter(None, (item["described_by"], info_id))),
    }
