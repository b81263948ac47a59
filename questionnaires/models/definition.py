"""Questionnaire definitions: Questionnaire → QuestionnaireVersion → Step → Question → Choice.

Published versions are immutable: every model below refuses to change once its version
has left the draft state (``VersionLockedModel``), at the model and the queryset level,
so the admin, the services and the shell all meet the same rule. Editing a published
questionnaire means cloning it to a new draft (``services.definitions.version_clone``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from questionnaires.engine import definition as spec

KEY_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]{0,63}$",
    _("Use lowercase letters, digits and underscores, starting with a letter."),
)


class Disease(models.TextChoices):
    PSORIASIS = "psoriasis", _("Plaque psoriasis")
    ATOPIC_DERMATITIS = "atopic_dermatitis", _("Atopic dermatitis (eczema)")
    MULTIPLE_SCLEROSIS = "multiple_sclerosis", _("Relapsing multiple sclerosis")
    SLE = "sle", _("Systemic lupus erythematosus (lupus)")
    VITILIGO = "vitiligo", _("Vitiligo")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = spec.Kind.SINGLE_CHOICE, _("Single choice")
    MULTIPLE_CHOICE = spec.Kind.MULTIPLE_CHOICE, _("Multiple choice")
    YES_NO = spec.Kind.YES_NO, _("Yes / no")
    INTEGER = spec.Kind.INTEGER, _("Whole number")
    DECIMAL = spec.Kind.DECIMAL, _("Decimal number (with unit)")
    RATING = spec.Kind.RATING, _("Rating 0–10")
    DATE = spec.Kind.DATE, _("Date")
    SHORT_TEXT = spec.Kind.SHORT_TEXT, _("Short text")
    LONG_TEXT = spec.Kind.LONG_TEXT, _("Long text")
    RANKING = spec.Kind.RANKING, _("Ranking (order a list)")
    REPEAT_GROUP = spec.Kind.REPEAT_GROUP, _("Repeat group (rows of sub-questions)")
    DISPLAY = spec.Kind.DISPLAY, _("Display text only")


class ScaleMethod(models.TextChoices):
    SUM = spec.ScaleMethod.SUM, _("Sum of items")
    MEAN = spec.ScaleMethod.MEAN, _("Mean of items")


class HigherIs(models.TextChoices):
    BETTER = spec.Direction.HIGHER_IS_BETTER, _("Higher is better")
    WORSE = spec.Direction.HIGHER_IS_WORSE, _("Higher is worse")


class Severity(models.TextChoices):
    NONE = spec.Severity.NONE, _("None")
    MILD = spec.Severity.MILD, _("Mild")
    MODERATE = spec.Severity.MODERATE, _("Moderate")
    SEVERE = spec.Severity.SEVERE, _("Severe")
    VERY_SEVERE = spec.Severity.VERY_SEVERE, _("Very severe")


class VersionLockedError(ValidationError):
    """Raised when something tries to change a published or retired version."""


def _locked_message(version: QuestionnaireVersion) -> str:
    return (
        f"Version {version.number} of '{version.questionnaire.slug}' is {version.status}; "
        "published versions cannot change. Clone it to a new draft to edit."
    )


class VersionLockedQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes that would touch a non-draft version."""

    version_lookup = "version"

    def _locked_rows(self) -> models.QuerySet:
        return self.exclude(**{f"{self.version_lookup}__status": VersionStatus.DRAFT})

    def update(self, **kwargs):
        if self._locked_rows().exists():
            raise VersionLockedError("Published versions cannot change.")
        return super().update(**kwargs)

    def delete(self):
        if self._locked_rows().exists():
            raise VersionLockedError("Published versions cannot change.")
        return super().delete()


