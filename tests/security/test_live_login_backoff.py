"""Acceptance 1 (staff logins): an attacker makes only the attacked account wait.

Real gunicorn, two workers, production settings, PostgreSQL, Redis; waits of 2–4 s so the
attacked account's own wait can be sat out within the test.
"""

from __future__ import annotations

import time

import pytest

from tests.security.helpers import staff_account
from tests.security.live import Browser

pytestmark = pytest.mark.django_db(transaction=True)

FREE_PER_ACCOUNT = 5
LIVE_ENV = {
    "SDM_LOGIN_FREE_PER_ACCOUNT": str(FREE_PER_ACCOUNT),
    "SDM_LOGIN_FREE_PER_ADDRESS": "30",
    "SDM_BACKOFF_BASE_SECONDS": "2",
    "SDM_BACKOFF_MAX_SECONDS": "4",
}


def test_after_50_wrong_passwords_others_log_in_and_the_attacked_account_after_its_wait(
    live_server_gunicorn,
):
    server = live_server_gunicorn
    staff_account("attacked", "attacked-right-password-1")
    staff_account("colleague", "colleague-right-password-2")
    attacker = Browser(server, "203.0.113.5")
    csrf = attacker.csrf_token("/accounts/login/")
    statuses, retry_afters = [], []
    for attempt in range(50):
        status, headers, _body = attacker.post_form(
            "/accounts/login/",
            {"csrfmiddlewaretoken": csrf, "username": "attacked", "password": f"no-{attempt}"},
        )
        statuses.append(status)
        if status == 429:
            retry_afters.append(headers.get("retry-after"))

    assert 302 not in statuses
    # Shared across both workers: the sixth failure starts the wait, the seventh is refused.
    assert statuses[: FREE_PER_ACCOUNT + 1] == [200] * (FREE_PER_ACCOUNT + 1)
    assert statuses[FREE_PER_ACCOUNT + 1] == 429
    assert retry_afters and all(value and 1 <= int(value) <= 4 for value in retry_afters)
    assert len(server.worker_pids_in_access_log()) >= 2, "several workers must have served"

    # A colleague at the same clinic address, and one elsewhere, are not locked out.
    same_address = Browser(server, "203.0.113.5")
    assert same_address.log_in("colleague", "colleague-right-password-2")[0] == 302
    assert "sessionid" in same_address.cookies
    elsewhere = Browser(server, "192.0.2.77")
    assert elsewhere.log_in("colleague", "colleague-right-password-2")[0] == 302

    # The attacked account logs in once its own wait is over.
    owner = Browser(server, "192.0.2.88")
    for _ in range(4):
        status, headers, _body = owner.log_in("attacked", "attacked-right-password-1")
        if status != 429:
            break
        time.sleep(int(headers["retry-after"]))
    assert status == 302
    assert "sessionid" in owner.cookies
