"""The shipped demo questionnaire: shape, vocabularies the engine relies on, translations.

The file is read with plain ``json`` first, so these checks do not depend on the
reader; once the reader (``interop.sdm_json``) exists, the file must also load through
it and pass the definition linter with no problems.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from questionnaires.engine import conditions
from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    InstrumentDef,
    Kind,
    QuestionDef,
    ScaleDef,
    Severity,
    StepDef,
    VersionDef,
)
from tests.paths import THERAPY_FACTS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = REPO_ROOT / "questionnaires/content/questionnaires/treatment-discussion.json"

LANGUAGES = ("en", "zh-hans")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
CJK = re.compile(r"[\u4e00-\u9fff]")

CONDITIONS = ("psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo")
# The 40 therapies of therapy_facts.json: the weighing engine and therapy rules use these codes.
THERAPY_SLUGS = frozenset(
    {
        "adalimumab",
        "secukinumab",
        "ixekizumab",
        "guselkumab",
        "risankizumab",
        "ustekinumab",
        "dupilumab",
        "tralokinumab",
        "lebrikizumab",
        "natalizumab",
        "ocrelizumab",
        "ofatumumab",
        "ublituximab",
        "alemtuzumab",
        "rituximab",
        "belimumab",
        "anifrolumab",
        "obinutuzumab",
        "ahsct",
        "msc",
        "ivig",
        "upadacitinib",
        "abrocitinib",
        "ruxolitinib_cream",
        "apremilast",
        "deucravacitinib",
        "methotrexate",
        "cyclosporine",
        "nb_uvb",
        "topical_corticosteroids",
        "topical_calcineurin_inhibitors",
        "topical_vitamin_d_analogues",
        "hydroxychloroquine",
        "systemic_glucocorticoids",
        "mycophenolate",
        "fingolimod",
        "teriflunomide",
        "dimethyl_fumarate",
        "interferon_beta",
        "glatiramer_acetate",
    }
)
CRITERIA = (
    "effectiveness",
    "speed",
    "serious_harm",
    "side_effects",
    "convenience",
    "monitoring",
    "certainty",
)
ROUTES = ("topical", "oral", "subcutaneous", "intravenous", "phototherapy", "procedure")
MAR_CODES = ("none", "1_in_1000", "1_in_100", "1_in_20", "not_sure")
SAFETY_YES_NO = (
    "safety_pregnancy",
    "safety_breastfeeding",
    "safety_infection",
    "safety_tb",
    "safety_hepatitis_b",
    "safety_cancer",
    "safety_live_vaccine",
    "safety_heart_failure",
    "safety_ibd",
    "safety_demyelinating",
    "safety_smoker",
    "safety_cardiovascular",
)
SURE_ITEMS = ("sure_sure", "sure_understand", "sure_risk_benefit", "sure_encouragement")

# Keys other parts of the system read, with the kind they must have.
NAMED_KEYS = {
    "condition": Kind.SINGLE_CHOICE,
    "age": Kind.INTEGER,
    "visit_date": Kind.DATE,
    "weight_kg": Kind.DECIMAL,
    "ms_relapses_12m": Kind.INTEGER,
    "ms_walking": Kind.SINGLE_CHOICE,
    "ms_mri_activity": Kind.SINGLE_CHOICE,
    "sle_flares_12m": Kind.INTEGER,
    "sle_symptoms": Kind.MULTIPLE_CHOICE,
    "sle_kidney": Kind.SINGLE_CHOICE,
    "vit_spreading": Kind.SINGLE_CHOICE,
    "prior_treatments": Kind.REPEAT_GROUP,
    "prior_therapy": Kind.SINGLE_CHOICE,
    "prior_duration": Kind.SINGLE_CHOICE,
    "prior_effect": Kind.SINGLE_CHOICE,
    "prior_stop_reason": Kind.SINGLE_CHOICE,
    "current_treatment": Kind.SINGLE_CHOICE,
    "current_treatment_satisfaction": Kind.RATING,
    "safety_jcv": Kind.SINGLE_CHOICE,
    "priority_ranking": Kind.RANKING,
    "mar_serious_harm": Kind.SINGLE_CHOICE,
    "routes_accepted": Kind.MULTIPLE_CHOICE,
    "infusion_travel": Kind.SINGLE_CHOICE,
    "experimental_openness": Kind.SINGLE_CHOICE,
    "goal": Kind.SHORT_TEXT,
    "own_questions": Kind.LONG_TEXT,
    "preferred_role": Kind.SINGLE_CHOICE,
    **dict.fromkeys(SAFETY_YES_NO, Kind.YES_NO),
    **dict.fromkeys(SURE_ITEMS, Kind.YES_NO),
}

# Choice vocabularies other parts of the system compare against, in the brief's order.
CHOICE_VALUES = {
    "condition": CONDITIONS,
    "ms_mri_activity": ("yes", "no", "not_known"),
    "vit_spreading": ("stable", "slow", "fast"),
    "prior_duration": ("lt_3_months", "3_12_months", "1_3_years", "gt_3_years"),
    "prior_effect": ("worked", "partly", "not_effective", "too_early", "unknown"),
    "prior_stop_reason": (
        "still_taking",
        "not_effective",
        "side_effects",
        "infection",
        "pregnancy_plans",
        "cost_or_access",
        "other",
    ),
    "safety_jcv": ("positive", "negative", "not_known"),
    "priority_ranking": CRITERIA,
    "mar_serious_harm": MAR_CODES,
    "routes_accepted": ROUTES,
    "infusion_travel": ("yes", "sometimes", "no"),
    "experimental_openness": ("yes", "maybe", "no"),
    "preferred_role": ("decide_myself", "share", "doctor_decides"),
}

SEVERITY_ORDER = {severity: index for index, severity in enumerate(Severity.ALL)}


# --- reading the file -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    # parse_float=Decimal: a score such as 2.5 must stay exact, as the engine keeps it.
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"), parse_float=Decimal)


def iter_questions(raw: dict[str, Any]) -> Iterator[tuple[dict, dict]]:
    """(step, question) in walking order, each repeat group followed by its children."""
    for step in raw["steps"]:
        for question in step["questions"]:
            yield step, question
            for child in question["children"]:
                yield step, child


def questions_by_key(raw: dict[str, Any]) -> dict[str, dict]:
    return {question["key"]: question for _, question in iter_questions(raw)}


def step_by_key(raw: dict[str, Any], key: str) -> dict:
    (step,) = [step for step in raw["steps"] if step["key"] == key]
    return step


def choice_values(question: dict) -> list[str]:
    return [choice["value"] for choice in question["choices"]]


def field_names(cls: type) -> set[str]:
    """The keys our format writes: every field, but those written only when set
    (sdm_json.WRITTEN_WHEN_SET; our content sets only a choice's "exclusive" and a
    question's "not_in_past")."""
    from questionnaires.interop.sdm_json import WRITTEN_WHEN_SET

    return {field.name for field in dataclasses.fields(cls)} - set(WRITTEN_WHEN_SET)


# --- shape ------------------------------------------------------------------------------------


def test_the_file_is_the_definition_written_out_field_by_field(raw):
    assert raw["format"] == "sdm-questionnaire"
    assert raw["format_version"] == 1
    assert set(raw) == field_names(VersionDef) | {"format", "format_version"}
    assert raw["slug"] == "treatment-discussion"
    assert raw["languages"] == list(LANGUAGES)
    for instrument in raw["instruments"]:
        assert set(instrument) == field_names(InstrumentDef)
    for step in raw["steps"]:
        assert set(step) == field_names(StepDef)
    for _, question in iter_questions(raw):
        assert set(question) - {"not_in_past"} == field_names(QuestionDef), question["key"]
        assert question.get("not_in_past", True) is True, question["key"]
        for choice in question["choices"]:
            assert set(choice) - {"exclusive"} == field_names(ChoiceDef), question["key"]
            assert choice.get("exclusive", True) is True, question["key"]
    for scale in raw["scales"]:
        assert set(scale) == field_names(ScaleDef)
        for band in scale["bands"]:
            assert set(band) == field_names(BandDef)


def test_numbers_are_json_numbers(raw):
    def is_number(value: Any) -> bool:
        return isinstance(value, int | Decimal) and not isinstance(value, bool)

    for _, question in iter_questions(raw):
        for name in ("min_value", "max_value"):
            assert question[name] is None or is_number(question[name]), question["key"]
        for choice in question["choices"]:
            assert choice["score"] is None or is_number(choice["score"]), question["key"]
    for scale in raw["scales"]:
        assert is_number(scale["min_score"]) and is_number(scale["max_score"])
        for band in scale["bands"]:
            assert is_number(band["lower"]) and is_number(band["upper"])


def test_every_kind_is_used(raw):
    used = {question["kind"] for _, question in iter_questions(raw)}
    assert used == set(Kind.ALL)


def test_keys_follow_the_pattern_and_are_unique_across_the_file(raw):
    question_keys = [question["key"] for _, question in iter_questions(raw)]
    step_keys = [step["key"] for step in raw["steps"]]
    for key in question_keys + step_keys:
        assert KEY_PATTERN.fullmatch(key), key
    assert len(set(question_keys)) == len(question_keys)
    assert len(set(step_keys)) == len(step_keys)


def test_choice_values_are_unique_within_each_question(raw):
    for _, question in iter_questions(raw):
        values = choice_values(question)
        assert len(set(values)) == len(values), question["key"]


def test_named_keys_exist_with_the_kinds_other_parts_read(raw):
    questions = questions_by_key(raw)
    for key, kind in NAMED_KEYS.items():
        assert key in questions, key
        assert questions[key]["kind"] == kind, key


def test_choice_vocabularies_are_exact(raw):
    questions = questions_by_key(raw)
    for key, values in CHOICE_VALUES.items():
        assert choice_values(questions[key]) == list(values), key


# Issue 8 adds these therapies (profiles in therapies.json) as answers too, so "two TNF
# inhibitors failed" can be said; every earlier value is kept.
ISSUE_8_THERAPY_SLUGS = frozenset(
    {
        "certolizumab_pegol",
        "etanercept",
        "infliximab",
        "bimekizumab",
        "brodalumab",
        "tildrakizumab",
        "acitretin",
        "nemolizumab",
        "baricitinib",
        "cladribine",
        "siponimod",
        "ozanimod",
        "ponesimod",
        "cyclophosphamide",
        "voclosporin",
        "azathioprine",
        "tacrolimus",
        "oral_minipulse_steroids",
        "targeted_phototherapy",
    }
)


def test_therapy_choices_are_the_therapy_slugs_plus_other(raw):
    questions = questions_by_key(raw)
    prior = choice_values(questions["prior_therapy"])
    current = choice_values(questions["current_treatment"])
    assert len(prior) == len(THERAPY_SLUGS) + len(ISSUE_8_THERAPY_SLUGS) + 1
    assert set(prior) == THERAPY_SLUGS | ISSUE_8_THERAPY_SLUGS | {"other"}
    assert prior[-1] == "other"
    assert current[0] == "none"
    assert current[1:] == prior


def test_the_therapy_slugs_are_those_of_the_therapy_facts():
    facts = json.loads(THERAPY_FACTS.read_text(encoding="utf-8"))
    assert {entry["slug"] for entry in facts} == THERAPY_SLUGS


def test_the_repeat_group_holds_the_prior_treatment_row(raw):
    group = questions_by_key(raw)["prior_treatments"]
    assert group["max_rows"] == 12
    assert [child["key"] for child in group["children"]] == [
        "prior_therapy",
        "prior_duration",
        "prior_effect",
        "prior_stop_reason",
    ]


def test_the_risk_limit_informs_the_serious_harm_criterion(raw):
    questions = questions_by_key(raw)
    assert questions["mar_serious_harm"]["criterion"] == "serious_harm"
    assert {q["criterion"] for q in questions.values()} <= {"", *CRITERIA}


# --- branching --------------------------------------------------------------------------------


def test_conditions_only_use_earlier_questions(raw):
    earlier: set[str] = set()
    for step in raw["steps"]:
        # A step's condition is decided before any of its own questions is answered.
        assert conditions.referenced_keys(step["show_if"]) <= earlier, step["key"]
        for question in step["questions"]:
            assert conditions.referenced_keys(question["show_if"]) <= earlier, question["key"]
            siblings: set[str] = set()
            for child in question["children"]:
                assert conditions.referenced_keys(child["show_if"]) <= earlier | siblings
                siblings.add(child["key"])
            earlier.add(question["key"])


def test_each_condition_has_its_own_activity_step(raw):
    for condition in CONDITIONS:
        step = step_by_key(raw, f"activity_{condition}")
        assert step["show_if"] == {"q": "condition", "op": "eq", "value": condition}
        assert step["questions"], condition
    activity_steps = [step for step in raw["steps"] if step["key"].startswith("activity_")]
    assert len(activity_steps) == len(CONDITIONS)


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({}, False),
        ({"current_treatment": "none"}, False),
        ({"current_treatment": "dupilumab"}, True),
        ({"current_treatment": "other"}, True),
    ],
)
def test_satisfaction_is_asked_only_about_a_current_treatment(raw, answers, shown):
    question = questions_by_key(raw)["current_treatment_satisfaction"]
    assert conditions.evaluate(question["show_if"], answers) is shown


