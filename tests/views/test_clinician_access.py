"""Who may open the clinician workspace: login, own team only, admin rights kept apart."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from questionnaires.models import AuditAction, AuditEvent
from questionnaires.models.response import InvitationStatus
from questionnaires.pdf.letters import patient_link
from questionnaires.services.invitations import invitation_create
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    questionnaire = make.published_questionnaire()
    demo, other = make.team("Demo clinic"), make.team("Other clinic")
    submitted = make.invitation(
        team=demo,
        questionnaire=questionnaire,
        state=InvitationStatus.SUBMITTED,
        patient_ref="OURS-1",
    )
    invited = make.invitation(team=demo, questionnaire=questionnaire, patient_ref="OURS-2")
    return {
        "questionnaire": questionnaire,
        "demo": demo,
        "other": other,
        "response": submitted.response,
        "invited": invited,
        "clinician": make.user("clinician", team=demo),
        "outsider": make.user("other_clinician", team=other),
    }


def _patient_events():
    return AuditEvent.objects.filter(
        action__in=[
            AuditAction.SUMMARY_VIEWED,
            AuditAction.SUMMARY_REVIEWED,
            AuditAction.INVITATION_REVOKED,
        ]
    )


def _pages(world) -> list[tuple[str, str]]:
    """(method, url) of every clinician page that is about one team's patient."""
    response_pk, invitation_pk = world["response"].pk, world["invited"].pk
    return [
        ("get", reverse("clinician:response_detail", args=[response_pk])),
        ("post", reverse("clinician:response_review", args=[response_pk])),
        ("get", reverse("clinician:invitation_revoke", args=[invitation_pk])),
        ("post", reverse("clinician:invitation_revoke", args=[invitation_pk])),
        ("post", reverse("clinician:invitation_letter", args=[invitation_pk])),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    pages = [("get", reverse("clinician:dashboard")), ("get", reverse("clinician:invitation_new"))]
    for method, url in pages + _pages(world):
        answer = getattr(client, method)(url)
        assert answer.status_code == 302, url
        assert answer["Location"].startswith(reverse("login") + "?next="), url
    assert not _patient_events().exists()


def test_another_teams_clinician_gets_404_everywhere_and_changes_nothing(client, world):
    client.force_login(world["outsider"])
    for method, url in _pages(world):
        assert getattr(client, method)(url).status_code == 404, url
    world["invited"].refresh_from_db()
    world["response"].refresh_from_db()
    assert world["invited"].revoked_at is None
    assert world["response"].reviewed_at is None
    assert not _patient_events().exists()


def test_another_teams_rows_are_absent_from_the_dashboard(client, world):
    client.force_login(world["outsider"])
    page = client.get(reverse("clinician:dashboard")).content.decode()
    assert "OURS-1" not in page and "OURS-2" not in page
    client.force_login(world["clinician"])
    page = client.get(reverse("clinician:dashboard")).content.decode()
    assert "OURS-1" in page and "OURS-2" in page


def test_an_unknown_id_looks_the_same_as_another_teams_id(client, world):
    client.force_login(world["outsider"])
    missing = client.get(reverse("clinician:response_detail", args=[999_999]))
    theirs = client.get(reverse("clinician:response_detail", args=[world["response"].pk]))
    assert missing.status_code == theirs.status_code == 404
    assert missing.content == theirs.content


@pytest.mark.parametrize("flags", [{"is_staff": True, "is_superuser": True}, {"is_staff": True}])
def test_admin_rights_grant_nothing_in_the_clinician_workspace(client, world, flags):
    client.force_login(make.user("admin", **flags))
    dashboard = client.get(reverse("clinician:dashboard"))
    assert dashboard.status_code == 403
    assert "OURS-1" not in dashboard.content.decode()
    for method, url in _pages(world):
        assert getattr(client, method)(url).status_code == 403, url
    assert not _patient_events().exists()


def test_team_membership_grants_nothing_in_the_admin(client, world):
    client.force_login(world["clinician"])
    answer = client.get("/admin/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/")
    client.logout()
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "clinician", "password": make.PASSWORD, "next": "/admin/"},
    )
    assert login.status_code == 200  # the admin login form again, with an error
    assert client.get("/admin/").status_code == 302


def test_a_patient_token_opens_no_clinician_page(client, world):
    invitation, token = invitation_create(
        questionnaire=world["questionnaire"],
        patient_ref="PAT-9",
        disease="psoriasis",
        team=world["demo"],
    )
    # Whatever the patient link does (it is another part's page), it gives no clinician session.
    client.raise_request_exception = False
    client.get(urlsplit(patient_link(token)).path)
    client.raise_request_exception = True
    client.cookies["sessionid"] = token
    urls = [
        reverse("clinician:dashboard") + f"?token={token}",
        reverse("clinician:response_detail", args=[world["response"].pk]) + f"?token={token}",
    ]
    for url in urls:
        answer = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("login"))
    letter = client.post(
        reverse("clinician:invitation_letter", args=[invitation.pk]), {"token": token}
    )
    assert letter.status_code == 302
    assert letter["Location"].startswith(reverse("login"))


def test_each_view_of_a_response_page_writes_an_audit_row(client, world):
    client.force_login(world["clinician"])
    url = reverse("clinician:response_detail", args=[world["response"].pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    events = AuditEvent.objects.filter(action=AuditAction.SUMMARY_VIEWED)
    assert events.count() == 2
    event = events.first()
    assert (event.actor, event.team, event.response_id_ref, event.invitation_id_ref) == (
        world["clinician"],
        world["demo"],
        world["response"].pk,
        world["response"].invitation_id,
    )
    assert "OURS" not in event.object_repr  # ids, not the patient reference


def test_login_and_logout(client, world):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    bad = client.post(reverse("login"), {"username": "clinician", "password": "wrong"})
    assert bad.status_code == 200
    assert "There is a problem" in bad.content.decode()
    good = client.post(reverse("login"), {"username": "clinician", "password": make.PASSWORD})
    assert good.status_code == 302
    assert good["Location"] == reverse("clinician:dashboard")
    assert client.get(reverse("clinician:dashboard")).status_code == 200
    logged_out = client.post(reverse("logout"))
    assert logged_out.status_code == 302
    assert logged_out["Location"] == reverse("login")
    assert client.get(reverse("clinician:dashboard")).status_code == 302
