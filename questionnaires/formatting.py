"""Dates, lists and answers as a reader of the active language writes them.

* ``date_text`` / ``datetime_text``: the active language's display formats ("4 December
  2026" in English, "2026年12月4日" in Chinese; see ``sdm/formats``), in the site's time zone.
* ``list_text``: items joined as the language joins a list ("a, b" in English, "甲、乙" in
  Chinese, which never uses a comma between items of a list).
* ``answer_display``: one stored answer (engine form) as its reader reads it: choice labels
  in the active language, locale dates and list separators, a number with its unit, the rows
  of a repeat group. Used wherever a clinician or patient reads answers back in documents.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import get_language, gettext
from pypinyin import Style, lazy_pinyin

from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind, QuestionDef
from questionnaires.i18n import translate


def _is_chinese(language: str | None = None) -> bool:
    return (language or get_language() or "").lower().startswith("zh")


def date_text(value: datetime.date | datetime.datetime | str | None) -> str:
    """A date in the active language's long display format; "" for nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


def datetime_text(value: datetime.datetime | None) -> str:
    """A moment in the active language's display format, in the site's time zone."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def alphabetical_key(text: str, language: str | None = None) -> tuple[str, ...]:
    """How a reader of the language looks a name up: Chinese by its pinyin, tones as
    numbers (阿达木单抗 ``a1 da2 …`` before 度普利尤单抗 ``du4 …``), as Chinese indexes and
    drug lists are ordered; other languages by the case-folded text. Code-point order of
    Chinese characters means nothing to a reader."""
    if _is_chinese(language):
        return tuple(lazy_pinyin(text, style=Style.TONE3)) + (text,)
    return (text.casefold(), text)


def list_separator(language: str | None = None) -> str:
    return "、" if _is_chinese(language) else ", "


def list_text(items: Iterable[Any], language: str | None = None) -> str:
    return list_separator(language).join(str(item) for item in items if str(item))


def number_text(value: Any) -> str:
    """A stored number without a trailing ".0" (answers keep decimals as strings)."""
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def answer_display(question: QuestionDef, value: Any) -> str:
    """A stored answer as its reader reads it, in the active language ("" when unanswered).

    A repeat group becomes one line per row ("child: answer; …"); ``answer_rows`` gives
    the rows as cells for a table.
    """
    if not is_answered(value):
        return ""
    kind = question.kind
    labels = {choice.value: translate(choice.label) for choice in question.choices}
    if kind == Kind.YES_NO:
        return gettext("Yes") if value is True else gettext("No") if value is False else ""
    if kind == Kind.SINGLE_CHOICE:
        return labels.get(value, str(value))
    if kind == Kind.MULTIPLE_CHOICE and isinstance(value, list | tuple):
        return list_text(labels.get(item, str(item)) for item in value)
    if kind == Kind.RANKING and isinstance(value, list | tuple):
        # An order, not a list: numbered so it reads the same in every language.
        return list_text(
            f"{index}. {labels.get(item, str(item))}" for index, item in enumerate(value, 1)
        )
    if kind == Kind.DATE:
        return date_text(value if isinstance(value, datetime.date) else str(value))
    if kind == Kind.REPEAT_GROUP and isinstance(value, list | tuple):
        return " / ".join(
            "; ".join(cell for cell in row if cell) for row in answer_rows(question, value)
        )
    if kind in Kind.NUMERIC:
        text = number_text(value)
        return f"{text} {question.unit}" if question.unit else text
    return str(value)


def answer_rows(question: QuestionDef, value: Any) -> list[tuple[str, ...]]:
    """The rows of a repeat-group answer, one cell per child question ("" when unanswered)."""
    rows = []
    for row in value if isinstance(value, list | tuple) else ():
        if isinstance(row, Mapping):
            rows.append(
                tuple(answer_display(child, row.get(child.key)) for child in question.children)
            )
    return rows