@pytest.mark.parametrize(
    ("routes", "shown"),
    [([], False), (["oral", "topical"], False), (["oral", "intravenous"], True)],
)
def test_infusion_travel_is_asked_only_of_those_who_accept_a_drip(raw, routes, shown):
    question = questions_by_key(raw)["infusion_travel"]
    assert conditions.evaluate(question["show_if"], {"routes_accepted": routes}) is shown


@pytest.mark.parametrize("condition", CONDITIONS)
def test_ms_specific_safety_questions_follow_the_condition(raw, condition):
    questions = questions_by_key(raw)
    answers = {"condition": condition}
    is_ms = condition == "multiple_sclerosis"
    assert conditions.evaluate(questions["safety_jcv"]["show_if"], answers) is is_ms
    # Someone with MS is not asked whether they have ever had MS.
    assert conditions.evaluate(questions["safety_demyelinating"]["show_if"], answers) is not is_ms


def test_safety_questions_are_required_and_say_why_they_are_asked(raw):
    safety = {question["key"]: question for question in step_by_key(raw, "safety")["questions"]}
    for key in (*SAFETY_YES_NO, "safety_jcv"):
        assert safety[key]["required"], key
        assert all(safety[key]["help"].get(language) for language in LANGUAGES), key


# --- scales -----------------------------------------------------------------------------------


