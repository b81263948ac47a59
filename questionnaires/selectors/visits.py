"""A patient's visits: the responses they submitted before, in the same team.

"The same patient" is the same ``patient_ref`` on an invitation of the same team (the clinic's
own reference; SDM has no patient table). The clinician's response page lists these visits
and the summary draws their scores as a trend, so both read them through this one definition.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from questionnaires.models import Response, ResponseStatus


def earlier_visits(
    response: Response, *, within: QuerySet[Response] | None = None
) -> QuerySet[Response]:
    """The same patient's submitted responses in the same team before ``response``, newest
    first (``response`` itself and admin previews never count).

    ``within`` narrows the search to what the reader may see (``responses_for_user``). A
    response without an invitation or a team has no earlier visits.
    """
    responses = Response.objects.all() if within is None else within
    invitation = response.invitation
    if invitation is None or invitation.team_id is None:
        return responses.none()
    return (
        responses.filter(
            invitation__team_id=invitation.team_id,
            invitation__patient_ref=invitation.patient_ref,
            status=ResponseStatus.SUBMITTED,
            is_preview=False,
            submitted_at__lt=response.submitted_at or timezone.now(),
        )
        .exclude(pk=response.pk)
        .order_by("-submitted_at")
    )
