"""The patient wizard end to end, through the test client, without JavaScript."""

import re
from dataclasses import replace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from questionnaires.models import AuditAction, AuditEvent, Response, Result
from questionnaires.patient.walk import storage_key
from tests.factories import (  # noqa: F401  (fresh_rate_limits is an autouse fixture)
    PatientBrowser,
    choice,
    clinic_definition,
    definition,
    fresh_rate_limits,
    generated_definition,
    invite,
    publish,
    question,
    step,
    treatments,
)
from tests.paths import PUBLIC_FHIR

pytestmark = pytest.mark.django_db

ABOUT_PSORIASIS = {"about-condition": "psoriasis", "about-age": "41"}
SKIN = {"skin-itch": "6", "skin-flares": "yes", "skin-flare_count": "3"}
HISTORY = {
    **treatments({"drug": "Methotrexate", "months": "12", "outcome": "same"}),
    "history-last_visit-day": "2",
    "history-last_visit-month": "5",
    "history-last_visit-year": "2024",
}
PRIORITIES = {
    "priorities-ranking-0": "1",
    "priorities-ranking-1": "2",
    "priorities-ranking-2": "3",
    "priorities-weight": "72.5",
}


@pytest.fixture
def version():
    return publish(clinic_definition())


@pytest.fixture
def patient(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    return browser


def location(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def walk_to_check(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    location(patient.post("skin", SKIN))
    location(patient.post("history", HISTORY))
    return patient.post("priorities", PRIORITIES)


def test_start_creates_one_response_pinned_to_the_published_version(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    assert location(browser.start()) == browser.step_url("about")
    assert location(browser.start()) == browser.step_url("about")  # double click: same one
    response = browser.response()
    assert Response.objects.count() == 1
    assert response.version == version
    assert response.is_preview is False


def test_full_journey_submits_typed_answers_and_freezes_one_result(patient):
    assert location(patient.post("about", ABOUT_PSORIASIS)) == patient.step_url("skin")
    assert location(patient.post("skin", SKIN)) == patient.step_url("history")
    assert location(patient.post("history", HISTORY)) == patient.step_url("priorities")
    assert location(patient.post("priorities", PRIORITIES)) == patient.url("check")

    check = patient.client.get(patient.url("check"))
    assert check.status_code == 200
    page = check.content.decode()
    assert "Methotrexate" in page and "2 May 2024" in page and "72.5 kg" in page

    assert location(patient.submit()) == patient.url("done")
    response = patient.response()
    assert response.status == "submitted" and response.submitted_at is not None
    assert response.answers == {
        "condition": "psoriasis",
        "age": 41,
        "itch": 6,
        "flares": True,
        "flare_count": 3,
        "treatments": [{"drug": "Methotrexate", "months": 12, "outcome": "same"}],
        "last_visit": "2024-05-02",
        "ranking": ["effect", "safety", "convenience"],
        "weight": "72.5",
    }
    assert response.wizard_state == {}
    result = Result.objects.get(response=response)
    assert result.scores[0]["key"] == "itch_scale"
    assert result.scores[0]["score"] == "6" and result.scores[0]["severity"] == "severe"
    assert AuditEvent.objects.filter(
        action=AuditAction.RESPONSE_SUBMITTED, response_id_ref=response.pk
    ).exists()
    done = patient.client.get(patient.url("done"))
    assert done.status_code == 200
    assert "Your answers have been sent" in done.content.decode()


def test_every_accepted_step_is_in_the_database_before_the_redirect(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    stored = patient.response()
    assert stored.answers == {"condition": "psoriasis", "age": 41}
    assert stored.revision == 1
    assert "about" in stored.wizard_state[storage_key(stored.pk)]["extra_data"]["accepted"]


def test_progress_counts_the_steps_the_answers_lead_to(patient):
    assert "Step 1 of 3" in patient.get("about").content.decode()  # skin step not shown yet
    location(patient.post("about", ABOUT_PSORIASIS))
    assert "Step 2 of 4" in patient.get("skin").content.decode()


def test_refresh_never_resets_and_get_never_writes(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    before = patient.response()
    for _ in range(2):
        page = patient.get("about").content.decode()
        assert re.search(r'value="psoriasis" checked', page)
        assert 'value="41"' in page
    after = patient.response()
    assert (after.revision, after.answers, after.wizard_state) == (
        before.revision,
        before.answers,
        before.wizard_state,
    )


def test_resume_on_another_device_goes_to_the_first_step_still_open(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    other_device = PatientBrowser(Client(), patient.token)
    landing = other_device.client.get(other_device.url("landing"))
    assert "Continue where you left off" in landing.content.decode()
    assert location(other_device.client.get(other_device.url("resume"))) == other_device.step_url(
        "skin"
    )


def test_back_keeps_what_was_typed_without_validating(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    back = patient.post("skin", {"skin-itch": "7"}, action={"wizard_goto_step": "about"})
    assert location(back) == patient.step_url("about")
    stored = patient.response()
    assert "itch" not in stored.answers  # not validated, so not an answer
    assert stored.wizard_state[storage_key(stored.pk)]["step_data"]["skin"] == {"skin-itch": ["7"]}
    page = patient.get("skin").content.decode()
    assert re.search(r'value="7" checked', page)
    assert "There is a problem" not in page  # a draft is shown again quietly


def test_back_with_valid_answers_saves_them_as_answers(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    location(patient.post("skin", SKIN, action={"wizard_goto_step": "about"}))
    assert patient.response().answers["itch"] == 6


def test_save_and_come_back_later_keeps_the_draft_and_says_so(patient):
    saved = patient.post("about", {"about-age": "4"}, action={"wizard_save_exit": "1"})
    assert location(saved) == patient.url("landing") + "?saved=1"
    assert "Your answers are saved" in patient.client.get(location(saved)).content.decode()
    assert (
        "about" in patient.response().wizard_state[storage_key(patient.response().pk)]["step_data"]
    )


def test_two_tabs_cannot_silently_overwrite_each_other(patient):
    rendered_revision = patient.response().revision
    location(patient.post("about", ABOUT_PSORIASIS, revision=rendered_revision))  # tab A
    before = patient.response()
    tab_b = patient.post(
        "about", {"about-condition": "sle", "about-age": "70"}, revision=rendered_revision
    )
    assert tab_b.status_code == 409
    page = tab_b.content.decode()
    assert "changed in another window" in page
    assert re.search(r'value="psoriasis" checked', page)  # the current state is shown
    after = patient.response()
    assert (after.answers, after.revision) == (before.answers, before.revision)


def test_add_and_remove_rows_without_javascript(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    location(patient.post("skin", SKIN))
    first_row = treatments({"drug": "A"}, {"drug": "B"})
    added = patient.post("history", first_row, action={"wizard_add_row": "treatments"})
    assert location(added).endswith("#id_history-treatments-row-2")
    page = patient.get("history").content.decode()
    assert 'value="A"' in page and 'value="B"' in page
    assert 'id="id_history-treatments-2-drug"' in page  # the new, empty row

    stored = patient.response().wizard_state[storage_key(patient.response().pk)]
    draft = {key: values[0] for key, values in stored["step_data"]["history"].items()}
    removed = patient.post("history", draft, action={"wizard_remove_row": "treatments:0"})
    location(removed)
    page = patient.get("history").content.decode()
    assert (
        'value="A"' not in page and 'name="history-treatments-0-drug" type="text" value="B"' in page
    )

    location(patient.post("history", treatments({"drug": "B"})))
    assert patient.response().answers["treatments"] == [{"drug": "B"}]


def test_change_link_returns_to_the_check_page(patient):
    assert location(walk_to_check(patient)) == patient.url("check")
    check = patient.client.get(patient.url("check")).content.decode()
    change_url = patient.step_url("about") + "?return=check#question-about-age"
    assert change_url in check
    page = patient.client.get(patient.step_url("about"), {"return": "check"}).content.decode()
    assert "Save and go back to your answers" in page
    saved = patient.post(
        "about",
        {"about-condition": "psoriasis", "about-age": "42"},
        url=patient.step_url("about") + "?return=check",
    )
    assert location(saved) == patient.url("check")
    assert patient.response().answers["age"] == 42


def test_answers_of_questions_that_became_hidden_are_left_out(patient):
    walk_to_check(patient)
    location(patient.post("about", {"about-condition": "sle", "about-age": "41"}))
    assert "itch" in patient.response().answers  # kept while in progress, in case of a change back
    check = patient.client.get(patient.url("check"))
    assert check.status_code == 200
    assert "Itch?" not in check.content.decode()
    location(patient.submit())
    answers = patient.response().answers
    assert answers["condition"] == "sle"
    assert not {"itch", "flares", "flare_count"} & set(answers)


def test_a_step_revealed_by_a_change_must_be_answered_before_checking(patient):
    location(patient.post("about", {"about-condition": "sle", "about-age": "41"}))
    location(patient.post("history", HISTORY))
    location(patient.post("priorities", PRIORITIES))
    location(patient.post("about", ABOUT_PSORIASIS))  # the skin step appears
    assert location(patient.client.get(patient.url("check"))) == patient.step_url("skin")


def test_double_submit_gives_exactly_one_submission(patient):
    walk_to_check(patient)
    revision = patient.response().revision
    assert location(patient.submit(revision=revision)) == patient.url("done")
    assert location(patient.submit(revision=revision)) == patient.url("done")
    assert Result.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.RESPONSE_SUBMITTED).count() == 1


def test_stale_check_page_does_not_submit(patient):
    walk_to_check(patient)
    seen = patient.response().revision
    location(patient.post("about", {"about-condition": "psoriasis", "about-age": "50"}))
    stale = patient.submit(revision=seen)
    assert stale.status_code == 409
    assert "did not send them" in stale.content.decode()
    assert patient.response().status == "in_progress"


def test_language_choice_persists_on_the_response_and_follows_the_patient(patient):
    switched = patient.client.post(
        patient.url("language"), {"language": "zh-hans", "next": patient.step_url("about")}
    )
    assert location(switched) == patient.step_url("about")
    assert patient.response().language == "zh-hans"
    other_device = PatientBrowser(Client(), patient.token)
    page = other_device.get("about").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "【中】Condition?" in page


def test_language_switch_ignores_unknown_codes_and_foreign_redirects(patient):
    answer = patient.client.post(
        patient.url("language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert location(answer) == patient.url("landing")
    assert patient.response().language == "en"


def test_invitation_condition_is_preset_and_not_asked(client, version):
    _invitation, token = invite(version, disease="psoriasis")
    browser = PatientBrowser(client, token)
    browser.start()
    assert browser.response().answers == {"condition": "psoriasis"}
    page = browser.get("about").content.decode()
    assert "about-condition" not in page
    assert location(browser.post("about", {"about-age": "30"})) == browser.step_url("skin")


def test_step_holding_only_the_preset_condition_is_skipped(client):
    version = publish(
        definition(
            "preset-only",
            step(
                "which",
                question(
                    "condition",
                    "single_choice",
                    required=True,
                    choices=(choice("psoriasis"), choice("sle")),
                ),
            ),
            step("more", question("notes", "short_text")),
        )
    )
    _invitation, token = invite(version, disease="sle")
    browser = PatientBrowser(client, token)
    assert location(browser.start()) == browser.step_url("more")
    assert location(browser.get("which")) == browser.step_url("more")


def _step_queries(client, version_def):
    version = publish(version_def)
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    browser.get("s0")  # warm the process caches (definition and form classes)
    with CaptureQueriesContext(connection) as get_queries:
        assert browser.get("s0").status_code == 200
    data = {"s0-q0_0": "1"}
    revision = browser.response().revision
    with CaptureQueriesContext(connection) as post_queries:
        assert browser.post("s0", data, revision=revision).status_code == 302
    return len(get_queries), len(post_queries)


def test_query_count_does_not_grow_with_the_number_of_questions(
    client, django_assert_max_num_queries
):
    small = _step_queries(client, generated_definition("small", steps=2, questions_per_step=2))
    large = _step_queries(Client(), generated_definition("large", steps=12, questions_per_step=25))
    assert small == large
    assert small[0] <= 2  # the invitation with its response and version, in one query
    another_patient = PatientBrowser(Client(), _fresh_token("large"))
    with django_assert_max_num_queries(small[0]):
        assert another_patient.get("s0").status_code == 200


def _fresh_token(slug):
    from questionnaires.models import Questionnaire
    from questionnaires.services.invitations import invitation_create
    from questionnaires.services.responses import response_start

    invitation, token = invitation_create(
        questionnaire=Questionnaire.objects.get(slug=slug), patient_ref="P-9"
    )
    response_start(invitation=invitation)
    return token


def test_imported_fhir_questionnaire_with_a_read_only_item_renders(client):

    from questionnaires.services.interop import questionnaire_import

    data = (PUBLIC_FHIR / "lforms-apgar-itemweight.json").read_bytes()
    version = questionnaire_import(data=data, fmt="fhir", publish=True).version
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    page = client.get(location(browser.start()))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Not answered" in text  # the calculated (read-only) total is shown, not asked
    assert 'name="questions-q_9272_6"' not in text


def test_back_and_row_buttons_skip_browser_validation(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    location(patient.post("skin", SKIN))
    page = patient.get("history").content.decode()
    assert re.search(r"<form [^>]*novalidate", page)
    for name in ("wizard_goto_step", "wizard_add_row", "wizard_remove_row", "wizard_save_exit"):
        button = re.search(rf'<button [^>]*name="{name}"[^>]*>', page).group(0)
        assert "formnovalidate" in button
    # Enter in a text field submits the first submit button: it must mean "Continue".
    first_button = re.search(r"<button [^>]*>", page[page.index('class="step-form"') :]).group(0)
    assert 'name="' not in first_button


def test_check_page_in_chinese_writes_dates_and_lists_as_chinese_readers_do(patient):
    walk_to_check(patient)
    location(patient.post("priorities", {**PRIORITIES, "priorities-topics": ["cost", "travel"]}))
    patient.client.post(patient.url("language"), {"language": "zh-hans"})
    page = patient.client.get(patient.url("check")).content.decode()
    assert "2024年5月2日" in page
    assert "【中】Cost、【中】Travel" in page
    assert "【中】Cost, " not in page and "02/05/2024" not in page


def test_none_of_these_with_a_body_site_is_refused_and_nothing_is_stored(client):
    areas = question(
        "areas",
        "multiple_choice",
        required=True,
        choices=(choice("face"), choice("none", "None of these")),
    )
    areas = replace(areas, choices=(areas.choices[0], replace(areas.choices[1], exclusive=True)))
    _invitation, token = invite(publish(definition("exclusive", step("skin", areas))))
    patient = PatientBrowser(client, token)
    patient.start()
    location(patient.post("skin", {"skin-areas": ["none"]}))
    assert patient.response().answers == {"areas": ["none"]}

    refused = patient.post("skin", {"skin-areas": ["face", "none"]})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "you chose “None of these” and other options" in page
    assert "“Areas?”" in page
    assert patient.response().answers == {"areas": ["none"]}


def test_language_switch_on_a_step_keeps_what_was_typed_without_validating_it(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    location(patient.post("skin", SKIN))
    saved = patient.response().answers
    page = patient.get("history").content.decode()
    # The language buttons belong to the step's form, so they send what was typed.
    assert 'form="step-form" name="wizard_language"' in page

    half_filled = {
        **treatments({"drug": "Ciclosporin", "months": "130000", "outcome": "worse"}),
        "history-last_visit-day": "31",
        "history-last_visit-month": "2",
    }
    switched = patient.post("history", half_filled, action={"wizard_language": "zh-hans"})
    assert location(switched) == patient.step_url("history")
    response = patient.response()
    assert response.language == "zh-hans"
    assert response.answers == saved  # kept as a draft only, never as answers

    shown = patient.get("history").content.decode()
    assert '<html lang="zh-hans">' in shown
    assert 'value="Ciclosporin"' in shown and 'value="130000"' in shown
    assert 'value="31"' in shown and 'value="2"' in shown
    assert '<option value="worse" selected>' in shown
    assert "error-summary" not in shown  # unvalidated: no error for a half-filled page


def test_text_limits_are_shown_before_typing_without_javascript(patient):
    walk_to_check(patient)
    page = patient.get("priorities").content.decode()
    info = re.search(
        r'<div id="([^"]+)" class="hint character-count-message" data-count-info>'
        r"([^<]*)</div>",
        page,
    )
    assert info and info.group(2) == "You can enter up to 500 characters"
    assert re.search(rf'<textarea[^>]+aria-describedby="[^"]*{info.group(1)}"', page)
    assert 'data-count-left="You have %(count)s characters remaining"' in page


def test_a_decimal_comma_is_stored_as_the_number_it_means(patient):
    walk_to_check(patient)
    location(patient.post("priorities", {**PRIORITIES, "priorities-weight": "72,5"}))
    assert patient.response().answers["weight"] == "72.5"


def test_a_number_outside_the_questions_range_is_refused_by_name_and_nothing_changes(patient):
    location(patient.post("about", ABOUT_PSORIASIS))
    saved = patient.response().answers
    refused = patient.post("about", {**ABOUT_PSORIASIS, "about-age": "121"})
    assert refused.status_code == 200
    assert "“Age?”: enter a number from 0 to 120" in refused.content.decode()
    assert patient.response().answers == saved
    assert saved["age"] == 41
