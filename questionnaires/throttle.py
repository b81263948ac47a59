"""Back-off for guesses (invitation tokens, staff passwords), counted in the shared cache.

Why not a package: django-ratelimit counts fixed windows and refuses *every* request once a
key is over its rate — the lever the red team used to lock patients and staff out — and has
no back-off or ``Retry-After``; django-axes covers logins only (not invitation tokens or
type-in codes) and locks out on a count. Here one small policy serves every guessable
secret: failures are counted per client address (and globally, or per account), the
first few are free, each further failure doubles a wait (capped), and only *wrong*
guesses are ever refused — a right token is looked up and served whatever others did.

The counters live in Django's cache: Redis where ``REDIS_URL`` is set, the database cache
otherwise (see ``sdm/settings.py``), so every gunicorn worker and app server shares them and
a restart does not reset them. Keys carry the window number, so no counter depends on a
cache's expiry semantics. Redis increments atomically; the database cache reads and writes,
so under simultaneous guesses it may count a few less — the waits still start.

The client address comes from ``client_address``: ``REMOTE_ADDR``, or the header a trusted
proxy sets when ``SDM_CLIENT_ADDRESS_HEADER`` is configured (never a header the client
chose). IPv6 clients are grouped by /64, which is what one household or device holds.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class BackoffPolicy:
    """How many failures in a window are free, and how long the waits after them grow."""

    name: str
    free_failures: int
    window_seconds: int
    base_seconds: float
    max_seconds: float

    def wait_after(self, failures: int) -> float:
        """The wait imposed after the ``failures``-th failure of a window (0 while free)."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return 0.0
        return min(self.base_seconds * 2 ** min(beyond - 1, 30), self.max_seconds)


def _setting(name: str, default):
    return getattr(settings, name, default)


def token_policies() -> tuple[BackoffPolicy, BackoffPolicy]:
    """Per client address, and for the whole site (a botnet spreading its guesses)."""
    base = _setting("SDM_BACKOFF_BASE_SECONDS", 2)
    ceiling = _setting("SDM_BACKOFF_MAX_SECONDS", 900)
    window = _setting("SDM_GUESS_WINDOW_SECONDS", 600)
    return (
        BackoffPolicy(
            "guess-address", _setting("SDM_GUESS_FREE_PER_ADDRESS", 20), window, base, ceiling
        ),
        BackoffPolicy(
            "guess-global", _setting("SDM_GUESS_FREE_GLOBAL", 1000), window, base, ceiling
        ),
    )


def login_policies() -> tuple[BackoffPolicy, BackoffPolicy]:
    """Per account (the attacked user waits, nobody else) and per address (password spraying)."""
    base = _setting("SDM_BACKOFF_BASE_SECONDS", 2)
    ceiling = _setting("SDM_BACKOFF_MAX_SECONDS", 900)
    window = _setting("SDM_LOGIN_WINDOW_SECONDS", 900)
    return (
        BackoffPolicy(
            "login-account", _setting("SDM_LOGIN_FREE_PER_ACCOUNT", 5), window, base, ceiling
        ),
        BackoffPolicy(
            "login-address", _setting("SDM_LOGIN_FREE_PER_ADDRESS", 30), window, base, ceiling
        ),
    )


# --- the client address -----------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The address to count a client by; only a configured trusted proxy's header is believed.

    ``SDM_CLIENT_ADDRESS_HEADER`` names the header the proxy in front of gunicorn sets (for
    example ``X-Forwarded-For`` or ``X-Real-IP``); with ``X-Forwarded-For`` the entry taken
    is the one ``SDM_TRUSTED_PROXY_COUNT`` hops from the right, i.e. the one our own proxy
    appended, never one a client wrote. Without the setting, ``REMOTE_ADDR``.
    """
    header = _setting("SDM_CLIENT_ADDRESS_HEADER", "")
    remote = request.META.get("REMOTE_ADDR", "")
    raw = remote
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        entries = [part.strip() for part in request.META.get(meta_key, "").split(",")]
        entries = [entry for entry in entries if entry]
        hops = max(1, int(_setting("SDM_TRUSTED_PROXY_COUNT", 1)))
        if len(entries) >= hops:
            raw = entries[-hops]
    return _normalised(raw) or _normalised(remote) or "unknown"


def _normalised(raw: str) -> str:
    try:
        address = ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return ""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# --- counting ---------------------------------------------------------------------------------


def _key(policy: BackoffPolicy, subject: str, part: str, window: int | None = None) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    suffix = f":{window}" if window is not None else ""
    return f"sdm-backoff:{policy.name}:{part}:{digest}{suffix}"


def wait_remaining(policy: BackoffPolicy, subject: str) -> int:
    """Whole seconds this subject must still wait (0: it may try)."""
    until = cache.get(_key(policy, subject, "until"))
    if until is None:
        return 0
    remaining = until - time.time()
    return math.ceil(remaining) if remaining > 0 else 0


def record_failure(policy: BackoffPolicy, subject: str) -> int:
    """Count one failure; returns the wait (whole seconds) it now imposes, 0 while free."""
    now = time.time()
    window = int(now // policy.window_seconds)
    key = _key(policy, subject, "failures", window)
    cache.add(key, 0, timeout=policy.window_seconds * 2)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=policy.window_seconds * 2)
        failures = 1
    wait = policy.wait_after(failures)
    if wait:
        cache.set(_key(policy, subject, "until"), now + wait, timeout=math.ceil(wait) + 1)
        if failures == policy.free_failures + 1:
            # An event, never the subject: it may be an account name or an address.
            logger.warning("back-off started: %s", policy.name)
    return math.ceil(wait)


def clear(policy: BackoffPolicy, subject: str) -> None:
    """Forget a subject's failures (a staff member who logged in)."""
    window = int(time.time() // policy.window_seconds)
    cache.delete_many(
        [
            _key(policy, subject, "until"),
            _key(policy, subject, "failures", window),
            _key(policy, subject, "failures", window - 1),
        ]
    )


# --- the one entry point for anything a stranger can guess ------------------------------------


class GuessRefused(Exception):
    """A wrong guess from a client (or a site) in back-off: answer 429 with Retry-After."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = max(1, retry_after)


def limit_guess(
    request: HttpRequest,
    attempt: Callable[[], T],
    *,
    wrong: tuple[type[BaseException], ...],
) -> T:
    """Run one lookup of a guessable secret (an invitation token, a type-in code).

    A right guess is always answered: ``attempt()`` runs first and its result is returned
    whatever back-off is in force. A wrong one (``attempt`` raised one of ``wrong``) is
    counted per client address and site-wide and re-raised — unless that address or the
    site is already waiting, when ``GuessRefused`` (429) is raised instead and nothing is
    counted. The secrets guarded here are long and random: the back-off limits the load
    and the noise of guessing and makes it visible in the log; it is not what makes a
    guess unlikely to succeed.
    """
    try:
        return attempt()
    except wrong:
        address_policy, global_policy = token_policies()
        address = client_address(request)
        waiting = max(
            wait_remaining(address_policy, address), wait_remaining(global_policy, "site")
        )
        if waiting:
            raise GuessRefused(waiting) from None
        record_failure(address_policy, address)
        record_failure(global_policy, "site")
        raise
