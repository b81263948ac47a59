"""The shipped therapy profiles and rules (``questionnaires/content/therapies``).

The two files are read with plain ``json``, so these checks do not depend on the loader.
The checks against the research facts (``therapy_facts.json``) run only where that file
exists: it lives outside the repository. The facts cover the original 40 therapies; the 19
added in issue 8 are checked against their own references and the issue-8 contract
(condition, target class, administration). The derivation rules tested here are the ones
written down in ``questionnaires/content/therapies/README.md``.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.engine import conditions
from questionnaires.engine import weighing as engine
from tests.paths import THERAPY_FACTS

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTENT_DIR = REPO_ROOT / "questionnaires/content/therapies"
DEMO_FILE = REPO_ROOT / "questionnaires/content/questionnaires/treatment-discussion.json"
FACTS_FILE = THERAPY_FACTS

LANGUAGES = ("en", "zh-hans")
CJK = re.compile(r"[\u4e00-\u9fff]")
SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")
DISEASES = ("psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo")
STATUS_QUO = "no_change"

FAMILIES = frozenset(
    {
        "monoclonal_antibody",
        "stem_cell",
        "immunoglobulin",
        "small_molecule",
        "conventional_systemic",
        "topical",
        "phototherapy",
        "injectable_immunomodulator",
        "status_quo",
    }
)
TARGET_CLASSES = frozenset(
    {
        "TNF",
        "IL-17",
        "IL-23",
        "IL-12/23",
        "IL-4/13",
        "IL-13",
        "alpha4-integrin",
        "CD20",
        "CD52",
        "BAFF",
        "IFNAR",
        "JAK",
        "TYK2",
        "PDE4",
        "S1P",
        "DHODH",
        # Added in issue 8 with the new therapies.
        "IL-31",
        "calcineurin",
        "purine-analogue",
        "alkylating",
        "antimetabolite",
        "retinoid",
        "",
    }
)
# The 19 therapies added in issue 8 (the contract with the engine side): condition, target
# class and administration. They are not in therapy_facts.json.
NEW_THERAPIES: dict[str, tuple[str, str, str]] = {
    "certolizumab_pegol": ("psoriasis", "TNF", "injection_1_2_weeks"),
    "etanercept": ("psoriasis", "TNF", "injection_1_2_weeks"),
    "infliximab": ("psoriasis", "TNF", "infusion"),
    "bimekizumab": ("psoriasis", "IL-17", "injection_4_12_weeks"),
    "brodalumab": ("psoriasis", "IL-17", "injection_1_2_weeks"),
    "tildrakizumab": ("psoriasis", "IL-23", "injection_4_12_weeks"),
    "acitretin": ("psoriasis", "retinoid", "oral_daily"),
    "nemolizumab": ("atopic_dermatitis", "IL-31", "injection_4_12_weeks"),
    "baricitinib": ("atopic_dermatitis", "JAK", "oral_daily"),
    "cladribine": ("multiple_sclerosis", "purine-analogue", "oral_courses"),
    "siponimod": ("multiple_sclerosis", "S1P", "oral_daily"),
    "ozanimod": ("multiple_sclerosis", "S1P", "oral_daily"),
    "ponesimod": ("multiple_sclerosis", "S1P", "oral_daily"),
    "cyclophosphamide": ("sle", "alkylating", "infusion"),
    "voclosporin": ("sle", "calcineurin", "oral_daily"),
    "azathioprine": ("sle", "antimetabolite", "oral_daily"),
    "tacrolimus": ("sle", "calcineurin", "oral_daily"),
    "oral_minipulse_steroids": ("vitiligo", "", "oral_weekly"),
    "targeted_phototherapy": ("vitiligo", "", "phototherapy"),
}
ADMINISTRATION = frozenset(
    {
        "topical_daily",
        "oral_daily",
        "oral_weekly",
        "oral_courses",
        "injection_1_2_weeks",
        "injection_4_12_weeks",
        "infusion",
        "phototherapy",
        "procedure",
        "none",
    }
)
# Label indications narrower than the condition: the option is for lupus nephritis only.
NEPHRITIS_ONLY = {"voclosporin", "tacrolimus"}
SEVERITY_GATES = ("any", "moderate_to_severe")
HARM_BANDS = frozenset({Decimal("0.1"), Decimal(1), Decimal(10), Decimal(50)})
CERTAINTY_SCORE = {"very_low": 1, "low": 2, "moderate": 3, "high": 4}
TIER_VALUE = {"high": 3, "moderate": 2, "low": 1, "uncertain": 1, "n/a": 0}
FACTS_STATUS = {
    "approved": "approved",
    "approved_eu": "approved_some_regions",
    "approved_us": "approved_some_regions",
    "off_label": "off_label",
    "experimental": "experimental",
    "standard_care": "standard_care",
    "not_recommended": "not_recommended",
    "avoid": "not_recommended",
}

TEXT_FIELDS = (
    "name",
    "schedule",
    "what_it_is",
    "how_taken",
    "benefits",
    "downsides",
    "living_with",
    "pregnancy",
)
LIST_FIELDS = ("common_side_effects", "serious_risks", "monitoring")

# Named in the brief and in therapy_facts.md: these must read as experimental or not recommended.
EXPERIMENTAL = {
    ("ahsct", "sle"),
    ("msc", "sle"),
    ("ivig", "vitiligo"),
    ("upadacitinib", "vitiligo"),
}
NOT_RECOMMENDED = {
    ("adalimumab", "multiple_sclerosis"),
    ("ustekinumab", "sle"),
    ("apremilast", "vitiligo"),
    ("systemic_glucocorticoids", "atopic_dermatitis"),
}
# therapy_facts.md note 5: the only onset figures checked against a source.
VERIFIED_ONSET = {
    ("ixekizumab", "psoriasis"),
    ("deucravacitinib", "psoriasis"),
    ("upadacitinib", "atopic_dermatitis"),
    ("abrocitinib", "atopic_dermatitis"),
    ("cyclosporine", "atopic_dermatitis"),
    ("anifrolumab", "sle"),
    ("ruxolitinib_cream", "vitiligo"),
    ("topical_calcineurin_inhibitors", "vitiligo"),
}
# Disease-specific onset ranges given in the tables of therapy_facts.md (the JSON has one range
# per therapy).
DISEASE_SPECIFIC_ONSET = {
    ("cyclosporine", "atopic_dermatitis"): [1, 2],
    ("methotrexate", "atopic_dermatitis"): [8, 12],
    ("nb_uvb", "vitiligo"): [8, 12],
    ("topical_calcineurin_inhibitors", "vitiligo"): [8, 26],
}
# therapy_facts.md note 4, "heavy monitoring" and "light monitoring".
HEAVY_MONITORING = {
    "alemtuzumab",
    "natalizumab",
    "ahsct",
    "cyclosporine",
    "methotrexate",
    "teriflunomide",
    "fingolimod",
}
LIGHT_MONITORING = {
    "secukinumab",
    "ixekizumab",
    "guselkumab",
    "risankizumab",
    "dupilumab",
    "glatiramer_acetate",
    "topical_corticosteroids",
    "topical_calcineurin_inhibitors",
    "topical_vitamin_d_analogues",
}
# Self-injection at least weekly (README, convenience): the only injections scored 2.
FREQUENT_INJECTIONS = {"interferon_beta", "glatiramer_acetate", "etanercept"}

# The answer keys rule conditions may use, with the operators that fit each kind.
YES_NO_KEYS = frozenset(
    {
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
    }
)
# Questions the demo questionnaire gains in issue 8 (engine side); the new therapies' rules use
# them. Keys and choice values from the issue-8 contract.
ISSUE8_YES_NO_KEYS = frozenset(
    {
        "safety_depression",
        "safety_recent_mi_stroke",
        "safety_heart_failure_severe",
        "safety_hiv",
        "safety_kidney_disease",
        "safety_liver_disease",
    }
)
ISSUE8_CHOICE_KEYS: dict[str, tuple[str, ...]] = {
    "safety_tb_detail": ("active", "latent_untreated", "treated", "not_known"),
    "sle_nephritis": ("active", "past", "never", "not_known"),
}
SEVERITIES = ("none", "mild", "moderate", "severe")
CHOICE_KEYS: dict[str, tuple[str, ...]] = {
    "condition": DISEASES,
    "safety_jcv": ("positive", "negative", "not_known"),
    **{f"scale.activity_{disease}.severity": SEVERITIES for disease in DISEASES},
}
INTEGER_KEYS = frozenset({"age"})
PRESENCE = {"answered", "not_answered"}
YES_NO_OPS = {"eq", "ne"} | PRESENCE
ALL_YES_NO_KEYS = YES_NO_KEYS | ISSUE8_YES_NO_KEYS
ALL_CHOICE_KEYS = {**CHOICE_KEYS, **ISSUE8_CHOICE_KEYS}
CHOICE_OPS = {"eq", "ne", "in", "not_in"} | PRESENCE
INTEGER_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in"} | PRESENCE


# --- loading ------------------------------------------------------------------------------


@cache
def therapies_doc() -> dict[str, Any]:
    return json.loads((CONTENT_DIR / "therapies.json").read_text(encoding="utf-8"))


@cache
def rules_doc() -> dict[str, Any]:
    return json.loads((CONTENT_DIR / "rules.json").read_text(encoding="utf-8"))


def therapies() -> list[dict[str, Any]]:
    return therapies_doc()["therapies"]


def therapy_map() -> dict[str, dict[str, Any]]:
    return {entry["slug"]: entry for entry in therapies()}


def rules() -> list[dict[str, Any]]:
    return rules_doc()["rules"]


def indications() -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
    for therapy in therapies():
        for disease, indication in therapy["indications"].items():
            yield therapy, disease, indication


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, Any]]:
    if not FACTS_FILE.exists():
        pytest.skip("therapy_facts.json (research notes outside the repository) is absent")
    return {entry["slug"]: entry for entry in json.loads(FACTS_FILE.read_text(encoding="utf-8"))}


def facts_address(raw: str) -> str:
    """A facts reference is an address, sometimes followed by a note; doi: becomes doi.org."""
    token = raw.split()[0]
    return "https://doi.org/" + token[len("doi:") :] if token.startswith("doi:") else token


def midpoint(onset: list[int]) -> Decimal:
    return (Decimal(onset[0]) + Decimal(onset[1])) / 2


def number(value: Any) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(str(value))


def demo_questions() -> dict[str, dict[str, Any]]:
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    found = {}
    for step in document["steps"]:
        for question in step["questions"]:
            found[question["key"]] = question
    return found


# --- the therapies document ---------------------------------------------------------------


def test_document_header() -> None:
    document = therapies_doc()
    assert document["format"] == "sdm-therapies"
    assert document["format_version"] == 1
    datetime.date.fromisoformat(document["reviewed"])


def test_criteria_are_the_engines_seven_with_the_same_direction() -> None:
    criteria = therapies_doc()["criteria"]
    assert [(c["key"], c["better"]) for c in criteria] == [
        (c.key, c.better) for c in engine.DEFAULT_CRITERIA
    ]


def offered_therapies() -> set[str]:
    return {c["value"] for c in demo_questions()["current_treatment"]["choices"]} - {
        "none",
        "other",
    }


def test_every_therapy_of_the_demo_questionnaire_has_a_profile_and_no_change_exists() -> None:
    # The questionnaire's "current treatment" choices are therapy codes (plus "none", "other").
    assert offered_therapies() <= set(therapy_map())
    assert STATUS_QUO in therapy_map()
    assert len(therapies()) == len(therapy_map()) == 41 + len(NEW_THERAPIES)


def test_every_profile_is_a_choice_of_the_demo_questionnaire() -> None:
    offered = offered_therapies()
    if not offered & set(NEW_THERAPIES):
        pytest.skip(
            "the demo questionnaire gains the issue-8 therapy choices on the engine branch "
            "(i8e); the two branches are merged together"
        )
    assert set(therapy_map()) - {STATUS_QUO} == offered


def test_every_facts_therapy_is_present(facts: dict[str, dict[str, Any]]) -> None:
    assert set(therapy_map()) == set(facts) | set(NEW_THERAPIES) | {STATUS_QUO}
    assert not set(facts) & set(NEW_THERAPIES)


def test_diseases_match_the_facts(facts: dict[str, dict[str, Any]]) -> None:
    for slug, therapy in therapy_map().items():
        if slug == STATUS_QUO:
            expected = set(DISEASES)
        elif slug in NEW_THERAPIES:
            expected = {NEW_THERAPIES[slug][0]}
        else:
            expected = set(facts[slug]["diseases"])
        assert set(therapy["indications"]) == expected, slug


def test_vocabularies() -> None:
    for therapy in therapies():
        slug = therapy["slug"]
        assert SLUG.fullmatch(slug), slug
        assert therapy["family"] in FAMILIES, slug
        assert (therapy["family"] == "status_quo") == (slug == STATUS_QUO), slug
        assert therapy["target_class"] in TARGET_CLASSES, slug
        assert set(therapy["routes"]) <= set(engine.Route.ALL), slug
        assert therapy["routes"] or slug == STATUS_QUO, slug
        onset = therapy["onset_weeks"]
        assert onset is None or (len(onset) == 2 and 0 <= onset[0] <= onset[1]), slug
    for therapy, disease, indication in indications():
        where = (therapy["slug"], disease)
        assert disease in DISEASES, where
        assert indication["status"] in engine.Status.ALL, where
        assert indication["certainty"] in engine.Certainty.ALL, where
        assert indication["severity"] in SEVERITY_GATES, where


def test_status_follows_the_facts(facts: dict[str, dict[str, Any]]) -> None:
    for therapy, disease, indication in indications():
        if therapy["slug"] in facts:
            expected = FACTS_STATUS[facts[therapy["slug"]]["diseases"][disease]["status"]]
            assert indication["status"] == expected, (therapy["slug"], disease)


def test_family_follows_the_facts(facts: dict[str, dict[str, Any]]) -> None:
    # README: JAK inhibitors and oral small molecules are "small_molecule", except the JAK
    # cream, which is "topical"; antimalarials and glucocorticoids are conventional systemic.
    mapping = {
        "jak_inhibitor": "small_molecule",
        "small_molecule_oral": "small_molecule",
        "antimalarial": "conventional_systemic",
        "glucocorticoid": "conventional_systemic",
        "ivig": "immunoglobulin",
    }
    for slug, entry in facts.items():
        expected = mapping.get(entry["family"], entry["family"])
        if slug == "ruxolitinib_cream":
            expected = "topical"
        assert therapy_map()[slug]["family"] == expected, slug


# --- translations and patient text --------------------------------------------------------


def _texts(node: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every translated text in the document: a mapping whose keys are the languages."""
    if isinstance(node, Mapping):
        if set(node) == set(LANGUAGES):
            yield path, node
            return
        for key, value in node.items():
            yield from _texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{path}[{index}]")


