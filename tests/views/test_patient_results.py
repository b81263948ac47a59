"""The patient's results: context builder and the partial templates/patient/_results.html."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from questionnaires.services.weighing import simulation_run
from questionnaires.views.patient_results import (
    GRID_MAX_OPTIONS,
    patient_results_context,
    patient_results_context_for,
)
from tests.seeded import seeded_database

VITILIGO = {
    "condition": "vitiligo",
    "vit_spreading": "slow",
    "vit_area": "3_to_10",
    "vit_impact": 7,
    "priority_ranking": ["effectiveness", "certainty", "serious_harm"],
    "experimental_openness": "maybe",
    "mar_serious_harm": "1_in_1000",
    "goal": "Colour back on my hands",
    "own_questions": "Is light treatment safe for my skin?\nHow often would I go?",
}


@pytest.fixture(scope="module")
def demo_version(django_db_setup, django_db_blocker):
    with seeded_database(django_db_blocker) as version:
        yield version


@pytest.fixture
def vitiligo_weighing(demo_version, db):
    return simulation_run(version=demo_version, answers=VITILIGO)["weighing"]


def render(results) -> str:
    return render_to_string("patient/_results.html", {"results": results})


def test_nothing_weighed_renders_nothing():
    assert patient_results_context(weighing={}, answers={}, language="en") is None
    assert render(None).strip() == ""


def test_the_grid_has_the_best_options_and_no_change_in_fit_order(vitiligo_weighing):
    context = patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")

    ranked = [option["option_id"] for option in vitiligo_weighing["ranked"]]
    columns = [column["option_id"] for column in context["grid"]["columns"]]
    assert len(columns) == min(GRID_MAX_OPTIONS, len(ranked))
    assert "no_change" in columns
    assert columns == [option_id for option_id in ranked if option_id in columns]
    others = [option_id for option_id in ranked if option_id != "no_change"]
    assert set(others[: GRID_MAX_OPTIONS - 1]) <= set(columns)
    assert context["more_options"] == len(ranked) - len(columns)
    assert [row["key"] for row in context["grid"]["rows"]] == [
        "how_taken",
        "speed",
        "effect",
        "common_side_effects",
        "serious_risks",
        "monitoring",
        "certainty",
        "status",
    ]
    assert len(context["fits"]) == len(ranked)


def test_experimental_options_show_their_status_and_certainty_everywhere(vitiligo_weighing):
    html = render(
        patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")
    )
    # IVIG (experimental, very thin evidence) ranks low: it is in the fit list, not the grid.
    # Each fit item up to its end (the last one no longer runs into the next section now
    # that "no change", not IVIG, comes last: issue 8's groups).
    fit_items = [item.split("</li>")[0] for item in html.split('<li class="fit">')[1:]]
    (ivig,) = [item for item in fit_items if "Intravenous immunoglobulin" in item]
    assert "Experimental" in ivig
    assert "Evidence: Very low certainty" in ivig
    assert "To discuss:" in ivig  # the patient was unsure about experimental treatment
    # Every column of the grid and every card carries the badges of its option too.
    for card in html.split('<article class="option-card"')[1:]:
        assert 'class="option-badges"' in card


def test_the_page_has_every_required_part(vitiligo_weighing):
    html = render(
        patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")
    )
    for expected in (
        "This is not a recommendation.",
        "What you said matters most",
        "Your options at a glance",
        "How is it taken?",
        "How soon does it help?",
        "How well does it work?",
        "How sure is the evidence?",
        "How the options fit your priorities",
        "Fits your priorities mainly because of",
        "Things to talk about",
        "Colour back on my hands",
        "Is light treatment safe for my skin?<br>How often would I go?",
        "The information about the options was checked between",
        "Not recommended for your condition",
    ):
        assert expected in html, expected
    # Phones get the same facts as stacked cards; the table is for wider screens.
    assert 'class="option-grid"' in html and 'class="option-cards"' in html
    assert html.count('<article class="option-card"') == len(
        patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")[
            "grid"
        ]["columns"]
    )
    assert not re.search(r"\sstyle=", html), "inline styles break the strict CSP"
    assert "<script" not in html


def test_natural_frequencies_are_shown_in_the_grid(vitiligo_weighing):
    context = patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")
    effect = next(row for row in context["grid"]["rows"] if row["key"] == "effect")
    columns = [column["option_id"] for column in context["grid"]["columns"]]
    cell = effect["cells"][columns.index("ruxolitinib_cream")]
    assert any(" in 100 people" in line for line in cell["lines"])


def test_chinese_page_uses_the_chinese_profiles(vitiligo_weighing):
    context = patient_results_context(
        weighing=vitiligo_weighing, answers=VITILIGO, language="zh-hans"
    )
    names = [column["name"] for column in context["grid"]["columns"]]
    assert any(re.search(r"[\u4e00-\u9fff]", name) for name in names)
    assert context["language"] == "zh-hans"
    assert translation.get_language() == "en"  # the override does not leak


def test_the_context_comes_from_the_frozen_result(vitiligo_weighing):
    result = SimpleNamespace(
        weighing=vitiligo_weighing,
        response=SimpleNamespace(answers=VITILIGO, language="zh-hans"),
    )
    context = patient_results_context_for(result=result)
    assert context["language"] == "zh-hans"
    assert context["own_questions"].startswith("Is light treatment safe")
    assert patient_results_context_for(result=result, language="en")["language"] == "en"
