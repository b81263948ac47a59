import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from questionnaires.models import AuditAction, AuditEvent
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.interop import questionnaire_import
from questionnaires.services.responses import response_save_step, response_start, response_submit
from tests.factories import clinic_definition, invite, publish
from tests.paths import PUBLIC_FHIR

pytestmark = pytest.mark.django_db


def export(*arguments) -> str:
    out = StringIO()
    call_command("export_response", *arguments, stdout=out)
    return out.getvalue()


def save(response, step, values):
    response.refresh_from_db()
    return response_save_step(
        response=response, step=step, expected_revision=response.revision, values=values
    )


@pytest.fixture
def clinic():
    return publish(clinic_definition())


@pytest.fixture
def submitted(clinic):
    invitation, token = invite(clinic, patient_ref="R-9")
    response = response_start(invitation=invitation)
    save(response, "about", {"condition": "psoriasis", "age": 41})
    save(response, "skin", {"itch": 6, "flares": True, "flare_count": 2})
    save(
        response,
        "history",
        {"treatments": [{"drug": "A", "months": 3}, {"drug": "B"}], "last_visit": "2024-05-02"},
    )
    save(
        response,
        "priorities",
        {"ranking": ["safety", "effect", "convenience"], "weight": Decimal("72.5")},
    )
    response.refresh_from_db()
    return response_submit(response=response, expected_revision=response.revision), token


def items_by_link(resource) -> dict:
    found = {}

    def walk(items):
        for item in items:
            found.setdefault(item["linkId"], []).append(item)
            walk(item.get("item", []))

    walk(resource.get("item", []))
    return found


def test_fhir_export_is_a_valid_r4_response_with_typed_answers(submitted):
    response, _token = submitted
    text = export("--response", str(response.pk), "--format", "fhir")
    QuestionnaireResponse.model_validate(json.loads(text))
    resource = json.loads(text)
    assert resource["status"] == "completed"
    assert resource["language"] == "en"
    assert resource["questionnaire"].endswith("/fhir/Questionnaire/clinic|1")
    assert resource["subject"]["identifier"]["value"] == "R-9"
    items = items_by_link(resource)
    assert items["age"][0]["answer"] == [{"valueInteger": 41}]
    assert items["flares"][0]["answer"] == [{"valueBoolean": True}]
    assert items["condition"][0]["answer"][0]["valueCoding"]["code"] == "psoriasis"
    assert items["weight"][0]["answer"] == [{"valueDecimal": 72.5}]
    assert items["last_visit"][0]["answer"] == [{"valueDate": "2024-05-02"}]
    ranked = [answer["valueCoding"]["code"] for answer in items["ranking"][0]["answer"]]
    assert ranked == ["safety", "effect", "convenience"]
    assert len(items["treatments"]) == 2  # one group item per row


def test_in_progress_export_leaves_out_hidden_answers(clinic):
    invitation, token = invite(clinic)
    response = response_start(invitation=invitation)
    save(response, "about", {"condition": "psoriasis", "age": 41})
    save(response, "skin", {"itch": 6, "flares": False, "flare_count": None})
    save(response, "about", {"condition": "sle", "age": 41})  # skin is hidden now
    resource = json.loads(export(f"--token={token}", "--format", "fhir"))
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "in-progress"
    assert "itch" not in items_by_link(resource)
    document = json.loads(export(f"--token={token}", "--format", "sdm"))
    assert document["answers"] == {"condition": "sle", "age": 41}


def test_sdm_export_has_the_documented_fields(submitted, tmp_path):
    response, token = submitted
    target = tmp_path / "response.json"
    call_command(
        "export_response",
        f"--token={token}",
        "--format",
        "sdm",
        "--out",
        str(target),
        stderr=StringIO(),
    )
    document = json.loads(target.read_text(encoding="utf-8"))
    assert list(document) == [
        "format",
        "format_version",
        "questionnaire",
        "version",
        "status",
        "language",
        "answers",
        "submitted_at",
    ]
    assert document["format"] == "sdm-response" and document["format_version"] == 1
    assert (document["questionnaire"], document["version"]) == ("clinic", 1)
    assert (document["status"], document["language"]) == ("submitted", "en")
    assert document["answers"]["weight"] == "72.5"
    assert document["answers"] == response.answers
    assert document["submitted_at"] == response.submitted_at.isoformat()
    assert AuditEvent.objects.filter(
        action=AuditAction.RESPONSE_EXPORTED, response_id_ref=response.pk
    ).exists()


def test_imported_fhir_questionnaire_keeps_its_link_ids(client):
    data = (PUBLIC_FHIR / "hl7-r4-lifelines-f201.json").read_bytes()
    version = questionnaire_import(data=data, fmt="fhir", publish=True).version
    definition = version_definition(version)
    invitation, _token = invite(version)
    response = response_start(invitation=invitation)
    typed = {"yes_no": True, "short_text": "text", "date": "1960-03-13"}
    for step in definition.steps:
        save(
            response,
            step.key,
            {q.key: typed.get(q.kind) for q in step.questions if q.kind in typed},
        )
    response.refresh_from_db()
    response_submit(response=response, expected_revision=response.revision)
    resource = json.loads(export("--response", str(response.pk), "--format", "fhir"))
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "completed"
    source = json.loads(data)
    source_links = set(items_by_link(source))
    answered = {
        link for link, items in items_by_link(resource).items() if any("answer" in i for i in items)
    }
    assert answered == {q.link_id for _, _, q in definition.iter_questions()}
    assert answered <= source_links


def test_missing_response_is_a_clear_error(clinic):
    with pytest.raises(CommandError, match="No response with id 999"):
        export("--response", "999", "--format", "sdm")
    with pytest.raises(CommandError, match="No invitation"):
        export("--token", "nope", "--format", "sdm")
    _invitation, token = invite(clinic)
    with pytest.raises(CommandError, match="no response yet"):
        export(f"--token={token}", "--format", "fhir")
