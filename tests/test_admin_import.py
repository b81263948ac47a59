"""Import and export in the admin: the report before anything is written, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from questionnaires.admin.interop import SESSION_KEY
from questionnaires.models import Choice, Question, Questionnaire, QuestionnaireVersion, Step
from questionnaires.services.definitions import version_create_from_definition
from questionnaires.services.interop import version_export
from tests import paths
from tests.builders import sample_definition

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/questionnaires/questionnaireversion/import/"
FIXTURE_FHIR = paths.REPO_ROOT / "tests" / "fixtures" / "fhir"


def fhir_samples(*, refused: bool) -> list[Path]:
    """Every FHIR Questionnaire in the test fixtures: those the importer takes, or (with
    ``refused``) those kept under a ``refused/`` folder because the importer must refuse them."""
    return [
        path
        for path in sorted(FIXTURE_FHIR.glob("**/*.json"))
        if _is_questionnaire(path) and ("refused" in path.parent.parts) == refused
    ]


def _is_questionnaire(path: Path) -> bool:
    """Only Questionnaire resources (the fixtures may hold responses and bundles too)."""
    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("resourceType") == "Questionnaire"


SAMPLES = fhir_samples(refused=False)
REFUSED_SAMPLES = fhir_samples(refused=True)


def written() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Questionnaire, QuestionnaireVersion, Step, Question, Choice)
    )


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 12))
    return client


def upload(admin_client, name: str, data: bytes, fmt: str = "auto"):
    return admin_client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile(name, data, content_type="application/json"), "format": fmt},
    )


def test_there_are_fhir_samples_to_import():
    assert len(SAMPLES) >= 5, f"no FHIR samples found in {FIXTURE_FHIR}"


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_each_fhir_sample_shows_its_report_first_and_cancelling_writes_nothing(admin_client, path):
    before = written()
    response = upload(admin_client, path.name, path.read_bytes())
    assert response.status_code == 302, response.content.decode()[:2000]
    review_url = response["Location"]
    assert written() == before  # reading the file wrote nothing

    page = admin_client.get(review_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="import-report"' in html
    assert page.context["format"] == "fhir"
    notes = page.context["notes"]
    for note in notes:  # every note is shown with the item it concerns
        assert str(note.path).replace("'", "&#x27;").replace('"', "&quot;") in html
    mapped = html.split('data-testid="import-mapped"', 1)[1]
    for step in page.context["definition"].steps:
        for question in step.questions:
            assert question.key in mapped
    assert written() == before
    # The file waits server-side: the only cookies are the short session and csrf tokens.
    assert all(len(morsel.value) < 100 for morsel in admin_client.cookies.values())

    cancelled = admin_client.post(review_url, {"cancel": "Cancel"})
    assert cancelled.status_code == 302
    assert written() == before
    assert admin_client.session.get(SESSION_KEY) == {}
    assert admin_client.post(review_url, {"confirm": "1"}).status_code == 302  # gone
    assert written() == before


def test_confirming_writes_one_draft(admin_client):
    path = SAMPLES[0]
    review_url = upload(admin_client, path.name, path.read_bytes())["Location"]
    versions = QuestionnaireVersion.objects.count()
    response = admin_client.post(review_url, {"confirm": "1"})
    assert response.status_code == 302
    assert QuestionnaireVersion.objects.count() == versions + 1
    version = QuestionnaireVersion.objects.order_by("-pk").first()
    assert version.status == "draft"
    assert response["Location"].endswith(f"/{version.pk}/change/")


def test_our_json_imports_as_the_next_version_and_says_so_first(admin_client):
    existing = version_create_from_definition(definition=sample_definition())
    _, content = version_export(version=existing, fmt="sdm")
    review_url = upload(admin_client, "sample.sdm.json", content.encode())["Location"]
    page = admin_client.get(review_url)
    assert page.context["format"] == "sdm"
    assert "would become version 2" in page.content.decode()
    assert admin_client.post(review_url, {"confirm": "1"}).status_code == 302
    assert existing.questionnaire.versions.count() == 2


def test_a_file_that_cannot_be_imported_is_refused_with_its_problems(admin_client):
    before = written()
    bad = json.dumps({"resourceType": "Questionnaire", "status": "draft", "item": []})
    response = upload(admin_client, "bad.json", bad.encode())
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="import-refused"' in html
    assert "the Questionnaire has no items" in html
    assert written() == before
    assert not admin_client.session.get(SESSION_KEY)


@pytest.mark.parametrize("path", REFUSED_SAMPLES, ids=[path.name for path in REFUSED_SAMPLES])
def test_each_fhir_sample_the_importer_refuses_is_refused_in_the_admin_too(admin_client, path):
    before = written()
    response = upload(admin_client, path.name, path.read_bytes())
    assert response.status_code == 400
    assert 'data-testid="import-refused"' in response.content.decode()
    assert written() == before
    assert not admin_client.session.get(SESSION_KEY)


def test_a_pending_upload_expires(admin_client, monkeypatch):
    import questionnaires.admin.interop as admin_interop

    path = SAMPLES[0]
    review_url = upload(admin_client, path.name, path.read_bytes())["Location"]
    monkeypatch.setattr(admin_interop, "PENDING_IMPORT_SECONDS", -1)
    response = admin_client.get(review_url)
    assert response.status_code == 302
    assert response["Location"] == IMPORT_URL


@pytest.mark.parametrize("fmt", ["sdm", "fhir"])
def test_any_version_exports_from_its_page_in_either_format(admin_client, fmt):
    version = version_create_from_definition(definition=sample_definition())
    page = admin_client.get(f"/admin/questionnaires/questionnaireversion/{version.pk}/change/")
    link = f"/admin/questionnaires/questionnaireversion/{version.pk}/export/{fmt}/"
    assert link in page.content.decode()
    response = admin_client.get(link)
    assert response.status_code == 200
    assert f"sample-v1.{fmt}.json" in response["Content-Disposition"]
    document = json.loads(response.content)
    if fmt == "fhir":
        assert document["resourceType"] == "Questionnaire"
    else:
        assert document["slug"] == "sample"
