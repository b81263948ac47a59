from __future__ import annotations

from typing import Any

from questionnaires.models import AuditAction, AuditEvent


def audit_record(
    *,
    action: AuditAction,
    actor=None,
    team=None,
    invitation_id: int | None = None,
    response_id: int | None = None,
    object_repr: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. ``detail`` holds ids and codes, never answers or free text."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        team=team,
        invitation_id_ref=invitation_id,
        response_id_ref=response_id,
        object_repr=object_repr[:200],
        detail=detail or {},
    )
