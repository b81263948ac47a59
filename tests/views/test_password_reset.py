"""Password reset: switched off with a clear page without EMAIL_URL; rate-limited with it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from sdm.settings import _email_settings

pytestmark = pytest.mark.django_db
URL = "/accounts/password_reset/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def test_without_email_the_page_says_to_ask_an_administrator(client, settings):
    settings.SDM_PASSWORD_RESET_BY_EMAIL = False
    get_user_model().objects.create_user("staff", "staff@example.org", "x" * 16)
    for answer in (client.get(URL), client.post(URL, {"email": "staff@example.org"})):
        assert answer.status_code == 200
        assert "Ask your administrator" in answer.content.decode()
        assert "no-store" in answer["Cache-Control"]
    assert mail.outbox == []


def test_with_email_a_reset_is_sent_and_repeated_requests_back_off(client, settings):
    settings.SDM_PASSWORD_RESET_BY_EMAIL = True
    settings.SDM_PASSWORD_RESET_FREE_PER_ADDRESS = 2
    get_user_model().objects.create_user("staff", "staff@example.org", "x" * 16)
    assert client.post(URL, {"email": "staff@example.org"}).status_code == 302
    assert len(mail.outbox) == 1
    client.post(URL, {"email": "nobody@example.org"})
    client.post(URL, {"email": "staff@example.org"})  # the third starts the wait
    refused = client.post(URL, {"email": "staff@example.org"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert len(mail.outbox) == 2


def test_email_urls_are_understood_and_others_refused():
    smtp = _email_settings("smtp://user%40x:p%3Ass@mail.example.org:587")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == (
        "mail.example.org",
        587,
        True,
    )
    assert (smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == ("user@x", "p:ss")
    assert _email_settings("smtps://mail.example.org")["EMAIL_USE_SSL"] is True
    assert "console" in _email_settings("console:")["EMAIL_BACKEND"]
    with pytest.raises(ImproperlyConfigured):
        _email_settings("http://mail.example.org")
