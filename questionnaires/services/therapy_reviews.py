"""A reviewer marks a therapy profile reviewed: its sources count as checked today.

The profile's "evidence review" state is computed from its sources' next-review dates
(``Evidence.next_review``), so editing the profile never changes it; reviewing does. A
source is shared by every profile that cites it, and checking it once checks it for all.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from questionnaires.models import AuditAction, Evidence, Therapy, TherapyEvidence
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.therapy_content import DEFAULT_REVIEW_DAYS


@transaction.atomic
def therapy_mark_reviewed(
    *, therapy: Therapy, actor, review_days: int = DEFAULT_REVIEW_DAYS
) -> list[Evidence]:
    """Mark every source of ``therapy`` checked today, next review in ``review_days``;
    one audit row names the profile and the sources. Returns the sources."""
    if review_days <= 0:
        raise ServiceRefused(["The next review must be after today."])
    cited = set(
        TherapyEvidence.objects.filter(therapy=therapy).values_list("evidence_id", flat=True)
    )
    # (PostgreSQL refuses FOR UPDATE with DISTINCT, so the ids come first.)
    sources = list(Evidence.objects.select_for_update().filter(pk__in=cited).order_by("pk"))
    if not sources:
        raise ServiceRefused([f"{therapy.slug} cites no sources to review."])
    today = timezone.localdate()
    for source in sources:
        source.checked = today
        source.next_review = today + datetime.timedelta(days=review_days)
        source.full_clean()
        source.save(update_fields=["checked", "next_review"])
    audit_record(
        action=AuditAction.THERAPY_REVIEWED,
        actor=actor,
        object_repr=therapy.slug,
        detail={
            "therapy_id": therapy.pk,
            "evidence_ids": [source.pk for source in sources],
            "next_review": (today + datetime.timedelta(days=review_days)).isoformat(),
        },
    )
    return sources
