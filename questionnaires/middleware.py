"""Request guards that run before any view (and before CSRF reads the form)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

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