@pytest.mark.parametrize("document", ["therapies", "rules"])
def test_every_text_has_both_languages(document: str) -> None:
    data = therapies_doc() if document == "therapies" else rules_doc()
    found = list(_texts(data, document))
    assert len(found) > 100
    for path, text in found:
        assert isinstance(text["en"], str) and text["en"].strip(), path
        assert isinstance(text["zh-hans"], str) and text["zh-hans"].strip(), path
        assert CJK.search(text["zh-hans"]), f"{path}: the Chinese text has no Chinese"
        assert not CJK.search(text["en"]), f"{path}: the English text has Chinese in it"


# What the patient's result page may not say about an option (issue 10): the page informs
# without ranking, and the content it quotes must not rank either.
RANKING_WORDS = {
    "en": re.compile(
        r"\bbest\b|\bleads?\b(?!\s+to\b)|\bleading\b|out of 100\b|\branked\b|\bfirst place\b", re.I
    ),
    "zh-hans": re.compile(r"最佳|最好|最适合|领先|排名|第一名"),
}


def test_no_text_a_patient_reads_ranks_the_options() -> None:
    patient_texts = list(_texts(therapies_doc(), "therapies")) + [
        (f"rules[{rule['id']}].patient_message", rule["patient_message"])
        for rule in rules_doc()["rules"]
        if rule.get("patient_message")
    ]
    assert len(patient_texts) > 100
    found = [
        f"{path} ({language}): {match.group(0)!r}"
        for path, text in patient_texts
        for language, pattern in RANKING_WORDS.items()
        if (match := pattern.search(text.get(language, "")))
    ]
    assert not found, "\n".join(found)