def item_range(question: dict) -> tuple[Decimal, Decimal]:
    """Lowest and highest score one answer to ``question`` can add to a scale."""
    kind = question["kind"]
    if kind in Kind.NUMERIC:
        return Decimal(question["min_value"]), Decimal(question["max_value"])
    if kind == Kind.YES_NO:
        return Decimal(0), Decimal(1)
    assert kind == Kind.SINGLE_CHOICE, question["key"]  # multiple choice is not used in scales
    scores = [Decimal(choice["score"]) for choice in question["choices"]]
    return min(scores), max(scores)


def test_every_scale_score_can_reach_exactly_its_declared_range(raw):
    questions = questions_by_key(raw)
    for scale in raw["scales"]:
        ranges = [item_range(questions[key]) for key in scale["items"]]
        if scale["method"] == "sum":
            expected = (sum(low for low, _ in ranges), sum(high for _, high in ranges))
            assert expected == (scale["min_score"], scale["max_score"]), scale["key"]
        else:
            # A mean stays inside the declared range only if every item spans exactly that range.
            for low_high in ranges:
                assert low_high == (scale["min_score"], scale["max_score"]), scale["key"]


def test_bands_cover_each_scale_without_gaps_or_overlaps(raw):
    for scale in raw["scales"]:
        bands = scale["bands"]
        assert bands[0]["lower"] == scale["min_score"], scale["key"]
        assert bands[-1]["upper"] == scale["max_score"], scale["key"]
        for band in bands:
            assert band["lower"] < band["upper"], scale["key"]
        for previous, current in zip(bands, bands[1:], strict=False):
            assert previous["upper"] == current["lower"], scale["key"]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_has_an_activity_summary_over_its_own_step(raw, condition):
    (scale,) = [scale for scale in raw["scales"] if scale["key"] == f"activity_{condition}"]
    step_keys = {question["key"] for question in step_by_key(raw, scale["key"])["questions"]}
    assert set(scale["items"]) <= step_keys
    assert scale["method"] in ("sum", "mean")
    assert scale["max_missing"] == 1
    assert scale["higher_is"] == "worse"
    assert scale["instrument"] == ""  # made for this project, not a published instrument
    severities = [band["severity"] for band in scale["bands"]]
    assert {"mild", "moderate", "severe"} <= set(severities)
    # Higher is worse, so severity never drops as the score rises.
    ranks = [SEVERITY_ORDER[severity] for severity in severities]
    assert ranks == sorted(ranks)
    # Say plainly that the summary is not a validated instrument.
    assert "not a validated" in scale["name"]["en"]


