"""Invite a patient: validation, the once-only link with its QR code, the letter download."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import replace

import pypdf
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.models import AuditAction, AuditEvent, Invitation
from questionnaires.models.response import hash_token
from questionnaires.services.definitions import version_create_from_definition
from questionnaires.services.invitations import invitation_revoke
from tests import clinic_factories as make
from tests.builders import sample_definition

pytestmark = pytest.mark.django_db

URL = "/clinic/invitations/new/"


def _hidden_inputs(client) -> dict[str, str]:
    """What a browser sends from the form's hidden inputs (team, submission id)."""
    page = client.get(URL).content.decode()
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def _valid(client, chosen, **changes) -> dict:
    data = {
        **_hidden_inputs(client),
        "patient_ref": "MRN-0042",
        "questionnaire": str(chosen.pk),
        "condition": "psoriasis",
        "language": "en",
        "days": "14",
    }
    data.update(changes)
    return data


def _hidden_token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_the_url():
    assert reverse("clinician:invitation_new") == URL


def test_the_form_offers_only_published_questionnaires(logged_in, questionnaire):
    draft = version_create_from_definition(definition=replace(sample_definition("draft-only")))
    page = logged_in.get(URL).content.decode()
    assert f'value="{questionnaire.pk}"' in page
    assert "Sample questionnaire" in page
    assert f'value="{draft.questionnaire.pk}"' not in page
    assert " style=" not in page


def test_creating_shows_the_link_once_with_a_qr_code(logged_in, questionnaire, demo, clinician):
    answer = logged_in.post(URL, _valid(logged_in, questionnaire))
    assert answer.status_code == 200
    page = answer.content.decode()
    invitation = Invitation.objects.get()
    token = _hidden_token(page)
    assert invitation.token_hash == hash_token(token)
    assert (invitation.patient_ref, invitation.team, invitation.created_by) == (
        "MRN-0042",
        demo,
        clinician,
    )
    assert (invitation.disease, invitation.language) == ("psoriasis", "en")
    assert f"/p/{token}/" in page
    assert re.search(r'<svg viewBox="[^"]+" class="qr-code">', page)
    assert " style=" not in page
    assert "no-store" in answer["Cache-Control"]
    assert "This is the only time the link is shown." in page
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_CREATED)
    assert (event.actor, event.team, event.invitation_id_ref) == (clinician, demo, invitation.pk)
    assert token not in str(event.detail) and token not in event.object_repr
    # The token appears in no later page.
    dashboard = logged_in.get(reverse("clinician:dashboard")).content.decode()
    assert token not in dashboard
    assert "MRN-0042" in dashboard


def test_reloading_the_created_page_does_not_create_a_second_invitation(logged_in, questionnaire):
    data = _valid(logged_in, questionnaire)
    assert logged_in.post(URL, data).status_code == 200
    again = logged_in.post(URL, data)
    assert again.status_code == 409
    assert "already created" in again.content.decode()
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patient_ref": ""}, "Enter the patient reference."),
        ({"patient_ref": "Jane Doe"}, "never the patient&#x27;s name"),
        ({"patient_ref": "x" * 65}, "at most 64 characters"),
        ({"questionnaire": "999999"}, "Choose one of the published questionnaires."),
        ({"questionnaire": "abc"}, "Choose one of the published questionnaires."),
        ({"condition": ""}, "this questionnaire covers several"),
        ({"condition": "flu"}, "Choose one of the listed conditions."),
        ({"language": "fr"}, "Choose one of the listed languages."),
        ({"days": "0"}, "at least 1 day"),
        ({"days": "1000"}, "at most 90 days"),
        ({"days": "two"}, "Enter a whole number of days."),
        ({"days": ""}, "Enter for how many days the link works."),
        ({"submission_id": "x"}, "Enter a valid value"),
    ],
)
def test_invalid_input_is_explained_and_creates_nothing(logged_in, questionnaire, changes, message):
    answer = logged_in.post(URL, _valid(logged_in, questionnaire, **changes))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert not Invitation.objects.exists()


def test_a_condition_must_match_a_single_condition_questionnaire(logged_in):
    ms_only = make.published_questionnaire("ms-only", disease="multiple_sclerosis")
    wrong = logged_in.post(URL, _valid(logged_in, ms_only, condition="psoriasis"))
    assert wrong.status_code == 400
    assert "This questionnaire is for Relapsing multiple sclerosis" in wrong.content.decode()
    # Left empty, the questionnaire's own condition is used.
    right = logged_in.post(URL, _valid(logged_in, ms_only, condition=""))
    assert right.status_code == 200
    assert Invitation.objects.get().disease == "multiple_sclerosis"


def test_a_language_the_questionnaire_does_not_offer_is_refused(logged_in):
    english_only = make.published_questionnaire("english-only", languages=("en",))
    answer = logged_in.post(URL, _valid(logged_in, english_only, language="zh-hans"))
    assert answer.status_code == 400
    assert "not available in the chosen language" in answer.content.decode()


