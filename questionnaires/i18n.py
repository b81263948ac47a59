"""Languages and translated fields: the one place that knows how they are named.

The languages are ``settings.LANGUAGES`` (English and Simplified Chinese); django-modeltranslation
adds one column per language to every translated field (``questionnaires/translation.py``),
named by its ``build_localized_fieldname`` (``title`` → ``title_en``, ``title_zh_hans``). Content
JSON and the engine's ``Text`` carry the same languages as a ``{code: text}`` mapping; these
helpers convert between the two, so no other module rebuilds the list or the column names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from modeltranslation.utils import build_localized_fieldname


def language_codes() -> list[str]:
    """The codes of every language the site and its content speak, in settings order."""
    return [code for code, _name in settings.LANGUAGES]


def language_names() -> dict[str, str]:
    """Code → the language's (lazily translated) name, in settings order."""
    return dict(settings.LANGUAGES)


def is_language(code: object) -> bool:
    return code in language_codes()


def translate(text: Mapping[str, str] | None, language: str | None = None) -> str:
    """``text`` in ``language`` (default: the active one), falling back to English, then any."""
    if not text:
        return ""
    language = language or get_language() or settings.LANGUAGE_CODE
    return text.get(language) or text.get("en") or next(iter(text.values()), "")


def translated_column(field: str, language: str) -> str:
    """The modeltranslation column of ``field`` for ``language`` (``text``, ``zh-hans`` →
    ``text_zh_hans``)."""
    return build_localized_fieldname(field, language)


def text_of(obj: Any, field: str) -> dict[str, str]:
    """A translated field of a model row as a ``Text`` mapping (languages without text left
    out)."""
    found = {}
    for language in language_codes():
        value = getattr(obj, translated_column(field, language), None)
        if value:
            found[language] = value
    return found


def lines_of(obj: Any, field: str) -> dict[str, list[str]]:
    """A translated one-item-per-line field as ``{language: [items]}``."""
    return {
        language: [line.strip() for line in value.splitlines() if line.strip()]
        for language, value in text_of(obj, field).items()
    }


def text_columns(
    field: str, text: Mapping[str, str], *, empty: str | None = None
) -> dict[str, str | None]:
    """The column values that store ``text`` (``empty`` for a language without text)."""
    return {
        translated_column(field, language): (text.get(language) or empty)
        for language in language_codes()
    }
