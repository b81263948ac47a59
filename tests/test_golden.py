"""Golden cases: readable answers per condition and what the weighing must make of them.

Each file ``tests/golden/<condition>/<case>.json`` holds a description (why the expected
result is right, worked out from the shipped profiles and rules), the answers, and an
expectation in the format of ``services.simulation_cases`` (see docs/simulate.md). The
cases run through ``simulation_run``, the path of ``manage.py simulate`` and of stored
test cases, against the seeded profiles and the demo questionnaire.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def test_every_condition_has_at_least_three_cases():
    by_condition = dict.fromkeys(Disease.values, 0)
    for path in CASE_FILES:
        by_condition[path.parent.name] += 1
    assert set(by_condition) == set(Disease.values), "a folder is not a condition"
    assert all(count >= 3 for count in by_condition.values()), by_condition


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
