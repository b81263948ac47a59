"""The type-in code: letter → "enter your code" → questionnaire (issue 10, acceptance 5)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from questionnaires.models import Invitation
from questionnaires.services.invitation_codes import (
    ALPHABET,
    code_for_token,
    code_hash,
    grouped,
    normalise_code,
)
from tests.factories import (  # noqa: F401  (fresh_rate_limits is an autouse fixture)
    PatientBrowser,
    clinic_definition,
    fresh_rate_limits,
    invite,
    publish,
)

pytestmark = pytest.mark.django_db
URL = "/code/"


@pytest.fixture
def version():
    return publish(clinic_definition())


def test_the_code_is_short_unambiguous_and_grouped():
    code = code_for_token("some-token")
    assert len(code) == 10 and set(code) <= set(ALPHABET)
    assert not set("01ILOUV") & set(ALPHABET)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", grouped(code))
    assert code_for_token("some-token") == code != code_for_token("another-token")


@pytest.mark.parametrize("typed", ["abcd-efgh-jk", " ABCD EFGH JK ", "abcdefghjk", "ABCD–EFGH–JK"])
def test_a_code_is_read_in_any_case_with_or_without_separators(typed):
    assert normalise_code(typed) == "ABCDEFGHJK"


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH-J", "ABCD-EFGH-JKL", "ABCD-EFGH-J0", "O" * 10])
def test_what_cannot_be_a_code_is_refused_before_any_lookup(typed):
    assert normalise_code(typed) is None


def test_only_a_keyed_hash_of_the_code_is_stored(version):
    invitation, token = invite(version)
    code = code_for_token(token)
    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert stored["code_hash"] == code_hash(code)
    assert all(code not in str(value) for value in stored.values())
    assert all(grouped(code) not in str(value) for value in stored.values())


def test_the_code_leads_from_the_code_page_into_the_questionnaire(client, version):
    invitation, token = invite(version)
    code = code_for_token(token)
    page = client.get(URL)
    assert page.status_code == 200
    assert "Enter the code from your letter" in page.content.decode()
    answer = client.post(URL, {"code": grouped(code).lower()})
    landing = reverse("patient:landing", kwargs={"token": code})
    assert answer.status_code == 302 and answer["Location"] == landing
    assert client.get(landing).status_code == 200
    # The same journey as the link: start, answer, and the response belongs to the invitation.
    browser = PatientBrowser(client, code)
    assert browser.start().status_code == 302
    assert invitation.response.version_id == version.pk
    assert client.get(browser.step_url("about")).status_code == 200


def test_a_wrong_code_says_so_and_changes_nothing(client, version):
    invite(version)
    answer = client.post(URL, {"code": "ABCD-EFGH-JK"})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "This code does not work" in text
    assert 'class="error-summary"' in text and 'href="#id_code"' in text


def test_a_malformed_code_gets_a_clear_message(client):
    answer = client.post(URL, {"code": "hello"})
    assert answer.status_code == 400
    assert "Enter the 10 letters and numbers as printed on your letter" in answer.content.decode()
    assert client.post(URL, {}).status_code == 400


def test_guessing_codes_backs_off_like_tokens_and_a_right_code_always_opens(
    client, settings, version
):
    settings.SDM_GUESS_FREE_PER_ADDRESS = 20
    _invitation, token = invite(version)
    code = code_for_token(token)
    wrong = [c for c in ("ABCDEFGHJK", "BCDEFGHJKM") if c != code][0]
    for _attempt in range(21):  # 20 free failures, the 21st starts the wait
        assert client.post(URL, {"code": wrong}).status_code == 400
    limited = client.post(URL, {"code": wrong})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert "Too many attempts" in limited.content.decode()
    # The count is shared with links: a wrong link from this address waits too ...
    wrong_link = client.get(reverse("patient:landing", kwargs={"token": "not-a-token"}))
    assert wrong_link.status_code == 429
    # ... but the right code and the right link are never refused for wrong guesses.
    assert client.post(URL, {"code": grouped(code)}).status_code == 302
    assert client.get(reverse("patient:landing", kwargs={"token": token})).status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.9").post(URL, {"code": grouped(code)}).status_code == 302


def test_a_revoked_invitations_code_does_not_work(client, version):
    from questionnaires.services.invitations import invitation_revoke

    invitation, token = invite(version)
    invitation_revoke(invitation=invitation, actor=None)
    answer = client.post(URL, {"code": code_for_token(token)})
    assert answer.status_code == 400
    assert "This code does not work" in answer.content.decode()


def test_the_home_page_sends_patients_to_the_code_page_and_staff_to_sign_in(client):
    page = client.get("/").content.decode()
    assert f'href="{URL}"' in page
    assert f'href="{reverse("clinician:dashboard")}"' in page
