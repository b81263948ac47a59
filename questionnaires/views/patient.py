"""The patient's pages around the wizard: landing, start, resume, language, check, confirmation.

Every page starts with ``resolve_journey``: the invitation token (wrong guesses back off per
client address and site-wide, a right token is always served; unknown and revoked links
answered alike) or, for a content admin's
preview, a preview response id (staff only). The page language is the response's
(or the invitation's before a response exists), activated per request, so the
choice follows the patient to another device.

Nothing here writes except through the services; every response carries
``Cache-Control: no-store`` (shared kiosks, and the browser Back button then reloads
fresh pages rather than replaying stale forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind
from questionnaires.i18n import language_names, translate
from questionnaires.kinds import answer_text
from questionnaires.models import Invitation, QuestionnaireVersion, Response, VersionStatus
from questionnaires.patient.walk import Walk
from questionnaires.redirects import safe_next
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitations import (
    InvitationExpired,
    InvitationUnavailable,
    invitation_resolve,
    invitation_set_language,
    response_of,
)
from questionnaires.services.responses import (
    StaleRevision,
    SubmitIncomplete,
    response_set_language,
    response_start,
    response_submit,
)
from questionnaires.summary.patient_results import patient_results_context_for
from questionnaires.throttle import GuessRefused, limit_guess


@dataclass
class Journey:
    """One patient (or preview) visit: how to reach its pages and what it has so far."""

    invitation: Invitation | None
    response: Response | None
    token: str | None = None

    @property
    def is_preview(self) -> bool:
        return self.token is None

    def url(self, name: str, **kwargs: Any) -> str:
        if self.token is not None:
            return reverse(f"patient:{name}", kwargs={"token": self.token, **kwargs})
        return reverse(
            f"patient:preview_{name}", kwargs={"response_id": self.response.pk, **kwargs}
        )

    def step_url(self, step: str, *, returning: bool = False) -> str:
        url = self.url("step", step=step)
        return f"{url}?return=check" if returning else url

    @property
    def language(self) -> str:
        response = self.response
        if response is not None and (not response.is_submitted or self.invitation is None):
            return response.language
        if self.invitation is not None:
            return self.invitation.language
        return settings.LANGUAGE_CODE

    def version(self):
        if self.response is not None:
            return self.response.version
        # By the questionnaire's id: the journey query does not read the questionnaire row.
        return QuestionnaireVersion.objects.filter(
            questionnaire_id=self.invitation.questionnaire_id, status=VersionStatus.PUBLISHED
        ).first()


def no_store(response: HttpResponseBase) -> HttpResponseBase:
    add_never_cache_headers(response)
    return response


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    journey: Journey | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a patient page with what every page needs (language switch, links)."""
    context = dict(context or {})
    if journey is not None:
        context.setdefault("journey", journey)
        context.setdefault("language_url", journey.url("language"))
        context.setdefault("landing_url", journey.url("landing"))
        context.setdefault("next_url", request.get_full_path())
        context.setdefault("other_languages", other_languages(journey.language))
    return no_store(render(request, template, context, status=status))


def other_languages(current: str) -> list[dict[str, str]]:
    """The language buttons: each name written in its own language (never translated)."""
    own_names = {"en": "English", "zh-hans": "简体中文"}
    return [
        {"code": code, "name": own_names.get(code, str(name)), "lang": code}
        for code, name in language_names().items()
        if code != current
    ]


