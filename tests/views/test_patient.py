"""Patient pages around the wizard: landing, broken links, rate limits, headers, preview."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import Invitation, Response
from questionnaires.services.invitations import invitation_revoke
from questionnaires.services.responses import response_start_preview
from tests.factories import (  # noqa: F401  (fresh_rate_limits is an autouse fixture)
    PatientBrowser,
    clinic_definition,
    draft,
    fresh_rate_limits,
    invite,
    publish,
    treatments,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return publish(clinic_definition())


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("editor", "editor@example.org", "pw", is_staff=True)


def landing(client, token):
    return client.get(reverse("patient:landing", kwargs={"token": token}))


def test_landing_explains_purpose_time_and_who_sees_the_answers(client, version):
    _invitation, token = invite(version)
    page = landing(client, token)
    assert page.status_code == 200
    text = page.content.decode()
    assert '<h1 class="heading-l">Questionnaire clinic</h1>' in text
    assert "What this is for" in text
    assert "About 10 minutes." in text
    assert "Only the care team at your clinic" in text
    assert "Start now" in text
    assert 'data-testid="language-zh-hans"' in text
    assert Response.objects.count() == 0  # looking at the page starts nothing


def test_language_switch_before_starting_is_kept_on_the_invitation(client, version):
    invitation, token = invite(version)
    answer = client.post(
        reverse("patient:language", kwargs={"token": token}),
        {"language": "zh-hans", "next": reverse("patient:landing", kwargs={"token": token})},
    )
    assert answer.status_code == 302
    invitation.refresh_from_db()
    assert invitation.language == "zh-hans"
    assert '<html lang="zh-hans">' in landing(client, token).content.decode()
    PatientBrowser(client, token).start()
    assert Response.objects.get().language == "zh-hans"


def test_unknown_and_revoked_links_look_exactly_the_same(client, version):
    invitation, token = invite(version)
    invitation_revoke(invitation=invitation, actor=None)
    revoked = landing(client, token)
    unknown = landing(Client(), "x" * len(token))
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    text = revoked.content.decode()
    assert "This link does not work" in text
    assert "contact your clinic" in text
    assert "P-0001" not in text and "Questionnaire clinic" not in text


def test_expired_link_says_so_and_shows_no_patient_data(client, version):
    invitation, token = invite(version)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    answer = landing(client, token)
    assert answer.status_code == 410
    text = answer.content.decode()
    assert "This link has expired" in text and "ask for a new link" in text
    assert "P-0001" not in text and "Questionnaire clinic" not in text


def test_every_patient_url_of_a_broken_link_gets_the_same_page(client, version):
    token = "not-a-token"
    for name, kwargs in [
        ("landing", {}),
        ("resume", {}),
        ("check", {}),
        ("done", {}),
        ("step", {"step": "about"}),
    ]:
        answer = client.get(reverse(f"patient:{name}", kwargs={"token": token, **kwargs}))
        assert answer.status_code == 404
        assert "This link does not work" in answer.content.decode()


def test_repeated_failed_lookups_back_off_but_a_right_token_always_opens(client, settings, version):
    settings.SDM_GUESS_FREE_PER_ADDRESS = 20
    _invitation, token = invite(version)
    for attempt in range(21):  # 20 free failures, the 21st starts the wait
        assert landing(client, f"guess-{attempt}").status_code == 404
    limited = landing(client, "guess-more")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert "Too many attempts" in limited.content.decode()
    assert "no-store" in limited["Cache-Control"]
    assert landing(client, token).status_code == 200  # never refused for others' failures
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert landing(other_address, "guess-elsewhere").status_code == 404
    assert landing(other_address, token).status_code == 200


def test_patient_pages_are_never_cached(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    for answer in (landing(client, token), browser.get("about"), landing(client, "nope")):
        assert "no-store" in answer["Cache-Control"]


def test_pages_have_no_inline_script_or_style_and_send_the_csp(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    pages = [landing(client, token), browser.get("about"), browser.post("about", {})]
    for answer in pages:
        text = answer.content.decode()
        assert "style=" not in text
        assert "<style" not in text
        assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", text) == []
        assert "script-src 'self'" in answer["Content-Security-Policy"]


def test_error_page_moves_focus_to_a_summary_that_links_to_each_field(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    text = browser.post("about", {"about-age": "x"}).content.decode()
    assert "<title>Error: About" in text
    summary = re.search(r'<div class="error-summary"[^>]*>', text).group(0)
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert 'href="#id_about-condition_0"' in text and 'href="#id_about-age"' in text
    assert 'aria-describedby="id_about-age-error"' in text
    assert '<fieldset class="fieldset" aria-describedby="id_about-condition-error">' in text


def test_submitted_response_shows_a_read_only_confirmation(client, version):
    _invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    assert browser.post("about", {"about-condition": "sle", "about-age": "50"}).status_code == 302
    assert browser.post("history", treatments()).status_code == 302
    ranks = {"priorities-ranking-0": "1", "priorities-ranking-1": "2", "priorities-ranking-2": "3"}
    assert browser.post("priorities", ranks).status_code == 302
    assert browser.submit().status_code == 302
    assert landing(client, token)["Location"] == browser.url("done")
    done = client.get(browser.url("done"))
    text = done.content.decode()
    assert "What happens next" in text
    assert "<form" in text  # only the language switch
    assert text.count("<form") == 1


def test_confirmation_language_switch_keeps_the_submitted_response_unchanged(client, version):
    invitation, token = invite(version)
    browser = PatientBrowser(client, token)
    browser.start()
    browser.post("about", {"about-condition": "sle", "about-age": "50"})
    browser.post("history", treatments())
    browser.post(
        "priorities",
        {"priorities-ranking-0": "1", "priorities-ranking-1": "2", "priorities-ranking-2": "3"},
    )
    browser.submit()
    client.post(browser.url("language"), {"language": "zh-hans", "next": browser.url("done")})
    assert browser.response().language == "en"
    invitation.refresh_from_db()
    assert invitation.language == "zh-hans"
    assert '<html lang="zh-hans">' in client.get(browser.url("done")).content.decode()


def test_questionnaire_without_published_version_cannot_be_started(client, version):
    invitation, token = invite(version)
    from questionnaires.services.definitions import version_retire

    version_retire(version=version)
    text = landing(client, token).content.decode()
    assert "not available at the moment" in text
    assert PatientBrowser(client, token).start().status_code == 302
    assert Response.objects.count() == 0


# --- preview ---------------------------------------------------------------------------------


def test_preview_pages_are_for_staff_only(client, staff, version):
    preview = response_start_preview(version=version, actor=staff)
    url = reverse("patient:preview_step", kwargs={"response_id": preview.pk, "step": "about"})
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    patient_user = get_user_model().objects.create_user("someone", password="pw")
    client.force_login(patient_user)
    assert client.get(url).status_code == 302
    client.force_login(staff)
    page = client.get(url)
    assert page.status_code == 200
    assert "Preview: these answers are not a real patient" in page.content.decode()


def test_preview_walks_a_draft_and_never_reaches_real_responses(client, staff):
    version = draft(clinic_definition("draft-only"))
    preview = response_start_preview(version=version, actor=staff)
    client.force_login(staff)
    base = {"response_id": preview.pk}
    post = {
        f"response_{preview.pk}-current_step": "about",
        "revision": "0",
        "about-condition": "sle",
        "about-age": "33",
    }
    saved = client.post(reverse("patient:preview_step", kwargs={**base, "step": "about"}), post)
    assert saved["Location"] == reverse("patient:preview_step", kwargs={**base, "step": "history"})
    preview.refresh_from_db()
    assert preview.is_preview and preview.invitation is None
    assert preview.answers == {"condition": "sle", "age": 33}
    assert not Response.objects.filter(is_preview=False).exists()


def test_real_response_cannot_be_opened_as_a_preview(client, staff, version):
    _invitation, token = invite(version)
    PatientBrowser(client, token).start()
    real = Response.objects.get()
    client.force_login(staff)
    answer = client.get(reverse("patient:preview_landing", kwargs={"response_id": real.pk}))
    assert answer.status_code == 404
