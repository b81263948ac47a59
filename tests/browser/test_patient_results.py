"""Issue 4: after sending, the confirmation page shows the patient's own results.

What they said matters most, the options at a glance (a table on wide screens, cards on
narrow ones), how each option fits and why, conflicts with the limits they gave, their
own questions, and that this is not a recommendation, in English and in Chinese, free of
serious or critical axe-core violations, without sideways scrolling on a phone.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from questionnaires.models import Result
from questionnaires.summary.explain import option_name
from tests.browser.support import (
    CJK,
    PatientPages,
    assert_accessible,
    assert_no_horizontal_overflow,
    response_for,
    screenshot,
)

pytestmark = pytest.mark.browser

RANKING = [
    "convenience",
    "serious_harm",
    "effectiveness",
    "speed",
    "side_effects",
    "monitoring",
    "certainty",
]
GOAL = {"en": "Clear skin on my hands", "zh-hans": "手上的皮肤能好起来"}
OWN_QUESTION = {"en": "Can I stop if it does not work?", "zh-hans": "如果没效果，可以停药吗？"}
NOT_A_RECOMMENDATION = "This is not a recommendation."


def answers_for(language: str) -> dict:
    """A patient who refuses injections and drips, and accepts no extra risk of serious
    harm: the injected and infused options then conflict with what they said."""
    return {
        "priority_ranking": RANKING,
        "mar_serious_harm": "none",
        "routes_accepted": ["topical", "oral"],
        "experimental_openness": "no",
        "goal": GOAL[language],
        "own_questions": OWN_QUESTION[language],
    }


def fit_numbers(page) -> list[int]:
    return [
        int(value)
        for value in page.locator(".fit meter").evaluate_all(
            "meters => meters.map(m => m.getAttribute('value'))"
        )
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_results_after_sending(new_context, invitation_link, language):
    link = invitation_link(lang=language)
    page = new_context().new_page()
    patient = PatientPages(page)
    page.goto(link)
    patient.start()
    patient.walk_to_check(answers_for(language))
    patient.submit()
    assert page.get_by_test_id("confirmation").is_visible()
    assert page.locator("html").get_attribute("lang") == language

    weighing = Result.objects.get(response=response_for(link)).weighing
    with translation.override(language):
        names = {
            option["option_id"]: option_name(weighing, option["option_id"])
            for option in weighing["ranked"]
        }
    criteria = {criterion["key"]: criterion["name"] for criterion in weighing["criteria"]}
    ranked = weighing["ranked"]
    assert weighing["priority"][:3] == RANKING[:3]  # the patient's own order

    results = page.locator("section.results")
    assert results.is_visible()
    notice = results.locator(".results-notice").inner_text()
    footer = results.locator(".results-footer").inner_text()
    if language == "en":
        assert NOT_A_RECOMMENDATION in notice and NOT_A_RECOMMENDATION in footer
    else:
        # The patient reads Chinese: the notice is translated, not shown in English.
        assert CJK.search(notice) and NOT_A_RECOMMENDATION not in notice
        assert CJK.search(footer) and NOT_A_RECOMMENDATION not in footer
        assert CJK.search(page.locator("#results-title").inner_text())

    # What they said matters most: their top three, in their order and language.
    priorities = results.locator("ol.results-priorities > li").all_inner_texts()
    assert priorities == [criteria[key][language] for key in RANKING[:3]]

    # The options at a glance: a table on a wide screen, at most five options and "no change".
    table = results.locator(".option-grid table")
    assert table.is_visible()
    assert not results.locator(".option-cards").is_visible()
    columns = table.locator("thead th[scope='col']")
    assert 2 <= columns.count() <= 5
    assert table.locator("tbody th[scope='row']").count() == 8
    status_quo = next(option for option in ranked if option["is_status_quo"])
    assert any(names[status_quo["option_id"]] in text for text in columns.all_inner_texts())

    # How each option fits, best first, each with its explanation.
    fits = results.locator("ol.fit-list > li.fit")
    assert fits.count() == len(ranked)
    numbers = fit_numbers(page)
    assert numbers == [option["fit_display"] for option in ranked]
    # Best fit first within each guideline group; the groups come first (issue 8: an option
    # against a stated limit follows those within every limit, whatever its fit).
    groups = [option["group"] for option in ranked]
    assert groups == sorted(groups)
    # "No change" for active, uncontrolled disease comes last in its group.
    uncontrolled = [
        option
        for option in ranked
        if any(r["code"] == "status_quo_active_disease" for r in option["restrictions"])
    ]
    for group in set(groups):
        members = [option for option in ranked if option["group"] == group]
        in_group = [o["fit_display"] for o in members if o not in uncontrolled]
        assert in_group == sorted(in_group, reverse=True)
        if any(option in uncontrolled for option in members):
            assert members[-1] in uncontrolled
    for fit in fits.all():
        assert fit.locator("p").nth(1).inner_text().strip()  # the "why" sentence

    # Conflicts with the limits they gave are listed to discuss, never dropped.
    in_conflict = [option for option in ranked if option["conflicts"]]
    assert in_conflict, "refusing injections and any extra risk must conflict with something"
    listed = results.locator("ul.results-conflicts > li").all_inner_texts()
    assert len(listed) == len(in_conflict)
    for option, text in zip(in_conflict, listed, strict=True):
        assert text.startswith(names[option["option_id"]])
    assert results.locator(".fit__conflict").count() >= len(in_conflict)

    # Their own words come back to them.
    assert GOAL[language] in results.inner_text()
    assert OWN_QUESTION[language] in results.locator(".results-questions").inner_text()

    assert_accessible(page, f"{language}-results")
    screenshot(page, f"{language}-results-1024px")

    # On a phone: cards instead of the table, nothing scrolls sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    assert results.locator(".option-cards").is_visible()
    assert not table.is_visible()
    assert results.locator(".option-card").count() == columns.count()
    assert_no_horizontal_overflow(page, width=360, name=f"{language} results at 360px")
    assert_accessible(page, f"{language}-results-360px")
    screenshot(page, f"{language}-results-360px")
