"""Therapy profiles, their evidence, per-disease indications, rules and simulator test cases.

What the weighing engine reads lives in ``Criterion``, ``Therapy`` and ``Indication``
(and ``TherapyRule``); everything a patient reads about an option lives here too, in
English and Simplified Chinese (django-modeltranslation adds the per-language columns).
``services.weighing`` is the one adapter that turns these rows into engine dataclasses.

Every model is recorded by django-simple-history (``questionnaires/history.py``). On top
of that, ``Therapy.revision`` and ``TherapyRule.revision`` are per-profile counters that
the services bump whenever a profile changes (``services.therapies.therapy_revision_bump``),
so a frozen result can say "adalimumab, revision 3" in words a person can check.

List-like patient text (common side effects, serious risks, tests) is stored one item per
line, so an author edits it in a plain text box in each language.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from questionnaires.engine import weighing as engine
from questionnaires.engine.conditions import ConditionError, referenced_keys
from questionnaires.models.definition import Disease, QuestionnaireVersion

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]{0,63}$",
    _("Use lowercase letters, digits and underscores, starting with a letter."),
)

STATUS_QUO_SLUG = "no_change"


class TherapyFamily(models.TextChoices):
    MONOCLONAL_ANTIBODY = "monoclonal_antibody", _("Monoclonal antibody")
    STEM_CELL = "stem_cell", _("Stem-cell therapy")
    IMMUNOGLOBULIN = "immunoglobulin", _("Immunoglobulin")
    SMALL_MOLECULE = "small_molecule", _("Small molecule (tablet)")
    CONVENTIONAL_SYSTEMIC = "conventional_systemic", _("Conventional systemic medicine")
    INJECTABLE_IMMUNOMODULATOR = "injectable_immunomodulator", _("Injectable immunomodulator")
    TOPICAL = "topical", _("Topical (on the skin)")
    PHOTOTHERAPY = "phototherapy", _("Phototherapy (light treatment)")
    STATUS_QUO = "status_quo", _("No change (stay on the current treatment)")


class RegulatoryStatus(models.TextChoices):
    APPROVED = engine.Status.APPROVED, _("Approved")
    APPROVED_SOME_REGIONS = engine.Status.APPROVED_SOME_REGIONS, _("Approved in some regions")
    OFF_LABEL = engine.Status.OFF_LABEL, _("Off-label")
    EXPERIMENTAL = engine.Status.EXPERIMENTAL, _("Experimental")
    NOT_RECOMMENDED = engine.Status.NOT_RECOMMENDED, _("Not recommended")
    STANDARD_CARE = engine.Status.STANDARD_CARE, _("Standard care")


class Certainty(models.TextChoices):
    HIGH = engine.Certainty.HIGH, _("High")
    MODERATE = engine.Certainty.MODERATE, _("Moderate")
    LOW = engine.Certainty.LOW, _("Low")
    VERY_LOW = engine.Certainty.VERY_LOW, _("Very low")


class Route(models.TextChoices):
    TOPICAL = engine.Route.TOPICAL, _("On the skin")
    ORAL = engine.Route.ORAL, _("By mouth")
    SUBCUTANEOUS = engine.Route.SUBCUTANEOUS, _("Injection under the skin")
    INTRAVENOUS = engine.Route.INTRAVENOUS, _("Infusion into a vein")
    PHOTOTHERAPY = engine.Route.PHOTOTHERAPY, _("Light treatment")
    PROCEDURE = engine.Route.PROCEDURE, _("Hospital procedure")


class SeverityGate(models.TextChoices):
    ANY = "any", _("Any severity")
    MODERATE_TO_SEVERE = "moderate_to_severe", _("Moderate to severe disease")


class Administration(models.TextChoices):
    TOPICAL_DAILY = engine.Administration.TOPICAL_DAILY, _("Applied to the skin every day")
    ORAL_DAILY = engine.Administration.ORAL_DAILY, _("Tablets every day")
    ORAL_WEEKLY = engine.Administration.ORAL_WEEKLY, _("Tablets once a week")
    ORAL_COURSES = engine.Administration.ORAL_COURSES, _("Tablets in short courses")
    INJECTION_1_2_WEEKS = (
        engine.Administration.INJECTION_1_2_WEEKS,
        _("Self-injection every 1 to 2 weeks"),
    )
    INJECTION_4_12_WEEKS = (
        engine.Administration.INJECTION_4_12_WEEKS,
        _("Injection every 4 to 12 weeks"),
    )
    INFUSION = engine.Administration.INFUSION, _("Infusions in a clinic")
    PHOTOTHERAPY = engine.Administration.PHOTOTHERAPY, _("Light sessions in a clinic")
    PROCEDURE = engine.Administration.PROCEDURE, _("Hospital procedure")
    NONE = engine.Administration.NONE, _("Nothing new")


class IndicationRole(models.TextChoices):
    BACKGROUND = engine.Role.BACKGROUND, _("Background therapy, taken alongside the others")
    BRIDGE = engine.Role.BRIDGE, _("Short bridge while another treatment starts")


# The texts an indication may give for its condition instead of the therapy's general ones.
INDICATION_TEXT_FIELDS = ("what_it_is", "benefits", "downsides", "living_with", "pregnancy")


class Better(models.TextChoices):
    HIGHER = engine.Better.HIGHER, _("Higher is better")
    LOWER = engine.Better.LOWER, _("Lower is better")


class RuleEffect(models.TextChoices):
    NOT_SUITABLE = engine.Effect.NOT_SUITABLE, _("Not suitable now")
    CAUTION = engine.Effect.CAUTION, _("Caution")
    ADJUST = engine.Effect.ADJUST, _("Adjust a criterion value")
    RESTRICTED = engine.Effect.RESTRICTED, _("Only when other options are unsuitable")


class OutcomeDenominator(models.IntegerChoices):
    PER_100 = 100, _("per 100 people")
    PER_1000 = 1000, _("per 1000 people")


def _string_list_problem(value, *, allowed=None) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        return _('Give a list of codes, e.g. ["oral"].')
    if len(set(value)) != len(value):
        return _("A code is listed twice.")
    if allowed is not None:
        unknown = [item for item in value if item not in allowed]
        if unknown:
            return _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)}
    return None


class Evidence(models.Model):
    """One source: a citation with its address and when it was last checked."""

    citation = models.TextField(_("citation"))
    url = models.URLField(_("address"), max_length=500, blank=True)
    checked = models.DateField(_("date checked"))
    next_review = models.DateField(_("next review"))
    # The hash of the content-file entry this row was last loaded from (services.therapies).
    source_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["citation", "pk"]
        verbose_name = _("evidence source")
        verbose_name_plural = _("evidence sources")
        constraints = [
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="unique_evidence_url"
            ),
            models.CheckConstraint(
                condition=Q(next_review__gte=models.F("checked")),
                name="evidence_review_after_check",
            ),
        ]

    def __str__(self) -> str:
        return self.citation[:80]

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Content past its review date is flagged wherever it is shown."""
        return self.next_review < (today or timezone.localdate())

    def clean(self) -> None:
        if self.checked and self.next_review and self.next_review < self.checked:
            raise ValidationError({"next_review": _("The next review cannot precede the check.")})


