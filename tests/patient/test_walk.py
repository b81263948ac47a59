"""Walk: where a patient stands, from one visibility walk over the saved answers."""

import pytest

from questionnaires.patient.forms import FormWalk
from questionnaires.patient.walk import Walk
from questionnaires.services.responses import response_save_step, response_start
from tests.factories import clinic_definition, invite, publish, treatments

pytestmark = pytest.mark.django_db


@pytest.fixture
def response():
    invitation, _token = invite(publish(clinic_definition()))
    return response_start(invitation=invitation)


def accept(response, step, data):
    """Validate ``data`` through the step form as the wizard does and save it."""
    response.refresh_from_db()
    form = FormWalk.for_response(response).form(step, data=data)
    assert form.is_valid(), form.errors
    saved = response_save_step(
        response=response,
        step=step,
        expected_revision=response.revision,
        values=form.answer_values,
    )
    return form, saved


@pytest.mark.parametrize(
    ("step", "data"),
    [
        ("about", {"about-condition": "psoriasis", "about-age": "40"}),
        ("about", {"about-condition": "sle", "about-age": "40"}),
    ],
)
def test_the_forms_walk_is_the_walk_of_the_saved_answers(response, step, data):
    form, saved = accept(response, step, data)
    fresh = Walk.for_response(saved)
    assert (form.merged_visibility, form.merged_kept) == (fresh.visibility, fresh.kept)


def test_reused_walk_matches_when_typed_answers_end_up_hidden(response):
    accept(response, "about", {"about-condition": "psoriasis", "about-age": "40"})
    data = {"skin-itch": "4", "skin-flares": "no", "skin-flare_count": "7"}
    form, saved = accept(response, "skin", data)
    fresh = Walk.for_response(saved)
    assert (form.merged_visibility, form.merged_kept) == (fresh.visibility, fresh.kept)
    assert "flare_count" not in saved.answers


def test_reused_walk_matches_with_repeat_group_rows(response):
    accept(response, "about", {"about-condition": "sle", "about-age": "40"})
    form, saved = accept(response, "history", treatments({"drug": "A", "months": "3"}))
    fresh = Walk.for_response(saved)
    assert (form.merged_visibility, form.merged_kept) == (fresh.visibility, fresh.kept)


def test_steps_follow_the_answers_and_completion_needs_acceptance(response):
    walk = Walk.for_response(response)
    assert walk.step_keys == ("about", "history", "priorities")
    assert walk.first_incomplete == "about"
    assert walk.is_reachable("about") and not walk.is_reachable("history")
    _form, saved = accept(response, "about", {"about-condition": "psoriasis", "about-age": "4"})
    walk = Walk.for_response(saved)
    assert walk.step_keys == ("about", "skin", "history", "priorities")
    assert walk.first_incomplete == "skin"
    assert walk.is_complete("about") and not walk.is_complete("history")
    assert walk.next_step("about") == "skin" and walk.previous_step("skin") == "about"
    assert walk.previous_step("about") is None and walk.next_step("priorities") is None


def test_accepted_step_becomes_incomplete_when_a_required_question_appears(response):
    accept(response, "about", {"about-condition": "psoriasis", "about-age": "4"})
    _form, saved = accept(response, "skin", {"skin-itch": "1", "skin-flares": "no"})
    assert Walk.for_response(saved).is_complete("skin")
    saved.answers = {**saved.answers, "flares": True}  # as if changed by an earlier step
    assert not Walk.for_response(saved).is_complete("skin")
