"""Who may open a clinician page: the decorator every clinician view wears.

Its own module so that the clinician pages (``views.clinician``) and the summary pages
(``views.summary``), which the response page embeds, share it without importing each other.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from questionnaires.selectors.access import teams_for_user


def clinician_required(view):
    """Login, then team membership; passes the user's teams to the view as ``teams``."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        teams = list(teams_for_user(request.user))
        if not teams:
            return render(request, "clinician/no_team.html", status=403)
        return view(request, *args, teams=teams, **kwargs)

    return wrapper
