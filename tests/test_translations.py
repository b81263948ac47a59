"""The Simplified Chinese interface translation (questionnaires/locale/zh_Hans).

The .po file is the source; the committed .mo is what Django loads, so running the app
never needs the gettext tools. These tests check that every string is translated, that
placeholders and markup survive translation, that the .mo says what the .po says, and
that a patient page rendered in Chinese actually shows the translations.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from tests.factories import (  # noqa: F401  (fresh_rate_limits is an autouse fixture)
    clinic_definition,
    fresh_rate_limits,
    invite,
    publish,
)

LOCALE_DIR = Path(settings.BASE_DIR) / "questionnaires" / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Python %-placeholders (named or positional, with flags), str.format fields, HTML tags.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdiefgrx]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|\{\d*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int | None, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.msgctxt}|{self.msgid}" if self.msgctxt else self.msgid


def parse_po(path: Path) -> list[Entry]:
    """A minimal .po reader: enough for files written by makemessages (no obsolete entries)."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry = Entry(msgid="")
        keyword_seen: tuple[str, int | None] | None = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            elif line.startswith("#~"):
                raise AssertionError(f"obsolete entry left in the .po file: {line}")
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert keyword_seen is not None, f"continuation line without a keyword: {line}"
                _append(entry, keyword_seen, ast.literal_eval(line))
            else:
                match = re.fullmatch(
                    r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")', line
                )
                assert match, f"unexpected line in the .po file: {line}"
                keyword, index, value = match.groups()
                keyword_seen = (keyword, int(index) if index is not None else None)
                if keyword == "msgctxt":
                    entry.msgctxt = ""
                elif keyword == "msgid_plural":
                    entry.msgid_plural = ""
                elif keyword == "msgstr":
                    entry.msgstr[keyword_seen[1]] = ""
                _append(entry, keyword_seen, ast.literal_eval(value))
        entries.append(entry)
    return entries


def _append(entry: Entry, keyword: tuple[str, int | None], text: str) -> None:
    name, index = keyword
    if name == "msgctxt":
        entry.msgctxt += text
    elif name == "msgid":
        entry.msgid += text
    elif name == "msgid_plural":
        entry.msgid_plural += text
    else:
        entry.msgstr[index] += text


def placeholders(text: str) -> dict[str, Counter]:
    """What must survive translation. Named placeholders may repeat (word order differs)."""
    text_without_literal_percent = text.replace("%%", "")
    percent = PERCENT_PLACEHOLDER.findall(text_without_literal_percent)
    return {
        "named": Counter({p for p in percent if p.startswith("%(")}),
        "positional": Counter(p for p in percent if not p.startswith("%(")),
        "brace": Counter(BRACE_PLACEHOLDER.findall(text)),
        "html": Counter(HTML_TAG.findall(text)),
    }


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    """The translatable entries (everything but the header)."""
    return [entry for entry in po_entries if entry.msgid != ""]


# --- the parser itself ------------------------------------------------------------------


def test_parser_reads_context_plurals_flags_and_continuation_lines(tmp_path):
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgctxt "route"\nmsgid ""\n"by %(how)s "\n"mouth"\nmsgstr "口服%(how)s"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s 天"\n',
        encoding="utf-8",
    )
    header, contextual, plural = parse_po(sample)
    assert "nplurals=1" in header.msgstr[None]
    assert contextual.msgctxt == "route"
    assert contextual.msgid == "by %(how)s mouth"
    assert contextual.flags == {"fuzzy", "python-format"}
    assert contextual.references == ["a.py:1"]
    assert plural.msgid_plural == "%(n)s days"
    assert plural.msgstr == {0: "%(n)s 天"}


def test_placeholder_extraction_sees_named_positional_brace_and_markup():
    found = placeholders('%(name)s has %d of {count} <a href="#x">items</a> at 100%%')
    assert found["named"] == Counter({"%(name)s": 1})
    assert found["positional"] == Counter({"%d": 1})
    assert found["brace"] == Counter({"{count}": 1})
    assert found["html"] == Counter({'<a href="#x">': 1, "</a>": 1})


# --- (a) complete ---------------------------------------------------------------------


