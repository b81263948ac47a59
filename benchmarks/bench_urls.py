"""URLs for the benchmarks: the project's, plus the floor views they compare against.

A floor view does by hand the least work the real page must do, behind the same middleware,
so "real / floor" says how much the framework layers and our code add:

- ``bench/static/<path>``: a plain Django file view (the old comparison for stored PDFs);
- ``bench/pdf-floor/<response id>/``: an authorised, audited download: the session user,
  one team-membership read, one audit insert, a ``FileResponse`` of a file of the same size;
- ``bench/step-floor/<token>/``: a wizard step: one indexed read (the invitation by its
  token hash) and one write (the response row), then the same bytes as the real step page
  (GET) or a redirect after storing the posted fields (POST).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, re_path
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.static import serve

from questionnaires.models import AuditAction, AuditEvent, Invitation, Response, Team
from questionnaires.models.response import hash_token
from sdm.urls import urlpatterns as project_urlpatterns

# Set by the benchmark before it measures: the bytes a real step page sends, the PDF file.
FLOOR_PAGE: dict[str, bytes] = {"step": b""}
FLOOR_PDF: dict[str, Path] = {}


def pdf_floor(request: HttpRequest, response_id: int) -> HttpResponse:
    user = request.user  # the session user (session and user reads, as any login view)
    if not user.is_authenticated:
        return HttpResponse(status=403)
    team_id = (
        Team.objects.filter(members=user, invitations__response__pk=response_id)
        .values_list("pk", flat=True)
        .first()
    )
    if team_id is None:
        return HttpResponse(status=404)
    AuditEvent.objects.create(
        action=AuditAction.SUMMARY_PDF_DOWNLOADED,
        actor=user,
        team_id=team_id,
        response_id_ref=response_id,
        detail={"audience": "clinician", "language": "en"},
    )
    return FileResponse(
        open(FLOOR_PDF["path"], "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type="application/pdf",
        as_attachment=True,
        filename=f"summary-{response_id}-en.pdf",
    )


@require_http_methods(["GET", "POST"])
def step_floor(request: HttpRequest, token: str) -> HttpResponse:
    invitation_id = (
        Invitation.objects.filter(token_hash=hash_token(token)).values_list("pk", flat=True).first()
    )
    if invitation_id is None:
        return HttpResponse(status=404)
    if request.method == "POST":
        fields = {name: request.POST.getlist(name) for name in request.POST}
        Response.objects.filter(invitation_id=invitation_id).update(
            wizard_state={"floor": fields}, updated_at=timezone.now()
        )
        return HttpResponseRedirect(request.path)
    Response.objects.filter(invitation_id=invitation_id).update(updated_at=timezone.now())
    return HttpResponse(FLOOR_PAGE["step"])


urlpatterns = [
    *project_urlpatterns,
    re_path(r"^bench/static/(?P<path>.+)$", serve, {"document_root": settings.STATIC_ROOT}),
    path("bench/pdf-floor/<int:response_id>/", pdf_floor),
    path("bench/step-floor/<str:token>/", step_floor),
]
