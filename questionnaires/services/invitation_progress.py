"""The consistency check of ``Invitation.progress`` against the invitation's response.

The column is kept by database triggers (migration 0012); this finds rows where it and the
response disagree anyway (a restore with triggers disabled, a SQLite table rebuilt without
them, a hand-made SQL change) and sets them right. A wrong progress would show a submitted
patient as "invited" on the clinician dashboard (docs/clinical-safety.md).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, QuerySet

from questionnaires.models import Invitation
from questionnaires.models.response import expected_progress_expression


def invitations_with_wrong_progress() -> QuerySet[Invitation]:
    """Invitations whose stored progress is not what their response says, with ``expected``."""
    return (
        Invitation.objects.annotate(expected=expected_progress_expression())
        .exclude(progress=F("expected"))
        .order_by("pk")
    )


@transaction.atomic
def invitations_progress_repair() -> list[int]:
    """Set every disagreeing invitation's progress from its response; their ids, ascending.

    The value is computed again in the UPDATE itself, so a response written between the
    check and the repair is not undone.
    """
    wrong = list(
        invitations_with_wrong_progress()
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    if wrong:
        Invitation.objects.filter(pk__in=wrong).update(progress=expected_progress_expression())
    return wrong
