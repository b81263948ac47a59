"""The patient's results: context builder and the partial templates/patient/_results.html.

Issue 10: an Option Grid that informs without ranking. Checked on the demo case of each of
the five conditions (tests/summary/builders.py) weighed against the shipped profiles.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from pypinyin import Style, lazy_pinyin

from questionnaires.services.therapy_content import THERAPY_DIR
from questionnaires.services.weighing import simulation_run
from questionnaires.summary.patient_results import (
    patient_results_context,
    patient_results_context_for,
)
from questionnaires.summary.patient_results.grid import rescaled_outcome_text
from questionnaires.summary.patient_results.groups import GRID_MAX_OPTIONS, GRID_MIN_OPTIONS
from questionnaires.summary.patient_results.words import CONDITION_WORDS, for_condition
from tests.seeded import seeded_database
from tests.summary.builders import CONDITIONS, demo_answers

# Every test may read the demo content the module-scoped fixtures load into the test
# database; without the mark, a test run alone would open the settings database instead.
pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "zh-hans")
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
RANKING_WORDS = {
    "en": re.compile(
        r"\bbest\b|\bleads?\b(?!\s+to\b)|\bleading\b|\bpoints?\b|out of 100\b|\branked\b"
        r"|\bfirst place\b"
        r"|\bclose call\b|\bfit with your priorities\b|\bstatus quo\b|\bcentroid\b",
        re.IGNORECASE,
    ),
    "zh-hans": re.compile(
        r"最佳|最好|最适合|领先|满分|排名|第一名|(?<![一二三四五六七八九十千])分之|相差.{0,4}分|\d+\s*分(?!钟)"
    ),
}
FIGURE = re.compile(r"(?:in|per) (1,000|100) people|每\s*(1000|100)\s*(?:人|名)")


@pytest.fixture(scope="module")
def demo_version(django_db_setup, django_db_blocker):
    with seeded_database(django_db_blocker) as version:
        yield version


@pytest.fixture(scope="module")
def demo_weighings(demo_version, django_db_blocker) -> dict[str, dict]:
    """The weighing of each condition's demo case."""
    with django_db_blocker.unblock():
        return {
            condition: simulation_run(
                version=demo_version, answers={**demo_answers(condition), "condition": condition}
            )["weighing"]
            for condition in CONDITIONS
        }


@pytest.fixture
def vitiligo_weighing(demo_version, db):
    return simulation_run(version=demo_version, answers=VITILIGO)["weighing"]


def context_of(weighings, condition: str, language: str = "en") -> dict:
    return patient_results_context(
        weighing=weighings[condition], answers=demo_answers(condition), language=language
    )


def render(results) -> str:
    """The partial as the page renders it: in the language the context was built in."""
    with translation.override(results["language"] if results else "en"):
        return render_to_string("patient/_results.html", {"results": results})


def group_ids(weighing: dict, group: int) -> set[str]:
    return {
        option["option_id"]
        for entry in weighing["groups"]
        if entry["group"] == group
        for option in entry["options"]
    }


def test_nothing_weighed_renders_nothing():
    assert patient_results_context(weighing={}, answers={}, language="en") is None
    assert render(None).strip() == ""


