"""manage.py simulate, and the documented shape of the simulator's JSON."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questionnaires.services.weighing import simulation_run
from tests.seeded import seeded_database

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "simulate.schema.json").read_text(encoding="utf-8"))
GOLDEN_FILES = sorted((REPO / "tests" / "golden").glob("*/*.json"))

MS_ANSWERS = {
    "condition": "multiple_sclerosis",
    "age": 34,
    "ms_walking": "some_difficulty",
    "ms_fatigue": 6,
    "ms_daily_life": 5,
    "ms_symptoms_change": "slightly_worse",
    "weight_kg": "70.5",
    "prior_treatments": [
        {
            "prior_therapy": "fingolimod",
            "prior_effect": "not_effective",
            "prior_stop_reason": "not_effective",
        }
    ],
    "safety_jcv": "positive",
    "priority_ranking": ["effectiveness", "serious_harm"],
    "mar_serious_harm": "1_in_100",
    "routes_accepted": ["oral", "subcutaneous"],
    "experimental_openness": "no",
    "pso_itch": 5,
}


@pytest.fixture(scope="module")
def demo_version(django_db_setup, django_db_blocker):
    with seeded_database(django_db_blocker) as version:
        yield version


def run(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, document) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def validate(document) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_json_output_follows_the_documented_schema(tmp_path, demo_version, db):
    response = {
        "format": "sdm-response",
        "format_version": 1,
        "questionnaire": "treatment-discussion",
        "version": demo_version.number,
        "status": "submitted",
        "language": "en",
        "answers": MS_ANSWERS,
    }
    output = json.loads(
        run("--questionnaire", "treatment-discussion", "--answers", write(tmp_path, response))
    )

    validate(output)
    assert output["version"] == demo_version.number
    assert output["condition"] == "multiple_sclerosis"
    assert "activity_multiple_sclerosis" in output["visible_steps"]
    assert "activity_psoriasis" not in output["visible_steps"]
    assert output["dropped_answers"] == [{"key": "pso_itch", "reason": "hidden_or_empty"}]
    ms_scale = next(s for s in output["scales"] if s["key"] == "activity_multiple_sclerosis")
    assert ms_scale["status"] == "complete" and ms_scale["band"] is not None
    weighing = output["weighing"]
    assert sum(weighing["weights"].values()) == pytest.approx(1)
    for option in weighing["ranked"]:
        assert sum(option["contributions"].values()) == pytest.approx(option["fit"])
    assert [item["option_id"] for item in weighing["not_suitable"]] == ["fingolimod"]
    ahsct = next(o for o in weighing["ranked"] if o["option_id"] == "ahsct")
    assert {c["kind"] for c in ahsct["conflicts"]} == {"above_risk_limit", "route_refused"}


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_golden_output_follows_the_schema(path, demo_version, db):
    answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
    validate(simulation_run(version=demo_version, answers=answers))


def test_bare_and_plain_answer_files_give_the_same_output(tmp_path, demo_version, db):
    outputs = [
        run("--questionnaire", "treatment-discussion", "--answers", write(tmp_path, document))
        for document in (
            {"format": "sdm-response", "format_version": 1, "answers": MS_ANSWERS},
            {"answers": MS_ANSWERS},
            MS_ANSWERS,
        )
    ]
    assert outputs[0] == outputs[1] == outputs[2]


def test_no_condition_means_no_weighing_but_still_a_valid_document(tmp_path, demo_version, db):
    output = json.loads(
        run("--questionnaire", "treatment-discussion", "--answers", write(tmp_path, {"age": 50}))
    )
    validate(output)
    assert output["weighing"] is None
    assert output["notes"] == ["no condition was answered, so there is nothing to weigh"]


def test_text_output_reads_as_a_report(tmp_path, demo_version, db):
    text = run(
        "--questionnaire",
        "treatment-discussion",
        "--answers",
        write(tmp_path, MS_ANSWERS),
        "--format",
        "text",
    )
    for expected in (
        "Condition: multiple_sclerosis",
        "Visible steps: about_you, activity_multiple_sclerosis",
        "Answers not counted: pso_itch (hidden_or_empty)",
        "activity_multiple_sclerosis:",
        "Weights (rank_order_centroid):",
        "Ranked options (fit 0-100), in guideline groups:",
        "Group 1: suitable and within all your stated limits",
        "[natalizumab_jcv_positive]",
        "conflict (conflict, above_risk_limit)",
        "Group 3: not suitable now",
        "[did_not_work_before]",
        "Not recommended for this condition (not weighed): adalimumab",
        "Sensitivity:",
        "close call:",
        "Fits your priorities mainly because of",
    ):
        assert expected in text, expected


def test_text_output_in_chinese_uses_the_chinese_profiles(tmp_path, demo_version, db):
    text = run(
        "--questionnaire",
        "treatment-discussion",
        "--answers",
        write(tmp_path, MS_ANSWERS),
        "--format",
        "text",
        "--language",
        "zh-hans",
    )
    assert "奥法妥木单抗" in text  # ofatumumab's Chinese name from the profile


@pytest.mark.parametrize(
    "document, message",
    [
        ({"format": "fhir", "answers": {}}, "Unsupported answers format 'fhir'"),
        ({"format": "sdm-response", "format_version": 9, "answers": {}}, "format_version 9"),
        ({"format": "sdm-response", "answers": ["a"]}, "'answers' must be an object"),
        (["condition"], "must hold a JSON object"),
    ],
)
def test_unreadable_answer_files_are_refused(tmp_path, document, message, demo_version, db):
    with pytest.raises(CommandError, match=message):
        run("--questionnaire", "treatment-discussion", "--answers", write(tmp_path, document))


def test_missing_files_and_questionnaires_are_refused(tmp_path, demo_version, db):
    with pytest.raises(CommandError, match="No such file"):
        run("--questionnaire", "treatment-discussion", "--answers", str(tmp_path / "none.json"))
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("--questionnaire", "treatment-discussion", "--answers", str(tmp_path / "bad.json"))
    with pytest.raises(CommandError, match="No questionnaire"):
        run("--questionnaire", "nope", "--answers", write(tmp_path, {}))
    with pytest.raises(CommandError, match="has no version 99"):
        run(
            "--questionnaire",
            "treatment-discussion",
            "--version",
            "99",
            "--answers",
            write(tmp_path, {}),
        )
