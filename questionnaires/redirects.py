"""Where a ``next`` parameter may send someone: a normalised path of this site, or nowhere.

``url_has_allowed_host_and_scheme`` accepts ``/p/<token>/../../clinic/`` (same host), which
was echoed into ``Location`` — a patient token in a staff redirect, and a path that means
something else after the browser resolves the dots. Here the path must already be in its
normal form (no dot segments, no doubled or back slashes, no encoded ones), must resolve
to one of our URLs, and may be confined to a prefix; otherwise the default is used.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(
    request: HttpRequest,
    candidate: str | None,
    *,
    default: str,
    within: str | None = None,
    refuse_prefixes: tuple[str, ...] = (),
) -> str:
    if not candidate or len(candidate) > 2000:
        return default
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not candidate.startswith("/") or "\\" in candidate:
        return default
    path = unquote(parts.path)
    normal = posixpath.normpath(path)
    if path.endswith("/") and normal != "/":
        normal += "/"
    if normal != path or path.startswith("//"):
        return default
    if within is not None and not path.startswith(within):
        return default
    if any(path.startswith(prefix) for prefix in refuse_prefixes):
        return default
    try:
        resolve(path)
    except Resolver404:
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")