def test_sure_is_scored_as_published(raw):
    (instrument,) = [item for item in raw["instruments"] if item["key"] == "sure"]
    assert instrument["name"] == "SURE test"
    assert "O'Connor & Légaré" in instrument["copyright_notice"]
    assert "Can Fam Physician. 2010;56(8):e308-14" in instrument["citation"]
    assert instrument["url"] == "https://decisionaid.ohri.ca/eval_dcs.html"
    questions = questions_by_key(raw)
    # The English item text may not be altered (OHRI terms).
    assert [questions[key]["text"]["en"] for key in SURE_ITEMS] == [
        "Do you feel SURE about the best choice for you?",
        "Do you know the benefits and risks of each option?",
        "Are you clear about which benefits and risks matter most to you?",
        "Do you have enough support and advice to make a choice?",
    ]
    assert all(questions[key]["instrument"] == "sure" for key in SURE_ITEMS)
    (scale,) = [scale for scale in raw["scales"] if scale["key"] == "sure"]
    assert scale["items"] == list(SURE_ITEMS)
    assert (scale["method"], scale["max_missing"], scale["higher_is"]) == ("sum", 0, "better")
    # Yes scores 1: any "no" (a total of 3 or less) flags possible decisional conflict.
    bands = scale["bands"]
    assert [band["severity"] for band in bands] == ["moderate", "none"]
    assert bands[0]["lower"] <= 3 < bands[0]["upper"] <= 4 == bands[1]["upper"]