def activate_language(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


# --- finding the journey ----------------------------------------------------------------------


def resolve_journey(request: HttpRequest, kwargs: dict[str, Any]) -> Journey | HttpResponseBase:
    """The journey for the URL (token or preview id), or the page to answer instead."""
    if "response_id" in kwargs:
        return _preview_journey(request, kwargs["response_id"])
    return _token_journey(request, kwargs.get("token", ""))


def _token_journey(request: HttpRequest, token: str) -> Journey | HttpResponseBase:
    try:
        invitation = limit_guess(
            request,
            lambda: invitation_resolve(token),
            wrong=(InvitationExpired, InvitationUnavailable),
        )
    except GuessRefused as refused:
        answer = page(request, "patient/rate_limited.html", status=429)
        answer["Retry-After"] = str(refused.retry_after)
        return answer
    except InvitationExpired:
        return page(request, "patient/link_problem.html", {"expired": True}, status=410)
    except InvitationUnavailable:
        return page(request, "patient/link_problem.html", {"expired": False}, status=404)
    journey = Journey(invitation=invitation, response=response_of(invitation), token=token)
    activate_language(request, journey.language)
    return journey


def _preview_journey(request: HttpRequest, response_id: int) -> Journey | HttpResponseBase:
    user = request.user
    if not (user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    response = (
        Response.objects.select_related("version__questionnaire")
        .filter(pk=response_id, is_preview=True)
        .first()
    )
    if response is None:
        return page(request, "patient/link_problem.html", {"expired": False}, status=404)
    journey = Journey(invitation=None, response=response)
    activate_language(request, journey.language)
    return journey


def journey_view(handler):
    """Resolve the journey first; the handler gets it instead of the URL arguments."""

    def view(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        journey = resolve_journey(request, kwargs)
        if isinstance(journey, HttpResponseBase):
            return journey
        return no_store(handler(request, journey))

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


def resume_url(journey: Journey, walk: Walk | None = None) -> str:
    """Where "continue" leads: the first step still needing answers, else the check page."""
    response = journey.response
    if response is None:
        return journey.url("landing")
    if response.is_submitted:
        return journey.url("done")
    walk = walk or Walk.for_response(response)
    first = walk.first_incomplete
    if first is not None:
        return journey.step_url(first)
    return journey.url("check") if walk.step_keys else journey.url("landing")


# --- pages ------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@journey_view
def landing(request: HttpRequest, journey: Journey) -> HttpResponse:
    """What this is for, how long it takes, who sees the answers; start or continue."""
    response = journey.response
    if response is not None and response.is_submitted:
        return redirect(journey.url("done"))
    version = journey.version()
    context: dict[str, Any] = {"available": version is not None, "saved": "saved" in request.GET}
    if version is not None:
        definition = version_definition(version)
        context.update(
            title=translate(definition.title),
            description=translate(definition.description),
            minutes=definition.estimated_minutes,
            step_count=len(definition.steps),
        )
    if response is not None:
        context["resume_url"] = resume_url(journey)
    else:
        context["start_url"] = journey.url("start")
    return page(request, "patient/landing.html", context, journey=journey)


@require_http_methods(["POST"])
@journey_view
def start(request: HttpRequest, journey: Journey) -> HttpResponse:
    if journey.response is None:
        try:
            journey.response = response_start(
                invitation=journey.invitation, language=journey.language
            )
        except ServiceRefused:
            return redirect(journey.url("landing"))
    return redirect(resume_url(journey))


@require_http_methods(["GET", "HEAD"])
@journey_view
def resume(request: HttpRequest, journey: Journey) -> HttpResponse:
    return redirect(resume_url(journey))


@require_http_methods(["POST"])
@journey_view
def language(request: HttpRequest, journey: Journey) -> HttpResponse:
    """Switch language (a POST form on every page), then go back to the page."""
    chosen = request.POST.get("language", "")
    response = journey.response
    try:
        if response is not None and not response.is_submitted:
            response_set_language(response=response, language=chosen)
        elif journey.invitation is not None:
            invitation_set_language(invitation=journey.invitation, language=chosen)
    except ServiceRefused:
        pass  # an unknown language code changes nothing; the page is shown again
    base = journey.url("landing")
    return redirect(safe_next(request, request.POST.get("next"), default=base, within=base))


@require_http_methods(["GET", "HEAD", "POST"])
@journey_view
def check_answers(request: HttpRequest, journey: Journey) -> HttpResponse:
    """Every visible answer grouped by step, each with a "Change" link; submit from here."""
    response = journey.response
    if response is None:
        return redirect(journey.url("landing"))
    if response.is_submitted:
        return redirect(journey.url("done"))
    walk = Walk.for_response(response)
    if not walk.is_ready_to_check:
        return redirect(resume_url(journey, walk))
    status = 200
    conflict = False
    if request.method == "POST":
        try:
            response_submit(response=response, expected_revision=_revision(request))
        except StaleRevision:
            response.refresh_from_db()
            walk = Walk.for_response(response)
            conflict, status = True, 409
            if not walk.is_ready_to_check:
                return redirect(resume_url(journey, walk))
        except SubmitIncomplete as incomplete:
            return redirect(journey.step_url(incomplete.step) + "?incomplete=1")
        else:
            return redirect(journey.url("done"))
    context = {
        "sections": check_sections(journey, walk),
        "revision": response.revision,
        "conflict": conflict,
        "title": translate(walk.definition.title),
        "back_url": journey.step_url(walk.step_keys[-1]),
    }
    return page(request, "patient/check.html", context, journey=journey, status=status)


def _revision(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return None


def check_sections(journey: Journey, walk: Walk) -> list[dict[str, Any]]:
    sections = []
    for step in walk.steps:
        rows = []
        for question, value in walk.answered_items(step.key):
            change = journey.step_url(step.key, returning=True)
            rows.append(
                {
                    "key": question.key,
                    "question": translate(question.text),
                    "answered": is_answered(value),
                    "lines": answer_lines(question, value),
                    "change_url": f"{change}#question-{step.key}-{question.key}",
                }
            )
        sections.append({"key": step.key, "title": translate(step.title), "rows": rows})
    return sections


def answer_lines(question, value) -> list[str]:
    """An answer as lines of text: one per repeat-group row, one otherwise."""
    if not is_answered(value):
        return []
    if question.kind != Kind.REPEAT_GROUP:
        return [answer_text(question, value)]
    lines = []
    for row in value:
        parts = [
            f"{translate(child.text)}: {answer_text(child, row.get(child.key))}"
            for child in question.children
            if is_answered(row.get(child.key))
        ]
        lines.append("; ".join(parts))
    return lines


@require_http_methods(["GET", "HEAD"])
@journey_view
def confirmation(request: HttpRequest, journey: Journey) -> HttpResponse:
    """Read-only: the answers were sent, and what happens next."""
    response = journey.response
    if response is None or not response.is_submitted:
        return redirect(resume_url(journey))
    definition = version_definition(response.version)
    result = getattr(response, "result", None)
    context = {
        "title": translate(definition.title),
        "submitted_at": response.submitted_at,
        "response": response,
        "result": result,
        "summary_pdf_url": journey.url("summary_pdf") if result else None,
        "results": (
            patient_results_context_for(result=result, language=translation.get_language())
            if result
            else None
        ),
    }
    return page(request, "patient/confirmation.html", context, journey=journey)


def step_not_found(request: HttpRequest, journey: Journey) -> HttpResponse:
    return page(
        request,
        "patient/step_not_found.html",
        {"resume_url": resume_url(journey)},
        journey=journey,
        status=404,
    )


def bad_request(request: HttpRequest, journey: Journey) -> HttpResponse:
    message = _("This page could not be saved. Go back to your questions and try again.")
    return page(
        request,
        "patient/bad_request.html",
        {"message": message, "resume_url": resume_url(journey)},
        journey=journey,
        status=400,
    )
