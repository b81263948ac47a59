"""Django forms built from a questionnaire definition: one form class per step.

A step's form class holds a field for every answerable question of the step, so it
can be built once per published version and cached (published versions never
change). What a patient sees varies per request: each form *instance* takes a
``StepContext`` (the answers saved so far and what the visibility walk made of them)
and drops the fields of questions that are hidden or preset.

Rules that hold for every field:

* Field-level ``required`` is always off. Whether an answer is needed depends on
  whether its question is visible, and a question may depend on an earlier question
  of the same step, so ``StepForm.clean`` decides it after one visibility walk over
  the saved answers merged with what was just typed. Hidden questions are never
  required and their values are dropped.
* Labels and hints are lazy strings, resolved in the language active at render time,
  which keeps the cached classes language-neutral.
* Templates get plain render data from ``StepForm.question_items`` (ids, names,
  values, options, error messages) rather than Django widget HTML, so the markup
  follows the GOV.UK patterns exactly (fieldset/legend, hints and errors tied with
  aria-describedby) and nothing emits inline styles.
* Error codes in ``TAMPER_CODES`` can only come from hand-made requests (a choice
  that was never offered, an over-long value, a forged formset management form).
  The wizard refuses to store such input even as an unvalidated draft.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from questionnaires.engine.conditions import evaluate, is_answered, referenced_keys
from questionnaires.engine.definition import Kind, QuestionDef, StepDef, Text, VersionDef
from questionnaires.engine.kinds import answer_problem
from questionnaires.engine.kinds.multiple_choice import exclusive_chosen
from questionnaires.engine.validation import row_state
from questionnaires.engine.visibility import resolve_visibility
from questionnaires.i18n import translate
from questionnaires.kinds import answer_text, form_kind
from questionnaires.lru import ImmutableLru
from questionnaires.selectors.definitions import definition_cache_key
from questionnaires.walk import Walk

DEFAULT_SHORT_TEXT_LENGTH = 200
DEFAULT_LONG_TEXT_LENGTH = 4000
DEFAULT_MAX_ROWS = 20
# A single choice with more options than this is a select: a list of 60 treatments as
# radio buttons is many phone screens long. Stored values are the same either way.
SELECT_AFTER_OPTIONS = 12
MAX_NUMBER_CHARACTERS = 40  # longer "numbers" are never typed by a person
# FHIR valueInteger is a signed 32-bit integer; unbounded questions stay inside it.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
DECIMAL_MAX_DIGITS, DECIMAL_PLACES = 15, 6
YEAR_MIN, YEAR_MAX = 1900, 2100

TAMPER_CODES = frozenset(
    {
        "invalid_choice",
        "max_length",
        "null_characters_not_allowed",
        "missing_management_form",
        "too_many_forms",
    }
)

YES, NO = "yes", "no"
DATE_PARTS = ("day", "month", "year")
_DIGITS = re.compile(r"[0-9]{1,4}")


# --- translated text -------------------------------------------------------------------


def _translate_active(text: Text | None) -> str:
    return translate(text)


localized = lazy(_translate_active, str)  # localized(text): a str resolved when rendered


def required_message(kind: str) -> str:
    added = form_kind(kind)
    if added is not None:
        return str(added.required_message)
    messages = {
        Kind.SINGLE_CHOICE: _("Select an answer"),
        Kind.YES_NO: _("Select yes or no"),
        Kind.RATING: _("Select a number from the scale"),
        Kind.MULTIPLE_CHOICE: _("Select at least one option"),
        Kind.INTEGER: _("Enter a number"),
        Kind.DECIMAL: _("Enter a number"),
        Kind.DATE: _("Enter a date"),
        Kind.RANKING: _("Put every option in order"),
        Kind.REPEAT_GROUP: _("Add at least one entry"),
    }
    return str(messages.get(kind, _("Enter your answer")))


# --- fields ----------------------------------------------------------------------------


CHOICE_ERRORS = {"invalid_choice": _("Select one of the options shown")}
NUMBER_ERRORS = {
    "min_value": _("Enter a number of at least %(limit_value)s"),
    "max_value": _("Enter a number no bigger than %(limit_value)s"),
}
TEXT_ERRORS = {
    "max_length": _("Your answer must be %(limit_value)d characters or fewer"),
    "null_characters_not_allowed": _("Your answer contains characters that are not allowed"),
}


class _NumberTextMixin:
    """Number fields read text (GOV.UK: no type=number) and refuse absurd lengths early."""

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) > MAX_NUMBER_CHARACTERS:
            raise ValidationError(gettext("Enter a shorter number"), code="max_length")
        return super().to_python(value)


class PatientIntegerField(_NumberTextMixin, forms.IntegerField):
    default_error_messages = {"invalid": _("Enter a whole number, like 12"), **NUMBER_ERRORS}


# One comma between digits and no point: the comma is the decimal mark ("72,5"), as much of
# Europe writes it. With exactly three digits after it, it may be a thousands separator
# ("1,000"), so that is asked again rather than guessed.
_DECIMAL_COMMA = re.compile(r"([+-]?[0-9]+),([0-9]+)")


class PatientDecimalField(_NumberTextMixin, forms.DecimalField):
    default_error_messages = {
        "invalid": _("Enter a number, like 72.5"),
        "ambiguous_comma": _(
            "Enter the number with a decimal point and no thousands separator, like 72.5"
        ),
        "max_digits": _("Enter a shorter number"),
        "max_whole_digits": _("Enter a shorter number"),
        "max_decimal_places": _("Enter a number with at most %(max)s digits after the point"),
        **NUMBER_ERRORS,
    }

    def to_python(self, value):
        if isinstance(value, str):
            # Full-width digits and punctuation from a Chinese input method become ASCII.
            value = unicodedata.normalize("NFKC", value).strip()
            comma = _DECIMAL_COMMA.fullmatch(value)
            if comma:
                if len(comma.group(2)) == 3:
                    raise ValidationError(
                        self.error_messages["ambiguous_comma"], code="ambiguous_comma"
                    )
                value = f"{comma.group(1)}.{comma.group(2)}"
        return super().to_python(value)


class PartsWidget(forms.Widget):
    """Reads several inputs named ``<name>-<part>``; rendered by the patient templates."""

    def __init__(self, parts: Sequence[str], attrs=None):
        super().__init__(attrs)
        self.parts = tuple(parts)

    def value_from_datadict(self, data, files, name):
        return [data.get(f"{name}-{part}", "") for part in self.parts]

    def value_omitted_from_data(self, data, files, name):
        return all(f"{name}-{part}" not in data for part in self.parts)


class DatePartsField(forms.Field):
    """A date typed as day, month and year (the GOV.UK date input); cleans to ``date``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", PartsWidget(DATE_PARTS))
        super().__init__(**kwargs)

    def to_python(self, value):
        parts = [str(part).strip() for part in (value or [])][: len(DATE_PARTS)]
        parts += [""] * (len(DATE_PARTS) - len(parts))
        if not any(parts):
            return None
        if any(len(part) > 4 for part in parts):
            raise ValidationError(gettext("Enter a real date, like 27 3 2024"), code="max_length")
        if not all(parts):
            raise ValidationError(
                gettext("Enter the day, the month and the year"), code="incomplete"
            )
        if not all(_DIGITS.fullmatch(part) for part in parts):
            raise ValidationError(gettext("Enter a real date, like 27 3 2024"), code="invalid")
        day, month, year = (int(part) for part in parts)
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise ValidationError(gettext("Enter a year with 4 numbers, like 2024"), code="invalid")
        try:
            return date(year, month, day)
        except ValueError:
            raise ValidationError(
                gettext("Enter a real date, like 27 3 2024"), code="invalid"
            ) from None

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) is not None
        except ValidationError:
            return True


