"""Retention: drafts nobody will finish are deleted; a patient's answers can be erased.

Both keep the audit log (which holds ids and codes, never answers), so what happened
to a patient's data stays accountable after the data itself is gone. Both delete the stored
summary PDFs' files too, once the deletion has committed (``summary_files``): the rows go
by cascade, their files would not.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from questionnaires.models import (
    AuditAction,
    Invitation,
    Response,
    ResponseStatus,
    SummaryDocument,
)
from questionnaires.services.audit import audit_record
from questionnaires.services.summary_files import summary_files_delete_on_commit, summary_files_of


def expired_drafts(*, days: int | None = None, now=None):
    """Unsubmitted responses whose link stopped working more than ``days`` ago, and admin
    previews older than that."""
    days = settings.SDM_DRAFT_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return Response.objects.filter(status=ResponseStatus.IN_PROGRESS).filter(
        Q(invitation__expires_at__lt=cutoff)
        | Q(invitation__revoked_at__lt=cutoff)
        | Q(is_preview=True, started_at__lt=cutoff)
    )


@transaction.atomic
def drafts_purge(*, days: int | None = None, now=None, actor=None) -> int:
    """Delete the expired drafts; one audit row says how many went and which."""
    doomed = list(expired_drafts(days=days, now=now).values_list("pk", flat=True))
    if not doomed:
        return 0
    files = summary_files_of(SummaryDocument.objects.filter(result__response_id__in=doomed))
    Response.objects.filter(pk__in=doomed).delete()
    summary_files_delete_on_commit(files)
    audit_record(
        action=AuditAction.RESPONSE_ERASED,
        actor=actor,
        object_repr=f"{len(doomed)} expired draft(s)",
        detail={"reason": "retention", "response_ids": doomed},
    )
    return len(doomed)


@transaction.atomic
def response_erase(*, response: Response, actor=None, actor_name: str = "") -> None:
    """Erase one patient's response: answers, result and stored PDFs.

    Every erasure path ends here (the clinic, the admin's delete, ``erase_response``), so
    each one is audited with who asked: the account, or for a command the name it gives.

    The invitation row stays, revoked, with its pseudonymous reference, so the clinic's
    dashboard and the audit log still say that something existed and was erased.
    """
    locked = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
    invitation_id = locked.invitation_id
    files = summary_files_of(SummaryDocument.objects.filter(result__response_id=locked.pk))
    locked.delete()  # cascades to the result and its documents ...
    summary_files_delete_on_commit(files)  # ... and their files go after the commit
    if invitation_id is not None:
        Invitation.objects.filter(pk=invitation_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor if getattr(actor, "pk", None) else None
        )
    audit_record(
        action=AuditAction.RESPONSE_ERASED,
        actor=actor,
        actor_name=actor_name,
        invitation_id=invitation_id,
        response_id=response.pk,
        object_repr=f"response {response.pk}",
        detail={"reason": "erasure request"},
    )
