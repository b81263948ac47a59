"""The clinician workspace: dashboard, invite a patient, revoke, response page, review.

Access: login, then membership of a team. Staff or superuser status grants nothing here.
Every object is fetched through ``selectors.access``, so another team's invitation or
response is a 404 (never a 403 that would confirm it exists).
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questionnaires.models import AuditAction, Invitation, Response
from questionnaires.models.response import InvitationStatus
from questionnaires.pdf.letters import (
    code_page_url,
    invitation_code_text,
    invitation_letter_pdf,
    patient_link,
    qr_code_svg,
)
from questionnaires.selectors.access import (
    invitations_for_user,
    responses_for_user,
)
from questionnaires.selectors.dashboard import (
    SORTS,
    dashboard_page,
    dashboard_status_counts,
    invitation_status_expression,
)
from questionnaires.selectors.visits import earlier_visits
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitations import (
    InvitationAlreadyCreated,
    invitation_create,
    invitation_revoke,
)
from questionnaires.services.reviews import response_mark_reviewed
from questionnaires.views.access import clinician_required
from questionnaires.views.clinician_forms import DashboardFilterForm, InviteForm
from questionnaires.views.summary import summary_page_context

DASHBOARD_PAGE_SIZE = 50
# An invitation whose link still works: it can be revoked, and its letter printed again.
REVOCABLE = {InvitationStatus.INVITED, InvitationStatus.IN_PROGRESS}
STATUS_LABELS = dict(InvitationStatus.choices)


def _invitation_with_status(request: HttpRequest, pk: int) -> Invitation:
    queryset = invitations_for_user(request.user).annotate(
        dashboard_status=invitation_status_expression(now=timezone.now())
    )
    return get_object_or_404(queryset.select_related("team"), pk=pk)


def _row_id(value: str | None) -> int | None:
    """A pagination cursor: a row's primary key, or None for anything else (first page)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


@require_GET
@clinician_required
def dashboard(request: HttpRequest, *, teams) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else ""
    filters = replace(form.filters(), sort=sort)
    now = timezone.now()
    page = dashboard_page(
        user=request.user,
        filters=filters,
        size=DASHBOARD_PAGE_SIZE,
        after=_row_id(request.GET.get("after")),
        before=_row_id(request.GET.get("before")),
        last=request.GET.get("page") == "last",
        now=now,
        teams=teams,
    )
    # Counts per status under the other filters, so each status link shows what it would list.
    counts = dashboard_status_counts(
        user=request.user, filters=replace(filters, status=""), now=now, teams=teams
    )
    query = request.GET.copy()
    for pagination_parameter in ("page", "after", "before"):
        query.pop(pagination_parameter, None)
    without_status = query.copy()
    without_status.pop("status", None)
    sort_links = {}
    for column in ("appointment", "flags"):
        # First click: soonest appointment / most red flags first; the next click reverses.
        first = column if column == "appointment" else f"-{column}"
        reverse_of_first = first[1:] if first.startswith("-") else f"-{first}"
        with_sort = query.copy()
        with_sort["sort"] = reverse_of_first if sort == first else first
        current = (
            ("ascending" if not sort.startswith("-") else "descending")
            if sort.lstrip("-") == column
            else ""
        )
        sort_links[column] = {"query": with_sort.urlencode(), "aria_sort": current}
    status_links = []
    for status, label in STATUS_LABELS.items():
        with_status = without_status.copy()
        with_status["status"] = status
        status_links.append((status, label, counts.get(status, 0), with_status.urlencode()))
    return render(
        request,
        "clinician/dashboard.html",
        {
            "form": form,
            "page": page,
            "rows": [(row, STATUS_LABELS.get(row.dashboard_status, "")) for row in page.rows],
            "status_links": status_links,
            "status_query_any": without_status.urlencode(),
            "total_count": sum(counts.values()),
            "matching_count": counts.get(filters.status, 0)
            if filters.status
            else sum(counts.values()),
            "active_status": filters.status,
            "filter_query": query.urlencode(),
            "revocable": REVOCABLE,
            "sort_links": sort_links,
        },
    )


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
@clinician_required
@sensitive_variables("token", "link")
def invitation_new(request: HttpRequest, *, teams) -> HttpResponse:
    if request.method == "GET":
        form = InviteForm(teams=teams, initial={"submission_id": secrets.token_urlsafe(24)})
        return render(request, "clinician/invite.html", {"form": form})
    form = InviteForm(request.POST, teams=teams)
    if not form.is_valid():
        return render(request, "clinician/invite.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        invitation, token = invitation_create(
            questionnaire=data["questionnaire"],
            patient_ref=data["patient_ref"],
            disease=data["condition"],
            language=data["language"],
            days=data["days"],
            team=data["team"],
            actor=request.user,
            idempotency_key=data["submission_id"],
            appointment_date=data.get("appointment_date"),
        )
    except InvitationAlreadyCreated:
        return render(request, "clinician/invitation_already_created.html", status=409)
    except ServiceRefused as refused:
        for message in refused.messages:
            form.add_error(None, message)
        return render(request, "clinician/invite.html", {"form": form}, status=400)
    link = patient_link(token)
    # The only response that ever carries the token besides the patient link itself:
    # never cached, and the letter is downloaded by posting the token back (see pdf/letters.py).
    return render(
        request,
        "clinician/invitation_created.html",
        {
            "invitation": invitation,
            "link": link,
            "token": token,
            "qr_svg": qr_code_svg(link=link),
            "code": invitation_code_text(token),
            "code_page": code_page_url(),
            "questionnaire_title": form.fields["questionnaire"].label_from_instance(
                data["questionnaire"]
            ),
        },
    )


