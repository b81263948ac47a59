"""Demo accounts for the local demo (``manage.py load_demo``), created idempotently.

The passwords below are fixed and public: they exist only so a local demo can be tried at
once. Never run ``load_demo`` against a database that holds real patient data.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from questionnaires.models import Team

DEMO_TEAM = "Demo clinic"
OTHER_TEAM = "Other clinic"
# Printed on the demo team's invitation letters (a made-up number from the UK's drama range).
DEMO_TEAM_CONTACT = (
    "Dermatology and neurology clinic\nTelephone 020 7946 0000 (weekdays 9:00–17:00)"
)

# (role shown when printing, username, password, team or None, is content admin)
_ACCOUNTS = (
    ("content admin", "admin", "demo-admin-pass", None, True),
    ("clinician", "clinician", "demo-clinician-pass", DEMO_TEAM, False),
    ("clinician", "clinician2", "demo-clinician2-pass", DEMO_TEAM, False),
    ("clinician (other team)", "other_clinician", "demo-other-pass", OTHER_TEAM, False),
)


@transaction.atomic
def demo_accounts_ensure() -> list[tuple[str, str, str]]:
    """Create or reset the demo users and teams; returns (role, username, password) to print.

    Running it again resets the demo passwords and memberships to the documented state.
    The content admin is a superuser in no team; the clinicians are not staff, so the admin
    and the clinician workspace stay separate.
    """
    user_model = get_user_model()
    printed = []
    for role, username, password, team_name, is_admin in _ACCOUNTS:
        user, _created = user_model.objects.get_or_create(username=username)
        user.is_staff = is_admin
        user.is_superuser = is_admin
        user.is_active = True
        user.set_password(password)
        user.save()
        user.sdm_teams.clear()
        if team_name is not None:
            team, _created = Team.objects.get_or_create(
                name=team_name,
                defaults={"contact": DEMO_TEAM_CONTACT if team_name == DEMO_TEAM else ""},
            )
            team.members.add(user)
        printed.append((role, username, password))
    return printed