# --- translations -----------------------------------------------------------------------------


def texts(raw: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(where, text, required) for every translated field in the file."""
    yield "title", raw["title"], True
    yield "description", raw["description"], False
    for step in raw["steps"]:
        yield f"{step['key']}.title", step["title"], True
        yield f"{step['key']}.intro", step["intro"], False
    for _, question in iter_questions(raw):
        yield f"{question['key']}.text", question["text"], True
        yield f"{question['key']}.help", question["help"], False
        for choice in question["choices"]:
            yield f"{question['key']}.{choice['value']}", choice["label"], True
    for scale in raw["scales"]:
        yield f"scale {scale['key']}.name", scale["name"], True
        for band in scale["bands"]:
            yield f"scale {scale['key']}.band", band["label"], True


def test_every_text_is_in_both_languages(raw):
    for where, text, required in texts(raw):
        if not required and text == {}:
            continue  # optional text left out altogether
        assert set(text) == set(LANGUAGES), where
        assert all(isinstance(text[lang], str) and text[lang].strip() for lang in LANGUAGES), where


def test_chinese_text_is_chinese_and_english_text_is_not(raw):
    for where, text, _ in texts(raw):
        if text:
            assert CJK.search(text["zh-hans"]), where
            assert not CJK.search(text["en"]), where


def test_free_text_answers_have_limits(raw):
    questions = questions_by_key(raw)
    assert questions["goal"]["max_length"] == 200
    assert questions["own_questions"]["max_length"] == 2000


# --- through the reader and the linter --------------------------------------------------------


def module_if_written(name: str) -> ModuleType | None:
    """The module once another helper has written it; its own import errors stay loud."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # the parent package does not exist yet
        return None
    return None if spec is None else importlib.import_module(name)


@pytest.fixture(scope="module")
def sdm_json() -> ModuleType:
    module = module_if_written("questionnaires.interop.sdm_json")
    if module is None:
        pytest.skip("questionnaires.interop.sdm_json is not written yet")
    return module


@pytest.fixture(scope="module")
def definition(sdm_json) -> VersionDef:
    return sdm_json.load_bytes(DEMO_FILE.read_bytes())


def test_the_file_is_in_the_writers_canonical_form(sdm_json, definition):
    # Exporting the loaded definition gives back the very same text, so an export of the
    # published demo diffs cleanly against this file.
    assert sdm_json.dumps(definition) == DEMO_FILE.read_text(encoding="utf-8")


def test_the_reader_loads_the_file_with_every_question(raw, definition):
    assert definition.slug == "treatment-discussion"
    assert set(definition.question_map()) == set(questions_by_key(raw))
    assert [step.key for step in definition.steps] == [step["key"] for step in raw["steps"]]


def test_the_linter_finds_no_problem(definition):
    from questionnaires.engine.lint import lint

    assert [str(problem) for problem in lint(definition)] == []


@pytest.mark.parametrize("condition", CONDITIONS)
def test_a_patient_sees_only_their_own_activity_step(definition, condition):
    from questionnaires.engine.visibility import compute_visibility

    visible = compute_visibility(definition, {"condition": condition}).steps
    assert [key for key in visible if key.startswith("activity_")] == [f"activity_{condition}"]


def test_none_of_these_in_a_multiple_choice_is_exclusive_and_only_it(definition):
    """Issue 10: "None of these" with a body site was accepted. Every such option excludes
    the others; no other option does."""
    multiple = [
        question
        for question in definition.question_map().values()
        if question.kind == Kind.MULTIPLE_CHOICE
    ]
    with_none = [q.key for q in multiple if any(c.value == "none" for c in q.choices)]
    assert with_none == ["pso_visible_areas", "sle_symptoms", "vit_sites"]
    for question in multiple:
        for choice in question.choices:
            assert choice.exclusive is (choice.value == "none"), (question.key, choice.value)


def test_the_appointment_date_and_only_it_cannot_be_in_the_past(definition):
    """Issue 10: a past appointment date was accepted."""
    refusing = [q.key for q in definition.question_map().values() if q.not_in_past]
    assert refusing == ["visit_date"]
    assert definition.question_map()["visit_date"].kind == Kind.DATE
