"""Free text in another language than the reader's: marked, and translated when a provider
is configured (issue 10, acceptance line 4)."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from questionnaires.free_text import (
    Translation,
    TranslationKind,
    free_text_language,
    translate_free_text,
)
from questionnaires.summary.context import summary_context_build
from questionnaires.summary.render import summary_html
from tests import clinic_factories as make
from tests.summary.builders import CHINESE_TEXT

STUB = "tests.summary.test_free_text.StubMachineTranslator"
INTERPRETER = "tests.summary.test_free_text.StubInterpreter"
BROKEN = "tests.summary.test_free_text.BrokenTranslator"


class StubMachineTranslator:
    """Stands in for a translation service: marks what it was given, so the test can see it."""

    def translate(self, *, text, source_language, target_language):
        return Translation(
            text=f"<{source_language}→{target_language}> {text}",
            kind=TranslationKind.MACHINE,
            source="Stub translator",
        )


class StubInterpreter:
    def translate(self, *, text, source_language, target_language):
        return Translation(
            text=f"Interpreted: {text}", kind=TranslationKind.CLINICIAN, source="the interpreter"
        )


class BrokenTranslator:
    def translate(self, *, text, source_language, target_language):
        raise ConnectionError(f"service down while sending {text}")


def _clinician_html(response_id: int, language: str = "en") -> str:
    context = summary_context_build(response=response_id, language=language, audience="clinician")
    return summary_html(context=context)


def test_without_a_provider_foreign_text_is_marked_with_its_language(demo):
    html = _clinician_html(demo.chinese)
    assert CHINESE_TEXT["goal"] in html  # the original, always
    assert '<blockquote lang="zh-hans"' in html
    assert "written in Simplified Chinese" in html
    assert "In Simplified Chinese: ask an interpreter or use your translation tool." in html
    assert "Machine translation" not in html
    # The PDF has no button: there is nothing to click on paper.
    assert "copy-button" not in html


def test_with_a_stub_provider_the_translation_is_shown_labelled_beside_the_original(demo):
    with override_settings(SDM_TRANSLATION_PROVIDER=STUB):
        html = _clinician_html(demo.chinese)
    assert CHINESE_TEXT["goal"] in html
    assert f"&lt;zh-hans→en&gt; {CHINESE_TEXT['goal']}" in html
    assert "Machine translation (Stub translator): it may be wrong, so check with the patient" in (
        html
    )
    assert "ask an interpreter" not in html


def test_a_translation_a_clinician_provided_is_labelled_as_such(demo):
    with override_settings(SDM_TRANSLATION_PROVIDER=INTERPRETER):
        html = _clinician_html(demo.chinese)
    assert "Translation provided by the interpreter" in html
    assert "Machine translation" not in html


def test_text_in_the_readers_own_language_is_neither_marked_nor_translated(demo):
    with override_settings(SDM_TRANSLATION_PROVIDER=STUB):
        html = _clinician_html(demo.responses["psoriasis"])
    assert "Clear skin before my sister" in html
    assert "written in" not in html and "→" not in html


def test_english_text_read_in_chinese_is_marked_in_chinese(demo):
    html = _clinician_html(demo.responses["psoriasis"], "zh-hans")
    assert '<blockquote lang="en"' in html
    with translation.override("zh-hans"):
        marker = translation.gettext("written in %(language)s") % {
            "language": translation.pgettext("language name", "English")
        }
    assert "written in" not in marker  # the catalogue translates it
    assert marker in html


def test_the_patients_own_copy_is_never_sent_to_a_provider(demo):
    with override_settings(SDM_TRANSLATION_PROVIDER=STUB):
        context = summary_context_build(response=demo.chinese, language="en", audience="patient")
    assert all(item.translation is None for item in context.patient_texts)


def test_a_failing_provider_means_no_translation_and_logs_no_text(demo, caplog):
    with caplog.at_level(logging.WARNING), override_settings(SDM_TRANSLATION_PROVIDER=BROKEN):
        html = _clinician_html(demo.chinese)
    assert "ask an interpreter or use your translation tool" in html
    assert "ConnectionError" in caplog.text
    assert CHINESE_TEXT["goal"] not in caplog.text


def test_the_web_page_offers_a_copy_button_that_works_only_with_javascript(demo, client):
    clinician = make.user("free-text-clinician")
    clinician.sdm_teams.add(demo.team_id)
    client.force_login(clinician)
    page = client.get(reverse("clinician:response_detail", args=[demo.chinese])).content.decode()
    assert 'data-copy-target="patient-text-goal"' in page
    assert 'id="patient-text-goal"' in page
    button = page.split('data-copy-target="patient-text-goal"', 1)[1].split(">", 1)[0]
    assert "hidden" in button  # shown by static/js/copy.js only where copying works
    assert "js/copy.js" in page and "<script>" not in page


@pytest.mark.parametrize(
    ("text", "page_language", "expected"),
    [
        ("希望能控制复发", "en", "zh-hans"),
        ("希望能控制复发", "zh-hans", "zh-hans"),
        ("I want clear skin", "zh-hans", "en"),
        ("I want clear skin", "en", "en"),
    ],
)
def test_the_language_of_free_text(text, page_language, expected):
    assert free_text_language(text, page_language=page_language) == expected


def test_no_provider_call_for_the_same_language():
    with override_settings(SDM_TRANSLATION_PROVIDER=BROKEN):
        assert translate_free_text("hello", source_language="en", target_language="en") is None
