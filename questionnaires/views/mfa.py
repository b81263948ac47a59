"""The second factor for staff: enrol an authenticator app (TOTP), then a code at each login.

django-otp does the cryptography and throttles wrong codes per device (doubling waits);
``questionnaires.middleware.RequireSecondFactor`` sends every logged-in staff member here
until the session is verified, when ``SDM_REQUIRE_MFA`` is on (the production default).
"""

from __future__ import annotations

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from questionnaires.models import AuditAction
from questionnaires.redirects import safe_next
from questionnaires.services.audit import audit_record


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    return safe_next(request, candidate, default=reverse("clinician:dashboard"))


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user_has_device(user):
        return redirect("mfa_enrol")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "code",
            _("That code did not work. Wait for the next one and try again."),
        )
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": _next_url(request) if "next" in request.GET else ""},
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user_has_device(user) and not getattr(user, "is_verified", lambda: False)():
        return redirect("mfa_verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(action=AuditAction.MFA_ENROLLED, actor=user, object_repr=f"user {user.pk}")
            return redirect(_next_url(request))
        form.add_error(
            "code", _("That code did not work. Check the clock of your phone and try again.")
        )
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=4, title=str(_("QR code for your authenticator app"))),
        "secret": _grouped(device.config_url.split("secret=", 1)[1].split("&", 1)[0]),
    }
    return render(request, "registration/mfa_enrol.html", context)


def _grouped(secret: str) -> str:
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))