class VersionLockedModel(models.Model):
    """A part of a questionnaire version: writable only while the version is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.check_version_is_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.check_version_is_draft()
        return super().delete(*args, **kwargs)

    def get_version(self) -> QuestionnaireVersion:
        raise NotImplementedError

    def check_version_is_draft(self) -> None:
        version = self.get_version()
        current_status = (
            QuestionnaireVersion.objects.filter(pk=version.pk)
            .values_list("status", flat=True)
            .first()
        )
        if current_status is not None and current_status != VersionStatus.DRAFT:
            raise VersionLockedError(_locked_message(version))


class Questionnaire(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    disease = models.CharField(
        _("condition"),
        max_length=32,
        choices=Disease.choices,
        blank=True,
        help_text=_("Leave empty when the questionnaire covers several conditions."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.slug

    def published_version(self) -> QuestionnaireVersion | None:
        return self.versions.filter(status=VersionStatus.PUBLISHED).first()


class QuestionnaireVersion(models.Model):
    # Fields that may change after publishing (the state machine), all others are frozen.
    LIFECYCLE_FIELDS = frozenset({"status", "published_at", "retired_at", "definition_hash"})

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description for patients"), blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes to complete"), null=True, blank=True
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    source_url = models.URLField(_("source URL (FHIR canonical)"), blank=True, max_length=500)
    source_version = models.CharField(_("source version (FHIR)"), max_length=100, blank=True)
    # Questionnaire-level FHIRPath variables of an imported FHIR Questionnaire.
    variables = models.JSONField(_("FHIRPath variables"), default=list, blank=True)
    # The FHIR Questionnaire this version was imported from, as read: its item hierarchy
    # is what QuestionnaireResponses are written in and FHIRPath expressions address.
    fhir_source = models.JSONField(_("FHIR source"), null=True, blank=True, editable=False)
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="clones"
    )
    definition_hash = models.CharField(_("definition hash"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["questionnaire__slug", "-number"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="unique_version_number"
            ),
            models.UniqueConstraint(
                fields=["questionnaire"],
                condition=Q(status="published"),
                name="one_published_version_per_questionnaire",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="published_version_has_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.slug} v{self.number} ({self.status})"

    def save(self, *args, **kwargs):
        self._refuse_frozen_changes()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored not in (None, VersionStatus.DRAFT):
            raise VersionLockedError(_locked_message(self))
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def _refuse_frozen_changes(self) -> None:
        if self.pk is None:
            return
        stored = type(self).objects.filter(pk=self.pk).first()
        if stored is None or stored.status == VersionStatus.DRAFT:
            return
        for field in self._meta.concrete_fields:
            if field.attname in self.LIFECYCLE_FIELDS or field.primary_key:
                continue
            if getattr(stored, field.attname) != getattr(self, field.attname):
                raise VersionLockedError(_locked_message(stored))
        allowed = {
            (VersionStatus.PUBLISHED, VersionStatus.PUBLISHED),
            (VersionStatus.PUBLISHED, VersionStatus.RETIRED),
            (VersionStatus.RETIRED, VersionStatus.RETIRED),
        }
        if (stored.status, self.status) not in allowed:
            raise VersionLockedError(
                f"A {stored.status} version cannot become {self.status}; clone it instead."
            )


class Instrument(models.Model):
    """A published instrument (e.g. the SURE test) with its licence terms."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    licence = models.TextField(_("licence"), blank=True)
    copyright_notice = models.TextField(_("copyright notice"), blank=True)
    allowed_use = models.TextField(_("allowed use"), blank=True)
    citation = models.TextField(_("citation"), blank=True)
    url = models.URLField(_("address"), blank=True, max_length=500)

    class Meta:
        ordering = ["key"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return self.name


class Step(VersionLockedModel):
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="steps"
    )
    key = models.CharField(_("key"), max_length=64, validators=[KEY_VALIDATOR])
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    show_if = models.JSONField(_("show if"), null=True, blank=True)
    source_link_id = models.CharField(
        _("FHIR linkId of the source group"), max_length=255, blank=True
    )

    objects = VersionLockedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_step_key_per_version")
        ]

    def __str__(self) -> str:
        return self.key

    def get_version(self) -> QuestionnaireVersion:
        return self.version


class QuestionQuerySet(VersionLockedQuerySet):
    version_lookup = "step__version"