class RankingField(forms.Field):
    """One rank (1 … n) per option; cleans to the option values, most important first."""

    def __init__(self, *, values: Sequence[str], **kwargs):
        self.values = tuple(values)
        kwargs.setdefault("widget", PartsWidget([str(i) for i in range(len(self.values))]))
        super().__init__(**kwargs)

    def to_python(self, value):
        count = len(self.values)
        ranks = [str(rank).strip() for rank in (value or [])][:count]
        ranks += [""] * (count - len(ranks))
        if not any(ranks):
            return None
        allowed = {str(number) for number in range(1, count + 1)}
        if any(rank and rank not in allowed for rank in ranks):
            raise ValidationError(gettext("Select one of the options shown"), code="invalid_choice")
        if not all(ranks) or len(set(ranks)) != count:
            raise ValidationError(
                gettext("Give each option a different number from 1 to %(count)d")
                % {"count": count},
                code="not_a_permutation",
            )
        ordered = sorted(zip((int(rank) for rank in ranks), self.values, strict=True))
        return [value for _rank, value in ordered]

    def has_changed(self, initial, data):
        return any(str(rank).strip() for rank in (data or []))


class OrderedMultipleChoiceField(forms.MultipleChoiceField):
    """Checked values in the order of the definition (not of the request), each once."""

    default_error_messages = CHOICE_ERRORS

    def clean(self, value):
        chosen = set(super().clean(value) or [])
        return [str(key) for key, _label in self.choices if str(key) in chosen] or None


