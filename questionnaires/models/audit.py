"""An append-only audit log: who saw or changed what about a patient, and when.

Append-only three times over: the model and its queryset refuse updates and deletes, the
admin offers neither, and on PostgreSQL a trigger (migration 0003_i12_audit_actor)
refuses UPDATE and DELETE from anyone but the retention job
(``questionnaires.services.audit.audit_purge``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    INVITATION_CREATED = "invitation_created", _("Invitation created")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
    INVITATION_DELETED = "invitation_deleted", _("Unused invitation deleted")
    RESPONSE_SUBMITTED = "response_submitted", _("Response submitted")
    RESPONSE_EXPORTED = "response_exported", _("Response exported")
    RESPONSE_ERASED = "response_erased", _("Response erased")
    SUMMARY_VIEWED = "summary_viewed", _("Summary viewed")
    SUMMARY_PDF_DOWNLOADED = "summary_pdf_downloaded", _("Summary PDF downloaded")
    SUMMARY_REVIEWED = "summary_reviewed", _("Summary marked reviewed")
    VERSION_PUBLISHED = "version_published", _("Version published")
    VERSION_RETIRED = "version_retired", _("Version retired")
    VERSION_CLONED = "version_cloned", _("Version cloned")
    VERSION_IMPORTED = "version_imported", _("Version imported")
    THERAPY_REVIEWED = "therapy_reviewed", _("Therapy profile marked reviewed")
    LETTER_PRINTED = "letter_printed", _("Invitation letter printed")
    MFA_ENROLLED = "mfa_enrolled", _("Second factor set up")
    AUDIT_PURGED = "audit_purged", _("Old audit rows deleted by the retention job")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # PROTECT: an account that did something stays (deactivate it instead of deleting),
    # and its name is copied so the row says who even without the account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(
        _("who (name at the time)"),
        max_length=200,
        blank=True,
        help_text=_("The account's user name, or the operating-system user of a command."),
    )
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    team = models.ForeignKey(
        "questionnaires.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Ids, not foreign keys: the log must outlive erasure of the rows it talks about.
    invitation_id_ref = models.BigIntegerField(_("invitation"), null=True, blank=True)
    response_id_ref = models.BigIntegerField(_("response"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["response_id_ref", "-at"], name="audit_response")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
