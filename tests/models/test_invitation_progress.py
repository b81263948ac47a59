"""``Invitation.progress``: the response's progress stored on the invitation (issue 14).

The dashboard reads the status from it (``selectors.dashboard``), so a wrong value would show
a submitted patient as "invited" (docs/clinical-safety.md, H-entry "Dashboard progress").
The old status CASE, over the invitation joined to its response, is kept here as the oracle:
every combination of response, review, revocation and expiry, reached by every kind of write
(create, ``QuerySet.update``, ``bulk_create``, delete) and by each service, must give the
same status through the stored column as through the join.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case as SqlCase
from django.db.models import CharField, Q, Value
from django.db.models import When as SqlWhen
from django.utils import timezone

from questionnaires.models import Invitation, Response, ResponseStatus, Team
from questionnaires.models.response import InvitationStatus, expected_progress_expression
from questionnaires.selectors.dashboard import (
    DashboardFilters,
    dashboard_invitations,
    dashboard_status_counts,
    invitation_status_expression,
)
from questionnaires.services.invitation_progress import invitations_with_wrong_progress
from questionnaires.services.invitations import invitation_revoke
from questionnaires.services.responses import response_start, response_submit
from questionnaires.services.retention import drafts_purge, response_erase
from questionnaires.services.reviews import response_mark_reviewed
from tests import clinic_factories as make
from tests.factories import clinic_definition, invite, publish
from tests.services.test_responses import answer_everything

pytestmark = pytest.mark.django_db

TRIGGERS = {
    "postgresql": {"response_invitation_progress"},
    "sqlite": {
        "response_invitation_progress_insert",
        "response_invitation_progress_update",
        "response_invitation_progress_delete",
    },
}


def joined_status_expression(*, now: dt.datetime) -> SqlCase:
    """The dashboard status as it was computed before the column: over the join."""
    submitted = Q(response__status=ResponseStatus.SUBMITTED, response__is_preview=False)
    return SqlCase(
        SqlWhen(
            submitted & Q(response__reviewed_at__isnull=False),
            then=Value(InvitationStatus.REVIEWED),
        ),
        SqlWhen(submitted, then=Value(InvitationStatus.SUBMITTED)),
        SqlWhen(revoked_at__isnull=False, then=Value(InvitationStatus.REVOKED)),
        SqlWhen(expires_at__lte=now, then=Value(InvitationStatus.EXPIRED)),
        SqlWhen(response__isnull=False, then=Value(InvitationStatus.IN_PROGRESS)),
        default=Value(InvitationStatus.INVITED),
        output_field=CharField(),
    )


# What the invitation's response is: none, or (status, preview).
RESPONSE_KINDS = {
    "none": None,
    "in progress": (ResponseStatus.IN_PROGRESS, False),
    "submitted": (ResponseStatus.SUBMITTED, False),
    "preview in progress": (ResponseStatus.IN_PROGRESS, True),
    "preview submitted": (ResponseStatus.SUBMITTED, True),
}
# Expiry: a link that still works, one that stopped at this very instant (the boundary the
# status compares with ``<=``), one that stopped yesterday.
EXPIRIES = {
    "open": dt.timedelta(days=1),
    "expires now": dt.timedelta(0),
    "expired": -dt.timedelta(days=1),
}
COMBINATIONS = list(itertools.product(RESPONSE_KINDS, (False, True), (False, True), EXPIRIES))


@pytest.fixture
def clinic():
    team = make.team("Progress team")
    questionnaire = make.published_questionnaire()
    return team, questionnaire


def _invitation(team, questionnaire, *, number: int, revoked: bool, expiry: str, now):
    return Invitation.objects.create(
        token_hash=f"progress-{number:055d}",
        patient_ref=f"PR-{number}",
        team=team,
        questionnaire=questionnaire,
        created_at=now - dt.timedelta(days=20),
        expires_at=now + EXPIRIES[expiry],
        revoked_at=now - dt.timedelta(hours=1) if revoked else None,
    )


def _response_fields(kind: str, *, reviewed: bool, now) -> dict | None:
    shape = RESPONSE_KINDS[kind]
    if shape is None:
        return None
    status, preview = shape
    return {
        "status": status,
        "is_preview": preview,
        "submitted_at": now if status == ResponseStatus.SUBMITTED else None,
        # A review time on an unsubmitted or preview response: the rule must ignore it.
        "reviewed_at": now if reviewed else None,
    }


def assert_column_agrees_with_the_join(now):
    """Every invitation: the status from the column is the status from the join, the stored
    progress is what the response says, and the status filter and counts agree with both."""
    rows = Invitation.objects.annotate(
        joined=joined_status_expression(now=now),
        stored=invitation_status_expression(now=now),
        expected=expected_progress_expression(),
    ).values_list("pk", "joined", "stored", "progress", "expected")
    rows = list(rows)
    assert rows
    for pk, joined, stored, progress, expected in rows:
        assert stored == joined, (pk, progress)
        assert progress == expected, pk
    assert not invitations_with_wrong_progress().exists()
    return {pk: joined for pk, joined, *_rest in rows}


def assert_dashboard_agrees(user, expected_by_pk: dict[int, str], now) -> None:
    counts = dashboard_status_counts(user=user, filters=DashboardFilters(), now=now)
    for status in InvitationStatus.values:
        wanted = {pk for pk, joined in expected_by_pk.items() if joined == status}
        listed = set(
            dashboard_invitations(
                user=user, filters=DashboardFilters(status=status), now=now
            ).values_list("pk", flat=True)
        )
        assert listed == wanted, status
        assert counts[status] == len(wanted), status


def test_every_combination_gives_the_status_the_join_gave(clinic):
    """Response none / in progress / submitted / preview (in progress or submitted) × reviewed
    × revoked × expired, each row created the way factories create them."""
    team, questionnaire = clinic
    clinician = make.user("progress-clinician", team=team)
    now = timezone.now()
    for number, (kind, reviewed, revoked, expiry) in enumerate(COMBINATIONS):
        invitation = _invitation(
            team, questionnaire, number=number, revoked=revoked, expiry=expiry, now=now
        )
        fields = _response_fields(kind, reviewed=reviewed, now=now)
        if fields is not None:
            Response.objects.create(
                invitation=invitation, version=questionnaire.published_version(), **fields
            )
    by_pk = assert_column_agrees_with_the_join(now)
    assert set(by_pk.values()) == set(InvitationStatus.values)  # every status is reached
    assert_dashboard_agrees(clinician, by_pk, now)


def test_every_transition_by_queryset_update_bulk_create_and_delete_keeps_the_column(clinic):
    """Writes no ``save()`` sees: every response goes from every combination to every other
    by ``QuerySet.update``, then all are deleted in bulk and created again by ``bulk_create``."""
    team, questionnaire = clinic
    clinician = make.user("progress-clinician", team=team)
    version = questionnaire.published_version()
    now = timezone.now()
    kinds = [kind for kind in RESPONSE_KINDS if RESPONSE_KINDS[kind] is not None]
    states = list(itertools.product(kinds, (False, True)))
    invitations = [
        _invitation(team, questionnaire, number=number, revoked=revoked, expiry=expiry, now=now)
        for number, (revoked, expiry) in enumerate(itertools.product((False, True), EXPIRIES))
    ]
    Response.objects.bulk_create(
        [Response(invitation=invitation, version=version) for invitation in invitations]
    )
    assert_column_agrees_with_the_join(now)
    for (kind, reviewed), (next_kind, next_reviewed) in itertools.product(states, states):
        Response.objects.filter(invitation__in=invitations).update(
            **_response_fields(kind, reviewed=reviewed, now=now)
        )
        assert_column_agrees_with_the_join(now)
        Response.objects.filter(invitation__in=invitations).update(
            **_response_fields(next_kind, reviewed=next_reviewed, now=now)
        )
        by_pk = assert_column_agrees_with_the_join(now)
    assert_dashboard_agrees(clinician, by_pk, now)
    # One column at a time, since an UPDATE that sets them all would fire any trigger.
    responses = Response.objects.filter(invitation__in=invitations)
    responses.update(status=ResponseStatus.SUBMITTED, is_preview=False, reviewed_at=None)
    for change in (
        {"reviewed_at": now},
        {"is_preview": True},
        {"is_preview": False},
        {"reviewed_at": None},
        {"status": ResponseStatus.IN_PROGRESS},
        {"status": ResponseStatus.SUBMITTED},
    ):
        responses.update(**change)
        assert_column_agrees_with_the_join(now)
    Response.objects.filter(invitation__in=invitations).delete()
    by_pk = assert_column_agrees_with_the_join(now)
    assert set(Invitation.objects.values_list("progress", flat=True)) == {"invited"}
    assert_dashboard_agrees(clinician, by_pk, now)
    Response.objects.bulk_create(
        [
            Response(
                invitation=invitation,
                version=version,
                **_response_fields("submitted", reviewed=True, now=now),
            )
            for invitation in invitations
        ]
    )
    by_pk = assert_column_agrees_with_the_join(now)
    assert set(Invitation.objects.values_list("progress", flat=True)) == {"reviewed"}
    # A response moved to another invitation: both invitations are set right.
    moved = Response.objects.get(invitation=invitations[0])
    spare = _invitation(team, questionnaire, number=99, revoked=False, expiry="open", now=now)
    Response.objects.filter(pk=moved.pk).update(invitation=spare)
    assert_column_agrees_with_the_join(now)
    assert Invitation.objects.get(pk=invitations[0].pk).progress == "invited"
    assert Invitation.objects.get(pk=spare.pk).progress == "reviewed"


def test_each_service_keeps_the_column_right():
    """Invite, start, save steps, submit, review, revoke, erase; and the draft purge."""
    version = publish(clinic_definition())
    team = Team.objects.create(name="Service team")
    clinician = make.user("service-clinician", team=team)
    invitation, _token = invite(version, team=team)
    seen = [assert_column_agrees_with_the_join(timezone.now())[invitation.pk]]
    response = response_start(invitation=invitation)
    seen.append(assert_column_agrees_with_the_join(timezone.now())[invitation.pk])
    response = answer_everything(response)
    response = response_submit(response=response, expected_revision=response.revision)
    seen.append(assert_column_agrees_with_the_join(timezone.now())[invitation.pk])
    response_mark_reviewed(response=response, actor=clinician)
    seen.append(assert_column_agrees_with_the_join(timezone.now())[invitation.pk])
    invitation_revoke(invitation=invitation, actor=clinician)
    seen.append(assert_column_agrees_with_the_join(timezone.now())[invitation.pk])
    response_erase(response=response, actor=clinician)
    seen.append(assert_column_agrees_with_the_join(timezone.now())[invitation.pk])
    assert seen == ["invited", "in_progress", "submitted", "reviewed", "reviewed", "revoked"]
    assert Invitation.objects.get(pk=invitation.pk).progress == "invited"

    # A draft whose link expired long ago is purged: the invitation is back to no response.
    draft_invitation, _token = invite(version, team=team, patient_ref="P-0002")
    response_start(invitation=draft_invitation)
    Invitation.objects.filter(pk=draft_invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=400)
    )
    assert Invitation.objects.get(pk=draft_invitation.pk).progress == "in_progress"
    assert drafts_purge(days=30) == 1
    assert Invitation.objects.get(pk=draft_invitation.pk).progress == "invited"
    assert_column_agrees_with_the_join(timezone.now())


def test_a_stale_invitation_saved_whole_does_not_write_its_old_progress_back(clinic):
    """An admin form or any code holding an invitation read before the patient submitted."""
    team, questionnaire = clinic
    now = timezone.now()
    invitation = _invitation(team, questionnaire, number=1, revoked=False, expiry="open", now=now)
    stale = Invitation.objects.get(pk=invitation.pk)
    make.response(invitation=invitation, state=InvitationStatus.SUBMITTED)
    stale.appointment_date = dt.date(2027, 1, 5)
    stale.save()
    stored = Invitation.objects.get(pk=invitation.pk)
    assert (stored.progress, stored.appointment_date) == ("submitted", dt.date(2027, 1, 5))


def test_the_triggers_that_keep_the_column_exist():
    """SQLite drops a table's triggers when a migration rebuilds it: this says so."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'questionnaires_response'::regclass"
                " AND NOT tgisinternal"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {row[0] for row in cursor.fetchall()}
    assert TRIGGERS[connection.vendor] <= names


