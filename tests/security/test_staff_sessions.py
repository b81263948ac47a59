"""Acceptance 3: idle logoff, no-store on every staff page, password rules, MFA for staff."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.contrib import admin
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from questionnaires.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from tests import clinic_factories as make
from tests.security.urlwalk import all_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return make.team("Team A")


@pytest.fixture
def clinician(team):
    return make.user("clin-a", team=team)


def _age_session(client, key: str, seconds_ago: float) -> None:
    session = client.session
    session[key] = time.time() - seconds_ago
    session.save()


# --- idle and absolute logoff -----------------------------------------------------------------


def test_a_staff_session_ends_after_15_idle_minutes(client, clinician, settings):
    assert settings.SDM_STAFF_IDLE_MINUTES == 15
    client.force_login(clinician)
    assert client.get("/clinic/").status_code == 200
    _age_session(client, SESSION_LAST_SEEN, 14 * 60)
    assert client.get("/clinic/").status_code == 200  # 14 minutes idle: still in
    _age_session(client, SESSION_LAST_SEEN, 16 * 60)
    answer = client.get("/clinic/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    page = client.get(answer["Location"])
    assert "logged out after 15 minutes without activity" in page.content.decode()


def test_the_idle_limit_is_configurable(client, clinician, settings):
    settings.SDM_STAFF_IDLE_MINUTES = 5
    client.force_login(clinician)
    client.get("/clinic/")
    _age_session(client, SESSION_LAST_SEEN, 6 * 60)
    assert client.get("/clinic/").status_code == 302


def test_an_active_session_still_ends_at_the_absolute_limit(client, clinician, settings):
    client.force_login(clinician)
    client.get("/clinic/")
    _age_session(client, SESSION_STARTED, settings.SDM_STAFF_SESSION_HOURS * 3600 + 60)
    answer = client.get("/clinic/")
    assert answer.status_code == 302
    assert "_auth_user_id" not in client.session
    assert settings.SESSION_COOKIE_AGE == settings.SDM_STAFF_SESSION_HOURS * 3600


# --- no-store on every staff page -------------------------------------------------------------


def _staff_urls(invitation_id: int, response_id: int) -> list[str]:
    """Every clinic page from the URLconf, and every admin changelist."""
    urls = []
    for route in all_routes():
        if route.name and route.name.startswith("clinician:"):
            pk = response_id if "response" in route.name else invitation_id
            kwargs = {"pk": pk} if "<int:pk>" in route.route else {}
            urls.append(reverse(route.name, kwargs=kwargs))
    assert len(urls) >= 7
    urls.append(reverse("admin:index"))
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    urls += [reverse("login"), reverse("mfa_enrol")]
    return urls


def test_every_staff_page_says_no_store(client, team):
    superuser = make.user("admin-a", team=team, is_staff=True, is_superuser=True)
    questionnaire = make.published_questionnaire()
    invitation = make.invitation(team=team, questionnaire=questionnaire, state="submitted")
    client.force_login(superuser)
    for url in _staff_urls(invitation.pk, invitation.response.pk):
        answer = client.get(url)
        assert answer.status_code < 500, url
        assert "no-store" in answer.get("Cache-Control", ""), url


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["short-Pw-1", "eleven-char", "123456789012345", "password1234"]
)
def test_weak_or_short_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    validate_password("tall-heron-river-lamp")


# --- second factor ----------------------------------------------------------------------------


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def test_production_settings_require_mfa_and_the_debug_demo_does_not():
    script = "from django.conf import settings; print(settings.SDM_REQUIRE_MFA)"
    relaxed = {"DEBUG", "SECRET_KEY", "SDM_REQUIRE_MFA", "DJANGO_SETTINGS_MODULE"}
    base = {k: v for k, v in os.environ.items() if k not in relaxed}
    base.update(DJANGO_SETTINGS_MODULE="sdm.settings", SECRET_KEY="k" * 60)
    outputs = []
    for debug in ("0", "1"):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            env={**base, "DEBUG": debug},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        outputs.append(result.stdout.strip().splitlines()[-1])
    assert outputs == ["True", "False"]


def test_with_mfa_required_a_clinician_enrols_then_verifies_at_each_login(
    client, clinician, settings
):
    settings.SDM_REQUIRE_MFA = True
    client.force_login(clinician)
    answer = client.get("/clinic/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("mfa_enrol"))
    assert client.get("/admin/").status_code == 302

    page = client.get(reverse("mfa_enrol"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    malformed = client.post(reverse("mfa_enrol"), {"code": "12ab"})
    assert "Enter the 6 digits" in malformed.content.decode()
    done = client.post(reverse("mfa_enrol"), {"code": _code(device), "next": "/clinic/"})
    assert done.status_code == 302
    assert client.get("/clinic/").status_code == 200

    later = Client()
    later.force_login(clinician)
    answer = later.get("/clinic/")
    assert answer["Location"].startswith(reverse("mfa_verify"))
    device.refresh_from_db()
    right = _code(device, steps_ahead=1)
    wrong = "000000" if right != "000000" else "111111"
    answer = later.post(reverse("mfa_verify"), {"code": wrong})
    assert answer.status_code == 200
    assert "did not work" in answer.content.decode()
    # django-otp throttles the device after a wrong code: even the right one waits.
    assert later.post(reverse("mfa_verify"), {"code": right}).status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # as if the (1 s) wait had passed
    verified = later.post(reverse("mfa_verify"), {"code": _code(device, steps_ahead=1)})
    assert verified.status_code == 302
    assert later.get("/clinic/").status_code == 200


def test_an_admin_needs_the_second_factor_for_the_admin_too(client, settings):
    settings.SDM_REQUIRE_MFA = True
    superuser = make.user("boss", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    answer = client.get("/admin/questionnaires/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("mfa_enrol"))
