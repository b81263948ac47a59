"""A clinician marks a submitted response as reviewed (who, when), with an audit row."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from questionnaires.models import AuditAction, Response, ResponseStatus
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused


@transaction.atomic
def response_mark_reviewed(*, response: Response, actor) -> Response:
    """Record that ``actor`` reviewed ``response``; the first review is kept, never overwritten.

    Refuses a response that is not submitted, a preview, or one outside the actor's teams
    (views check access first; this is the same rule again where the write happens).
    """
    # Lock the row so two clinicians pressing the button at once record one review.
    locked = (
        Response.objects.select_for_update(of=("self",))
        .select_related("invitation")
        .get(pk=response.pk)
    )
    if locked.is_preview or locked.invitation is None:
        raise ServiceRefused([_("An admin preview cannot be reviewed.")])
    team_id = locked.invitation.team_id
    if team_id is None or not actor.sdm_teams.filter(pk=team_id).exists():
        raise ServiceRefused([_("Only a member of the patient's team can review this response.")])
    if locked.status != ResponseStatus.SUBMITTED:
        raise ServiceRefused([_("Only a submitted response can be marked as reviewed.")])
    if locked.reviewed_at is not None:
        return locked
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = actor
    locked.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
    audit_record(
        action=AuditAction.SUMMARY_REVIEWED,
        actor=actor,
        team=locked.invitation.team,
        invitation_id=locked.invitation_id,
        response_id=locked.pk,
        object_repr=f"response {locked.pk}",
    )
    return locked