def test_every_patient_field_is_translated_text() -> None:
    for therapy in therapies():
        for field in TEXT_FIELDS:
            assert set(therapy[field]) == set(LANGUAGES), (therapy["slug"], field)
        for field in LIST_FIELDS:
            assert therapy[field], (therapy["slug"], field)
            for item in therapy[field]:
                assert set(item) == set(LANGUAGES), (therapy["slug"], field)
    for criterion in therapies_doc()["criteria"]:
        assert set(criterion["name"]) == set(criterion["description"]) == set(LANGUAGES)
    for therapy, disease, indication in indications():
        assert set(indication["status_note"]) == set(LANGUAGES), (therapy["slug"], disease)


def test_benefits_and_downsides_are_given_in_equal_detail() -> None:
    # IPDAS certification item 7. Neither side may be a token line next to a full paragraph.
    for therapy in therapies():
        benefits, downsides = len(therapy["benefits"]["en"]), len(therapy["downsides"]["en"])
        assert 0.5 <= benefits / downsides <= 2, therapy["slug"]


# Facts the research notes marked unverified that a reference added later confirms: the item
# may leave ``unverified`` only if that reference is among the therapy's references.
RESOLVED_UNVERIFIED = {
    ("ivig", "all safety/monitoring items"): (
        "https://api.fda.gov/drug/label.json?search=openfda.generic_name%3A%22Human+Immunoglobulin+G%22"
    ),
    ("topical_calcineurin_inhibitors", "safety wording"): (
        "https://api.fda.gov/drug/label.json?search=openfda.generic_name%3A%22Tacrolimus+Ointment+0.1%25%22"
    ),
}


def test_unverified_facts_are_carried_over(facts: dict[str, dict[str, Any]]) -> None:
    for slug, entry in facts.items():
        therapy = therapy_map()[slug]
        urls = {reference["url"] for reference in therapy["references"]}
        for item in entry["unverified"]:
            resolved_by = RESOLVED_UNVERIFIED.get((slug, item))
            if resolved_by is None:
                assert item in therapy["unverified"], (slug, item)
            else:
                assert resolved_by in urls, (slug, item)


# --- regulatory status and certainty ------------------------------------------------------


@pytest.mark.parametrize(("slug", "disease"), sorted(EXPERIMENTAL))
def test_experimental_options_say_so_and_have_very_low_certainty(slug: str, disease: str) -> None:
    indication = therapy_map()[slug]["indications"][disease]
    assert indication["status"] == "experimental"
    assert indication["certainty"] == "very_low"
    assert indication["values"]["certainty"] == 1
    assert "experimental" in indication["status_note"]["en"].lower()
    assert "实验" in indication["status_note"]["zh-hans"]


def test_no_other_option_is_experimental() -> None:
    found = {(t["slug"], d) for t, d, i in indications() if i["status"] == "experimental"}
    assert found == EXPERIMENTAL


def test_ahsct_for_ms_is_an_off_label_procedure_with_its_trial_evidence() -> None:
    ahsct = therapy_map()["ahsct"]
    indication = ahsct["indications"]["multiple_sclerosis"]
    assert indication["status"] == "off_label"
    assert ahsct["routes"] == ["procedure"]
    assert indication["values"]["effectiveness"] == 3  # facts tier "high" (MIST, HR 0.07)
    assert indication["outcomes"]


@pytest.mark.parametrize(("slug", "disease"), sorted(NOT_RECOMMENDED))
def test_avoid_and_not_recommended_entries_give_the_reason(slug: str, disease: str) -> None:
    indication = therapy_map()[slug]["indications"][disease]
    assert indication["status"] == "not_recommended"
    note = indication["status_note"]["en"].lower()
    assert note.startswith("not recommended") and ":" in note  # the reason follows the colon


def test_no_change_is_an_option_for_every_condition() -> None:
    no_change = therapy_map()[STATUS_QUO]
    assert no_change["routes"] == [] and no_change["references"] == []
    for disease in DISEASES:
        indication = no_change["indications"][disease]
        assert indication["status"] == "standard_care"
        values = {key: number(value) for key, value in indication["values"].items()}
        # README: no new benefit beyond today's (1), nothing to wait for (0), no added
        # burden (0), no added harm beyond the lowest band, moderate certainty (3).
        assert values == {
            "effectiveness": 1,
            "speed": 0,
            "serious_harm": Decimal("0.1"),
            "side_effects": 0,
            "convenience": 0,
            "monitoring": 0,
            "certainty": 3,
        }


# --- criterion values ---------------------------------------------------------------------


def test_every_value_is_present_and_in_range() -> None:
    keys = [c["key"] for c in therapies_doc()["criteria"]]
    for therapy, disease, indication in indications():
        where = (therapy["slug"], disease)
        values = {key: number(value) for key, value in indication["values"].items()}
        assert list(values) == keys, where
        assert values["effectiveness"] in {0, 1, 2, 3}, where
        assert 0 <= values["speed"] <= 52, where
        assert values["serious_harm"] in HARM_BANDS, where
        for key in ("side_effects", "convenience", "monitoring"):
            assert values[key] in {0, 1, 2, 3}, where
        assert values["certainty"] == CERTAINTY_SCORE[indication["certainty"]], where
        assert set(indication["uncertain"]) <= set(keys), where
        assert len(set(indication["uncertain"])) == len(indication["uncertain"]), where


def test_burdens_and_harm_belong_to_the_therapy_not_the_disease() -> None:
    for therapy in therapies():
        for key in ("serious_harm", "side_effects", "convenience", "monitoring"):
            seen = {number(i["values"][key]) for i in therapy["indications"].values()}
            assert len(seen) == 1, (therapy["slug"], key)


def test_effectiveness_is_the_facts_tier(facts: dict[str, dict[str, Any]]) -> None:
    for therapy, disease, indication in indications():
        if therapy["slug"] not in facts:
            continue
        fact = facts[therapy["slug"]]["diseases"][disease]
        assert indication["values"]["effectiveness"] == TIER_VALUE[fact["efficacy_tier"]]
        assert indication["efficacy_tier"] == fact["efficacy_tier"]
        if fact["efficacy_tier"] in ("uncertain", "n/a") or "UNVERIFIED" in fact["basis"]:
            assert "effectiveness" in indication["uncertain"], (therapy["slug"], disease)


def test_speed_is_the_midpoint_of_the_onset(facts: dict[str, dict[str, Any]]) -> None:
    known: dict[str, list[Decimal]] = {disease: [] for disease in DISEASES}
    unknown = []
    for therapy, disease, indication in indications():
        if therapy["slug"] == STATUS_QUO:
            continue
        where = (therapy["slug"], disease)
        onset = indication["onset_weeks"]
        speed = number(indication["values"]["speed"])
        if onset is None:
            unknown.append((disease, speed))
            assert "speed" in indication["uncertain"], where
            continue
        if therapy["slug"] in NEW_THERAPIES:
            # No facts entry: the therapy's own (estimated) onset, always uncertain.
            expected = therapy["onset_weeks"]
        else:
            expected = DISEASE_SPECIFIC_ONSET.get(where, facts[therapy["slug"]]["onset_weeks"])
        assert onset == expected, where
        assert speed == midpoint(onset), where
        known[disease].append(speed)
        assert ("speed" in indication["uncertain"]) == (where not in VERIFIED_ONSET), where
    # An unknown onset takes the slowest known one of the condition: never looks faster.
    assert unknown
    for disease, speed in unknown:
        assert speed == max(known[disease]), disease


