"""import_questionnaire / export_questionnaire / lint_questionnaire, good and bad input."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questionnaires.interop import sdm_json
from questionnaires.models import Question, Questionnaire, QuestionnaireVersion, VersionStatus
from tests.builders import sample_definition
from tests.paths import PUBLIC_FHIR

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(tmp_path, content: bytes, *extra) -> str:
    """Import ``content`` expecting a refusal; returns stderr and checks nothing was written."""
    path = tmp_path / "upload.json"
    path.write_bytes(content)
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_questionnaire", str(path), *extra, stdout=StringIO(), stderr=err)
    assert not Questionnaire.objects.exists()
    assert not QuestionnaireVersion.objects.exists()
    assert not Question.objects.exists()
    return err.getvalue()


def sample_document() -> dict:
    return json.loads(sdm_json.dumps(sample_definition()))


def test_import_prints_slug_and_version_on_the_last_line(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(sdm_json.dumps(sample_definition()), encoding="utf-8")
    out, _ = run("import_questionnaire", str(path), "--publish")
    assert out.strip().splitlines()[-1] == "sample 1"
    assert QuestionnaireVersion.objects.get().status == VersionStatus.PUBLISHED
    out, _ = run("import_questionnaire", str(path))
    assert out.strip().splitlines()[-1] == "sample 2"


def test_invalid_json(tmp_path):
    err = refused(tmp_path, b'{"format": "sdm-questionnaire",\n "slug": }')
    assert "line 2" in err and "column" in err


def test_wrong_encoding(tmp_path):
    content = sdm_json.dumps(sample_definition()).replace("Symptoms", "Sympt\u00f4mes")
    err = refused(tmp_path, content.encode("latin-1", errors="replace"))
    assert "not UTF-8" in err


def test_unknown_kind(tmp_path):
    document = sample_document()
    document["steps"][0]["questions"][0]["kind"] = "slider"
    err = refused(tmp_path, json.dumps(document).encode())
    assert "steps[0].questions[0].kind" in err
    assert "'slider'" in err


def test_duplicate_question_keys(tmp_path):
    document = sample_document()
    document["steps"][0]["questions"][1]["key"] = "itch"
    err = refused(tmp_path, json.dumps(document).encode())
    assert "duplicate" in err and "'itch'" in err


def test_forward_condition(tmp_path):
    document = sample_document()
    document["steps"][0]["questions"][0]["show_if"] = {"q": "sleep", "op": "answered"}
    err = refused(tmp_path, json.dumps(document).encode())
    assert "steps[0].questions[0].show_if" in err
    assert "'sleep', which comes later" in err


def test_cyclic_condition(tmp_path):
    document = sample_document()
    # itch ↔ sleep: each shown only if the other is answered.
    document["steps"][0]["questions"][0]["show_if"] = {"q": "sleep", "op": "answered"}
    document["steps"][0]["questions"][1]["show_if"] = {"q": "itch", "op": "answered"}
    err = refused(tmp_path, json.dumps(document).encode())
    assert "which comes later" in err
    document["steps"][0]["questions"][1]["show_if"] = {"q": "sleep", "op": "answered"}
    err = refused(tmp_path, json.dumps(document).encode())
    assert "refers to itself" in err


def test_file_over_the_size_limit(tmp_path):
    content = b" " * (sdm_json.MAX_IMPORT_BYTES + 1)
    err = refused(tmp_path, content)
    assert f"{sdm_json.MAX_IMPORT_BYTES} bytes" in err or f"{sdm_json.MAX_IMPORT_BYTES:,}" in err


def test_fhir_resource_that_is_not_a_questionnaire(tmp_path):
    err = refused(
        tmp_path, json.dumps({"resourceType": "Patient", "id": "x"}).encode(), "--format", "fhir"
    )
    assert "Patient" in err and "Questionnaire" in err


def test_each_problem_is_one_line(tmp_path):
    document = sample_document()
    document["steps"][0]["questions"][0]["kind"] = "slider"
    document["steps"][0]["questions"][1]["kind"] = "dial"
    err = refused(tmp_path, json.dumps(document).encode())
    problem_lines = [line for line in err.splitlines() if "upload.json:" in line]
    assert len(problem_lines) >= 2


def test_fhir_import_reports_what_it_could_not_map():
    out, _ = run("import_questionnaire", str(PUBLIC_FHIR / "lforms-apgar-itemweight.json"))
    lines = out.strip().splitlines()
    assert any(line.startswith("not mapped:") for line in lines)
    slug, number = lines[-1].split()
    assert Questionnaire.objects.get(slug=slug).versions.get(number=int(number))


def test_export_then_import_gives_the_same_definition(tmp_path):
    from questionnaires.selectors.definitions import definition_for_version

    source = tmp_path / "q.json"
    source.write_text(sdm_json.dumps(sample_definition()), encoding="utf-8")
    run("import_questionnaire", str(source), "--publish")
    exported = tmp_path / "out.json"
    run("export_questionnaire", "sample", "--format", "sdm", "--out", str(exported))
    assert sdm_json.load_bytes(exported.read_bytes()) == sample_definition()
    run("import_questionnaire", str(exported))
    first, second = QuestionnaireVersion.objects.order_by("number")
    assert definition_for_version(first) == definition_for_version(second)


def test_fhir_export_validates(tmp_path):
    from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

    source = tmp_path / "q.json"
    source.write_text(sdm_json.dumps(sample_definition()), encoding="utf-8")
    run("import_questionnaire", str(source), "--publish")
    out, _ = run("export_questionnaire", "sample", "--format", "fhir")
    resource = json.loads(out)
    FhirQuestionnaire.model_validate(resource)
    assert resource["status"] == "active"


def test_lint_exits_1_and_lists_problems(tmp_path):
    source = tmp_path / "q.json"
    source.write_text(sdm_json.dumps(sample_definition()), encoding="utf-8")
    run("import_questionnaire", str(source))
    out, _ = run("lint_questionnaire", "sample")
    assert "no problems" in out
    question = Question.objects.get(key="sleep")
    question.text_zh_hans = ""
    question.save()
    with pytest.raises(SystemExit) as exit_info:
        run("lint_questionnaire", "sample")
    assert exit_info.value.code == 1


def test_unknown_slug_is_a_clear_error():
    with pytest.raises(CommandError, match="No questionnaire with slug 'nope'"):
        run("export_questionnaire", "nope", "--format", "sdm")


def test_demo_questionnaire_round_trips_through_the_database_and_validates(tmp_path):
    import jsonschema

    from questionnaires.selectors.definitions import definition_for_version
    from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure

    slug, number, _ = demo_questionnaire_ensure(path=DEMO_QUESTIONNAIRES[0])
    exported = tmp_path / "demo.json"
    run("export_questionnaire", slug, "--format", "sdm", "--out", str(exported))
    jsonschema.validate(json.loads(exported.read_text("utf-8")), sdm_json.schema())
    out, _ = run("import_questionnaire", str(exported))
    assert out.strip().splitlines()[-1] == f"{slug} {number + 1}"
    original, reimported = QuestionnaireVersion.objects.filter(questionnaire__slug=slug).order_by(
        "number"
    )
    assert definition_for_version(reimported) == definition_for_version(original)
    # The database adds nothing and loses nothing against the shipped file either.
    assert definition_for_version(original) == sdm_json.load_bytes(
        DEMO_QUESTIONNAIRES[0].read_bytes()
    )