def test_a_clinician_cannot_invite_into_another_team(client, questionnaire, demo):
    other = make.team("Other clinic")
    both = make.user("both", team=demo)
    client.force_login(make.user("single", team=demo))
    answer = client.post(URL, _valid(client, questionnaire, team=str(other.pk)))
    assert answer.status_code == 400
    assert "Choose one of your teams." in answer.content.decode()
    # A member of several teams chooses; the choice is limited to their teams.
    other.members.add(both)
    client.force_login(both)
    page = client.get(URL).content.decode()
    assert (
        'name="team"' in page and "Other clinic" in page and 'type="hidden" name="team"' not in page
    )
    assert client.post(URL, _valid(client, questionnaire, team=str(other.pk))).status_code == 200
    assert Invitation.objects.get().team == other


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "patient_ref",
                "questionnaire",
                "condition",
                "language",
                "days",
                "team",
                "submission_id",
            ]
        ),
        st.text(max_size=100),
    )
)
def test_any_form_input_gives_an_answer_not_an_error(logged_in, data):
    assert logged_in.post(URL, data).status_code in {200, 400, 409}


def test_the_letter_is_a_pdf_with_the_link(logged_in, questionnaire):
    page = logged_in.post(URL, _valid(logged_in, questionnaire)).content.decode()
    token = _hidden_token(page)
    invitation = Invitation.objects.get()
    letter_url = reverse("clinician:invitation_letter", args=[invitation.pk])
    assert f'action="{letter_url}"' in page
    answer = logged_in.post(letter_url, {"token": token})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert token not in answer["Content-Disposition"]
    assert "no-store" in answer["Cache-Control"]
    text = pypdf.PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
    assert f"/p/{token}/" in re.sub(r"\s+", "", text)
    printed = AuditEvent.objects.get(action=AuditAction.LETTER_PRINTED)
    assert printed.invitation_id_ref == invitation.pk
    assert printed.actor_name == "clinician"


def test_the_letter_needs_the_right_token_and_a_working_link(logged_in, questionnaire, clinician):
    page = logged_in.post(URL, _valid(logged_in, questionnaire)).content.decode()
    token = _hidden_token(page)
    invitation = Invitation.objects.get()
    letter_url = reverse("clinician:invitation_letter", args=[invitation.pk])
    assert logged_in.post(letter_url, {"token": token[:-1] + "x"}).status_code == 404
    assert logged_in.post(letter_url, {}).status_code == 404
    assert logged_in.get(letter_url).status_code == 405
    invitation_revoke(invitation=invitation, actor=clinician)
    revoked = logged_in.post(letter_url, {"token": token})
    assert revoked.status_code == 409
    assert "Revoked" in revoked.content.decode()


def test_a_refusal_by_the_service_is_shown_and_the_form_can_be_sent_again(
    logged_in, questionnaire, monkeypatch
):
    from questionnaires.services.errors import ServiceRefused
    from questionnaires.views import clinician as clinician_views

    real_create = clinician_views.invitation_create

    def refuse(**kwargs):
        raise ServiceRefused(["The questionnaire was retired a moment ago."])

    monkeypatch.setattr(clinician_views, "invitation_create", refuse)
    data = _valid(logged_in, questionnaire)
    refused = logged_in.post(URL, data)
    assert refused.status_code == 400
    assert "The questionnaire was retired a moment ago." in refused.content.decode()
    monkeypatch.setattr(clinician_views, "invitation_create", real_create)
    assert logged_in.post(URL, data).status_code == 200
    assert Invitation.objects.count() == 1


def test_the_token_is_never_logged(logged_in, questionnaire, caplog):
    # django.request does not propagate to the root logger (settings.LOGGING), so listen
    # on it directly; every other logger reaches caplog through the root.
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)
    caplog.set_level("DEBUG")
    caplog.set_level("DEBUG", logger="django.request")
    try:
        page = logged_in.post(URL, _valid(logged_in, questionnaire)).content.decode()
        token = _hidden_token(page)
        invitation = Invitation.objects.get()
        letter = reverse("clinician:invitation_letter", args=[invitation.pk])
        logged_in.post(letter, {"token": token})
        logged_in.post(letter, {"token": "bad"})
    finally:
        request_logger.removeHandler(caplog.handler)
    assert caplog.records  # the refused letter request did log (a 404 warning)
    assert all(token not in record.getMessage() for record in caplog.records)
    assert all(token not in str(record.args) for record in caplog.records)


def test_the_created_page_shows_the_type_in_code_a_copy_button_and_the_appointment(
    logged_in, questionnaire
):
    import datetime

    from questionnaires.services.invitation_codes import code_for_token, grouped

    day = datetime.date.today() + datetime.timedelta(days=7)
    answer = logged_in.post(URL, _valid(logged_in, questionnaire, appointment_date=day.isoformat()))
    page = answer.content.decode()
    token = _hidden_token(page)
    assert grouped(code_for_token(token)) in page
    assert 'data-copy-target="patient-link"' in page and "js/copy.js" in page
    assert Invitation.objects.get().appointment_date == day
    dashboard = logged_in.get(reverse("clinician:dashboard")).content.decode()
    assert f"{day.day} {day:%b} {day.year}" in dashboard


def test_an_appointment_in_the_past_is_refused(logged_in, questionnaire):
    import datetime

    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    answer = logged_in.post(
        URL, _valid(logged_in, questionnaire, appointment_date=yesterday.isoformat())
    )
    assert answer.status_code == 400
    assert "The appointment date is in the past." in answer.content.decode()
    assert not Invitation.objects.exists()
