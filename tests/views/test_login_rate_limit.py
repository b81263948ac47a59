"""Staff logins back off per account and per address; nobody else is locked out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.SDM_LOGIN_FREE_PER_ACCOUNT = 5
    settings.SDM_LOGIN_FREE_PER_ADDRESS = 30
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_make_that_account_wait_and_say_how_long(client, url):
    get_user_model().objects.create_superuser("staff", password="right-password-123")
    statuses = [
        client.post(url, {"username": "staff", "password": f"wrong-{n}"}).status_code
        for n in range(6)
    ]
    assert 429 not in statuses
    blocked = client.post(url, {"username": "staff", "password": "right-password-123"})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert "Too many attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_another_account_from_the_same_address_still_logs_in(client):
    users = get_user_model().objects
    users.create_user("attacked", password="right-password-123")
    users.create_user("colleague", password="colleague-pass-456")
    for n in range(50):
        client.post("/accounts/login/", {"username": "attacked", "password": f"wrong-{n}"})
    colleague = Client()
    answer = colleague.post(
        "/accounts/login/", {"username": "colleague", "password": "colleague-pass-456"}
    )
    assert answer.status_code == 302


def test_spraying_many_accounts_from_one_address_meets_the_address_wait(client, settings):
    settings.SDM_LOGIN_FREE_PER_ADDRESS = 4
    get_user_model().objects.create_user("someone", password="right-password-123")
    for n in range(5):
        client.post("/accounts/login/", {"username": f"user{n}", "password": "Summer2026!"})
    answer = client.post(
        "/accounts/login/", {"username": "someone", "password": "right-password-123"}
    )
    assert answer.status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    answer = elsewhere.post(
        "/accounts/login/", {"username": "someone", "password": "right-password-123"}
    )
    assert answer.status_code == 302


def test_a_normal_login_still_works(client):
    get_user_model().objects.create_user("clinician", password="right-password-123")
    answer = client.post(
        "/accounts/login/", {"username": "clinician", "password": "right-password-123"}
    )
    assert answer.status_code == 302
