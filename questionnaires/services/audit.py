from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from questionnaires.models import AuditAction, AuditEvent

# The database setting the append-only trigger lets through (PostgreSQL, see the model).
RETENTION_SETTING = "sdm.audit_retention"
MINIMUM_AUDIT_RETENTION_DAYS = 365


def audit_record(
    *,
    action: AuditAction,
    actor=None,
    actor_name: str = "",
    team=None,
    invitation_id: int | None = None,
    response_id: int | None = None,
    object_repr: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. ``detail`` holds ids and codes, never answers or free text.

    ``actor_name`` defaults to the account's user name; commands pass the operating-system
    user (or their ``--actor``) when there is no account.
    """
    account = actor if getattr(actor, "is_authenticated", False) else None
    if not actor_name and account is not None:
        actor_name = account.get_username()
    return AuditEvent.objects.create(
        action=action,
        actor=account,
        actor_name=actor_name[:200],
        team=team,
        invitation_id_ref=invitation_id,
        response_id_ref=response_id,
        object_repr=object_repr[:200],
        detail=detail or {},
    )


@transaction.atomic
def audit_purge(*, older_than_days: int, actor_name: str, now=None) -> int:
    """The retention job: delete audit rows older than ``older_than_days`` (at least a year).

    The only way past the append-only guard: on PostgreSQL the trigger lets a DELETE
    through only inside a transaction that set ``sdm.audit_retention``. One new row says
    how many went and up to when.
    """
    if older_than_days < MINIMUM_AUDIT_RETENTION_DAYS:
        raise ValueError(f"audit rows are kept at least {MINIMUM_AUDIT_RETENTION_DAYS} days")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [RETENTION_SETTING])
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [cutoff])  # noqa: S608
        deleted = cursor.rowcount
    audit_record(
        action=AuditAction.AUDIT_PURGED,
        actor_name=actor_name,
        object_repr=f"{deleted} audit row(s) before {cutoff:%Y-%m-%d}",
        detail={"older_than_days": older_than_days, "deleted": deleted},
    )
    return deleted