def _corrupt(invitation: Invitation, progress: str) -> None:
    # ``QuerySet.update`` of the invitation itself: the one write the triggers do not watch.
    Invitation.objects.filter(pk=invitation.pk).update(progress=progress)


def test_the_check_command_finds_and_fixes_rows_that_disagree(clinic, capsys):
    team, questionnaire = clinic
    submitted = make.invitation(
        team=team, questionnaire=questionnaire, state=InvitationStatus.SUBMITTED
    )
    invited = make.invitation(team=team, questionnaire=questionnaire, patient_ref="P-0002")
    in_progress = make.invitation(
        team=team, questionnaire=questionnaire, state=InvitationStatus.IN_PROGRESS
    )
    call_command("invitation_progress_check")
    assert "agrees" in capsys.readouterr().out
    _corrupt(submitted, "invited")
    _corrupt(invited, "reviewed")
    with pytest.raises(CommandError) as raised:
        call_command("invitation_progress_check")
    message = str(raised.value)
    assert f"2 invitation(s) disagree with their response: {submitted.pk}, {invited.pk}" in message
    assert "P-000" not in message  # ids only, never the patient reference
    assert Invitation.objects.get(pk=submitted.pk).progress == "invited"  # the check writes nothing
    call_command("invitation_progress_check", "--fix")
    assert f"2 invitation(s) repaired: {submitted.pk}, {invited.pk}" in capsys.readouterr().out
    progress = dict(Invitation.objects.values_list("pk", "progress"))
    assert progress == {
        submitted.pk: "submitted",
        invited.pk: "invited",
        in_progress.pk: "in_progress",
    }
    call_command("invitation_progress_check")
    assert "agrees" in capsys.readouterr().out


