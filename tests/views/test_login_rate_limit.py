"""Staff logins are rate-limited: guessing passwords meets a 429 page, not a login."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_repeated_wrong_passwords_are_stopped_even_the_right_one_then(client, url):
    get_user_model().objects.create_superuser("staff", password="right-password-123")
    statuses = [
        client.post(url, {"username": "staff", "password": f"wrong-{n}"}).status_code
        for n in range(10)
    ]
    assert 429 not in statuses
    blocked = client.post(url, {"username": "staff", "password": "right-password-123"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_normal_login_still_works(client):
    get_user_model().objects.create_user("clinician", password="right-password-123")
    answer = client.post(
        "/accounts/login/", {"username": "clinician", "password": "right-password-123"}
    )
    assert answer.status_code == 302