@sensitive_post_parameters("token")
@never_cache
@require_POST
@clinician_required
@sensitive_variables("token")
def invitation_letter(request: HttpRequest, pk: int, *, teams) -> HttpResponse:
    invitation = _invitation_with_status(request, pk)
    token = request.POST.get("token", "")
    # A wrong token looks exactly like an unknown invitation.
    if not token or len(token) > 200 or not invitation.matches(token):
        raise Http404
    if invitation.dashboard_status not in REVOCABLE:
        return render(
            request,
            "clinician/letter_unavailable.html",
            {"status_label": STATUS_LABELS[invitation.dashboard_status]},
            status=409,
        )
    pdf = invitation_letter_pdf(invitation=invitation, token=token)
    # Printing a letter hands a working link to someone: who did it, for which invitation.
    audit_record(
        action=AuditAction.LETTER_PRINTED,
        actor=request.user,
        team=invitation.team,
        invitation_id=invitation.pk,
        object_repr=f"invitation {invitation.pk}",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="invitation-letter-{invitation.pk}.pdf"'
    )
    return response


@require_http_methods(["GET", "POST"])
@clinician_required
def invitation_revoke_view(request: HttpRequest, pk: int, *, teams) -> HttpResponse:
    invitation = _invitation_with_status(request, pk)
    revocable = invitation.dashboard_status in REVOCABLE
    if request.method == "POST" and revocable:
        try:
            invitation_revoke(invitation=invitation, actor=request.user)
        except ServiceRefused as refused:
            for message in refused.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("The invitation for %(ref)s is revoked; its link no longer works.")
                % {"ref": invitation.patient_ref},
            )
        return redirect("clinician:dashboard")
    return render(
        request,
        "clinician/invitation_revoke.html",
        {
            "invitation": invitation,
            "revocable": revocable,
            "status_label": STATUS_LABELS[invitation.dashboard_status],
        },
        status=200 if revocable or request.method == "GET" else 409,
    )


@require_GET
@clinician_required
def response_detail(request: HttpRequest, pk: int, *, teams) -> HttpResponse:
    response = get_object_or_404(
        responses_for_user(request.user).select_related(
            "invitation__team", "invitation__questionnaire", "version", "reviewed_by"
        ),
        pk=pk,
    )
    invitation = response.invitation
    audit_record(
        action=AuditAction.SUMMARY_VIEWED,
        actor=request.user,
        team=invitation.team,
        invitation_id=invitation.pk,
        response_id=response.pk,
        object_repr=f"response {response.pk}",
    )
    context = response_detail_context(request, response)
    if response.is_submitted:
        context.update(summary_page_context(request=request, response=response))
    return render(request, "clinician/response_detail.html", context)


def response_detail_context(request: HttpRequest, response: Response) -> dict:
    """The header facts of the response page (the summary is added below them)."""
    invitation = response.invitation
    now = timezone.now()
    status = (
        invitations_for_user(request.user)
        .annotate(dashboard_status=invitation_status_expression(now=now))
        .values_list("dashboard_status", flat=True)
        .get(pk=invitation.pk)
    )
    earlier = (
        earlier_visits(response, within=responses_for_user(request.user))
        .select_related("version")
        .only("pk", "submitted_at", "reviewed_at", "version__number", "version__title")
    )
    return {
        "response": response,
        "invitation": invitation,
        "status": status,
        "status_label": STATUS_LABELS.get(status, ""),
        "can_review": response.is_submitted and response.reviewed_at is None,
        "earlier_submissions": earlier,
    }


@require_POST
@clinician_required
def response_review(request: HttpRequest, pk: int, *, teams) -> HttpResponse:
    response = get_object_or_404(responses_for_user(request.user), pk=pk)
    try:
        response_mark_reviewed(response=response, actor=request.user)
    except ServiceRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("clinician:response_detail", pk=response.pk)
