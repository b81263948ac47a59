"""Golden cases: readable answers per condition and what the weighing must make of them.

Each file ``tests/golden/<condition>/<case>.json`` holds a description (why the expected
result is right, worked out from the shipped profiles and rules), the answers, and an
expectation in the format of ``services.simulation_cases`` (see docs/simulate.md). The
cases run through ``simulation_run``, the path of ``manage.py simulate`` and of stored
test cases, against the seeded profiles and the demo questionnaire.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from questionnaires.models import Disease
from questionnaires.services.simulation_cases import expectation_failures
from questionnaires.services.weighing import simulation_run
from tests.seeded import seeded_database

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
CASE_FILES = sorted(GOLDEN_DIR.glob("*/*.json"))


@pytest.fixture(scope="module")
def demo_version(django_db_setup, django_db_blocker):
    with seeded_database(django_db_blocker) as version:
        yield version


def test_at_least_sixty_cases_and_ten_per_condition():
    by_condition = dict.fromkeys(Disease.values, 0)
    for path in CASE_FILES:
        by_condition[path.parent.name] += 1
    assert set(by_condition) == set(Disease.values), "a folder is not a condition"
    assert len(CASE_FILES) >= 60
    assert all(count >= 10 for count in by_condition.values()), by_condition


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_case_cites_its_source(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    sources = [source for source in case.get("sources", []) if source.startswith("https://")]
    assert sources or "https://" in case["description"], "cite the source of the expectation"


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_golden_case(path, demo_version, db):
    case = json.loads(path.read_text(encoding="utf-8"))
    assert case["description"].strip()
    assert case["answers"]["condition"] == path.parent.name

    simulation = simulation_run(version=demo_version, answers=case["answers"])

    assert simulation["condition"] == path.parent.name
    assert simulation["dropped_answers"] == [], "a golden answer that does not count is a typo"
    failures = expectation_failures(expect=case["expect"], simulation=simulation)
    assert failures == [], "\n".join(failures)
    # "No change" is always an option: ranked, or listed as not suitable with a reason.
    weighing = simulation["weighing"]
    listed = {o["option_id"] for o in weighing["ranked"]} | {
        o["option_id"] for o in weighing["not_suitable"]
    }
    assert "no_change" in listed


def test_the_rules_the_issue_names_are_covered():
    """Pregnancy, JC virus, demyelinating disease and prior failure each have a golden case."""
    expectations = " ".join(path.read_text(encoding="utf-8") for path in CASE_FILES)
    for marker in (
        "pregnancy_",
        "natalizumab_jcv_positive",
        "natalizumab_jcv_negative_lower_pml",
        "demyelinating_disease_anti_tnf",
        "did_not_work_before",
        "same_class_did_not_work",
    ):
        assert marker in expectations, marker


# Issue 8's classes of defect, each with markers (rule ids, codes, case names or answers)
# that the golden cases must contain between them.
DEFECT_CLASS_MARKERS = {
    "1 class-wide rules": (
        "ibd_il17_inhibitors",
        "hepatitis_b_other_immunosuppressants",
        "recent_cancer_other_immunosuppressants",
        "tb_history_screening",
    ),
    "2 limits and restrictions shape the order": (
        "jak_risk_groups_restricted",
        "injections_not_wanted",
        '"leader_not"',
        '"groups"',
    ),
    "3 honest status quo": ("no_change_does_not_lead", "that_works"),
    "4 every answer used": (
        "psoriatic_arthritis_options",
        "ruxolitinib_cream_vitiligo_over_10_percent",
        "anifrolumab_active_lupus_nephritis",
        "out_of_scope",
        "stopped_for_infection_before",
        "highly_active",
    ),
    "5 breastfeeding": ('"safety_breastfeeding": true',),
    "6 harm and burden": ('"limit_avoid_injections": true',),
    "7 roles of glucocorticoids and hydroxychloroquine": ("glucocorticoids_bridge",),
    "8 sources": ('"sources"',),
}


def test_every_class_of_defect_has_golden_cases():
    every = " ".join(f"{path.stem} {path.read_text(encoding='utf-8')}" for path in CASE_FILES)
    for defect, markers in DEFECT_CLASS_MARKERS.items():
        for marker in markers:
            assert marker in every, f"{defect}: {marker}"


def test_no_change_leads_under_equal_weights_only_on_a_working_treatment(demo_version, db):
    """Issue 8 acceptance 3: over every golden case, with the ranking removed (every
    criterion then weighs the same), "no change" leads only where the patient is on a
    treatment that works for them. Counted, and the count is reported on failure."""
    leads, on_working = [], []
    for path in CASE_FILES:
        answers = dict(json.loads(path.read_text(encoding="utf-8"))["answers"])
        answers.pop("priority_ranking", None)
        weighing = simulation_run(version=demo_version, answers=answers)["weighing"]
        if weighing["status_quo"]["response"] == "works":
            on_working.append(path.stem)
        if weighing["ranked"] and weighing["ranked"][0]["option_id"] == "no_change":
            leads.append((path.stem, weighing["status_quo"]["response"]))
    wrong = [case for case, response in leads if response != "works"]
    assert wrong == [], f"no change leads {len(leads)} times; {len(wrong)} not on a working one"
    assert on_working, "the suite needs cases on a treatment that works"


NAMED_TEXT_CASES = (
    "multiple_sclerosis/highly_active_ms_high_efficacy_first",
    "psoriasis/ibd_excludes_every_il17_inhibitor",
    "atopic_dermatitis/jak_risk_groups_restricted_dupilumab_first",
    "sle/breastfeeding_lupus",
)


@pytest.mark.parametrize("name", NAMED_TEXT_CASES)
def test_simulate_text_shows_the_grouping_and_why(name, demo_version, db):
    """Issue 8 acceptance 5: ``simulate --format text`` on these four shows the groups and
    the reason for each option's group."""
    out = StringIO()
    call_command(
        "simulate",
        questionnaire=demo_version.questionnaire.slug,
        answers=str(GOLDEN_DIR / f"{name}.json"),
        fmt="text",
        stdout=out,
    )
    text = out.getvalue()
    assert "Group 1: suitable and within all your stated limits" in text
    assert "Group 2: suitable, but against a stated limit or restricted by a guideline" in text
    assert "group 2 because [" in text
    assert "Group 3: not suitable now" in text
