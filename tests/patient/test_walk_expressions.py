"""The walk applies an imported form's FHIRPath (issue 13): enableWhenExpression and
initialExpression on the server, from the answers already saved."""

from __future__ import annotations

import pytest

from questionnaires.interop.fhir_questionnaire import import_fhir
from questionnaires.patient.forms import FormWalk as Walk
from questionnaires.services.definitions import version_create_from_definition, version_publish
from questionnaires.services.responses import response_save_step, response_start
from tests.factories import invite
from tests.paths import FIXTURES_DIR

pytestmark = pytest.mark.django_db

FIXTURE = FIXTURES_DIR / "fhir/findings/12-enable-when-and-initial-expressions.json"


@pytest.fixture
def response():
    imported = import_fhir(FIXTURE.read_bytes())
    draft = version_create_from_definition(
        definition=imported.definition, fhir_source=dict(imported.resource)
    )
    invitation, _token = invite(version_publish(version=draft))
    return response_start(invitation=invitation)


def save_first(response, age: str):
    response.refresh_from_db()
    form = Walk.for_response(response).form("first", data={"first-age": age, "first-name": "Ann"})
    assert form.is_valid(), form.errors
    return response_save_step(
        response=response,
        step="first",
        expected_revision=response.revision,
        values=form.answer_values,
    )


def test_enable_when_expression_turns_an_item_on_from_saved_answers(response):
    walk = Walk.for_response(save_first(response, "70"))
    assert walk.visibility.shows_question("retired")
    walk = Walk.for_response(save_first(walk.response, "40"))
    assert not walk.visibility.shows_question("retired")


def test_initial_expression_fills_an_unanswered_item_of_a_step_not_yet_accepted(response):
    walk = Walk.for_response(save_first(response, "40"))
    assert walk.answers["greeting"] == "Hello Ann"
    assert walk.stored_data("second")["second-greeting"] == "Hello Ann"  # what the page shows
    # Once the step is accepted (here with the greeting cleared), nothing refills it.
    form = walk.form("second", data={"second-greeting": ""})
    assert form.is_valid(), form.errors
    saved = response_save_step(
        response=walk.response,
        step="second",
        expected_revision=walk.response.revision,
        values=form.answer_values,
    )
    assert "greeting" not in Walk.for_response(saved).answers
