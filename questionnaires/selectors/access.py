"""Who may see which patient data: a clinician sees only the invitations of their own teams.

Being staff or a superuser grants nothing here: content admins work in the Django admin, and
only team membership opens the clinician workspace. Views fetch objects through these
querysets, so an object of another team is simply not found (a 404 that does not confirm it
exists, never a 403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from questionnaires.models import Invitation, Response, Team


def teams_for_user(user) -> QuerySet[Team]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Team.objects.none()
    return Team.objects.filter(members=user)


def invitations_for_user(user) -> QuerySet[Invitation]:
    # A subquery rather than a join through the membership table: a user in several teams
    # must not see an invitation twice, and the database can still use the team index.
    return Invitation.objects.filter(team__in=teams_for_user(user).values("pk"))


def responses_for_user(user) -> QuerySet[Response]:
    return Response.objects.filter(
        is_preview=False, invitation__team__in=teams_for_user(user).values("pk")
    )
