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


def invitations_for_teams(teams) -> QuerySet[Invitation]:
    """The invitations of ``teams``, which the caller took from ``teams_for_user``.

    The ids go into the SQL as literals: with one team the database walks the
    ``(team, -created_at)`` index in order and stops after a page, where the subquery of
    ``invitations_for_user`` made PostgreSQL read and sort every row of the team.
    """
    return Invitation.objects.filter(team_id__in=[team.pk for team in teams])


def responses_for_user(user) -> QuerySet[Response]:
    return Response.objects.filter(
        is_preview=False, invitation__team__in=teams_for_user(user).values("pk")
    )