def test_header_declares_chinese_with_one_plural_form_and_is_not_fuzzy(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: zh_Hans\n" in header.msgstr[None]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr[None]
    assert "charset=UTF-8" in header.msgstr[None]


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    assert len(messages) > 500  # the interface, not an empty catalogue
    fuzzy = [entry.label for entry in messages if "fuzzy" in entry.flags]
    empty = [
        entry.label
        for entry in messages
        if not entry.msgstr or any(not text.strip() for text in entry.msgstr.values())
    ]
    assert fuzzy == []
    assert empty == []


def test_plural_messages_have_exactly_the_one_chinese_form(messages):
    plurals = [entry for entry in messages if entry.msgid_plural is not None]
    assert plurals, "the interface has plural messages (minutes, sources, …)"
    wrong = [entry.label for entry in plurals if set(entry.msgstr) != {0}]
    assert wrong == []


def test_each_message_appears_once(messages):
    keys = Counter((entry.msgctxt, entry.msgid) for entry in messages)
    assert [key for key, count in keys.items() if count > 1] == []


def test_translations_are_chinese_except_names_and_codes(messages):
    """A msgstr left in English (copied msgid) is an untranslated string in disguise."""
    # Kept as is on purpose: the language's own name, a FHIR field name, formats, a separator.
    allowed_same = {"English", "FHIR linkId"}
    copied = [
        entry.label
        for entry in messages
        if entry.msgid not in allowed_same
        and any(text == entry.msgid for text in entry.msgstr.values())
        and re.search(r"[A-Za-z]{3,}", entry.msgid)
    ]
    assert copied == []
    without_han = [
        entry.label
        for entry in messages
        if re.search(r"[A-Za-z]{3,}", PERCENT_PLACEHOLDER.sub("", entry.msgid))
        and entry.msgid not in allowed_same
        and not any(re.search(r"[\u4e00-\u9fff]", text) for text in entry.msgstr.values())
    ]
    assert without_han == []


# --- (b) placeholders and markup ------------------------------------------------------


def test_placeholders_and_markup_match_the_source(messages):
    mismatches = []
    for entry in messages:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for text in entry.msgstr.values():
            translated = placeholders(text)
            # A one-form (Chinese) plural must work for every count, so it keeps the
            # placeholders of the plural source (they equal the singular's in this project).
            expected = placeholders(sources[-1])
            if translated != expected:
                mismatches.append((entry.label, text))
    assert mismatches == []


def test_python_format_messages_format_with_their_own_arguments(messages):
    """Named placeholders in a translation must be formattable with the source's mapping."""
    failures = []
    for entry in messages:
        if "python-format" not in entry.flags:
            continue
        names = re.findall(r"%\(([^)]+)\)", entry.msgid)
        arguments = dict.fromkeys(names, 1) if names else ()
        entry.msgid % arguments  # the source itself formats with these arguments
        for text in entry.msgstr.values():
            try:
                text % arguments
            except (KeyError, TypeError, ValueError) as error:
                failures.append((entry.label, text, repr(error)))
    assert failures == []


# --- (c) the compiled catalogue matches the source ------------------------------------


def test_compiled_catalogue_translates_every_message_as_the_po_says(messages):
    with MO_PATH.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.info().get("plural-forms") == "nplurals=1; plural=0;"
    stale = []
    for entry in messages:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = catalogue.gettext(entry.msgid)
            else:
                got = catalogue.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr[None]:
                stale.append((entry.label, got))
            continue
        for count in (1, 2, 7):
            if entry.msgctxt is None:
                got = catalogue.ngettext(entry.msgid, entry.msgid_plural, count)
            else:
                got = catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, count)
            if got != entry.msgstr[0]:
                stale.append((entry.label, count, got))
    assert stale == [], "the .mo is older than the .po: run compilemessages"


def test_django_loads_the_catalogue_for_zh_hans(messages):
    from django.utils import translation

    sample = next(entry for entry in messages if entry.msgid == "Check your answers")
    with translation.override("zh-hans"):
        assert translation.gettext("Check your answers") == sample.msgstr[None]
    with translation.override("en"):
        assert translation.gettext("Check your answers") == "Check your answers"


# --- (d) a patient page in Chinese ----------------------------------------------------

TRANSLATE_TAG = re.compile(r"""\{%\s*translate\s+(["'])(.+?)\1\s*%\}""")


def template_strings(*names: str) -> list[str]:
    """The simple {% translate "…" %} strings of some templates."""
    found = []
    for name in names:
        found += [match[1] for match in TRANSLATE_TAG.findall((TEMPLATES / name).read_text())]
    return list(dict.fromkeys(found))


@pytest.mark.django_db
def test_patient_landing_in_chinese_shows_the_translations_not_the_english(client, messages):
    version = publish(clinic_definition())
    _invitation, english_token = invite(version, patient_ref="P-EN", language="en")
    _invitation, chinese_token = invite(version, patient_ref="P-ZH", language="zh-hans")

    english = client.get(reverse("patient:landing", kwargs={"token": english_token}))
    chinese = client.get(reverse("patient:landing", kwargs={"token": chinese_token}))
    assert english.status_code == chinese.status_code == 200
    english_html, chinese_html = english.content.decode(), chinese.content.decode()
    assert '<html lang="zh-hans">' in chinese_html

    translations = {
        entry.msgid: entry.msgstr[None]
        for entry in messages
        if entry.msgctxt is None and entry.msgid_plural is None
    }
    shown_in_english = [
        msgid
        for msgid in template_strings("patient/landing.html", "patient/base_patient.html")
        if escape(msgid) in english_html
    ]
    # The page shows its purpose, time, privacy and start button: a fair sample.
    assert len(shown_in_english) >= 6
    for msgid in shown_in_english:
        assert escape(msgid) not in chinese_html, f"untranslated on the Chinese page: {msgid}"
        assert escape(translations[msgid]) in chinese_html, f"translation missing: {msgid}"
    # An anchor checked by a reader, independent of the .po file: the service name.
    assert "为就诊做准备" in chinese_html
    # The plural message rendered with the questionnaire's estimate (10 minutes).
    assert "About 10 minutes." in english_html
    assert "大约 10 分钟。" in chinese_html


@pytest.mark.django_db
def test_validation_messages_on_a_chinese_step_are_translated(client):
    version = publish(clinic_definition())
    _invitation, token = invite(version, language="zh-hans")
    from tests.factories import PatientBrowser

    patient = PatientBrowser(client, token)
    patient.start()
    page = patient.post("about", {})
    html = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" not in html
    assert "出现了问题" in html  # the error summary's heading
    assert "Select an answer" not in html
    assert "请选择一个答案" in html
