"""Publishing from the admin: a confirmation page (linter, test cases, patients mid-way, the
changes), then the publish service; a refusal shown as errors, each problem once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from questionnaires.models import (
    Choice,
    Question,
    QuestionnaireVersion,
    SimulationCase,
    VersionStatus,
)
from questionnaires.models.response import InvitationStatus
from questionnaires.services.definitions import (
    version_clone,
    version_create_from_definition,
    version_publish,
)
from questionnaires.services.therapies import therapies_load
from questionnaires.services.therapy_content import demo_definition
from tests import clinic_factories
from tests.builders import sample_definition
from tests.therapy_content import write_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 12))
    return client


def publish_url(version) -> str:
    return f"/admin/questionnaires/questionnaireversion/{version.pk}/publish/"


def test_a_publish_refused_by_a_failing_case_is_an_error_with_its_failure_once(
    admin_client, tmp_path
):
    therapies_load(path=write_content(tmp_path))
    draft = version_create_from_definition(definition=demo_definition())
    SimulationCase.objects.create(
        version=draft,
        name="wrong leader",
        answers={
            "condition": "psoriasis",
            "safety_pregnancy": True,
            "priority_ranking": ["effectiveness", "speed", "serious_harm"],
        },
        expected_leader="beta_mab",
    )
    page = admin_client.get(publish_url(draft))
    assert page.status_code == 200
    assert "wrong leader" in page.content.decode()  # the case's result, before confirming

    response = admin_client.post(publish_url(draft))
    html = response.content.decode()
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    refused = html.split('data-testid="publish-refused"', 1)[1].split("</div>", 1)[0]
    assert 'class="errorlist"' in refused
    assert "wrong leader" in refused and "expected &#x27;beta_mab&#x27;" in refused
    assert html.count("expected &#x27;beta_mab&#x27;") == 1  # listed once, not twice
    assert "sdm-ok" not in refused and "success" not in refused
    assert list(response.context["messages"]) == []  # no green message beside it


def test_the_confirmation_lists_the_changes_patients_mid_way_and_publishes_on_confirm(
    admin_client,
):
    published = version_publish(
        version=version_create_from_definition(definition=sample_definition())
    )
    team = clinic_factories.team("Clinic")
    for ref in ("P-1", "P-2"):
        clinic_factories.invitation(
            team=team,
            questionnaire=published.questionnaire,
            state=InvitationStatus.IN_PROGRESS,
            patient_ref=ref,
        )
    draft = version_clone(version=published)
    itch = Question.objects.get(step__version=draft, key="itch")
    itch.text_en = "How much does it itch?"
    itch.save()
    Choice.objects.create(
        question=itch,
        value="unbearable",
        label_en="Unbearable",
        label_zh_hans="难以忍受",
        order=9,
        score=3,
    )
    Question.objects.filter(step__version=draft, key="sleep").update(show_if=None)

    page = admin_client.get(publish_url(draft))
    html = page.content.decode()
    assert page.status_code == 200
    diff = html.split('data-testid="diff"', 1)[1].split("</ul>", 1)[0]
    assert "question &#x27;itch&#x27;" in diff and "How much does it itch?" in diff
    assert "choice &#x27;unbearable&#x27;" in diff
    assert "question &#x27;sleep&#x27;: condition" in diff
    assert "2 patients have started" in html
    assert QuestionnaireVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT  # GET

    response = admin_client.post(publish_url(draft))
    assert response.status_code == 302, response.context["refusal"]
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert published.status == VersionStatus.RETIRED


def test_the_list_action_leads_to_the_confirmation_page(admin_client):
    draft = version_create_from_definition(definition=sample_definition())
    response = admin_client.post(
        "/admin/questionnaires/questionnaireversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == publish_url(draft)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
