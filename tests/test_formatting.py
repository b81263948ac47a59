"""Dates, lists and answers as each language writes them (questionnaires.formatting)."""

from __future__ import annotations

import datetime

from django.template import Context, Template
from django.utils import translation

from questionnaires.engine.definition import Kind
from questionnaires.formatting import answer_display, date_text, datetime_text, list_text
from tests.factories import question

DAY = datetime.date(2026, 12, 4)
MOMENT = datetime.datetime(2026, 12, 4, 16, 6, tzinfo=datetime.UTC)


def test_english_dates_are_day_month_year_never_american():
    with translation.override("en"):
        assert date_text(DAY) == "4 December 2026"
        assert date_text("2026-12-04") == "4 December 2026"
        assert datetime_text(MOMENT) == "4 December 2026, 16:06"


def test_chinese_dates_are_year_month_day_with_their_characters():
    with translation.override("zh-hans"):
        assert date_text(DAY) == "2026年12月4日"
        assert datetime_text(MOMENT) == "2026年12月4日 16:06"
        assert "十二月" not in date_text(DAY)


def test_chinese_lists_use_the_enumeration_comma():
    with translation.override("zh-hans"):
        assert list_text(["甲", "乙", "丙"]) == "甲、乙、丙"
    with translation.override("en"):
        assert list_text(["a", "b"]) == "a, b"


def test_answers_read_back_in_the_readers_language():
    sites = question(
        "sites",
        Kind.MULTIPLE_CHOICE,
        choices=(
            _choice("scalp", "Scalp", "头皮"),
            _choice("nails", "Nails", "指甲"),
        ),
    )
    weight = question("weight", Kind.DECIMAL, unit="kg")
    visit = question("visit", Kind.DATE)
    with translation.override("zh-hans"):
        assert answer_display(sites, ["scalp", "nails"]) == "头皮、指甲"
        assert answer_display(visit, "2026-12-04") == "2026年12月4日"
    with translation.override("en"):
        assert answer_display(sites, ["scalp", "nails"]) == "Scalp, Nails"
        assert answer_display(weight, "72.50") == "72.5 kg"
        assert answer_display(sites, []) == ""


def test_the_template_filters():
    template = Template("{% load sdm_format %}{{ day|date_text }} | {{ items|list_text }}")
    with translation.override("zh-hans"):
        rendered = template.render(Context({"day": DAY, "items": ["甲", "乙"]}))
    assert rendered == "2026年12月4日 | 甲、乙"


def _choice(value: str, english: str, chinese: str):
    from questionnaires.engine.definition import ChoiceDef

    return ChoiceDef(value=value, label={"en": english, "zh-hans": chinese})