def _range_message(question: QuestionDef) -> str:
    """The out-of-range message of one question, naming it and its own limits."""
    unit = f" {question.unit}" if question.unit else ""
    low = f"{_number(question.min_value)}{unit}" if question.min_value is not None else ""
    high = f"{_number(question.max_value)}{unit}" if question.max_value is not None else ""
    values = {"question": translate(question.text), "min": low, "max": high}
    if low and high:
        message = gettext("“%(question)s”: enter a number from %(min)s to %(max)s") % values
    elif low:
        message = gettext("“%(question)s”: enter a number of at least %(min)s") % values
    else:
        message = gettext("“%(question)s”: enter a number no bigger than %(max)s") % values
    # Django formats the message again with the limit's parameters: keep a "%" literal.
    return message.replace("%", "%%")


_lazy_range_message = lazy(_range_message, str)


def _number(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def range_errors(question: QuestionDef) -> dict[str, Any]:
    """Messages for a number outside the question's own limits (generic when it has none)."""
    message = _lazy_range_message(question)
    # A bound the question does not set (an integer's storage limit) keeps the plain message.
    return {
        code: message
        for code, bound in (("min_value", question.min_value), ("max_value", question.max_value))
        if bound is not None
    }


def build_field(question: QuestionDef) -> forms.Field | None:
    """The form field for one question, or None for display text and read-only items."""
    if question.kind == Kind.DISPLAY or question.read_only:
        return None
    common = {"required": False, "label": localized(question.text)}
    if question.help:
        common["help_text"] = localized(question.help)
    added = form_kind(question.kind)
    if added is not None:  # a kind added in code brings its own field (questionnaires/kinds.py)
        return added.field(question, common)
    choices = [(choice.value, localized(choice.label)) for choice in question.choices]
    kind = question.kind
    if kind == Kind.SINGLE_CHOICE:
        return forms.ChoiceField(
            choices=choices, widget=forms.RadioSelect, error_messages=CHOICE_ERRORS, **common
        )
    if kind == Kind.MULTIPLE_CHOICE:
        return OrderedMultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == Kind.YES_NO:
        return forms.TypedChoiceField(
            choices=[(YES, _("Yes")), (NO, _("No"))],
            coerce=lambda value: value == YES,
            empty_value=None,
            widget=forms.RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if kind == Kind.RATING:
        low, high = rating_bounds(question)
        return forms.TypedChoiceField(
            choices=[(str(number), str(number)) for number in range(low, high + 1)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if kind == Kind.INTEGER:
        return PatientIntegerField(
            min_value=int(question.min_value) if question.min_value is not None else INTEGER_MIN,
            max_value=int(question.max_value) if question.max_value is not None else INTEGER_MAX,
            error_messages=range_errors(question),
            **common,
        )
    if kind == Kind.DECIMAL:
        return PatientDecimalField(
            min_value=question.min_value,
            max_value=question.max_value,
            max_digits=DECIMAL_MAX_DIGITS,
            decimal_places=DECIMAL_PLACES,
            error_messages=range_errors(question),
            **common,
        )
    if kind == Kind.DATE:
        return DatePartsField(**common)
    if kind in Kind.TEXTUAL:
        default = DEFAULT_SHORT_TEXT_LENGTH if kind == Kind.SHORT_TEXT else DEFAULT_LONG_TEXT_LENGTH
        return forms.CharField(
            max_length=question.max_length or default, error_messages=TEXT_ERRORS, **common
        )
    if kind == Kind.RANKING:
        return RankingField(values=[choice.value for choice in question.choices], **common)
    return None  # repeat groups are formsets, see StepForm


def rating_bounds(question: QuestionDef) -> tuple[int, int]:
    low = int(question.min_value) if question.min_value is not None else 0
    high = int(question.max_value) if question.max_value is not None else 10
    return low, high


def max_rows(group: QuestionDef) -> int:
    return group.max_rows or DEFAULT_MAX_ROWS


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


# --- building and caching the classes ------------------------------------------------------


def _row_form_class(group: QuestionDef) -> type[RowForm]:
    fields = OrderedDict()
    for child in group.children:
        built = build_field(child)
        if built is not None:
            fields[child.key] = built
    return type(f"RowForm_{group.key}", (RowForm,), fields)


def _group_formset(group: QuestionDef) -> type[forms.BaseFormSet]:
    limit = max_rows(group)
    return forms.formset_factory(
        _row_form_class(group),
        extra=1,
        max_num=limit,
        absolute_max=limit,
        validate_max=True,
    )


def build_step_form_class(definition: VersionDef, step: StepDef) -> type[StepForm]:
    fields = OrderedDict()
    groups = {}
    same_step_earlier: dict[str, frozenset[str]] = {}
    earlier: list[str] = []
    for question in step.questions:
        same_step_earlier[question.key] = frozenset(earlier)
        earlier.append(question.key)
        if question.kind == Kind.REPEAT_GROUP:
            groups[question.key] = _group_formset(question)
            continue
        built = build_field(question)
        if built is not None:
            fields[question.key] = built
    attributes = {
        **fields,
        "step": step,
        "definition": definition,
        "group_formsets": groups,
        "same_step_earlier": same_step_earlier,
    }
    return type(f"StepForm_{step.key}", (StepForm,), attributes)


def build_step_form_classes(definition: VersionDef) -> dict[str, type[StepForm]]:
    return {step.key: build_step_form_class(definition, step) for step in definition.steps}


_form_classes: ImmutableLru[dict[str, type[StepForm]]] = ImmutableLru(size=64)


def step_form_classes(
    definition: VersionDef, *, cache_key: tuple | None
) -> dict[str, type[StepForm]]:
    """Form classes per step key; cached under ``cache_key`` (None: a draft, never cached).

    ``cache_key`` must identify an immutable definition, e.g. (version pk, definition hash).
    """
    return _form_classes.get_or_build(cache_key, lambda: build_step_form_classes(definition))


# --- a walk with its step forms (the pages' view of where a patient stands) ---------------


class FormWalk(Walk):
    """A ``Walk`` that also builds the step forms: what the wizard and its tests use.

    ``walk.Walk`` itself knows nothing of forms, so services (the submit) read a response
    without building one; the pages subclass it here.
    """

    @cached_property
    def form_classes(self) -> dict[str, type[StepForm]]:
        return step_form_classes(
            self.definition, cache_key=definition_cache_key(self.response.version)
        )

    def context(self) -> StepContext:
        return StepContext(
            definition=self.definition,
            answers=self.answers,
            kept=self.kept,
            visible_questions=self.visibility.questions,
            preset=self.preset,
        )

    def stored_data(self, key: str) -> MultiValueDict:
        """What the step shows: its draft when one is pending, otherwise the saved answers."""
        draft = self.drafts.get(key)
        if isinstance(draft, dict):
            return MultiValueDict(
                {
                    name: [str(v) for v in values]
                    for name, values in draft.items()
                    if isinstance(values, list)
                }
            )
        return self.form_classes[key].data_for_answers(self.answers, prefix=key)

    def form(self, key: str, *, data=None, quiet: bool = False) -> StepForm:
        form_class = self.form_classes[key]
        return form_class(
            data if data is not None else self.stored_data(key),
            prefix=key,
            context=self.context(),
            quiet=quiet,
        )
