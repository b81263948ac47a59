"""Acceptance 5: the audit log keeps who did what and cannot be bypassed."""

from __future__ import annotations

import getpass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import AuditAction, AuditEvent, Invitation, Response
from questionnaires.services.audit import audit_purge, audit_record
from tests import clinic_factories as make
from tests.factories import clinic_definition, invite, publish

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger is PostgreSQL's (SQLite is for development only)",
)


@pytest.fixture
def team():
    return make.team("Team A")


@pytest.fixture
def submitted(team):
    questionnaire = make.published_questionnaire()
    return make.invitation(team=team, questionnaire=questionnaire, state="submitted").response


def test_deleting_a_user_who_did_something_is_refused_and_deactivation_keeps_the_name(team):
    clinician = make.user("dr-who", team=team)
    audit_record(action=AuditAction.SUMMARY_VIEWED, actor=clinician, response_id=7)
    with pytest.raises(ProtectedError):
        clinician.delete()
    clinician.is_active = False
    clinician.save()
    row = AuditEvent.objects.get(response_id_ref=7)
    assert (row.actor_id, row.actor_name) == (clinician.pk, "dr-who")
    make.user("never-acted").delete()  # an account with no audit rows can go


def test_the_name_is_kept_even_if_the_account_is_renamed(team):
    clinician = make.user("old-name", team=team)
    audit_record(action=AuditAction.SUMMARY_VIEWED, actor=clinician, response_id=8)
    clinician.username = "new-name"
    clinician.save()
    assert AuditEvent.objects.get(response_id_ref=8).actor_name == "old-name"


def test_an_admin_delete_of_a_response_is_an_audited_erase_that_revokes_the_link(client):
    admin_user = get_user_model().objects.create_superuser("root", password="x" * 16)
    version = publish(clinic_definition())
    invitation, token = invite(version)
    assert client.post(reverse("patient:start", kwargs={"token": token})).status_code == 302
    response = Response.objects.get(invitation=invitation)
    client.force_login(admin_user)
    url = reverse("admin:questionnaires_response_delete", args=[response.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Response.objects.filter(pk=response.pk).exists()
    erased = AuditEvent.objects.get(action=AuditAction.RESPONSE_ERASED)
    assert (erased.response_id_ref, erased.actor_name) == (response.pk, "root")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    client.logout()
    link = client.get(reverse("patient:landing", kwargs={"token": token}))
    assert link.status_code == 404  # no "Start" again


def test_the_admin_bulk_delete_action_erases_each_response_too(client, submitted):
    admin_user = get_user_model().objects.create_superuser("root", password="x" * 16)
    client.force_login(admin_user)
    changelist = reverse("admin:questionnaires_response_changelist")
    answer = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [submitted.pk], "post": "yes"},
    )
    assert answer.status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.RESPONSE_ERASED, response_id_ref=submitted.pk
    ).exists()
    assert Invitation.objects.get(pk=submitted.invitation_id).revoked_at is not None


def test_erase_response_records_the_os_user_or_the_given_actor(submitted, team):
    call_command("erase_response", "--response", str(submitted.pk))
    row = AuditEvent.objects.get(action=AuditAction.RESPONSE_ERASED)
    assert row.actor_name == f"{getpass.getuser()} (erase_response)"
    other = make.invitation(
        team=team, questionnaire=submitted.version.questionnaire, state="submitted"
    ).response
    call_command("erase_response", "--response", str(other.pk), "--actor", "dpo@clinic")
    names = set(AuditEvent.objects.values_list("actor_name", flat=True))
    assert "dpo@clinic (erase_response)" in names


@on_postgresql
def test_postgresql_refuses_update_and_delete_of_audit_rows():
    row = audit_record(action=AuditAction.SUMMARY_VIEWED, actor_name="someone", response_id=9)
    table = AuditEvent._meta.db_table
    for statement in (
        f"UPDATE {table} SET actor_name = 'nobody' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).actor_name == "someone"


def test_only_the_retention_job_deletes_old_rows_and_it_says_so():
    old = AuditEvent.objects.create(
        action=AuditAction.SUMMARY_VIEWED,
        actor_name="a",
        at=timezone.now() - timedelta(days=800),
    )
    recent = audit_record(action=AuditAction.SUMMARY_VIEWED, actor_name="b", response_id=11)
    with pytest.raises(ValueError):
        audit_purge(older_than_days=30, actor_name="x")
    assert audit_purge(older_than_days=730, actor_name="ops (purge_audit)") == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_PURGED).count() == 1
