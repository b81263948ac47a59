"""Simulator test cases in the admin: answers from a preview walk, expectations from pickers
(only what the author picks is checked), the case's result beside it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from questionnaires.models import Response, SimulationCase
from questionnaires.services.definitions import version_create_from_definition
from questionnaires.services.responses import response_start_preview
from questionnaires.services.therapies import therapies_load
from questionnaires.services.therapy_content import demo_definition
from tests.admin_forms import form_data
from tests.therapy_content import write_content

pytestmark = pytest.mark.django_db

ANSWERS = {
    "condition": "psoriasis",
    "safety_pregnancy": True,
    "priority_ranking": ["effectiveness", "speed", "serious_harm"],
}
ADD_URL = "/admin/questionnaires/simulationcase/add/"


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("admin", password="x" * 12)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def draft(tmp_path):
    therapies_load(path=write_content(tmp_path))
    return version_create_from_definition(definition=demo_definition())


@pytest.fixture
def preview(draft, admin_user):
    walk = response_start_preview(version=draft, actor=admin_user, language="en", disease="")
    Response.objects.filter(pk=walk.pk).update(answers=ANSWERS)
    return walk


def add_case(admin_client, draft, preview, **picks):
    html = admin_client.get(f"{ADD_URL}?preview={preview.pk}").content.decode()
    data = form_data(html)
    data.pop("csrfmiddlewaretoken", None)
    data.update({"name": "from a preview", "_save": "1", **picks})
    return admin_client.post(ADD_URL, data)


def test_a_preview_walk_is_offered_as_a_test_case_from_the_version_page(
    admin_client, draft, preview
):
    html = admin_client.get(
        f"/admin/questionnaires/questionnaireversion/{draft.pk}/change/"
    ).content.decode()
    assert f"{ADD_URL}?preview={preview.pk}" in html
    page = admin_client.get(f"{ADD_URL}?preview={preview.pk}")
    form = page.context["adminform"].form
    assert form.initial["answers"] == ANSWERS
    assert form.initial["version"] == draft.pk


def test_nothing_is_asserted_that_the_author_did_not_pick(admin_client, draft, preview):
    response = add_case(admin_client, draft, preview)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = SimulationCase.objects.get(name="from a preview")
    assert case.answers == ANSWERS
    assert case.expected_not_suitable is None
    assert case.expectation() == {"conflicts": {}, "cautions": []}


def test_picked_expectations_are_stored_and_an_empty_ticked_list_asserts_none(
    admin_client, draft, preview
):
    response = add_case(
        admin_client,
        draft,
        preview,
        leader_pick="alpha_mab",
        check_not_suitable="on",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = SimulationCase.objects.get(name="from a preview")
    assert case.expectation() == {
        "leader": "alpha_mab",
        "not_suitable": [],
        "conflicts": {},
        "cautions": [],
    }


def test_the_result_is_shown_beside_the_case(admin_client, draft):
    failing = SimulationCase.objects.create(
        version=draft, name="wrong leader", answers=ANSWERS, expected_leader="beta_mab"
    )
    passing = SimulationCase.objects.create(
        version=draft, name="right leader", answers=ANSWERS, expected_leader="alpha_mab"
    )
    html = admin_client.get(
        f"/admin/questionnaires/simulationcase/{failing.pk}/change/"
    ).content.decode()
    assert "fails" in html and "expected &#x27;beta_mab&#x27;" in html
    html = admin_client.get(
        f"/admin/questionnaires/simulationcase/{passing.pk}/change/"
    ).content.decode()
    assert '<span class="sdm-ok">passes</span>' in html
    form = form_data(html)
    assert form["leader_pick"] == "alpha_mab"
    assert "check_not_suitable" not in form  # unticked: not checked
