"""Issue 10: the patient's result page is an Option Grid that informs without ranking.

For the demo case of each of the five conditions (``tests/summary/builders.py``), in
English and in Chinese, on a phone (390×844): axe clean; no fit number, rank or "best"/
"leads"/points wording; an option grid of 2–4 options with one denominator and icon
arrays that have a text equivalent; the options in their groups, alphabetically; and the
top of the page (everything before the first collapsed <details>) at most six screens.

The responses are made through the services (the same path a patient's browser takes;
walking the questionnaire in the browser is tests/browser/test_patient_journey.py's job),
and the page is the real confirmation page of the live server.
"""

from __future__ import annotations

import re

import pytest
from pypinyin import Style, lazy_pinyin

from questionnaires.models import Result, Team
from questionnaires.services.invitations import invitation_create
from tests.browser.support import (
    CJK,
    assert_accessible,
    assert_no_horizontal_overflow,
    screenshot,
)
from tests.summary.builders import CONDITIONS, demo_answers, submitted_response_for

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MAX_SCREENS = 6
NOT_A_RECOMMENDATION = "This is not a recommendation."
# Wording that ranks the options or scores them, in either language.
RANKING_WORDS = {
    "en": re.compile(
        r"\bbest\b|\bleads?\b(?!\s+to\b)|\bleading\b|\bpoints?\b|out of 100\b|\branked\b"
        r"|\bfirst place\b"
        r"|\bclose call\b|\bfit with your priorities\b",
        re.IGNORECASE,
    ),
    "zh-hans": re.compile(
        r"最佳|最好|最适合|领先|满分|排名|第一名|(?<![一二三四五六七八九十千])分之|相差.{0,4}分|\d+\s*分(?!钟)"
    ),
}
SCORE_PATTERN = re.compile(r"\b\d+\s*(?:/|out of)\s*100\b|\b\d+\s*points?\b", re.IGNORECASE)
FIGURE = {
    "en": re.compile(r"(?:in|per) (1,000|100) people"),
    "zh-hans": re.compile(r"每\s*(1000|100)\s*(?:人|名)"),
}
DENOMINATOR = {"1,000": 1000, "1000": 1000, "100": 100}


def demo_link(live_server, *, condition: str, language: str) -> tuple[str, Result]:
    """A submitted demo response of ``condition`` answered in ``language``: its
    confirmation page and its frozen result."""
    from questionnaires.models import Questionnaire

    team, _created = Team.objects.get_or_create(name="Browser test clinic")
    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        patient_ref=f"{condition[:3]}-{language}",
        disease=condition,
        language=language,
        team=team,
    )
    response = submitted_response_for(
        invitation=invitation, answers=demo_answers(condition), language=language
    )
    return f"{live_server.url}/p/{token}/done/", Result.objects.get(response=response)


def page_text(page) -> str:
    """The whole results section's text, closed disclosures and the therapy profiles' own
    texts included."""
    return page.evaluate("() => document.querySelector('section.results').textContent")


def top_of_page_height(page) -> float:
    """From the top of the document to the first collapsed <details>."""
    return page.evaluate(
        """() => {
            const first = document.querySelector('details:not([open])');
            return first.getBoundingClientRect().top + window.scrollY;
        }"""
    )


def group_names(page, key: str) -> list[str]:
    return page.locator(f"[data-testid='group-{key}'] li[data-option] > strong").all_inner_texts()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("condition", CONDITIONS)
