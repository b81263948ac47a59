"""Django fields for each question kind, their error messages, and the constants every
form of a step shares (text lengths, when a list of options becomes a select, the codes only a
hand-made request can cause).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from questionnaires.engine.definition import Kind, QuestionDef, Text
from questionnaires.i18n import translate
from questionnaires.kinds import form_kind

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
