"""``next`` is normalised and checked before anyone is redirected to it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from questionnaires.redirects import safe_next
from tests.factories import clinic_definition, invite, publish

DEFAULT = "/default/"


def _next(candidate, **kwargs):
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    return safe_next(request, candidate, default=DEFAULT, **kwargs)


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        None,
        "https://evil.example/clinic/",
        "//evil.example/clinic/",
        "/\\evil.example/",
        "/p/tok/../../clinic/",
        "/p/tok/%2e%2e/%2e%2e/clinic/",
        "/clinic//",
        "/clinic/./",
        "/no-such-page/",
        "javascript:alert(1)",
    ],
)
def test_unsafe_or_abnormal_targets_fall_back_to_the_default(candidate):
    assert _next(candidate) == DEFAULT


def test_a_normal_path_of_this_site_is_kept_with_its_query():
    assert _next("/clinic/?status=submitted") == "/clinic/?status=submitted"


def test_a_target_can_be_confined_to_a_prefix_or_kept_out_of_one():
    assert _next("/clinic/", within="/p/abc/") == DEFAULT
    assert _next("/clinic/", refuse_prefixes=("/clinic/",)) == DEFAULT


@pytest.mark.django_db
def test_the_login_never_sends_a_traversal_or_a_patient_link_into_location(client):
    get_user_model().objects.create_user("staff", password="right-password-123")
    url = reverse("login") + "?next=/p/secret-token/../../clinic/"
    answer = client.post(url, {"username": "staff", "password": "right-password-123"})
    assert answer.status_code == 302
    assert "secret-token" not in answer["Location"]
    assert answer["Location"] == reverse("clinician:dashboard")


@pytest.mark.django_db
def test_the_patient_language_switch_stays_on_the_patients_own_pages(client):
    _invitation, token = invite(publish(clinic_definition()))
    base = reverse("patient:landing", kwargs={"token": token})
    answer = client.post(
        reverse("patient:language", kwargs={"token": token}),
        {"language": "zh-hans", "next": f"{base}../../clinic/"},
    )
    assert answer["Location"] == base
