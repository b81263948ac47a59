"""Language codes and translated-field names come from settings and modeltranslation, once."""

from __future__ import annotations

from types import SimpleNamespace

from questionnaires.i18n import (
    is_language,
    language_codes,
    lines_of,
    text_columns,
    text_of,
    translated_column,
)
from questionnaires.models import Question


def test_the_codes_are_the_site_languages_in_order(settings):
    assert language_codes() == ["en", "zh-hans"]
    settings.LANGUAGES = [("zh-hans", "Chinese"), ("en", "English")]
    assert language_codes() == ["zh-hans", "en"]
    assert is_language("en") and not is_language("fr") and not is_language(None)


def test_column_names_are_the_ones_modeltranslation_added():
    columns = {field.name for field in Question._meta.get_fields()}
    for language in language_codes():
        assert translated_column("text", language) in columns
    assert translated_column("text", "zh-hans") == "text_zh_hans"


def test_text_between_a_row_and_a_text_mapping():
    row = SimpleNamespace(
        text_en="Pain", text_zh_hans="", notes_en="a\n\n b \n", notes_zh_hans="甲"
    )
    assert text_of(row, "text") == {"en": "Pain"}  # a language without text is left out
    assert lines_of(row, "notes") == {"en": ["a", "b"], "zh-hans": ["甲"]}
    assert text_columns("text", {"en": "Pain"}) == {"text_en": "Pain", "text_zh_hans": None}
    assert text_columns("text", {"en": "Pain"}, empty="") == {"text_en": "Pain", "text_zh_hans": ""}
