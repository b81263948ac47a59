"""The staff second factor in a real browser: enrol with the QR page, then verify at the next
login; axe-core on both pages and on the "password reset is off" page."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import clinic_factories as make
from tests.browser.support import assert_accessible, screenshot

pytestmark = pytest.mark.browser


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _log_in(page, username: str) -> None:
    page.goto("/clinic/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(make.PASSWORD)
    with page.expect_navigation():
        page.locator("form.clinic-login button[type='submit']").click()


def test_a_clinician_enrols_then_verifies_with_an_authenticator_code(
    new_context, live_server, settings
):
    settings.SDM_REQUIRE_MFA = True
    settings.SDM_PASSWORD_RESET_BY_EMAIL = False
    clinician = make.user("mfa-clinician", team=make.team("MFA team"))

    page = new_context().new_page()
    _log_in(page, "mfa-clinician")
    assert "/accounts/mfa/enrol/" in page.url
    assert page.locator("svg title").count() == 1  # the QR code, with a text alternative
    assert_accessible(page, "mfa-enrol")
    screenshot(page, "mfa-enrol")
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    page.locator("#id_code").fill(_code(device))
    with page.expect_navigation():
        page.locator("form.clinic-form button[type='submit']").click()
    assert page.url.rstrip("/").endswith("/clinic")

    again = new_context().new_page()
    _log_in(again, "mfa-clinician")
    assert "/accounts/mfa/" in again.url
    again.locator("#id_code").fill("000000")
    with again.expect_navigation():
        again.locator("form.clinic-form button[type='submit']").click()
    assert again.locator(".clinic-error-summary").count() == 1
    assert_accessible(again, "mfa-verify-error")
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes a wrong code wait a second
    again.locator("#id_code").fill(_code(device, steps_ahead=1))
    with again.expect_navigation():
        again.locator("form.clinic-form button[type='submit']").click()
    assert again.url.rstrip("/").endswith("/clinic")

    reset = new_context().new_page()
    reset.goto("/accounts/password_reset/")
    assert "Ask your administrator" in reset.content()
    assert_accessible(reset, "password-reset-off")