def test_serious_harm_bands_follow_the_documented_reasoning() -> None:
    by_slug = therapy_map()
    for therapy, disease, indication in indications():
        harm = number(indication["values"]["serious_harm"])
        if therapy["family"] in ("topical", "phototherapy"):
            assert harm == Decimal("0.1"), therapy["slug"]
        if therapy["slug"] != STATUS_QUO:
            # The status quo adds no harm: every option is at least as risky.
            assert harm >= number(
                by_slug[STATUS_QUO]["indications"][disease]["values"]["serious_harm"]
            )
    # Treatment-related mortality 0.19–2.1 % plus febrile neutropenia: the top band.
    assert (
        number(by_slug["ahsct"]["indications"]["multiple_sclerosis"]["values"]["serious_harm"])
        == 50
    )


def test_convenience_follows_route_and_schedule() -> None:
    for therapy, _, indication in indications():
        slug, routes = therapy["slug"], set(therapy["routes"])
        convenience = indication["values"]["convenience"]
        if routes & {"phototherapy", "procedure"}:
            assert convenience == 3, slug
        elif routes & {"oral", "topical"}:
            # Creams and tablets, daily or weekly. Steroid drips are occasional pulses on top of
            # tablets, so the tablet sets the burden.
            assert convenience == 1, slug
        elif "intravenous" in routes:
            assert convenience == 2, slug  # a clinic visit for each dose
        elif routes == {"subcutaneous"}:
            assert convenience == (2 if slug in FREQUENT_INJECTIONS else 1), slug


def test_monitoring_follows_the_facts_burden_notes() -> None:
    for therapy, _, indication in indications():
        monitoring = indication["values"]["monitoring"]
        if therapy["slug"] in HEAVY_MONITORING:
            assert monitoring == 3, therapy["slug"]
        if therapy["slug"] in LIGHT_MONITORING:
            assert monitoring <= 1, therapy["slug"]


# --- outcomes and references --------------------------------------------------------------


def test_outcomes_are_natural_frequencies_with_a_source() -> None:
    found = 0
    for therapy, disease, indication in indications():
        urls = {reference["url"] for reference in therapy["references"]}
        for outcome in indication["outcomes"]:
            found += 1
            where = (therapy["slug"], disease, outcome["text"]["en"])
            # One denominator for every option, as IPDAS asks.
            assert outcome["per"] == 100, where
            assert isinstance(outcome["count"], int) and 0 <= outcome["count"] <= 100, where
            assert str(outcome["count"]) in outcome["text"]["en"], where
            assert str(outcome["count"]) in outcome["text"]["zh-hans"], where
            # "7 in 100 people", or an event rate such as "11 relapses per 100 people".
            assert re.search(r"\b(in|per) 100\b", outcome["text"]["en"]), where
            assert set(outcome["horizon"]) == set(outcome["population"]) == set(LANGUAGES)
            assert outcome["certainty"] in engine.Certainty.ALL, where
            assert outcome["source"] in urls, where
    assert found >= 15


def test_references_are_dated_and_reviewed_yearly() -> None:
    for therapy in therapies():
        assert therapy["references"] or therapy["slug"] == STATUS_QUO, therapy["slug"]
        for reference in therapy["references"]:
            assert reference["citation"].strip(), therapy["slug"]
            assert reference["url"].startswith(("http://", "https://")), reference["url"]
            checked = datetime.date.fromisoformat(reference["checked"])
            review = datetime.date.fromisoformat(reference["next_review"])
            assert checked < review <= checked.replace(year=checked.year + 1)


# Issue 8: staging or test hosts in the research notes are replaced by the public page.
STAGING_REPLACEMENTS = {
    "https://prdmimsweb.azurewebsites.net/": "https://www.mims.com/",
    "https://uat.mimsdev.com/": "https://www.mims.com/",
    "https://sit.mimsdev.com/": "https://www.mims.com/",
    "https://uat.mims.com/": "https://www.mims.com/",
}
# Issue 8: references dropped (a blog as IVIG's benefit source) and added (labels for boxed
# warnings and breastfeeding contraindications, guidance on hydroxychloroquine in lactation).
REMOVED_REFERENCES = {
    "ivig": {"https://redvitiligo.blogspot.com/2025/12/vitiligo-repigmentacion-inesperada.html"},
}
ADDED_REFERENCES = {
    "ivig": [RESOLVED_UNVERIFIED[("ivig", "all safety/monitoring items")]],
    "topical_calcineurin_inhibitors": [
        RESOLVED_UNVERIFIED[("topical_calcineurin_inhibitors", "safety wording")]
    ],
    "hydroxychloroquine": [
        "https://www.the-rheumatologist.org/article/the-acr-introduces-a-new-reproductive-health-guideline/2",
        "https://pubmed.ncbi.nlm.nih.gov/15722258/",
    ],
    "teriflunomide": [
        "https://ec.europa.eu/health/documents/community-register/2022/20221121157707/anx_157707_fr.pdf"
    ],
    "mycophenolate": [
        "https://ec.europa.eu/health/documents/community-register/2024/20240325161902/anx_161902_fr.pdf"
    ],
    "methotrexate": [
        "https://ec.europa.eu/health/documents/community-register/2023/20231018160673/anx_160673_fr.pdf"
    ],
}


# Issue 8, engine side (i8e): labels and guidelines added as the source of the new rules and
# scopes it wrote for existing therapies (boxed warnings, severe heart failure, second-line
# EU labels, relapsing-only labels, lupus nephritis scope). They come before the content
# side's additions in each list.
FDA_LABEL = "https://api.fda.gov/drug/label.json?search=openfda.generic_name%3A%22{}%22"
EULAR_SLE_2023 = "https://ard.bmj.com/content/83/1/15"
ENGINE_ADDED_REFERENCES = {
    "adalimumab": ["https://doi.org/10.1038/s41584-022-00798-0"],
    "ixekizumab": [FDA_LABEL.format("ixekizumab")],
    "natalizumab": ["https://www.ema.europa.eu/en/medicines/human/EPAR/tysabri"],
    "obinutuzumab": [FDA_LABEL.format("obinutuzumab"), EULAR_SLE_2023],
    "ivig": [FDA_LABEL.format("immune%20globulin%20intravenous%20%28human%29")],
    "upadacitinib": [
        FDA_LABEL.format("upadacitinib"),
        "https://www.ema.europa.eu/en/medicines/human/referrals/janus-kinase-inhibitors-jaki",
    ],
    "ruxolitinib_cream": ["https://www.nejm.org/doi/full/10.1056/NEJMoa2118828"],
    "apremilast": [FDA_LABEL.format("apremilast")],
    "deucravacitinib": [FDA_LABEL.format("deucravacitinib")],
    "methotrexate": [FDA_LABEL.format("methotrexate")],
    "cyclosporine": [FDA_LABEL.format("cyclosporine")],
    "mycophenolate": [FDA_LABEL.format("mycophenolate%20mofetil")],
    "fingolimod": ["https://www.ema.europa.eu/en/medicines/human/EPAR/gilenya"],
    "teriflunomide": [FDA_LABEL.format("teriflunomide")],
    "interferon_beta": [
        FDA_LABEL.format("interferon%20beta-1a"),
        "https://doi.org/10.1177/1352458517751049",
    ],
}


def public_address(url: str) -> str:
    for staging, public in STAGING_REPLACEMENTS.items():
        if url.startswith(staging):
            return public + url[len(staging) :]
    return url


def test_every_reference_comes_from_the_facts(facts: dict[str, dict[str, Any]]) -> None:
    for slug, entry in facts.items():
        ours = [reference["url"] for reference in therapy_map()[slug]["references"]]
        from_facts = [
            public_address(facts_address(raw))
            for raw in entry["references"]
            if facts_address(raw) not in REMOVED_REFERENCES.get(slug, set())
        ]
        added = ENGINE_ADDED_REFERENCES.get(slug, []) + ADDED_REFERENCES.get(slug, [])
        assert ours == from_facts + added, slug


# --- rules --------------------------------------------------------------------------------