@pytest.mark.parametrize("condition", CONDITIONS)
def test_options_are_shown_in_the_weighings_groups(demo_weighings, condition):
    weighing = demo_weighings[condition]
    context = context_of(demo_weighings, condition)
    shown = {
        group["key"]: {o["option_id"] for o in group["options"]} for group in context["groups"]
    }
    assert shown.get("fits", set()) == group_ids(weighing, 1)
    assert shown.get("conflicts", set()) == group_ids(weighing, 2)
    # Not suitable now: all of group 3 but the current treatment when staying on it already
    # stands for it (never "the option to discuss" and "not suitable" at once).
    not_suitable = {item["option_id"] for item in context["not_suitable"]}
    current = weighing["current_therapy"]
    assert not_suitable == group_ids(weighing, 3) - {current}
    # Each option against a stated limit is under at least one reason.
    for group in context["groups"]:
        if group["key"] == "conflicts":
            under = {o["option_id"] for r in group["by_reason"] for o in r["options"]}
            assert under == {o["option_id"] for o in group["options"]}
    everywhere = [o["option_id"] for g in context["groups"] for o in g["options"]]
    assert len(everywhere) == len(set(everywhere))
    assert not set(everywhere) & not_suitable


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_alphabetical_within_each_group_what_you_do_now_last(demo_weighings, condition, language):
    context = context_of(demo_weighings, condition, language)
    lists = [g["options"] for g in context["groups"]] + [context["not_suitable"]]
    for group in context["groups"]:
        for reason in group.get("by_reason", []):
            lists.append(reason["options"])
    # Chinese readers look names up by pinyin (the tone-numbered syllables), not by the
    # characters' code points.
    key = (lambda name: lazy_pinyin(name, style=Style.TONE3)) if language != "en" else str.casefold
    for options in lists:
        names = [o["name"] for o in options if not o["is_status_quo"]]
        assert names == sorted(names, key=key)
        if any(o["is_status_quo"] for o in options):
            assert options[-1]["is_status_quo"]
    # The weighing's own order is not what the page shows: at least one demo case would
    # read as a ranking if it were (the test cannot pass by accident on a sorted weighing).
    if condition == "psoriasis":
        ranked = [o["option_id"] for o in demo_weighings[condition]["ranked"]]
        shown = [o["option_id"] for o in context["groups"][0]["options"]]
        assert shown != [option_id for option_id in ranked if option_id in shown]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_grid_has_two_to_four_options_first_group_then_second(demo_weighings, condition):
    weighing = demo_weighings[condition]
    context = context_of(demo_weighings, condition)
    columns = context["grid"]["columns"]
    assert GRID_MIN_OPTIONS <= len(columns) <= GRID_MAX_OPTIONS <= 4
    ids = [column["option_id"] for column in columns]
    assert not set(ids) & group_ids(weighing, 3)
    others = [i for i in ids if i != "no_change"]
    # Taken from the first group before the second: none of group 2 while group 1 has more.
    first = group_ids(weighing, 1) - {"no_change"}
    if any(i in group_ids(weighing, 2) for i in others):
        assert first <= set(others)
    # Staying on the current treatment is compared whenever the patient is on one.
    on_treatment = weighing["current_treatment_answer"] not in (None, "", "none")
    status_quo_suitable = "no_change" not in group_ids(weighing, 3)
    assert ("no_change" in ids) == (
        status_quo_suitable and (on_treatment or len(others) < GRID_MIN_OPTIONS)
    )
    assert [row["key"] for row in context["grid"]["rows"]] == [
        "effect",
        "speed",
        "serious_harm",
        "common_side_effects",
        "how_taken",
        "monitoring",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_one_denominator_across_the_grid_with_icon_arrays(demo_weighings, condition, language):
    context = context_of(demo_weighings, condition, language)
    grid = context["grid"]
    denominator = grid["denominator"]
    html = render(context)
    table = html.split('data-testid="option-grid"')[1].split("</table>")[0]
    figures = {int((a or b).replace(",", "")) for a, b in FIGURE.findall(table)}
    assert figures == {denominator}
    # Per 100 only where every figure is a whole number of people in 100.
    ranked = {o["option_id"]: o for o in demo_weighings[condition]["ranked"]}
    harms = [
        Decimal(ranked[c["option_id"]]["values"]["serious_harm"])
        for c in grid["columns"]
        if ranked[c["option_id"]]["values"].get("serious_harm") is not None
    ]
    all_whole = all((harm / 10) == (harm / 10).to_integral_value() for harm in harms)
    assert (denominator == 100) == all_whole
    # Every serious-harm figure has its icon array: that many dots, that many filled.
    harm_row = next(row for row in grid["rows"] if row["key"] == "serious_harm")
    for column, cell in zip(grid["columns"], harm_row["cells"], strict=True):
        value = Decimal(ranked[column["option_id"]]["values"]["serious_harm"])
        icons = cell["icons"]
        assert icons["total"] == denominator
        assert icons["filled"] == int((value * denominator / 1000).to_integral_value())
        assert f'aria-labelledby="{icons["label_id"]}"' in html
        assert f'id="{icons["label_id"]}"' in html


def test_per_100_when_every_figure_allows(demo_weighings):
    """Relapsing MS: every option in the grid has 10 in 1000 serious harm (1 in 100)."""
    context = context_of(demo_weighings, "multiple_sclerosis")
    assert context["grid"]["denominator"] == 100
    assert context_of(demo_weighings, "psoriasis")["grid"]["denominator"] == 1000


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_no_ranking_words_or_numbers(demo_weighings, condition, language):
    html = render(context_of(demo_weighings, condition, language))
    # The therapy profiles' own texts too: the content is written without ranking words
    # (tests/content/test_therapy_content.py keeps it so).
    assert not RANKING_WORDS[language].search(html), RANKING_WORDS[language].search(html)
    assert "<meter" not in html
    # The only ordered list is the patient's own priorities.
    assert html.count("<ol") == html.count('<ol class="results-priorities"')
    for option in demo_weighings[condition]["ranked"]:
        assert f'value="{option["fit_display"]}"' not in html
    if language == "zh-hans":
        assert "This is not a recommendation." not in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_cards_never_contradict_themselves(demo_weighings, condition, language):
    weighing = demo_weighings[condition]
    context = context_of(demo_weighings, condition, language)
    with translation.override(language):
        no_figures = translation.gettext("No study figures for %(condition)s yet.") % {
            "condition": context["condition_name"]
        }
        how_sure = translation.gettext("How sure this figure is: %(certainty)s.").split("%")[0]
    for row in context["grid"]["rows"]:
        for column, cell in zip(context["grid"]["columns"], row["cells"], strict=True):
            text = " ".join(cell["lines"])
            # Never "no figures" beside how sure the figures are.
            assert not (no_figures in text and how_sure in text)
            # "Not confirmed" only on a figure whose value is unconfirmed for this option.
            uncertain = set(weighing["options"][column["option_id"]]["uncertain_values"])
            if cell["unconfirmed"]:
                assert row["key"] in uncertain
            # ... and always there: an unconfirmed onset or harm figure is never unmarked.
            if row["key"] == "serious_harm" or (
                row["key"] == "speed" and not column["is_status_quo"]
            ):
                assert cell["unconfirmed"] == (row["key"] in uncertain)
    # The current treatment: staying on it is one option, never also "not suitable" just
    # for being what the patient takes now.
    current = weighing["current_therapy"]
    if current:
        reasons = {
            item["option_id"]: [r["code"] for r in item["reasons"]]
            for item in weighing["not_suitable"]
        }
        assert reasons.get(current) == ["current_treatment"]  # the demo cases' situation
        assert current not in {item["option_id"] for item in context["not_suitable"]}
    # Badges: no card says "some facts not confirmed" any more.
    html = render(context)
    assert "Some facts not confirmed" not in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_grid_text_is_about_the_patients_condition(demo_weighings, condition, language):
    context = context_of(demo_weighings, condition, language)
    others = [words for code, words in CONDITION_WORDS.items() if code != condition]
    own = CONDITION_WORDS[condition]
    for row in context["grid"]["rows"]:
        if row["key"] == "effect":
            continue  # trial results quote their own populations
        for cell in row["cells"]:
            for line in cell["lines"]:
                if re.search(own, line, re.IGNORECASE):
                    continue
                assert not any(re.search(w, line, re.IGNORECASE) for w in others), line


def test_a_clause_about_another_condition_is_left_out():
    text = "Cream or ointment daily during flares; for eczema, twice a week on usual spots."
    assert for_condition(text, "psoriasis") == "Cream or ointment daily during flares"
    assert for_condition(text, "atopic_dermatitis") == text


def numbers_in(text: str) -> list[Decimal]:
    return [Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]


def test_every_shipped_outcome_sentence_can_be_counted_per_1000():
    """The shipped outcome sentences are per 100; in a per-1000 grid each figure in them,
    the comparison's too, is ten times larger and "in 100" is gone."""
    therapies = json.loads((THERAPY_DIR / "therapies.json").read_text(encoding="utf-8"))
    checked = 0
    for therapy in therapies["therapies"]:
        for indication in (therapy.get("indications") or {}).values():
            for outcome in indication.get("outcomes") or []:
                assert outcome["per"] == 100
                changed: dict[str, list[Decimal]] = {}
                for language, text in outcome["text"].items():
                    rescaled = rescaled_outcome_text(text, per=100, denominator=1000)
                    assert rescaled is not None, text
                    numbers = numbers_in(re.sub(r"(?:in|per) 100\b|每100", "", text))
                    scaled = numbers_in(re.sub(r"(?:in|per) 1,000|每1000", "", rescaled))
                    assert len(numbers) == len(scaled)
                    assert Decimal(outcome["count"]) * 10 in scaled
                    # Every number changed is a count times ten; the rest (weeks, PASI 90,
                    # 75%) are untouched.
                    for before, after in zip(numbers, scaled, strict=True):
                        assert after in (before, before * 10)
                    # Both languages state the same figures: as many rewritten in each.
                    changed[language] = sorted(
                        after
                        for before, after in zip(numbers, scaled, strict=True)
                        if after != before
                    )
                    assert "in 100 " not in rescaled and "每100" not in rescaled.replace(
                        "每1000", ""
                    )
                    checked += 1
                assert changed["en"] == changed["zh-hans"], outcome["text"]
    assert checked >= 40


def test_the_page_has_every_required_part(vitiligo_weighing):
    context = patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")
    html = render(context)
    for expected in (
        "This is not a recommendation.",
        "What you said matters most",
        "Some options side by side",
        "How well does it work?",
        "How soon does it help?",
        "Serious harm, such as a serious infection",
        "Common side effects",
        "How is it taken?",
        "Tests and check-ups",
        "Options that fit what you said matters",
        "More about each option",
        "Colour back on my hands",
        "Is light treatment safe for my skin?<br>How often would I go?",
        "The information about the options was checked between",
        "Treatments not recommended for your condition",
    ):
        assert expected in html, expected
    # The top part ends where the first disclosure begins: nothing collapsible inside it.
    top = html.split('data-testid="results-top"')[1].split('<h3 id="results-more">')[0]
    assert "<details" not in top
    assert not re.search(r"\sstyle=", html), "inline styles break the strict CSP"
    assert "<script" not in html


def test_experimental_options_show_their_status_and_certainty(vitiligo_weighing):
    html = render(
        patient_results_context(weighing=vitiligo_weighing, answers=VITILIGO, language="en")
    )
    (ivig,) = [item for item in html.split('<li data-option="')[1:] if item.startswith("ivig")]
    ivig = ivig.split("</li>")[0]
    assert "Experimental" in ivig
    assert "very low certainty" in ivig


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


def test_a_snapshot_from_before_the_groups_still_shows_every_option(demo_weighings):
    """Results frozen before issue 8 have no groups: an option against a stated limit is
    then listed with the conflicts, the others with the options that fit."""
    old = json.loads(json.dumps(demo_weighings["multiple_sclerosis"]))
    del old["groups"]
    for option in old["ranked"]:
        option.pop("group", None)
        option.pop("restrictions", None)
    context = patient_results_context(
        weighing=old, answers=demo_answers("multiple_sclerosis"), language="en"
    )
    shown = {g["key"]: {o["option_id"] for o in g["options"]} for g in context["groups"]}
    conflicted = {
        o["option_id"]
        for o in old["ranked"]
        if any(c["level"] == "conflict" for c in o["conflicts"])
    }
    assert shown["conflicts"] == conflicted
    assert shown["fits"] == {o["option_id"] for o in old["ranked"]} - conflicted
    assert 2 <= len(context["grid"]["columns"]) <= 4
