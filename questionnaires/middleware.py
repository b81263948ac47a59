"""Request guards that run before any view (and before CSRF reads the form)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Our forms are served as UTF-8 and browsers post them so; anything else is hostile or
# broken, and decoding it used to end in a 500 whose traceback quoted the patient URL.
ACCEPTED_CHARSETS = {"utf-8", "utf8", "ascii", "us-ascii"}


class RejectUndecodableForms:
    """Answers 400 to a form body in another character set, or one that does not decode."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"} and request.content_type in FORM_TYPES:
            charset = request.content_params.get("charset", "utf-8").strip().lower()
            if charset not in ACCEPTED_CHARSETS:
                return _unreadable()
            try:
                request.POST  # noqa: B018  (parse now, where a failure can be answered)
            except (UnicodeDecodeError, LookupError):
                return _unreadable()
        return self.get_response(request)


def _unreadable() -> HttpResponse:
    answer = HttpResponseBadRequest(
        _("The form could not be read. Go back, reload the page and send it again."),
        content_type="text/plain; charset=utf-8",
    )
    add_never_cache_headers(answer)
    return answer


class NoStore:
    """``Cache-Control: no-store`` on every page Django renders.

    Staff pages and patient pages carry health data and the browser of a shared clinic or
    kiosk computer must not keep them; the few pages without any (home, login) lose nothing.
    Static files are served by WhiteNoise before this runs and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


SESSION_STARTED = "sdm_session_started"
SESSION_LAST_SEEN = "sdm_session_last_seen"
# Writing the session on every request would be a database write per page; a minute's
# resolution is plenty for a 15-minute idle limit.
LAST_SEEN_RESOLUTION_SECONDS = 60


def start_session_clock(session) -> None:
    session[SESSION_STARTED] = session[SESSION_LAST_SEEN] = time.time()


def session_clock_starts_at_login(sender, request, user, **kwargs):
    """Connected to ``user_logged_in`` in ``apps.py``."""
    # Written with the login itself, so no page afterwards needs an extra session write.
    if request is not None and hasattr(request, "session"):
        start_session_clock(request.session)


class StaffSessionLimits:
    """Logs a staff member out after an idle time and after an absolute session length.

    ``SDM_STAFF_IDLE_MINUTES`` (15) without a request, or ``SDM_STAFF_SESSION_HOURS`` (10)
    since logging in, whichever comes first; the next request goes to the login page with
    a message saying why.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            if SESSION_STARTED not in session:  # a session from before this guard
                start_session_clock(session)
            started = session[SESSION_STARTED]
            last_seen = session.get(SESSION_LAST_SEEN, now)
            idle_limit = settings.SDM_STAFF_IDLE_MINUTES * 60
            absolute_limit = settings.SDM_STAFF_SESSION_HOURS * 3600
            if now - last_seen > idle_limit or now - started > absolute_limit:
                idle = now - last_seen > idle_limit
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.SDM_STAFF_IDLE_MINUTES}
                    if idle
                    else _("You were logged out: sessions end after %(hours)s hours.")
                    % {"hours": settings.SDM_STAFF_SESSION_HOURS},
                )
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class RequireSecondFactor:
    """With ``SDM_REQUIRE_MFA``, a logged-in staff member must verify a second factor.

    Every account that can log in is staff (clinicians read their teams' patients, admins
    edit content); until the session is verified with django-otp, every page except the
    enrolment/verification pages, logging out and language switching redirects there.
    """

    ALWAYS_ALLOWED = ("mfa_verify", "mfa_enrol", "login", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.SDM_REQUIRE_MFA
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
        ):
            match = getattr(request, "resolver_match", None) or _resolve(request.path_info)
            if match is None or match.url_name not in self.ALWAYS_ALLOWED:
                target = "mfa_verify" if user_has_device(user) else "mfa_enrol"
                return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
