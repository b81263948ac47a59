"""Simulator test cases: expectations, the admin's stored cases and the publish gate."""

from __future__ import annotations

import pytest

from questionnaires.models import SimulationCase, VersionStatus
from questionnaires.services.definitions import version_create_from_definition, version_publish
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.simulation_cases import (
    expectation_failures,
    simulation_case_run,
    simulation_cases_copy,
    simulation_cases_run,
)
from questionnaires.services.therapies import therapies_load
from questionnaires.services.therapy_content import demo_definition
from tests.therapy_content import write_content


def reason(code="rule", rule_id=""):
    return {"code": code, "rule_id": rule_id}


def option(option_id, *, conflicts=(), cautions=(), adjustments=()):
    return {
        "option_id": option_id,
        "conflicts": [{"kind": kind, "level": "conflict", "detail": {}} for kind in conflicts],
        "cautions": [reason(rule_id=rule_id) for rule_id in cautions],
        "adjustments": [{"reason": reason(code=code)} for code in adjustments],
    }


SIMULATION = {
    "weighing": {
        "ranked": [
            option("alpha", conflicts=["above_risk_limit"], cautions=["ibd"]),
            option("beta", adjustments=["same_class_did_not_work"]),
            option("no_change"),
        ],
        "not_suitable": [
            {"option_id": "gamma", "reasons": [reason(rule_id="pregnancy_gamma")]},
            {"option_id": "delta", "reasons": [reason(code="did_not_work_before")]},
        ],
        "sensitivity": {"close_call": False},
    },
    "notes": [],
}


def failures(**expect):
    return expectation_failures(expect=expect, simulation=SIMULATION)


def test_a_met_expectation_has_no_failures():
    assert (
        failures(
            leader="alpha",
            order_prefix=["alpha", "beta"],
            top_includes=["no_change", "beta"],
            not_suitable={"gamma": ["pregnancy_gamma"], "delta": ["did_not_work_before"]},
            conflicts={"alpha": ["above_risk_limit"], "beta": []},
            cautions=["ibd"],
            cautions_not=["tb"],
            adjusted={"beta": ["same_class_did_not_work"]},
            close_call=False,
        )
        == []
    )
    assert failures(not_suitable=["delta", "gamma"], cautions={"alpha": ["ibd"]}) == []
    assert failures(cautions_not={"beta": ["ibd"], "gamma": ["ibd"]}) == []


@pytest.mark.parametrize(
    "expect, message",
    [
        ({"leader": "beta"}, "leader is 'alpha', expected 'beta'"),
        ({"order_prefix": ["beta"]}, "ranking starts ['alpha'], expected ['beta']"),
        ({"top_includes": ["no_change"], "top_n": 2}, "['no_change'] not in the top 2"),
        ({"not_suitable": ["gamma"]}, "not suitable now: ['delta', 'gamma'], expected ['gamma']"),
        (
            {"not_suitable": {"gamma": ["pregnancy_x"], "delta": []}},
            "'gamma' is not suitable for ['pregnancy_gamma', 'rule'], expected also",
        ),
        (
            {"conflicts": {"alpha": []}},
            "conflicts of 'alpha' are ['above_risk_limit'], expected []",
        ),
        ({"conflicts": {"gamma": []}}, "conflicts of 'gamma' expected, but it is not suitable now"),
        ({"cautions": ["tb"]}, "no option carries the caution(s) ['tb']"),
        ({"cautions": {"beta": ["ibd"]}}, "'beta' lacks the caution(s) ['ibd']"),
        ({"cautions_not": ["ibd"]}, "'alpha' carries the caution(s) ['ibd'], which must not"),
        ({"cautions_not": {"alpha": ["ibd", "tb"]}}, "'alpha' carries the caution(s) ['ibd']"),
        ({"adjusted": {"alpha": ["same_class_did_not_work"]}}, "'alpha' was not adjusted by"),
        ({"close_call": True}, "close call is False, expected True"),
        ({"leadr": "alpha"}, "unknown expectation key(s): leadr"),
    ],
)
def test_each_kind_of_miss_is_reported(expect, message):
    found = failures(**expect)
    assert len(found) == 1
    assert found[0].startswith(message), found


def test_nothing_weighed_fails_every_expectation():
    found = expectation_failures(
        expect={"leader": "alpha"}, simulation={"weighing": None, "notes": ["no condition"]}
    )
    assert found == ["nothing was weighed (no condition)"]


# --- stored cases and the publish gate ----------------------------------------------------


@pytest.fixture
def draft(tmp_path, db):
    therapies_load(path=write_content(tmp_path))
    return version_create_from_definition(definition=demo_definition())


def make_case(version, **overrides):
    values = {
        "version": version,
        "name": "pregnant, effectiveness first",
        "answers": {
            "condition": "psoriasis",
            "safety_pregnancy": True,
            "priority_ranking": ["effectiveness", "speed", "serious_harm"],
        },
        "expected_leader": "alpha_mab",
        "expected_not_suitable": ["gamma_tablet"],
    }
    values.update(overrides)
    return SimulationCase.objects.create(**values)


@pytest.mark.django_db
def test_a_stored_case_runs_through_the_simulator(draft):
    outcome = simulation_case_run(case=make_case(draft))
    assert outcome.passed, outcome.failures
    assert outcome.simulation["weighing"]["ranked"][0]["option_id"] == "alpha_mab"


@pytest.mark.django_db
def test_a_failing_case_refuses_the_publish(draft):
    make_case(draft, name="a passing case")
    make_case(draft, name="wrong leader", expected_leader="beta_mab")

    with pytest.raises(ServiceRefused) as refused:
        version_publish(version=draft)

    (message,) = [m for m in refused.value.messages if "simulator test case" in m]
    assert "wrong leader" in message and "expected 'beta_mab'" in message
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


@pytest.mark.django_db
def test_passing_cases_let_the_publish_through(draft):
    make_case(draft)
    version_publish(version=draft)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED


@pytest.mark.django_db
def test_cases_run_in_name_order_and_copy_to_a_clone(draft):
    make_case(draft, name="b")
    make_case(draft, name="a", expected_leader="no_change")
    assert [(o.name, o.passed) for o in simulation_cases_run(version=draft)] == [
        ("a", False),
        ("b", True),
    ]
    clone = version_create_from_definition(definition=demo_definition())
    make_case(clone, name="a", expected_leader="alpha_mab")

    assert simulation_cases_copy(source=draft, target=clone) == 1
    copied = {case.name: case.expected_leader for case in clone.simulation_cases.all()}
    assert copied == {"a": "alpha_mab", "b": "alpha_mab"}
