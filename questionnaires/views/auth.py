"""Staff logins (clinic workspace and admin), rate-limited against password guessing."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

# Per client address and per account name: a guesser spreading attempts over many
# accounts meets the first limit, one spreading over many addresses the second.
LIMITS = (("ip", "20/10m"), ("post:username", "10/10m"))


def login_rate_limited(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            limited = [
                is_ratelimited(
                    request, group="staff-login", key=key, rate=rate, method="POST", increment=True
                )
                for key, rate in LIMITS
            ]
            if any(limited):
                return render(request, "registration/too_many_attempts.html", status=429)
        return view(request, *args, **kwargs)

    return wrapped
