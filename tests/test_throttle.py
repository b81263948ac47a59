"""The guess back-off: client addresses, doubling waits, and right guesses never refused."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from questionnaires import throttle
from questionnaires.throttle import BackoffPolicy, GuessRefused, limit_guess


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def request_from(remote: str, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_a_configured_header_a_forwarded_for_is_ignored(settings):
    settings.SDM_CLIENT_ADDRESS_HEADER = ""
    request = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert throttle.client_address(request) == "10.0.0.1"


def test_the_entry_our_proxy_appended_is_taken_not_one_the_client_wrote(settings):
    settings.SDM_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    settings.SDM_TRUSTED_PROXY_COUNT = 1
    spoofed = request_from("127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert throttle.client_address(spoofed) == "198.51.100.7"
    settings.SDM_TRUSTED_PROXY_COUNT = 2
    assert throttle.client_address(spoofed) == "1.2.3.4"


def test_a_missing_or_garbled_header_falls_back_to_the_socket_address(settings):
    settings.SDM_CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert throttle.client_address(request_from("10.0.0.2")) == "10.0.0.2"
    garbled = request_from("10.0.0.2", HTTP_X_REAL_IP="not-an-address")
    assert throttle.client_address(garbled) == "10.0.0.2"


def test_ipv6_clients_are_counted_by_their_64_prefix(settings):
    settings.SDM_CLIENT_ADDRESS_HEADER = ""
    one = throttle.client_address(request_from("2001:db8:1:2::1"))
    other = throttle.client_address(request_from("2001:db8:1:2:ffff::9"))
    assert one == other == "2001:db8:1:2::/64"


def test_waits_double_after_the_free_failures_and_stop_at_the_ceiling():
    policy = BackoffPolicy("t", free_failures=3, window_seconds=600, base_seconds=2, max_seconds=20)
    assert [policy.wait_after(n) for n in range(1, 9)] == [0, 0, 0, 2, 4, 8, 16, 20]


def test_record_failure_starts_a_wait_that_clear_lifts():
    policy = BackoffPolicy("t", free_failures=2, window_seconds=600, base_seconds=5, max_seconds=60)
    assert throttle.record_failure(policy, "alice") == 0
    assert throttle.record_failure(policy, "alice") == 0
    assert throttle.wait_remaining(policy, "alice") == 0
    assert throttle.record_failure(policy, "alice") == 5
    assert 4 <= throttle.wait_remaining(policy, "alice") <= 5
    assert throttle.wait_remaining(policy, "bob") == 0
    throttle.clear(policy, "alice")
    assert throttle.wait_remaining(policy, "alice") == 0


class Wrong(Exception):
    pass


def _wrong():
    raise Wrong


def test_limit_guess_refuses_only_wrong_guesses_once_waiting(settings):
    settings.SDM_GUESS_FREE_PER_ADDRESS = 2
    request = request_from("10.0.0.5")
    for _ in range(3):
        with pytest.raises(Wrong):
            limit_guess(request, _wrong, wrong=(Wrong,))
    with pytest.raises(GuessRefused) as refused:
        limit_guess(request, _wrong, wrong=(Wrong,))
    assert refused.value.retry_after >= 1
    assert limit_guess(request, lambda: "right", wrong=(Wrong,)) == "right"
    with pytest.raises(Wrong):  # another address is not waiting
        limit_guess(request_from("10.0.0.6"), _wrong, wrong=(Wrong,))


def test_the_site_wide_wait_covers_guesses_spread_over_addresses(settings):
    settings.SDM_GUESS_FREE_PER_ADDRESS = 100
    settings.SDM_GUESS_FREE_GLOBAL = 3
    for number in range(4):
        with pytest.raises(Wrong):
            limit_guess(request_from(f"10.0.1.{number}"), _wrong, wrong=(Wrong,))
    with pytest.raises(GuessRefused):
        limit_guess(request_from("10.0.1.99"), _wrong, wrong=(Wrong,))
    assert limit_guess(request_from("10.0.1.99"), lambda: 1, wrong=(Wrong,)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_cache_production_uses_without_redis_counts_and_waits(settings):
    from django.core.management import call_command

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sdm_cache_test",
            "TIMEOUT": 3600,
        }
    }
    call_command("createcachetable", verbosity=0)
    policy = BackoffPolicy("db", free_failures=1, window_seconds=600, base_seconds=5, max_seconds=9)
    assert throttle.record_failure(policy, "10.1.1.1") == 0
    assert throttle.record_failure(policy, "10.1.1.1") == 5
    assert throttle.wait_remaining(policy, "10.1.1.1") >= 4
    assert throttle.wait_remaining(policy, "10.1.1.2") == 0