def test_rules_header_and_ids() -> None:
    document = rules_doc()
    assert document["format"] == "sdm-rules"
    assert document["format_version"] == 1
    ids = [rule["id"] for rule in rules()]
    assert len(ids) == len(set(ids))
    assert all(SLUG.fullmatch(rule_id) for rule_id in ids)


def test_rules_name_existing_therapies_families_and_classes() -> None:
    slugs = set(therapy_map())
    families = {therapy["family"] for therapy in therapies()}
    classes = {therapy["target_class"] for therapy in therapies()} - {""}
    for rule in rules():
        applies = rule["applies_to"]
        assert set(applies) == {"therapies", "families", "target_classes"}, rule["id"]
        assert any(applies.values()), rule["id"]
        assert set(applies["therapies"]) <= slugs - {STATUS_QUO}, rule["id"]
        assert set(applies["families"]) <= families - {"status_quo"}, rule["id"]
        assert set(applies["target_classes"]) <= classes, rule["id"]


def test_rule_effects_and_adjustments() -> None:
    criteria = {c["key"] for c in therapies_doc()["criteria"]}
    for rule in rules():
        assert rule["effect"] in engine.Effect.ALL, rule["id"]
        if rule["effect"] == "adjust":
            assert rule["criterion"] in criteria, rule["id"]
            assert number(rule["multiplier"]) > 0, rule["id"]
        else:
            assert "criterion" not in rule and "multiplier" not in rule, rule["id"]


def test_rule_evidence_is_a_reviewed_source() -> None:
    urls = {r["url"] for therapy in therapies() for r in therapy["references"]}
    for rule in rules():
        assert set(rule["evidence"]) <= urls, rule["id"]
        if rule["effect"] == "not_suitable":
            assert rule["evidence"], rule["id"]


# Operators a rule may use on each kind of answer. Stricter than the engine's registry on
# purpose: a yes/no answer is tested with eq/ne, never with a list.
NUMBER_OPS = INTEGER_OPS
OPERATORS_FOR_KIND: dict[str, set[str]] = {
    "yes_no": YES_NO_OPS,
    "single_choice": CHOICE_OPS,
    "multiple_choice": {"contains", "contains_any"} | PRESENCE,
    "integer": NUMBER_OPS,
    "decimal": NUMBER_OPS,
    "rating": NUMBER_OPS,
}
# The derived answers the weighing service documents besides the questions
# (questionnaires/services/weighing.py's docstring, "Derived answers"; docs/weighing.md).
PRIOR_THERAPY_KEYS = ("prior.tried", "prior.not_effective", "prior.side_effects")
PRIOR_STOP_REASONS = "prior.stop_reasons"
DERIVED_YES_NO_KEYS = ("ms.highly_active", "disease.active")


def rule_answer_keys() -> dict[str, tuple[str, frozenset[Any] | None]]:
    """Every answer key a rule may test, read from the demo questionnaire definition:
    key -> (kind, the values a choice may take, or None when any value of the kind fits)."""
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    keys: dict[str, tuple[str, frozenset[Any] | None]] = {}
    stop_reasons: frozenset[Any] = frozenset()
    for question in demo_questions().values():
        choices = frozenset(choice["value"] for choice in question.get("choices") or [])
        keys[question["key"]] = (question["kind"], choices or None)
        for child in question.get("children") or []:
            if child["key"] == "prior_stop_reason":
                stop_reasons = frozenset(choice["value"] for choice in child["choices"])
    for scale in document["scales"]:
        keys[f"scale.{scale['key']}.severity"] = ("single_choice", frozenset(SEVERITIES))
        keys[f"scale.{scale['key']}.score"] = ("decimal", None)
    slugs = frozenset(therapy_map()) - {STATUS_QUO}
    for key in PRIOR_THERAPY_KEYS:
        keys[key] = ("multiple_choice", slugs)
    keys[PRIOR_STOP_REASONS] = ("multiple_choice", stop_reasons)
    for key in DERIVED_YES_NO_KEYS:
        keys[key] = ("yes_no", None)
    return keys


def _value_fits(kind: str, choices: frozenset[Any] | None, item: Any) -> bool:
    if kind == "yes_no":
        return isinstance(item, bool)
    if kind in ("single_choice", "multiple_choice"):
        return choices is not None and item in choices
    if kind in ("integer", "rating"):
        return isinstance(item, int) and not isinstance(item, bool)
    return isinstance(item, int | float) and not isinstance(item, bool)


def _condition_problems(node: Any, path: str, known: Mapping[str, Any]) -> list[str]:
    """Structural check of a rule condition against the answer keys of the demo questionnaire."""
    if not isinstance(node, Mapping) or not node:
        return [f"{path}: a condition is a non-empty object"]
    combinators = [name for name in ("all", "any", "not") if name in node]
    if combinators:
        if len(node) != 1:
            return [f"{path}: one combinator per object"]
        name = combinators[0]
        if name == "not":
            return _condition_problems(node["not"], f"{path}.not", known)
        parts = node[name]
        if not isinstance(parts, list) or not parts:
            return [f"{path}.{name}: a non-empty list"]
        return [
            p
            for i, part in enumerate(parts)
            for p in _condition_problems(part, f"{path}[{i}]", known)
        ]
    if set(node) - {"q", "op", "value"}:
        return [f"{path}: unknown fields {sorted(set(node) - {'q', 'op', 'value'})}"]
    key, op, value = node.get("q"), node.get("op"), node.get("value")
    if key not in known:
        return [f"{path}: unknown answer key {key!r}"]
    kind, choices = known[key]
    if op not in OPERATORS_FOR_KIND.get(kind, set()):
        return [f"{path}: operator {op!r} does not fit {key!r} ({kind})"]
    listed = op in ("in", "not_in", "contains_any")
    if listed and (not isinstance(value, list) or not value):
        return [f"{path}: '{op}' takes a non-empty list"]
    items = value if listed else [value]
    if op not in PRESENCE and not all(_value_fits(kind, choices, item) for item in items):
        return [f"{path}: value {value!r} does not fit {key!r}"]
    return []


def test_rule_conditions_use_only_the_known_answer_keys_and_operators() -> None:
    known = rule_answer_keys()
    for rule in rules():
        assert _condition_problems(rule["condition"], rule["id"], known) == []
        conditions.referenced_keys(rule["condition"])  # the engine's parser accepts it too


def test_the_condition_check_rejects_what_the_questionnaire_does_not_ask() -> None:
    known = rule_answer_keys()
    wrong = {
        "no such question": {"q": "safety_unknown", "op": "eq", "value": True},
        "a list operator on yes/no": {"q": "safety_ibd", "op": "in", "value": [True]},
        "a choice the question lacks": {"q": "sle_nephritis", "op": "eq", "value": "severe"},
        "a therapy that does not exist": {"q": "prior.tried", "op": "contains", "value": "x"},
        "a stop reason the question lacks": {
            "q": "prior.stop_reasons",
            "op": "contains",
            "value": "boredom",
        },
        "eq on a multiple choice": {"q": "vit_sites", "op": "eq", "value": "hands"},
        "a number as text": {"q": "ms_jcv_index", "op": "gt", "value": "1.5"},
    }
    for name, condition in wrong.items():
        assert _condition_problems(condition, name, known) != [], name
    assert _condition_problems({"q": "ms_jcv_index", "op": "gt", "value": 1.5}, "ok", known) == []


def test_the_answer_keys_exist_in_the_demo_questionnaire() -> None:
    questions = demo_questions()
    for key in YES_NO_KEYS:
        assert questions[key]["kind"] == "yes_no", key
    assert questions["age"]["kind"] == "integer"
    for key in ("condition", "safety_jcv"):
        assert {c["value"] for c in questions[key]["choices"]} == set(CHOICE_KEYS[key]), key
    scales = {scale["key"] for scale in json.loads(DEMO_FILE.read_text())["scales"]}
    assert {f"activity_{disease}" for disease in DISEASES} <= scales