class Question(VersionLockedModel):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="questions")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("Set for the sub-questions of a repeat group."),
    )
    key = models.CharField(_("key"), max_length=64, validators=[KEY_VALIDATOR])
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=32, choices=QuestionKind.choices)
    text = models.TextField(_("question text"))
    help = models.TextField(_("hint"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    read_only = models.BooleanField(_("read only"), default=False)
    min_value = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    max_rows = models.PositiveIntegerField(_("maximum rows"), null=True, blank=True)
    show_if = models.JSONField(_("show if"), null=True, blank=True)
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="questions"
    )
    criterion = models.CharField(_("weighing criterion"), max_length=64, blank=True)
    link_id = models.CharField(_("FHIR linkId"), max_length=255, blank=True)
    hidden = models.BooleanField(_("hidden from the patient"), default=False)
    expressions = models.JSONField(_("FHIRPath expressions"), default=dict, blank=True)
    not_in_past = models.BooleanField(
        _("not in the past"),
        default=False,
        help_text=_("Dates only: the patient cannot enter a date before today (an appointment)."),
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["step", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["step", "key"], name="unique_question_key_per_step")
        ]

    def __str__(self) -> str:
        return self.key

    def get_version(self) -> QuestionnaireVersion:
        return self.step.version

    def clean(self) -> None:
        if self.parent_id and self.parent.step_id != self.step_id:
            raise ValidationError({"parent": _("A sub-question must be in its group's step.")})
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise ValidationError({"max_value": _("The maximum is below the minimum.")})


class ChoiceQuerySet(VersionLockedQuerySet):
    version_lookup = "question__step__version"


class Choice(VersionLockedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(_("order"), default=0)
    value = models.CharField(_("coded value"), max_length=100)
    label = models.CharField(_("label"), max_length=300)
    score = models.DecimalField(_("score"), max_digits=10, decimal_places=4, null=True, blank=True)
    system = models.CharField(_("code system"), max_length=255, blank=True)
    exclusive = models.BooleanField(
        _("exclusive"),
        default=False,
        help_text=_('Multiple choice: cannot be chosen with other options ("None of these").'),
    )

    objects = ChoiceQuerySet.as_manager()

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "value"], name="unique_choice_value_per_question"
            )
        ]

    def __str__(self) -> str:
        return self.value

    def get_version(self) -> QuestionnaireVersion:
        return self.question.step.version


class Scale(VersionLockedModel):
    """A named score over a set of questions, with a missing-item rule and bands."""

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="scales"
    )
    key = models.CharField(_("key"), max_length=64, validators=[KEY_VALIDATOR])
    order = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200)
    item_keys = models.JSONField(_("item question keys"), default=list)
    method = models.CharField(
        _("method"), max_length=8, choices=ScaleMethod.choices, default=ScaleMethod.SUM
    )
    max_missing = models.PositiveSmallIntegerField(
        _("items that may be missing (prorated)"), default=0
    )
    higher_is = models.CharField(
        _("direction"), max_length=8, choices=HigherIs.choices, default=HigherIs.WORSE
    )
    min_score = models.DecimalField(_("minimum score"), max_digits=10, decimal_places=4)
    max_score = models.DecimalField(_("maximum score"), max_digits=10, decimal_places=4)
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="scales"
    )

    objects = VersionLockedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("scale")
        verbose_name_plural = _("scales")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_scale_key_per_version")
        ]

    def __str__(self) -> str:
        return self.key

    def get_version(self) -> QuestionnaireVersion:
        return self.version


class ScaleBandQuerySet(VersionLockedQuerySet):
    version_lookup = "scale__version"


class ScaleBand(VersionLockedModel):
    """A band ``lower <= score < upper``; the highest band also includes its upper bound."""

    scale = models.ForeignKey(Scale, on_delete=models.CASCADE, related_name="bands")
    order = models.PositiveIntegerField(_("order"), default=0)
    lower = models.DecimalField(_("from"), max_digits=10, decimal_places=4)
    upper = models.DecimalField(_("up to"), max_digits=10, decimal_places=4)
    label = models.CharField(_("label"), max_length=200)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.NONE
    )

    objects = ScaleBandQuerySet.as_manager()

    class Meta:
        ordering = ["scale", "order", "lower"]
        verbose_name = _("score band")
        verbose_name_plural = _("score bands")

    def __str__(self) -> str:
        return f"{self.lower}–{self.upper}"

    def get_version(self) -> QuestionnaireVersion:
        return self.scale.version
