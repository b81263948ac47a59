"""Acceptance 1 (tokens): guessing through a real gunicorn never locks a patient out.

Two gunicorn workers behind a (simulated) TLS proxy, production settings, PostgreSQL and
Redis. The waits are long here (60 s) so that the count of answered guesses is exact.
"""

from __future__ import annotations

import secrets

import pytest

from tests.factories import clinic_definition, invite, publish
from tests.security.live import Browser

pytestmark = pytest.mark.django_db(transaction=True)

FREE_PER_ADDRESS = 20
LIVE_ENV = {
    "SDM_GUESS_FREE_PER_ADDRESS": str(FREE_PER_ADDRESS),
    "SDM_BACKOFF_BASE_SECONDS": "60",
    "SDM_BACKOFF_MAX_SECONDS": "120",
}


def test_after_200_wrong_tokens_a_valid_token_still_opens_from_any_address(
    live_server_gunicorn,
):
    server = live_server_gunicorn
    _invitation, token = invite(publish(clinic_definition()))
    attacker = Browser(server, "198.51.100.10")
    # Production settings indeed: plain HTTP is sent to HTTPS, HSTS is on.
    status, headers, _body = attacker.get("/", headers={"X-Forwarded-Proto": "http"})
    assert status == 301 and headers["location"].startswith("https://")
    assert "max-age=31536000" in attacker.get("/")[1]["strict-transport-security"]
    statuses, retry_afters = [], []
    for _ in range(200):
        status, headers, _body = attacker.get(f"/p/{secrets.token_urlsafe(32)}/")
        statuses.append(status)
        if status == 429:
            retry_afters.append(headers.get("retry-after"))

    # Counted once for the whole site, not per worker: exactly the free failures plus the
    # one that started the wait were answered, then 429s (per-worker counters would have
    # let each worker answer its own 21).
    assert statuses[: FREE_PER_ADDRESS + 1] == [404] * (FREE_PER_ADDRESS + 1)
    assert set(statuses[FREE_PER_ADDRESS + 1 :]) == {429}
    assert retry_afters and all(value and 1 <= int(value) <= 120 for value in retry_afters)
    assert len(server.worker_pids_in_access_log()) >= 2, "several workers must have served"

    status, _headers, body = attacker.get(f"/p/{token}/")
    assert status == 200
    assert b"Start" in body or b"start" in body
    neighbour = Browser(server, "198.51.100.20")
    assert neighbour.get(f"/p/{token}/")[0] == 200
    assert neighbour.get(f"/p/{secrets.token_urlsafe(32)}/")[0] == 404  # not the attacker
