"""Tampered or hostile input: never a 500, never a change in the database.

The test client re-raises any exception a view lets through, so a crash fails here
before the status is even looked at. Every test compares a snapshot of the response
row (answers, wizard state, revision, status, language) and the counts of responses,
results and audit events before and after.
"""

import pytest
from django.test import Client

from questionnaires.models import Response
from questionnaires.services.invitations import invitation_create
from tests.factories import (  # noqa: F401  (fresh_rate_limits is an autouse fixture)
    PatientBrowser,
    clinic_definition,
    fresh_rate_limits,
    invite,
    publish,
    snapshot,
    treatments,
)

pytestmark = pytest.mark.django_db

ABOUT = {"about-condition": "psoriasis", "about-age": "41"}


@pytest.fixture
def version():
    return publish(clinic_definition())


@pytest.fixture
def patient(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    return browser


@pytest.fixture
def at_history(patient):
    """A patient who has answered the first two steps and is on the repeat-group step."""
    assert patient.post("about", ABOUT).status_code == 302
    skin = {"skin-itch": "2", "skin-flares": "no"}
    assert patient.post("skin", skin).status_code == 302
    return patient


def unchanged(patient, request) -> int:
    """Run ``request()``; assert it changed nothing; return its status code."""
    response_id = patient.response().pk
    before = snapshot(response_id)
    answer = request()
    assert snapshot(response_id) == before
    return answer.status_code


@pytest.mark.parametrize(
    ("data", "action"),
    [
        ({"about-condition": "asthma", "about-age": "41"}, None),
        ({"about-condition": "asthma", "about-age": "41"}, {"wizard_goto_step": "about"}),
        ({"about-condition": "asthma", "about-age": "41"}, {"wizard_save_exit": "1"}),
        ({"about-condition": "psoriasis", "about-age": "-5"}, None),
        ({"about-condition": "psoriasis", "about-age": "1" * 100_000}, None),
        ({"about-condition": "psoriasis", "about-age": "1" * 100_000}, {"wizard_save_exit": "1"}),
        ({"about-condition": "psoriasis\x00", "about-age": "41"}, None),
    ],
    ids=[
        "choice-not-offered",
        "choice-not-offered-back",
        "choice-not-offered-save-exit",
        "number-out-of-range",
        "huge-number",
        "huge-number-save-exit",
        "null-character",
    ],
)
def test_invalid_values_are_shown_again_and_not_stored(patient, data, action):
    assert unchanged(patient, lambda: patient.post("about", data, action=action)) == 200


def test_huge_text_is_refused_even_as_a_draft(at_history):
    huge = {**treatments({"drug": "x" * 100_000})}
    for action in (None, {"wizard_goto_step": "skin"}, {"wizard_add_row": "treatments"}):
        status = unchanged(at_history, lambda a=action: at_history.post("history", huge, action=a))
        assert status == 200


def test_missing_management_form_is_a_bad_request(patient):
    def post():
        return patient.client.post(patient.step_url("about"), {**ABOUT, "revision": "0"})

    assert unchanged(patient, post) == 400


def test_management_form_naming_another_step_is_a_bad_request(patient):
    response = patient.response()

    def post():
        data = {f"response_{response.pk}-current_step": "priorities", "revision": "0", **ABOUT}
        return patient.client.post(patient.step_url("about"), data)

    assert unchanged(patient, post) == 400


def test_forged_formset_management_form_is_refused(at_history):
    rows = treatments(*({"drug": f"d{index}"} for index in range(6)), total=1000)
    assert unchanged(at_history, lambda: at_history.post("history", rows)) == 200
    rows_add = treatments({"drug": "a"}, total=1000)
    status = unchanged(
        at_history,
        lambda: at_history.post("history", rows_add, action={"wizard_add_row": "treatments"}),
    )
    assert status == 200


def test_missing_formset_management_form_is_refused(at_history):
    data = {"history-treatments-0-drug": "Methotrexate"}
    assert unchanged(at_history, lambda: at_history.post("history", data)) == 200


def test_row_buttons_naming_no_group_or_no_row_change_nothing(at_history):
    rows = treatments({"drug": "a"})
    for action in (
        {"wizard_add_row": "not_a_group"},
        {"wizard_remove_row": "treatments:7"},
        {"wizard_remove_row": "treatments:x"},
        {"wizard_remove_row": "treatments:" + "9" * 5000},
    ):
        status = unchanged(at_history, lambda a=action: at_history.post("history", rows, action=a))
        assert status == 200


def test_step_name_that_does_not_exist_is_a_404(patient):
    assert unchanged(patient, lambda: patient.get("nope")) == 404
    assert unchanged(patient, lambda: patient.post("nope", ABOUT)) == 404
    assert "Page not found" in patient.get("nope").content.decode()


def test_later_step_before_the_required_earlier_ones_redirects_and_saves_nothing(patient):
    data = {"priorities-ranking-0": "1", "priorities-ranking-1": "2", "priorities-ranking-2": "3"}
    answer = patient.post("priorities", data)
    assert answer.status_code == 302 and answer["Location"] == patient.step_url("about")
    assert unchanged(patient, lambda: patient.post("priorities", data)) == 302
    assert unchanged(patient, lambda: patient.get("priorities")) == 302


def test_hidden_step_cannot_be_posted(patient):
    assert patient.post("about", {"about-condition": "sle", "about-age": "41"}).status_code == 302
    skin = {"skin-itch": "2", "skin-flares": "no"}
    assert unchanged(patient, lambda: patient.post("skin", skin)) == 302


def test_missing_or_forged_revision_saves_nothing(patient):
    response = patient.response()

    def post(revision):
        data = {f"response_{response.pk}-current_step": "about", **ABOUT}
        if revision is not None:
            data["revision"] = revision
        return patient.client.post(patient.step_url("about"), data)

    for revision in (None, "", "abc", "99", "-1", "1" * 10_000):
        assert unchanged(patient, lambda r=revision: post(r)) == 409


def test_posts_to_a_submitted_response_change_nothing(patient):
    assert patient.post("about", ABOUT).status_code == 302
    assert patient.post("skin", {"skin-itch": "2", "skin-flares": "no"}).status_code == 302
    assert patient.post("history", treatments()).status_code == 302
    ranking = {
        "priorities-ranking-0": "1",
        "priorities-ranking-1": "2",
        "priorities-ranking-2": "3",
    }
    assert patient.post("priorities", ranking).status_code == 302
    assert patient.submit().status_code == 302
    assert patient.response().is_submitted

    assert unchanged(patient, lambda: patient.post("about", ABOUT)) == 302
    assert unchanged(patient, lambda: patient.submit()) == 302
    assert unchanged(patient, lambda: patient.client.post(patient.url("start"))) == 302
    language = {"language": "zh-hans", "next": patient.url("done")}
    assert unchanged(patient, lambda: patient.client.post(patient.url("language"), language)) == 302


def test_form_of_one_response_posted_to_another_responses_link(client, version, patient):
    other_invitation, other_token = invitation_create(
        questionnaire=version.questionnaire, patient_ref="P-0002"
    )
    other = PatientBrowser(Client(), other_token)
    other.start()
    mine = patient.response()
    data = {f"response_{mine.pk}-current_step": "about", "revision": str(mine.revision), **ABOUT}
    before_other = snapshot(other.response().pk)
    assert unchanged(patient, lambda: client.post(other.step_url("about"), data)) == 400
    assert snapshot(other.response().pk) == before_other


def test_unknown_token_post_saves_nothing(patient):
    count = Response.objects.count()
    answer = patient.client.post("/p/not-a-real-token/step/about/", ABOUT)
    assert answer.status_code == 404
    assert Response.objects.count() == count


def test_get_of_the_check_page_before_finishing_redirects(patient):
    assert unchanged(patient, lambda: patient.client.get(patient.url("check"))) == 302
    assert unchanged(patient, lambda: patient.submit()) == 302
