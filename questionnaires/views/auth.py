"""Staff logins (clinic workspace and admin), with back-off against password guessing.

Failures are counted per account and per client address (``questionnaires.throttle``):
an attacker hammering one account makes only that account wait (doubling, capped), and
never another user who logs in from the same clinic address; spraying one password over
many accounts meets the per-address back-off. While an account or address waits, its
attempts are refused before the password is checked (so the wait cannot be used to test
passwords) and are not counted again; the 429 says how long in ``Retry-After``.
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render

from questionnaires import throttle


def _account(request) -> str:
    return request.POST.get("username", "").strip().casefold()[:150]


def login_rate_limited(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        account_policy, address_policy = throttle.login_policies()
        account, address = _account(request), throttle.client_address(request)
        waiting = max(
            throttle.wait_remaining(account_policy, account),
            throttle.wait_remaining(address_policy, address),
        )
        if waiting:
            return too_many_attempts(request, waiting)
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.clear(account_policy, account)
        elif response.status_code == 200 and account:
            # The form came back: the password (or the name) was wrong.
            throttle.record_failure(account_policy, account)
            throttle.record_failure(address_policy, address)
        return response

    return wrapped


def too_many_attempts(request, retry_after: int):
    answer = render(
        request,
        "registration/too_many_attempts.html",
        {"retry_minutes": max(1, -(-retry_after // 60))},
        status=429,
    )
    answer["Retry-After"] = str(retry_after)
    return answer