class Criterion(models.Model):
    """A patient-facing criterion the engine weighs (e.g. "how well it works")."""

    key = models.CharField(_("key"), max_length=64, unique=True, validators=[SLUG_VALIDATOR])
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    better = models.CharField(_("direction"), max_length=8, choices=Better.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The hash of the content-file entry this row was last loaded from (services.therapies).
    source_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("weighing criterion")
        verbose_name_plural = _("weighing criteria")

    def __str__(self) -> str:
        return self.key


class Therapy(models.Model):
    """A treatment option with everything a patient needs to know about it."""

    slug = models.CharField(_("slug"), max_length=64, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    family = models.CharField(_("family"), max_length=32, choices=TherapyFamily.choices)
    target = models.CharField(_("target"), max_length=200, blank=True)
    target_class = models.CharField(
        _("target class"),
        max_length=32,
        blank=True,
        help_text=_(
            "A short code shared by therapies that work the same way (TNF, IL-17, CD20, "
            "JAK …). A failed therapy lowers the expected effect of others of its class."
        ),
    )
    routes = models.JSONField(
        _("routes"), default=list, blank=True, help_text=_('Route codes, e.g. ["oral"].')
    )
    schedule = models.TextField(_("schedule"), blank=True)
    administration = models.CharField(
        _("how it is given and how often"),
        max_length=32,
        choices=Administration.choices,
        blank=True,
        help_text=_("Sets the route and frequency burden and the 'avoid injections' limit."),
    )
    onset_weeks_min = models.PositiveSmallIntegerField(
        _("noticeable benefit from (weeks)"), null=True, blank=True
    )
    onset_weeks_max = models.PositiveSmallIntegerField(
        _("noticeable benefit by (weeks)"), null=True, blank=True
    )
    what_it_is = models.TextField(_("what it is"), blank=True)
    how_taken = models.TextField(_("how it is taken"), blank=True)
    benefits = models.TextField(_("benefits"), blank=True)
    downsides = models.TextField(_("downsides"), blank=True)
    living_with = models.TextField(_("what it is like to live with"), blank=True)
    pregnancy = models.TextField(_("pregnancy and breastfeeding"), blank=True)
    common_side_effects = models.TextField(_("common side effects (one per line)"), blank=True)
    serious_risks = models.TextField(_("serious risks (one per line)"), blank=True)
    monitoring = models.TextField(_("tests and monitoring (one per line)"), blank=True)
    unverified = models.TextField(
        _("unverified facts (one per line)"),
        blank=True,
        help_text=_(
            "Facts that could not be checked against a source. They are shown as uncertain "
            "or left out, never stated as fact."
        ),
    )
    revision = models.PositiveIntegerField(
        _("revision"), default=1, help_text=_("Raised every time this profile changes.")
    )
    # The hash of the content-file entry this row was last loaded from (services.therapies).
    source_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("therapy")
        verbose_name_plural = _("therapies")
        constraints = [
            models.CheckConstraint(
                condition=Q(onset_weeks_min__isnull=True)
                | Q(onset_weeks_max__isnull=True)
                | Q(onset_weeks_min__lte=models.F("onset_weeks_max")),
                name="therapy_onset_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.slug

    @property
    def is_status_quo(self) -> bool:
        return self.family == TherapyFamily.STATUS_QUO

    def clean(self) -> None:
        problem = _string_list_problem(self.routes, allowed=engine.Route.ALL)
        if problem:
            raise ValidationError({"routes": problem})
        if (
            self.onset_weeks_min is not None
            and self.onset_weeks_max is not None
            and self.onset_weeks_min > self.onset_weeks_max
        ):
            raise ValidationError({"onset_weeks_max": _("The range ends before it starts.")})
        if self.is_status_quo and self.slug != STATUS_QUO_SLUG:
            raise ValidationError(
                {"family": _("Only '%(slug)s' is the status quo.") % {"slug": STATUS_QUO_SLUG}}
            )


class TherapyEvidence(models.Model):
    """A reference of a therapy profile (an ordered link, recorded in the history)."""

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="references")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="therapy_links")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["therapy", "order", "pk"]
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.UniqueConstraint(fields=["therapy", "evidence"], name="unique_therapy_evidence")
        ]

    def __str__(self) -> str:
        return f"{self.therapy.slug}: {self.evidence}"


class Indication(models.Model):
    """A therapy for one disease: its status, outcomes and the values the engine weighs."""

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="indications")
    disease = models.CharField(_("condition"), max_length=32, choices=Disease.choices)
    status = models.CharField(_("status"), max_length=32, choices=RegulatoryStatus.choices)
    status_note = models.TextField(_("status note"), blank=True)
    severity = models.CharField(
        _("used for"), max_length=32, choices=SeverityGate.choices, default=SeverityGate.ANY
    )
    certainty = models.CharField(
        _("certainty of the evidence"), max_length=16, choices=Certainty.choices
    )
    # For this condition, when it differs from the therapy's general onset.
    onset_weeks_min = models.PositiveSmallIntegerField(
        _("noticeable benefit from (weeks)"), null=True, blank=True
    )
    onset_weeks_max = models.PositiveSmallIntegerField(
        _("noticeable benefit by (weeks)"), null=True, blank=True
    )
    # Raw value per criterion key, as decimal strings (JSON has no decimal type).
    values = models.JSONField(
        _("criterion values"),
        default=dict,
        blank=True,
        help_text=_(
            "Criterion key → number, in the criterion's unit, e.g. "
            '{"effectiveness": "70", "speed": "4"}.'
        ),
    )
    uncertain = models.JSONField(
        _("uncertain values"),
        default=list,
        blank=True,
        help_text=_("Criterion keys whose value is an estimate that could not be verified."),
    )
    role = models.CharField(
        _("role for this condition"), max_length=16, choices=IndicationRole.choices, blank=True
    )
    scope = models.JSONField(
        _("scope"),
        default=dict,
        blank=True,
        help_text=_(
            "Only for some patients with this condition: an object with a rule condition, "
            "a note in each language and evidence addresses. When the condition is false "
            "the option is not suitable now."
        ),
    )
    text = models.JSONField(
        _("texts for this condition"),
        default=dict,
        blank=True,
        help_text=_(
            "Replaces the therapy's general texts for this condition: an object from a text "
            "field (benefits, downsides …) to its text in each language."
        ),
    )

    class Meta:
        ordering = ["therapy", "disease"]
        verbose_name = _("indication")
        verbose_name_plural = _("indications")
        constraints = [
            models.UniqueConstraint(
                fields=["therapy", "disease"], name="one_indication_per_therapy_and_disease"
            ),
            models.CheckConstraint(
                condition=Q(onset_weeks_min__isnull=True)
                | Q(onset_weeks_max__isnull=True)
                | Q(onset_weeks_min__lte=models.F("onset_weeks_max")),
                name="indication_onset_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapy.slug} · {self.disease} ({self.status})"

    def decimal_values(self) -> dict[str, Decimal]:
        """The criterion values as Decimals (clean() guarantees they parse)."""
        return {key: Decimal(str(value)) for key, value in (self.values or {}).items()}

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.values, dict):
            errors["values"] = _("Give an object: criterion key → number.")
        else:
            known = set(Criterion.objects.values_list("key", flat=True)) or set(
                engine.CriterionKey.ALL
            )
            for key, value in self.values.items():
                if key not in known:
                    errors["values"] = _("Unknown criterion '%(key)s'.") % {"key": key}
                    break
                if not _is_finite_number(value):
                    errors["values"] = _("The value of '%(key)s' is not a number.") % {"key": key}
                    break
        problem = _string_list_problem(self.uncertain)
        if problem:
            errors["uncertain"] = problem
        if not isinstance(self.text, dict) or any(
            field not in INDICATION_TEXT_FIELDS or not isinstance(value, dict)
            for field, value in self.text.items()
        ):
            errors["text"] = _("Give an object: one of %(fields)s → {language: text}.") % {
                "fields": ", ".join(INDICATION_TEXT_FIELDS)
            }
        if not isinstance(self.scope, dict) or (self.scope and "condition" not in self.scope):
            errors["scope"] = _('Give an object with a "condition", or leave it empty.')
        if errors:
            raise ValidationError(errors)


def _is_finite_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


class OutcomeEstimate(models.Model):
    """An outcome as a natural frequency: ``count`` of ``per`` people over ``horizon``."""

    indication = models.ForeignKey(Indication, on_delete=models.CASCADE, related_name="outcomes")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(
        _("outcome"), help_text=_('What happens, e.g. "had clear or almost clear skin".')
    )
    count = models.DecimalField(
        _("how many"), max_digits=7, decimal_places=1, validators=[MinValueValidator(0)]
    )
    per = models.PositiveIntegerField(
        _("out of"), choices=OutcomeDenominator.choices, default=OutcomeDenominator.PER_100
    )
    horizon = models.CharField(_("time horizon"), max_length=100)
    population = models.CharField(_("people studied"), max_length=300, blank=True)
    certainty = models.CharField(_("certainty"), max_length=16, choices=Certainty.choices)
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes"
    )

    class Meta:
        ordering = ["indication", "order", "pk"]
        verbose_name = _("outcome estimate")
        verbose_name_plural = _("outcome estimates")
        constraints = [
            models.CheckConstraint(
                condition=Q(count__lte=models.F("per")), name="outcome_count_le_per"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} / {self.per}"

    def clean(self) -> None:
        if self.count is not None and self.per and self.count > self.per:
            raise ValidationError({"count": _("The count cannot be above the denominator.")})


class TherapyRule(models.Model):
    """When ``condition`` holds for a patient's answers, ``effect`` hits the named options."""

    rule_id = models.CharField(
        _("rule id"), max_length=64, unique=True, validators=[SLUG_VALIDATOR]
    )
    active = models.BooleanField(_("active"), default=True)
    therapies = models.JSONField(_("applies to therapies"), default=list, blank=True)
    families = models.JSONField(_("applies to families"), default=list, blank=True)
    target_classes = models.JSONField(_("applies to target classes"), default=list, blank=True)
    condition = models.JSONField(
        _("condition"),
        null=True,
        blank=True,
        help_text=_("Same language as a question's 'show if'; empty means always."),
    )
    effect = models.CharField(_("effect"), max_length=16, choices=RuleEffect.choices)
    criterion = models.CharField(_("criterion to adjust"), max_length=64, blank=True)
    multiplier = models.DecimalField(
        _("multiply the value by"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    delta = models.DecimalField(
        _("add to the value"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    clinician_message = models.TextField(_("message for the clinician"))
    patient_message = models.TextField(_("message for the patient"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    # The hash of the content-file entry this row was last loaded from (services.therapies).
    source_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["rule_id"]
        verbose_name = _("therapy rule")
        verbose_name_plural = _("therapy rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(effect="adjust")
                | (Q(multiplier__isnull=True) ^ Q(delta__isnull=True)) & ~Q(criterion=""),
                name="adjusting_rule_has_one_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.rule_id

    def applies_to(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.therapies, *self.families, *self.target_classes]))

    def clean(self) -> None:

        errors: dict[str, str] = {}
        for field in ("therapies", "target_classes"):
            problem = _string_list_problem(getattr(self, field))
            if problem:
                errors[field] = problem
        problem = _string_list_problem(self.families, allowed=TherapyFamily.values)
        if problem:
            errors["families"] = problem
        if not errors and not self.applies_to():
            errors["therapies"] = _("Name at least one therapy, family or target class.")
        try:
            referenced_keys(self.condition)
        except ConditionError as error:
            errors["condition"] = str(error)
        if self.effect == RuleEffect.ADJUST:
            if not self.criterion:
                errors["criterion"] = _("An adjusting rule names the criterion it changes.")
            if (self.multiplier is None) == (self.delta is None):
                errors["multiplier"] = _("Give exactly one of a multiplier and an amount to add.")
            elif self.multiplier is not None and self.multiplier < 0:
                errors["multiplier"] = _("A multiplier cannot be negative.")
        elif self.criterion or self.multiplier is not None or self.delta is not None:
            errors["criterion"] = _("Only an adjusting rule changes a criterion value.")
        if errors:
            raise ValidationError(errors)


class RuleEvidence(models.Model):
    rule = models.ForeignKey(TherapyRule, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="rule_links")

    class Meta:
        ordering = ["rule", "pk"]
        verbose_name = _("rule evidence")
        verbose_name_plural = _("rule evidence")
        constraints = [
            models.UniqueConstraint(fields=["rule", "evidence"], name="unique_rule_evidence")
        ]

    def __str__(self) -> str:
        return f"{self.rule.rule_id}: {self.evidence}"


class SimulationCase(models.Model):
    """A named test case for the logic simulator: answers and what must come out.

    Every case of a draft version runs before it is published; one failure refuses the
    publish (``services.simulation_cases``).
    """

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="simulation_cases"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    answers = models.JSONField(_("answers"), default=dict)
    expected_leader = models.CharField(
        _("expected leader"),
        max_length=64,
        blank=True,
        help_text=_("The option that must fit best (its therapy slug; 'no_change'); empty: any."),
    )
    # Null: the case does not check the not-suitable list (the default). An empty list
    # asserts that no option is "not suitable now", so only an author's choice sets it.
    expected_not_suitable = models.JSONField(
        _("expected not suitable"),
        null=True,
        default=None,
        blank=True,
        help_text=_(
            "Exactly these options must be 'not suitable now', e.g. [\"natalizumab\"]; "
            "[] asserts none is; empty: not checked."
        ),
    )
    expected_conflicts = models.JSONField(
        _("expected conflicts"),
        default=dict,
        blank=True,
        help_text=_(
            'Option → conflict kinds it must have, e.g. {"ahsct": ["experimental_not_wanted"]}.'
        ),
    )
    expected_cautions = models.JSONField(
        _("expected cautions"),
        default=list,
        blank=True,
        help_text=_("Rule ids that must raise a caution on some option."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["version", "name"]
        verbose_name = _("simulator test case")
        verbose_name_plural = _("simulator test cases")
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="unique_case_name_per_version")
        ]

    def __str__(self) -> str:
        return self.name

    def expectation(self) -> dict:
        """The expectation in the golden-file format (``services.simulation_cases``)."""
        expect: dict = {
            "conflicts": dict(self.expected_conflicts or {}),
            "cautions": list(self.expected_cautions or []),
        }
        if self.expected_not_suitable is not None:
            expect["not_suitable"] = list(self.expected_not_suitable)
        if self.expected_leader:
            expect["leader"] = self.expected_leader
        return expect

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.answers, dict):
            errors["answers"] = _("Give the answers as an object: question key → answer.")
        problem = (
            _string_list_problem(self.expected_not_suitable)
            if self.expected_not_suitable is not None
            else None
        )
        if problem:
            errors["expected_not_suitable"] = problem
        problem = _string_list_problem(self.expected_cautions)
        if problem:
            errors["expected_cautions"] = problem
        conflicts = self.expected_conflicts
        if not isinstance(conflicts, dict) or any(
            _string_list_problem(kinds, allowed=engine.ConflictKind.ALL)
            for kinds in conflicts.values()
        ):
            errors["expected_conflicts"] = _(
                "Give an object: option → list of conflict kinds (%(kinds)s)."
            ) % {"kinds": ", ".join(engine.ConflictKind.ALL)}
        if errors:
            raise ValidationError(errors)
