"""Demo accounts: idempotent, admin and clinician rights kept apart."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model

from questionnaires.models import Team
from questionnaires.services.demo_accounts import demo_accounts_ensure

pytestmark = pytest.mark.django_db


def _teams(username: str) -> set[str]:
    return set(Team.objects.filter(members__username=username).values_list("name", flat=True))


def test_creates_the_documented_accounts_and_teams():
    printed = demo_accounts_ensure()
    assert [username for _role, username, _password in printed] == [
        "admin",
        "clinician",
        "clinician2",
        "other_clinician",
    ]
    for _role, username, password in printed:
        assert authenticate(username=username, password=password) is not None
    users = get_user_model().objects
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert _teams("admin") == set()
    for clinician in ("clinician", "clinician2", "other_clinician"):
        account = users.get(username=clinician)
        assert not account.is_staff and not account.is_superuser
    assert _teams("clinician") == _teams("clinician2") == {"Demo clinic"}
    assert _teams("other_clinician") == {"Other clinic"}


def test_running_twice_changes_nothing_and_restores_the_demo_state():
    first = demo_accounts_ensure()
    clinician = get_user_model().objects.get(username="clinician")
    clinician.set_password("changed-by-someone")
    clinician.is_staff = True
    clinician.save()
    Team.objects.get(name="Other clinic").members.add(clinician)

    assert demo_accounts_ensure() == first
    assert get_user_model().objects.count() == 4
    assert Team.objects.count() == 2
    clinician.refresh_from_db()
    assert not clinician.is_staff
    assert _teams("clinician") == {"Demo clinic"}
    assert authenticate(username="clinician", password=first[1][2]) is not None
