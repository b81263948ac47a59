"""The typed reader of the stored weighing snapshot (issue 9, acceptance 2).

Every golden case's snapshot goes JSON → ``read_snapshot`` → ``snapshot_to_json`` and must
come back equal; for one case per condition the snapshot a real submit stores in
``Result.weighing`` (and the scale results in ``Result.scores``) must round-trip too and be
the snapshot the simulator computes. Stored results outlive code: unknown members survive,
members older results lack are tolerated, and a malformed snapshot is refused with the
path of what is wrong.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from questionnaires.answers import answers_from_json
from questionnaires.engine.snapshot import (
    RankedOption,
    SnapshotError,
    WeighingSnapshot,
    read_scales,
    read_snapshot,
    read_stored_weighing,
    scale_to_json,
    scale_to_simulation_json,
    snapshot_to_json,
)
from questionnaires.models import Result, SimulationCase
from questionnaires.selectors.definitions import version_definition
from questionnaires.services import simulation_cases
from questionnaires.services.invitations import invitation_create
from questionnaires.services.simulation_cases import expectation_failures
from questionnaires.services.weighing import simulation_run
from tests.seeded import seeded_database
from tests.summary.builders import demo_answers, submitted_response_for

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
CASE_FILES = sorted(GOLDEN_DIR.glob("*/*.json"))
# One case per condition goes through a real submit (the first in name order).
SUBMITTED_CASES = sorted(
    {path.parent.name: path for path in reversed(CASE_FILES)}.values(),
)


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="module")
def demo_version(django_db_setup, django_db_blocker):
    with seeded_database(django_db_blocker) as version:
        yield version


def _answers(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["answers"]


@pytest.fixture
def one_snapshot(demo_version, db) -> dict:
    simulation = simulation_run(version=demo_version, answers=_answers(CASE_FILES[0]))
    return json.loads(json.dumps(simulation["weighing"]))


# --- every golden case ---------------------------------------------------------------------


@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_every_golden_snapshot_round_trips(path, demo_version, db):
    simulation = simulation_run(version=demo_version, answers=_answers(path))
    stored = simulation["weighing"]
    assert stored, "a golden case that weighs nothing tests nothing here"
    # Through the database's JSON, as Result.weighing keeps it.
    stored = json.loads(json.dumps(stored))

    snapshot = read_snapshot(stored)

    assert isinstance(snapshot, WeighingSnapshot)
    assert snapshot_to_json(snapshot) == stored
    # Member order too, so printed JSON (manage.py simulate) reads the same as before.
    assert json.dumps(snapshot_to_json(snapshot)) == json.dumps(stored)
    assert snapshot.absent == frozenset() and dict(snapshot.extra) == {}
    assert [option.option_id for option in snapshot.ranked] == [
        option["option_id"] for option in stored["ranked"]
    ]
    # The stored cases' checks judge the typed snapshot as they judge the dict: the case's
    # own expectation passes both ways, and a contrary one fails the same way.
    expect = json.loads(path.read_text(encoding="utf-8"))["expect"]
    contrary = {
        "leader": "nobody",
        "close_call": not stored["sensitivity"]["close_call"],
        "not_suitable": [],
        "cautions": ["no_such_rule"],
        "groups": {"3": [stored["ranked"][0]["option_id"]]},
    }
    for expectation in (expect, contrary):
        typed = expectation_failures(expect=expectation, simulation={"weighing": snapshot})
        assert typed == expectation_failures(expect=expectation, simulation=simulation)
        assert bool(typed) == (expectation is contrary)


def test_the_submit_cases_cover_every_condition():
    assert sorted(path.parent.name for path in SUBMITTED_CASES) == sorted(
        {path.parent.name for path in CASE_FILES}
    )


@pytest.mark.parametrize("path", SUBMITTED_CASES, ids=_case_id)
def test_the_snapshot_a_real_submit_stores_round_trips(path, demo_version, db):
    condition = path.parent.name
    # The golden answers name what the case is about; the demo answers fill in the required
    # questions a golden case leaves out, so the questionnaire can be submitted.
    answers = {**demo_answers(condition), **_answers(path)}
    invitation, _ = invitation_create(
        questionnaire=demo_version.questionnaire, patient_ref="SNAP-1", disease=condition
    )
    typed = answers_from_json(version_definition(demo_version), answers)
    response = submitted_response_for(invitation=invitation, answers=typed, language="en")
    result = Result.objects.get(response=response)
    result.refresh_from_db()  # what the database gives back, not the object written

    snapshot = read_snapshot(result.weighing)

    assert snapshot_to_json(snapshot) == result.weighing
    simulated = simulation_run(version=demo_version, answers=response.answers)["weighing"]
    assert snapshot_to_json(snapshot) == json.loads(json.dumps(simulated))
    scales = read_scales(result.scores)
    assert [scale_to_json(scale) for scale in scales] == result.scores
    # The simulator's shape of the same scales comes from the same typed value.
    names = {scale.key: scale.name for scale in version_definition(demo_version).scales}
    assert [scale_to_simulation_json(scale, name=names[scale.key]) for scale in scales] == (
        simulation_run(version=demo_version, answers=response.answers)["scales"]
    )


# --- stored results outlive code ------------------------------------------------------------


def test_unknown_members_survive_the_round_trip(one_snapshot):
    future = copy.deepcopy(one_snapshot)
    future["explanation_v2"] = {"model": "later", "items": [1, 2.5, None]}
    future["ranked"][0]["shared_decision_score"] = 0.75
    future["ranked"][0]["cautions"].append(
        {
            "code": "rule",
            "rule_id": "future_rule",
            "clinician_message": {"en": "Check."},
            "patient_message": {"en": "Ask."},
            "evidence": [],
            "detail": {},
            "severity_band": "amber",
        }
    )
    option_id = next(iter(future["options"]))
    future["options"][option_id]["video_url"] = "https://example.org/video"
    future["sensitivity"]["monte_carlo"] = {"runs": 1000}

    snapshot = read_snapshot(future)

    assert snapshot_to_json(snapshot) == future
    assert snapshot.extra["explanation_v2"]["model"] == "later"
    assert snapshot.ranked[0].extra == {"shared_decision_score": 0.75}
    assert snapshot.ranked[0].cautions[-1].extra == {"severity_band": "amber"}


def test_members_older_results_lack_read_as_defaults_and_are_not_written_back(one_snapshot):
    older = copy.deepcopy(one_snapshot)
    for name in ("groups", "status_quo"):
        del older[name]
    for option in older["ranked"]:
        del option["group"], option["restrictions"]
    for display in older["options"].values():
        for name in ("administration", "role", "scope_note"):
            del display[name]

    snapshot = read_snapshot(older)

    assert snapshot_to_json(snapshot) == older
    assert snapshot.groups == () and snapshot.status_quo is None
    assert {option.group for option in snapshot.ranked} == {1}
    assert all(option.restrictions == () for option in snapshot.ranked)
    assert {display.role for display in snapshot.options.values()} == {""}
    assert snapshot.absent == frozenset({"groups", "status_quo"})


def test_nothing_weighed_reads_as_none_and_a_snapshot_as_itself(one_snapshot):
    assert read_stored_weighing({}) is None
    assert read_stored_weighing(None) is None
    assert snapshot_to_json(read_stored_weighing(one_snapshot)) == one_snapshot


# --- malformed snapshots are refused with where ---------------------------------------------


def _broken(snapshot: dict, change) -> dict:
    broken = copy.deepcopy(snapshot)
    change(broken)
    return broken


def _set(member: str, value):
    return lambda snapshot: snapshot.update({member: value})


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        pytest.param(
            lambda s: s["ranked"][1].pop("fit"), "weighing.ranked[1].fit", "missing", id="missing"
        ),
        pytest.param(
            lambda s: s["ranked"][0].update(fit="high"),
            "weighing.ranked[0].fit",
            "a number",
            id="wrong type",
        ),
        pytest.param(_set("ranked", {"a": 1}), "weighing.ranked", "a list", id="not a list"),
        pytest.param(
            lambda s: s["sensitivity"].update(close_call="yes"),
            "weighing.sensitivity.close_call",
            "true or false",
            id="not a bool",
        ),
        pytest.param(
            lambda s: s["not_suitable"].append({"option_id": "x"}),
            "reasons",
            "missing",
            id="nested missing",
        ),
        pytest.param(
            _set("format_version", 2), "weighing.format_version", "expected 1", id="version"
        ),
        pytest.param(lambda s: s.pop("format"), "weighing.format", "sdm-weighing", id="format"),
        pytest.param(
            lambda s: s["criteria"][0]["name"].update(en=3),
            "weighing.criteria[0].name.en",
            "a string",
            id="text",
        ),
    ],
)
def test_a_malformed_snapshot_names_what_is_wrong(one_snapshot, change, path, problem):
    with pytest.raises(SnapshotError) as raised:
        read_snapshot(_broken(one_snapshot, change))
    assert path in str(raised.value)
    assert problem in str(raised.value)
    assert not isinstance(raised.value, KeyError | TypeError | AttributeError)


@pytest.mark.parametrize("data", [[], "weighing", 3])
def test_something_that_is_no_object_is_refused(data):
    with pytest.raises(SnapshotError, match="expected an object"):
        read_snapshot(data)


def test_malformed_scale_results_name_the_scale():
    with pytest.raises(SnapshotError, match=r"scores\[0\]\.score"):
        read_scales(
            [
                {
                    "key": "dlqi",
                    "score": "many",
                    "status": "complete",
                    "answered": 1,
                    "missing": 0,
                    "band_index": None,
                    "band_label": None,
                    "severity": None,
                    "items": [],
                }
            ]
        )


def test_the_snapshot_is_frozen(one_snapshot):
    snapshot = read_snapshot(one_snapshot)
    with pytest.raises(AttributeError):
        snapshot.ranked[0].fit = 100  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.options["no_change"].name["en"] = "changed"  # type: ignore[index]
    assert isinstance(snapshot.ranked[0], RankedOption)


def test_a_stored_case_whose_weighing_cannot_be_read_fails_with_why(
    demo_version, db, monkeypatch, one_snapshot
):
    broken = _broken(one_snapshot, lambda s: s["ranked"][0].pop("rank"))
    monkeypatch.setattr(
        simulation_cases, "simulation_run", lambda **kwargs: {"weighing": broken, "notes": []}
    )
    case = SimulationCase.objects.create(
        version=demo_version, name="unreadable", answers={}, expected_leader="no_change"
    )

    outcome = simulation_cases.simulation_case_run(case=case)

    assert not outcome.passed
    assert outcome.failures == ("the weighing cannot be read: weighing.ranked[0].rank: missing",)