def test_the_check_finds_a_response_changed_while_the_column_was_not(clinic):
    """The check's own definition does not read the stored column: it finds a row whose
    response changed while the column did not (as with the triggers missing)."""
    team, questionnaire = clinic
    invitation = make.invitation(
        team=team, questionnaire=questionnaire, state=InvitationStatus.IN_PROGRESS
    )
    _corrupt(invitation, "in_progress")  # what a missed trigger leaves: the old value
    Response.objects.filter(invitation=invitation).update(
        status=ResponseStatus.SUBMITTED, submitted_at=timezone.now()
    )
    _corrupt(invitation, "in_progress")
    wrong = list(invitations_with_wrong_progress().values_list("pk", "expected"))
    assert wrong == [(invitation.pk, "submitted")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_column_of_existing_rows():
    """Back to 0011 (the column and triggers gone), forward again: existing invitations get
    their progress from their responses, not the column's default."""
    team = make.team("Migration team")
    questionnaire = make.published_questionnaire()
    rows = {
        state: make.invitation(
            team=team, questionnaire=questionnaire, state=state, patient_ref=f"M-{state}"
        ).pk
        for state in (
            InvitationStatus.INVITED,
            InvitationStatus.IN_PROGRESS,
            InvitationStatus.SUBMITTED,
            InvitationStatus.REVIEWED,
        )
    }
    executor = MigrationExecutor(connection)
    executor.migrate([("questionnaires", "0011_summarydocument_file")])
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(
            cursor, "questionnaires_invitation"
        )
    assert "progress" not in {column.name for column in columns}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("questionnaires"))
    progress = dict(Invitation.objects.values_list("pk", "progress"))
    assert progress == {pk: state for state, pk in rows.items()}
    test_the_triggers_that_keep_the_column_exist()


def test_the_patient_reference_search_has_a_trigram_index_on_postgresql_only():
    """On the expression Django's ``icontains`` compares, ``UPPER(patient_ref::text)``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'invitation_ref_trigram'"
            )
            (definition,) = cursor.fetchone()
            assert "USING gin (upper((patient_ref)::text) gin_trgm_ops)" in definition
        else:
            indexes = connection.introspection.get_constraints(cursor, "questionnaires_invitation")
            assert "invitation_ref_trigram" not in indexes