def test_option_grid_on_a_phone(new_context, demo_content, live_server, condition, language):
    link, _result = demo_link(live_server, condition=condition, language=language)
    page = new_context(viewport=PHONE).new_page()
    page.goto(link)
    assert page.get_by_test_id("confirmation").is_visible()
    assert page.locator("html").get_attribute("lang") == language
    results = page.locator("section.results")

    # The notice, in the patient's language.
    notice = results.locator(".results-notice").inner_text()
    if language == "en":
        assert NOT_A_RECOMMENDATION in notice
    else:
        assert CJK.search(notice) and NOT_A_RECOMMENDATION not in notice

    # No ranking: no fit number, no meter, no ordered list of options, no ranking words.
    text = page_text(page)
    assert not RANKING_WORDS[language].search(text), RANKING_WORDS[language].search(text)
    assert not SCORE_PATTERN.search(text), SCORE_PATTERN.search(text)
    assert results.locator("meter").count() == 0
    assert results.locator("ol").count() == results.locator("ol.results-priorities").count()
    for item in results.locator(".results-group > li").all_inner_texts():
        assert not re.match(r"\s*\d", item), item  # no "1." before an option

    # The grid: 2–4 options, each also listed in a suitable group.
    grid = page.get_by_test_id("option-grid")
    columns = grid.locator("thead th[scope='col']")
    assert 2 <= columns.count() <= 4
    suitable = set(group_names(page, "fits")) | set(group_names(page, "conflicts"))
    for option_id in columns.evaluate_all("cells => cells.map(c => c.dataset.option)"):
        assert page.locator(f"[data-testid^='group-'] li[data-option='{option_id}']").count()

    # One denominator across the grid, stated once, used by every figure.
    denominator = int(grid.get_attribute("data-denominator"))
    figures = {DENOMINATOR[m] for m in FIGURE[language].findall(grid.text_content())}
    assert figures == {denominator}, figures
    # Icon arrays: as many dots as the denominator, named by the sentence beside them.
    arrays = grid.locator("svg.icon-array")
    assert arrays.count() >= columns.count()  # at least every serious-harm figure
    for svg in arrays.all():
        assert svg.get_attribute("role") == "img"
        assert int(svg.get_attribute("data-total")) == denominator
        label = page.locator(f"[id='{svg.get_attribute('aria-labelledby')}']").inner_text()
        assert FIGURE[language].search(label), label

    # Groups: alphabetical by the name the patient reads, what they do now last (options
    # against a stated limit under each reason, alphabetically under each).
    alphabet = str.casefold if language == "en" else (lambda n: lazy_pinyin(n, style=Style.TONE3))
    lists = page.locator(
        "[data-testid='group-fits'], [data-testid='group-not-suitable'], "
        "[data-testid='group-conflicts'] ul.results-names"
    )
    assert lists.count() >= 1
    for listed in lists.all():
        ids = listed.locator(":scope > li[data-option]").evaluate_all(
            "items => items.map(i => i.dataset.option)"
        )
        names = listed.locator(":scope > li[data-option] > strong").all_inner_texts()
        others = [n for n, option_id in zip(names, ids, strict=True) if option_id != "no_change"]
        # Chinese names are in pinyin order, as a Chinese reader looks them up (the unit
        # test in tests/summary/test_patient_results.py uses the same key).
        assert others == sorted(others, key=alphabet), names
        if "no_change" in ids:
            assert ids[-1] == "no_change"

    # The current treatment is never both an option to discuss and "not suitable".
    listed_twice = set(group_names(page, "not-suitable")) & suitable
    assert not listed_twice

    # Short on a phone: the top part, then clearly labelled disclosures.
    height = top_of_page_height(page)
    assert height <= MAX_SCREENS * PHONE["height"], f"top of the page is {height}px"
    summaries = results.locator("details > summary").all_inner_texts()
    assert summaries and all(summary.strip() for summary in summaries)
    assert_no_horizontal_overflow(page, width=PHONE["width"], name=f"{condition} {language}")
    assert_accessible(page, f"{condition}-{language}-results-390px")
    screenshot(page, f"{condition}-{language}-results-390px")


def test_the_grid_is_a_table_on_a_wide_screen_and_works_without_javascript(
    new_context, demo_content, live_server
):
    link, _result = demo_link(live_server, condition="psoriasis", language="en")
    wide = new_context().new_page()
    wide.goto(link)
    grid = wide.get_by_test_id("option-grid")
    assert grid.locator("thead").is_visible()
    assert grid.locator("tbody th[scope='row']").count() == 6
    assert_no_horizontal_overflow(wide, width=1024, name="results at 1024px")
    assert_accessible(wide, "psoriasis-en-results-1024px")
    screenshot(wide, "psoriasis-en-results-1024px")

    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto(link)
    assert page.get_by_test_id("option-grid").is_visible()
    # A disclosure opens without scripts.
    details = page.locator("details.results-option").first
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    assert details.locator("h5").first.is_visible()
