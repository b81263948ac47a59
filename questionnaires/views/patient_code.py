"""``/code/``: a patient types the short code from their letter instead of the long link.

The code leads to the same journey as the link: on success the browser is sent to the
patient pages under the code's canonical form (``/p/ABCDEFGHJK/``), where every request
resolves it again like a token. Lookups go through the token's guess back-off
(``throttle.limit_guess``: the same per-address and site-wide counts), so typing codes is
no faster a way to guess than typing links, and a right code is never refused. A code
that is malformed never reaches the database; a wrong one is answered like an unknown
link.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from questionnaires.services.invitation_codes import normalise_code
from questionnaires.services.invitations import (
    InvitationExpired,
    InvitationUnavailable,
    invitation_resolve,
)
from questionnaires.throttle import GuessRefused, limit_guess
from questionnaires.views.patient import page


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your code"),
        max_length=40,
        help_text=_("10 letters and numbers, as printed on your letter, for example ABCD-EFGH-JK."),
        error_messages={
            "required": _("Enter the code from your letter"),
            "max_length": _("The code has 10 letters and numbers: check it against your letter"),
        },
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _(
                    "Enter the 10 letters and numbers as printed on your letter, "
                    "for example ABCD-EFGH-JK"
                )
            )
        return code


def _form_page(request: HttpRequest, form: CodeForm, *, status: int = 200) -> HttpResponse:
    errors = [
        {"href": f"#{form['code'].id_for_label}", "text": error} for error in form["code"].errors
    ]
    return page(
        request,
        "patient/enter_code.html",
        {"form": form, "error_summary": errors},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enter_code(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, CodeForm())
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    code = form.cleaned_data["code"]
    try:
        limit_guess(
            request,
            lambda: invitation_resolve(code),
            wrong=(InvitationExpired, InvitationUnavailable),
        )
    except GuessRefused as refused:
        answer = page(request, "patient/rate_limited.html", status=429)
        answer["Retry-After"] = str(refused.retry_after)
        return answer
    except InvitationExpired:
        return page(request, "patient/link_problem.html", {"expired": True}, status=410)
    except InvitationUnavailable:
        form.add_error(
            "code",
            _(
                "This code does not work. Check it against your letter; if it still does not "
                "work, contact your clinic"
            ),
        )
        return _form_page(request, form, status=400)
    return redirect(reverse("patient:landing", kwargs={"token": code}))
