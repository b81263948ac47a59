"""Invitations, responses and their frozen results.

A patient has no account: an ``Invitation`` carries a long random token (only its
SHA-256 hash is stored) and leads to exactly one ``Response``, pinned forever to the
questionnaire version that was published when it started. Answers live in the
database, never in a cookie or the session.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from questionnaires.models.definition import Disease, Questionnaire, QuestionnaireVersion


def hash_token(token: str) -> str:
    """The stored form of an invitation token (a fast hash is right: tokens have 256 bits)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Team(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact = models.TextField(
        _("how patients reach the clinic"),
        blank=True,
        help_text=_("Telephone, e-mail or address, printed on invitation letters."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sdm_teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class InvitationProgress(models.TextChoices):
    """How far the invitation's (non-preview) response got: stored on the invitation so the
    dashboard can count and filter statuses from the invitation's own index, without joining
    the responses. The values are the ``InvitationStatus`` values they stand for; revoked and
    expired are not stored, they depend on the time and are computed when read."""

    INVITED = InvitationStatus.INVITED.value, _("Invited")
    IN_PROGRESS = InvitationStatus.IN_PROGRESS.value, _("In progress")
    SUBMITTED = InvitationStatus.SUBMITTED.value, _("Submitted")
    REVIEWED = InvitationStatus.REVIEWED.value, _("Reviewed")


class Invitation(models.Model):
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The keyed hash of the short type-in code (``services.invitation_codes``); empty for
    # invitations made before codes existed.
    code_hash = models.CharField(max_length=64, null=True, unique=True, editable=False)
    patient_ref = models.CharField(
        _("patient reference"),
        max_length=64,
        help_text=_("A pseudonymous reference the clinic can match, never a name."),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="invitations"
    )
    disease = models.CharField(_("condition"), max_length=32, choices=Disease.choices, blank=True)
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, default="en"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The invite form's one-time id: the same form posted again (double click, reload,
    # another app server) finds this row instead of creating a second invitation.
    idempotency_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    expires_at = models.DateTimeField(_("expires"))
    appointment_date = models.DateField(_("appointment date"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Derived from the response (``InvitationProgress``), written only by the database: the
    # triggers of migration 0012 (``questionnaires.progress``) keep it right on every write
    # to a response, including ``bulk_create``, ``QuerySet.update`` and deletes, which no
    # ``save()`` hook sees. ``invitation_progress_check`` finds and repairs any disagreement.
    progress = models.CharField(
        max_length=16,
        choices=InvitationProgress.choices,
        default=InvitationProgress.INVITED,
        editable=False,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(fields=["team", "-created_at"], name="invitation_team_created"),
            models.Index(fields=["team", "patient_ref"], name="invitation_team_ref"),
            # The dashboard's status counts (an index-only aggregate over the team: the
            # status needs only progress, revoked_at and expires_at) and its status filter,
            # newest first (an index range); the second the same under a condition filter.
            # Revocation and expiry are trailing key columns rather than ``include``, which
            # SQLite does not have.
            models.Index(
                fields=["team", "progress", "-created_at", "revoked_at", "expires_at"],
                name="invitation_team_progress",
            ),
            models.Index(
                fields=["team", "disease", "progress", "-created_at", "revoked_at", "expires_at"],
                name="invitation_team_dis_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_ref} ({self.questionnaire.slug})"

    def save(self, *args, **kwargs):
        # ``progress`` belongs to the database's triggers: an instance read before the
        # patient submitted (an admin form, a revoke) must not write its stale copy back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "progress"
            ]
        super().save(*args, **kwargs)

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(token))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class Response(models.Model):
    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="response"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses"
    )
    is_preview = models.BooleanField(
        _("admin preview"),
        default=False,
        help_text=_("Preview walks by content admins; never counted as real responses."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ResponseStatus.choices,
        default=ResponseStatus.IN_PROGRESS,
    )
    language = models.CharField(_("language"), max_length=16, default="en")
    # Validated answers by question key, JSON-safe (decimals as strings, dates ISO).
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # What the wizard's storage keeps: raw step data, the current step, extra data.
    wizard_state = models.JSONField(default=dict, blank=True)
    # Optimistic lock: bumped on every save, so two tabs cannot silently overwrite.
    revision = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="submitted_response_has_submitted_at",
            ),
            models.CheckConstraint(
                condition=Q(is_preview=True) | Q(invitation__isnull=False),
                name="real_response_has_invitation",
            ),
        ]
        indexes = [models.Index(fields=["status", "-submitted_at"], name="response_status")]

    def __str__(self) -> str:
        return f"Response {self.pk} ({self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == ResponseStatus.SUBMITTED


def expected_progress_expression() -> Coalesce:
    """What an invitation's ``progress`` must be, from its response, as SQL (for invitation
    queries). The definition the database triggers of migration 0012 implement and
    ``invitation_progress_check`` checks the stored column against: no response, invited;
    a submitted real response, submitted or (once reviewed) reviewed; any other response,
    an admin preview attached to the invitation included, in progress."""
    response_progress = Case(
        When(
            Q(status=ResponseStatus.SUBMITTED, is_preview=False, reviewed_at__isnull=False),
            then=Value(InvitationProgress.REVIEWED),
        ),
        When(
            Q(status=ResponseStatus.SUBMITTED, is_preview=False),
            then=Value(InvitationProgress.SUBMITTED),
        ),
        default=Value(InvitationProgress.IN_PROGRESS),
        output_field=models.CharField(),
    )
    of_the_response = Response.objects.filter(invitation=OuterRef("pk")).values_list(
        response_progress
    )[:1]
    return Coalesce(
        Subquery(of_the_response, output_field=models.CharField()),
        Value(InvitationProgress.INVITED),
        output_field=models.CharField(),
    )


class Result(models.Model):
    """The frozen outcome of a submitted response: never changes once written."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="result")
    engine_version = models.CharField(max_length=32)
    definition_hash = models.CharField(max_length=64)
    profile_versions = models.JSONField(default=dict)
    scores = models.JSONField(default=list)
    weighing = models.JSONField(default=dict)
    snapshot_hash = models.CharField(max_length=64)
    # How many red flags the clinician summary shows (``summary.flags.red_flag_count``), so
    # the dashboard can show and sort by it in its one query; null for results frozen
    # before it was counted.
    red_flags = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"Result of response {self.response_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exists():
            raise ValueError("A result is a frozen snapshot and cannot change.")
        super().save(*args, **kwargs)


class SummaryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to render")
    RENDERING = "rendering", _("Rendering")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class SummaryAudience(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    PATIENT = "patient", _("Patient")


def summary_storage():
    """Where summary PDFs live: ``settings.STORAGES["summaries"]``, a private storage that no
    URL serves. Services call this (not ``SummaryDocument.file.storage``, fixed at import)
    so a settings change, a test's temporary folder say, takes effect."""
    return storages["summaries"]


class SummaryDocument(models.Model):
    """A summary PDF keyed by the result snapshot, audience, language and template version.

    A rendered PDF is a file in ``summary_storage()`` named in ``file`` (a random name, no
    patient data). Rows rendered before the storage existed keep their bytes in ``pdf``,
    which is still served; ``summary_files_move`` moves them to the storage.
    """

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="documents")
    audience = models.CharField(max_length=16, choices=SummaryAudience.choices)
    language = models.CharField(max_length=16)
    template_version = models.CharField(max_length=32)
    status = models.CharField(
        max_length=16, choices=SummaryStatus.choices, default=SummaryStatus.PENDING
    )
    # The PDF of rows rendered before the file storage (kept, and still served, for them).
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    file = models.FileField(
        storage=summary_storage, max_length=200, null=True, blank=True, editable=False
    )
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("summary document")
        verbose_name_plural = _("summary documents")
        constraints = [
            models.UniqueConstraint(
                fields=["result", "audience", "language", "template_version"],
                name="one_document_per_snapshot_and_template",
            )
        ]

    def __str__(self) -> str:
        return f"{self.audience} summary ({self.language}, {self.status})"