def test_the_issue8_answer_keys_exist_in_the_demo_questionnaire() -> None:
    questions = demo_questions()
    issue8 = set(ISSUE8_YES_NO_KEYS) | set(ISSUE8_CHOICE_KEYS)
    if not issue8 & set(questions):
        pytest.skip("the issue-8 questions are added on the engine branch (i8e); merged together")
    for key in ISSUE8_YES_NO_KEYS:
        assert questions[key]["kind"] == "yes_no", key
    for key, values in ISSUE8_CHOICE_KEYS.items():
        assert set(values) <= {c["value"] for c in questions[key]["choices"]}, key


def test_rules_pass_the_loaders_check_when_it_exists() -> None:
    loader = pytest.importorskip("questionnaires.services.therapies")
    problems = loader.therapy_content_problems(
        therapies_doc=therapies_doc(),
        rules_doc=rules_doc(),
        definition=loader.demo_definition(),
    )
    assert [str(problem) for problem in problems] == []


# --- what the rules do --------------------------------------------------------------------


def rules_hitting(slug: str, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rules whose condition holds and that name the therapy, its family or its class."""
    therapy = therapy_map()[slug]
    hits = []
    for rule in rules():
        applies = rule["applies_to"]
        named = (
            slug in applies["therapies"]
            or therapy["family"] in applies["families"]
            or (therapy["target_class"] and therapy["target_class"] in applies["target_classes"])
        )
        if named and conditions.evaluate(rule["condition"], answers):
            hits.append(rule)
    return hits


def effects(slug: str, answers: Mapping[str, Any]) -> set[str]:
    return {rule["effect"] for rule in rules_hitting(slug, answers)}


PREGNANT = {"condition": "psoriasis", "safety_pregnancy": True}


@pytest.mark.parametrize(
    "slug",
    [
        "methotrexate",
        "mycophenolate",
        "teriflunomide",
        "fingolimod",
        "upadacitinib",
        "abrocitinib",
        # Issue 8: the added therapies with a label contraindication or fetal-toxicity warning,
        # and the classes whose fact is class-wide (oral JAK inhibitors, S1P modulators).
        "baricitinib",
        "acitretin",
        "cladribine",
        "siponimod",
        "ozanimod",
        "ponesimod",
        "cyclophosphamide",
    ],
)
def test_pregnancy_rules_out_the_teratogenic_and_oral_jak_medicines(slug: str) -> None:
    assert "not_suitable" in effects(slug, PREGNANT)


def test_pregnancy_leaves_hydroxychloroquine_alone() -> None:
    # Facts: continue hydroxychloroquine in pregnancy; it lowers flares and complications.
    assert rules_hitting("hydroxychloroquine", {**PREGNANT, "condition": "sle"}) == []


def test_pregnancy_gives_every_antibody_at_least_a_caution() -> None:
    for slug, therapy in therapy_map().items():
        if therapy["family"] == "monoclonal_antibody":
            assert effects(slug, PREGNANT) & {"caution", "not_suitable"}, slug


def test_an_infection_now_pauses_immunosuppression_but_not_dupilumab() -> None:
    answers = {"condition": "atopic_dermatitis", "safety_infection": True}
    assert "not_suitable" in effects("upadacitinib", answers)
    assert effects("dupilumab", answers) == {"caution"}


def test_tnf_blockers_are_out_in_ms_and_after_optic_neuritis() -> None:
    assert "not_suitable" in effects("adalimumab", {"condition": "multiple_sclerosis"})
    assert "not_suitable" in effects(
        "adalimumab", {"condition": "psoriasis", "safety_demyelinating": True}
    )
    assert "not_suitable" not in effects(
        "adalimumab", {"condition": "psoriasis", "safety_demyelinating": False}
    )


def test_inflammatory_bowel_disease_and_il17_inhibitors() -> None:
    answers = {"condition": "psoriasis", "safety_ibd": True}
    assert "not_suitable" in effects("secukinumab", answers)
    assert "caution" in effects("ixekizumab", answers)
    assert effects("guselkumab", answers) == set()


def test_jcv_status_and_natalizumab() -> None:
    ms = {"condition": "multiple_sclerosis"}
    assert effects("natalizumab", {**ms, "safety_jcv": "positive"}) == {"caution"}
    assert effects("natalizumab", {**ms, "safety_jcv": "negative"}) == {"adjust"}
    [adjust] = rules_hitting("natalizumab", {**ms, "safety_jcv": "negative"})
    assert adjust["criterion"] == "serious_harm" and number(adjust["multiplier"]) < 1


def test_hepatitis_b_and_anti_cd20() -> None:
    for slug, therapy in therapy_map().items():
        if therapy["target_class"] == "CD20":
            assert "caution" in effects(slug, {"safety_hepatitis_b": True}), slug


@pytest.mark.parametrize(
    ("answers", "cautioned"),
    [
        ({"age": 65}, True),
        ({"age": 64}, False),
        ({"age": 40, "safety_smoker": True}, True),
        ({"age": 40, "safety_cardiovascular": True}, True),
        ({"age": 40, "safety_cancer": True}, True),
    ],
)
def test_ema_jak_restriction(answers: dict[str, Any], cautioned: bool) -> None:
    answers = {"condition": "atopic_dermatitis", **answers}
    ids = {rule["id"] for rule in rules_hitting("abrocitinib", answers)}
    assert ("oral_jak_ema_risk_groups" in ids) is cautioned
    # The cream is a different matter: the EMA restriction is about the tablets.
    ids = {rule["id"] for rule in rules_hitting("ruxolitinib_cream", answers)}
    assert "oral_jak_ema_risk_groups" not in ids


def test_mild_disease_cautions_exactly_the_moderate_to_severe_options() -> None:
    for therapy, disease, indication in indications():
        answers = {"condition": disease, f"scale.activity_{disease}.severity": "mild"}
        mild = {r["id"] for r in rules_hitting(therapy["slug"], answers)}
        expected = indication["severity"] == "moderate_to_severe"
        # The options added in issue 8 have their own rule, appended after the original ones.
        found = bool(mild & {f"mild_disease_{disease}", "mild_disease_added_options"})
        assert found is expected, (therapy["slug"], disease)
        severe = {**answers, f"scale.activity_{disease}.severity": "severe"}
        assert not any(r["id"].startswith("mild_") for r in rules_hitting(therapy["slug"], severe))


def _mild_gates(node: Any) -> Iterator[tuple[str, list[Any]]]:
    """Each place a condition tests an activity scale for the none/mild band: the disease
    and the clauses that hold with it (the siblings in its ``all``, or the test alone)."""

    def gate(leaf: Any) -> str | None:
        if not isinstance(leaf, Mapping) or "q" not in leaf:
            return None
        match = re.fullmatch(r"scale\.activity_(\w+)\.severity", leaf["q"])
        value = leaf.get("value")
        values = value if isinstance(value, list) else [value]
        return match.group(1) if match and "mild" in values else None

    if not isinstance(node, Mapping):
        return
    if "all" in node:
        for child in node["all"]:
            disease = gate(child)
            if disease:
                yield disease, list(node["all"])
    elif (disease := gate(node)) is not None:
        yield disease, [node]
    for key in ("all", "any"):
        for child in node.get(key, []):
            if "q" not in child:
                yield from _mild_gates(child)
    if "not" in node:
        yield from _mild_gates(node["not"])


def test_every_mild_disease_caution_uses_its_conditions_one_definition_of_mild() -> None:
    """Issue 8 class 4: "mild" for a condition is defined once, by ``mild_disease_<disease>``
    (for MS: a none/mild symptom score and no relapse in 12 months and no new MRI activity,
    ECTRIMS/EAN 2018). Any other rule that says "mild" for that condition tests the same
    clauses, so a highly active MS patient is never told elsewhere that the disease is mild."""
    by_id = {rule["id"]: rule for rule in rules()}
    checked = set()
    for rule in rules():
        if rule.get("active") is False:
            continue
        for disease, clauses in _mild_gates(rule["condition"]):
            canonical = by_id.get(f"mild_disease_{disease}")
            if canonical is None or canonical is rule:
                continue
            missing = [clause for clause in canonical["condition"]["all"] if clause not in clauses]
            assert missing == [], (rule["id"], disease, missing)
            checked.add((rule["id"], disease))
    assert ("mild_disease_added_options", "multiple_sclerosis") in checked
    assert ("mild_disease_added_options", "sle") in checked


# Answers that show activity the symptom score does not measure: with any of them, no
# "mild disease" caution may fire, whatever the score (docs/weighing.md, section 6).
ACTIVITY_BEYOND_THE_SCORE = [
    ("multiple_sclerosis", {"ms_relapses_12m": 1}),
    ("multiple_sclerosis", {"ms_relapses_12m": 2, "ms_mri_activity": "yes"}),
    ("multiple_sclerosis", {"ms_relapses_12m": 0, "ms_mri_activity": "yes"}),
    ("psoriasis", {"pso_joint_pain": True}),
    ("psoriasis", {"pso_visible_areas": ["nails"]}),
    # EULAR 2023: kidney and brain/nerve involvement are organ-threatening; a flare is activity.
    ("sle", {"sle_flares_12m": 1}),
    ("sle", {"sle_kidney": "yes_now"}),
    ("sle", {"sle_nephritis": "active"}),
    ("sle", {"sle_cns": True}),
]


@pytest.mark.parametrize(("disease", "activity"), ACTIVITY_BEYOND_THE_SCORE)
@pytest.mark.parametrize("band", ["none", "mild"])
def test_no_mild_caution_when_other_answers_show_activity(
    disease: str, activity: dict[str, Any], band: str
) -> None:
    answers = {"condition": disease, f"scale.activity_{disease}.severity": band, **activity}
    for therapy, indicated, _ in indications():
        if indicated != disease:
            continue
        mild = [r["id"] for r in rules_hitting(therapy["slug"], answers)]
        assert not [rule_id for rule_id in mild if rule_id.startswith("mild_")], (
            therapy["slug"],
            mild,
        )


NO_PROBLEMS = st.fixed_dictionaries(
    {
        "condition": st.sampled_from(DISEASES),
        "age": st.integers(min_value=18, max_value=49),
    },
    optional={
        **{key: st.just(False) for key in ALL_YES_NO_KEYS},
        "safety_jcv": st.sampled_from(["positive", "negative", "not_known"]),
    },
)


@given(NO_PROBLEMS)
def test_nothing_is_ruled_out_when_the_patient_reports_no_problem(answers: dict) -> None:
    for slug in therapy_map():
        if slug == STATUS_QUO:
            continue
        ruled_out = {r["id"] for r in rules_hitting(slug, answers) if r["effect"] == "not_suitable"}
        # The one exception is the condition itself: TNF blockers are never for MS.
        tnf = therapy_map()[slug]["target_class"] == "TNF"
        if answers["condition"] == "multiple_sclerosis" and tnf:
            assert ruled_out == {"demyelinating_disease_anti_tnf"}
        else:
            assert ruled_out == set(), (slug, answers)


ANY_ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        **{key: st.booleans() for key in ALL_YES_NO_KEYS},
        **{key: st.sampled_from(values) for key, values in ALL_CHOICE_KEYS.items()},
        "age": st.integers(min_value=0, max_value=110),
    },
)


@given(ANY_ANSWERS, st.sampled_from(sorted(ALL_YES_NO_KEYS)))
def test_reporting_a_problem_never_removes_a_warning(answers: dict, key: str) -> None:
    without = {**answers, key: False}
    with_problem = {**answers, key: True}
    for slug in therapy_map():
        if slug == STATUS_QUO:
            continue
        before = {rule["id"] for rule in rules_hitting(slug, without)}
        after = {rule["id"] for rule in rules_hitting(slug, with_problem)}
        assert before <= after, (slug, key)


# --- issue 8: the added therapies ----------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(NEW_THERAPIES))
def test_new_therapies_follow_the_contract(slug: str) -> None:
    condition, target_class, administration = NEW_THERAPIES[slug]
    therapy = therapy_map()[slug]
    assert set(therapy["indications"]) == {condition}
    assert therapy["target_class"] == target_class
    assert therapy["administration"] == administration in ADMINISTRATION
    indication = therapy["indications"][condition]
    # Without a facts entry the tier rests on the cited label or guideline only: uncertain, and
    # never more than moderate certainty (README, certainty).
    assert "effectiveness" in indication["uncertain"]
    assert "speed" in indication["uncertain"]
    assert indication["values"]["effectiveness"] == TIER_VALUE[indication["efficacy_tier"]]
    assert indication["values"]["certainty"] <= 3
    assert indication["status"] != "experimental"
    assert therapy["references"], slug
    assert "onset weeks (estimate)" in therapy["unverified"]


def test_every_outcome_and_scope_source_is_a_reference_of_its_therapy() -> None:
    for therapy, disease, indication in indications():
        urls = {reference["url"] for reference in therapy["references"]}
        for outcome in indication.get("outcomes") or []:
            assert outcome["source"] in urls, (therapy["slug"], disease)
        scope = indication.get("scope")
        if scope:
            assert scope["evidence"] and set(scope["evidence"]) <= urls, (therapy["slug"], disease)


def test_voclosporin_and_oral_tacrolimus_are_for_lupus_nephritis_only() -> None:
    for slug in NEPHRITIS_ONLY:
        scope = therapy_map()[slug]["indications"]["sle"]["scope"]
        assert conditions.evaluate(scope["condition"], {"sle_nephritis": "active"})
        for other in ("past", "never", "not_known"):
            assert not conditions.evaluate(scope["condition"], {"sle_nephritis": other}), slug
        assert "nephritis" in scope["note"]["en"] and "狼疮肾炎" in scope["note"]["zh-hans"]
    with_scope = {t["slug"] for t in therapies() for i in t["indications"].values() if "scope" in i}
    assert with_scope >= NEPHRITIS_ONLY


def test_every_administration_is_in_the_contract_vocabulary() -> None:
    # Existing therapies receive theirs on the engine branch; any that is present must be valid.
    for therapy in therapies():
        if "administration" in therapy:
            assert therapy["administration"] in ADMINISTRATION, therapy["slug"]


# --- issue 8: breastfeeding and boxed warnings ------------------------------------------------

BREASTFEEDING = {"condition": "sle", "safety_breastfeeding": True}
LABEL_CONTRAINDICATED_IN_BREASTFEEDING = [
    "teriflunomide",
    "mycophenolate",
    "methotrexate",
    "acitretin",
    "cladribine",
    "cyclophosphamide",
    "baricitinib",
]


@pytest.mark.parametrize("slug", LABEL_CONTRAINDICATED_IN_BREASTFEEDING)
def test_label_contraindications_in_breastfeeding_rule_the_option_out(slug: str) -> None:
    hits = [r for r in rules_hitting(slug, BREASTFEEDING) if r["effect"] == "not_suitable"]
    assert hits, slug
    all_ids = {r["id"] for r in rules_hitting(slug, BREASTFEEDING)}
    assert "breastfeeding_not_confirmed" not in all_ids
    # The label is named with its section, and the evidence is a label of this therapy.
    urls = {reference["url"] for reference in therapy_map()[slug]["references"]}
    for rule in hits:
        assert re.search(r"label|SmPC", rule["clinician_message"]["en"]), rule["id"]
        assert set(rule["evidence"]) & urls, rule["id"]


@pytest.mark.parametrize("slug", ["teriflunomide", "mycophenolate", "methotrexate"])
def test_eu_breastfeeding_contraindications_cite_section_4_3(slug: str) -> None:
    [rule] = [r for r in rules_hitting(slug, BREASTFEEDING) if r["id"] == f"breastfeeding_{slug}"]
    assert rule["effect"] == "not_suitable"
    assert "section 4.3" in rule["clinician_message"]["en"]
    citations = {
        r["citation"] for r in therapy_map()[slug]["references"] if r["url"] in rule["evidence"]
    }
    assert any("section 4.3" in citation for citation in citations), citations


def test_hydroxychloroquine_is_continued_while_breastfeeding() -> None:
    # Compatible with breastfeeding (ACR 2020; very little reaches the baby): no rule, and the
    # profile says to continue it.
    assert rules_hitting("hydroxychloroquine", BREASTFEEDING) == []
    hcq = therapy_map()["hydroxychloroquine"]
    assert "breastfeeding" in hcq["pregnancy"]["en"] and "continue" in hcq["pregnancy"]["en"]


def test_not_confirmed_keeps_its_meaning() -> None:
    # Stored results name this id: it still means "no sourced statement", only a caution, and
    # holds none of the therapies whose label or guidance is now cited.
    rule = next(r for r in rules() if r["id"] == "breastfeeding_not_confirmed")
    assert rule["effect"] == "caution"
    assert "not verified" in rule["clinician_message"]["en"]
    named = set(rule["applies_to"]["therapies"])
    assert not named & {*LABEL_CONTRAINDICATED_IN_BREASTFEEDING, "hydroxychloroquine"}


BOXED = re.compile(r"boxed", re.IGNORECASE)
HEDGED = re.compile(r"not confirmed|could not confirm|unverified", re.IGNORECASE)


def test_boxed_warnings_are_written_as_facts() -> None:
    for therapy in therapies():
        items = [*therapy["serious_risks"], therapy["downsides"]]
        for indication in therapy["indications"].values():
            items += list((indication.get("text") or {}).values())
        for item in items:
            for sentence in re.split(r"(?<=[.;])\s+", item["en"]):
                if BOXED.search(sentence):
                    assert not HEDGED.search(sentence), (therapy["slug"], sentence)


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("ivig", ("thrombosis", "kidney failure")),
        ("topical_calcineurin_inhibitors", ("lymphoma",)),
    ],
)
def test_the_boxed_warnings_the_review_named_are_stated(slug: str, words: tuple[str, ...]) -> None:
    therapy = therapy_map()[slug]
    boxed = " ".join(i["en"] for i in therapy["serious_risks"] if BOXED.search(i["en"]))
    for word in words:
        assert word in boxed, (slug, word)


def test_ivig_benefit_rests_on_no_blog() -> None:
    urls = [reference["url"] for reference in therapy_map()["ivig"]["references"]]
    assert not any("blogspot" in url or "blog" in url.split("/")[2] for url in urls)


@pytest.mark.parametrize(
    ("rule_id", "target_class"),
    [
        ("pregnancy_oral_jak_inhibitors", "JAK"),
        ("breastfeeding_oral_jak_inhibitors", "JAK"),
        ("pregnancy_s1p_modulators", "S1P"),
        ("s1p_recent_heart_events", "S1P"),
        ("pregnancy_tnf_blockers_continue_if_needed", "TNF"),
    ],
)
def test_class_wide_facts_are_written_for_the_class(rule_id: str, target_class: str) -> None:
    rule = next(r for r in rules() if r["id"] == rule_id)
    assert rule["applies_to"] == {"therapies": [], "families": [], "target_classes": [target_class]}
    members = [t["slug"] for t in therapies() if t["target_class"] == target_class]
    assert len(members) >= 2, members


# --- issue 8: text specific to the condition ---------------------------------------------------

PATIENT_TEXT = ("what_it_is", "benefits", "downsides", "living_with", "pregnancy")
CONDITION_WORDS = {
    "psoriasis": (r"psoria", "银屑病"),
    "atopic_dermatitis": (r"eczema|atopic dermatitis", "湿疹|特应性皮炎"),
    "multiple_sclerosis": (r"multiple sclerosis|\bMS\b", "多发性硬化"),
    "sle": (r"lupus", "狼疮"),
    "vitiligo": (r"vitiligo", "白癜风"),
}
# Brands sold for one condition only.
CONDITION_BRANDS = {"multiple_sclerosis": ("Tecfidera",), "psoriasis": ("Skilarence",)}


def condition_text(therapy: Mapping[str, Any], disease: str, field: str) -> Mapping[str, str]:
    override = (therapy["indications"][disease].get("text") or {}).get(field)
    return override or therapy[field]


def test_every_therapy_for_several_conditions_has_text_per_condition() -> None:
    for therapy in therapies():
        if therapy["slug"] == STATUS_QUO or len(therapy["indications"]) < 2:
            continue
        for disease, indication in therapy["indications"].items():
            text = indication.get("text") or {}
            assert {"benefits", "downsides"} <= set(text), (therapy["slug"], disease)
            assert set(text) <= set(PATIENT_TEXT), (therapy["slug"], disease)
            ratio = len(text["benefits"]["en"]) / len(text["downsides"]["en"])
            assert 0.5 <= ratio <= 2, (therapy["slug"], disease)


def test_a_card_speaks_only_of_its_own_condition() -> None:
    for therapy in therapies():
        if therapy["slug"] == STATUS_QUO:
            continue
        names = f"{therapy['name']['en']} {therapy['name']['zh-hans']}"
        for disease in therapy["indications"]:
            for other, (english, chinese) in CONDITION_WORDS.items():
                if other == disease:
                    continue
                for brand in CONDITION_BRANDS.get(other, ()):
                    assert brand not in names, (therapy["slug"], brand)
                for field in PATIENT_TEXT:
                    text = condition_text(therapy, disease, field)
                    # A TNF blocker's card warns about MS: a contraindication, not a claim.
                    if (
                        therapy["target_class"] == "TNF"
                        and other == "multiple_sclerosis"
                        and field in ("downsides", "living_with", "pregnancy")
                    ):
                        continue
                    where = (therapy["slug"], disease, field, other)
                    assert not re.search(english, text["en"], re.IGNORECASE), where
                    assert not re.search(chinese, text["zh-hans"]), where


def test_lupus_glucocorticoids_are_a_bridge_and_hydroxychloroquine_background() -> None:
    steroids = therapy_map()["systemic_glucocorticoids"]
    for field in ("what_it_is", "benefits"):
        assert "bridge" in condition_text(steroids, "sle", field)["en"]
        assert "过渡" in condition_text(steroids, "sle", field)["zh-hans"]
    assert "5 mg" in condition_text(steroids, "sle", "downsides")["en"]
    hcq = therapy_map()["hydroxychloroquine"]
    for field in ("what_it_is", "benefits"):
        assert "background" in hcq[field]["en"]
        assert "基础治疗" in hcq[field]["zh-hans"]


# --- the engine takes the content as it is ------------------------------------------------


def _options(disease: str) -> tuple[engine.OptionProfile, ...]:
    found = []
    for therapy in therapies():
        indication = therapy["indications"].get(disease)
        if indication is None:
            continue
        values = {key: number(value) for key, value in indication["values"].items()}
        found.append(
            engine.OptionProfile(
                option_id=therapy["slug"],
                status=indication["status"],
                certainty=indication["certainty"],
                family=therapy["family"],
                target_class=therapy["target_class"],
                routes=tuple(therapy["routes"]),
                values=values,
                serious_harm_per_1000=values["serious_harm"],
                is_status_quo=therapy["slug"] == STATUS_QUO,
            )
        )
    return tuple(found)


def _engine_rules() -> tuple[engine.Rule, ...]:
    return tuple(
        engine.Rule(
            rule_id=rule["id"],
            applies_to=tuple(value for values in rule["applies_to"].values() for value in values),
            effect=rule["effect"],
            condition=rule["condition"],
            criterion=rule.get("criterion", ""),
            multiplier=number(rule["multiplier"]) if "multiplier" in rule else None,
            clinician_message=rule["clinician_message"],
            patient_message=rule["patient_message"],
            evidence_ids=tuple(rule["evidence"]),
        )
        for rule in rules()
    )


@pytest.mark.parametrize("disease", DISEASES)
def test_the_engine_weighs_the_shipped_content(disease: str) -> None:
    answers = {"condition": disease, "age": 40, "safety_pregnancy": True}
    result = engine.weigh(
        engine.WeighingInput(
            disease=disease, options=_options(disease), answers=answers, rules=_engine_rules()
        )
    )
    ranked = {option.option_id for option in result.ranked}
    ruled_out = {exclusion.option_id for exclusion in result.not_suitable}
    assert STATUS_QUO in ranked
    assert ranked | ruled_out == {option.option_id for option in _options(disease)}
    for slug in ruled_out:
        assert "not_suitable" in effects(slug, answers), slug
