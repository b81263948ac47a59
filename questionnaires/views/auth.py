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
from questionnaires.redirects import safe_next


def _account(request) -> str:
    return request.POST.get("username", "").strip().casefold()[:150]


def login_rate_limited(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        _clean_next(request)
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


def _clean_next(request) -> None:
    """Replace an unsafe ``next`` before the login view sees (and echoes) it.

    A staff login never continues to a patient's link: ``/p/`` (except the admin's
    preview pages) is refused along with anything not in normal form.
    """
    for name in ("GET", "POST"):
        params = getattr(request, name)
        if "next" not in params:
            continue
        cleaned = safe_next(
            request,
            params.get("next"),
            default="",
            refuse_prefixes=("/p/",),
        ) or safe_next(request, params.get("next"), default="", within="/p/preview/")
        if cleaned != params.get("next"):
            params = params.copy()
            if cleaned:
                params["next"] = cleaned
            else:
                del params["next"]
            setattr(request, name, params)


def too_many_attempts(request, retry_after: int):
    answer = render(
        request,
        "registration/too_many_attempts.html",
        {"retry_minutes": max(1, -(-retry_after // 60))},
        status=429,
    )
    answer["Retry-After"] = str(retry_after)
    return answer


def password_reset(request):
    """Password reset by e-mail when ``EMAIL_URL`` is configured, rate-limited; else a page
    saying it is switched off (it used to fail with a connection error)."""
    from django.conf import settings
    from django.contrib.auth import views as auth_views

    if not settings.SDM_PASSWORD_RESET_BY_EMAIL:
        return render(request, "registration/password_reset_unavailable.html")
    if request.method == "POST":
        policy = throttle.BackoffPolicy(
            "password-reset",
            free_failures=settings.SDM_PASSWORD_RESET_FREE_PER_ADDRESS,
            window_seconds=3600,
            base_seconds=60,
            max_seconds=3600,
        )
        address = throttle.client_address(request)
        waiting = throttle.wait_remaining(policy, address)
        if waiting:
            return too_many_attempts(request, waiting)
        # Every request counts: each one sends an e-mail, right address or not.
        throttle.record_failure(policy, address)
    return auth_views.PasswordResetView.as_view()(request)
