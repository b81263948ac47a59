"""Content-admin pages for therapy profiles, evidence, rules and simulator test cases.

A therapy is edited on one page: its profile, its references, and per condition its
indication (status, values, outcomes). Saving a change raises the therapy's revision,
so a frozen result can say which profile version it used; django-simple-history keeps
every version. Evidence past its review date is flagged in the lists and on the pages.
"""

from __future__ import annotations

import datetime

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationInlineModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from questionnaires.admin.cases import SimulationCaseAdminMixin
from questionnaires.admin.therapy_forms import (
    IndicationValuesInlineMixin,
    TherapyForm,
    TherapyReviewActionMixin,
)
from questionnaires.models import (
    Criterion,
    Evidence,
    Indication,
    OutcomeEstimate,
    RuleEvidence,
    SimulationCase,
    Therapy,
    TherapyEvidence,
    TherapyRule,
)
from questionnaires.services import simulation_cases as case_services
from questionnaires.services import therapies as therapy_services
from questionnaires.services.therapy_content import rule_condition_problems

REVIEW_SOON_DAYS = 90


def _overdue_badge(count: int):
    if not count:
        return format_html('<span class="sdm-ok">{}</span>', _("up to date"))
    return format_html(
        '<strong class="sdm-overdue">{}</strong>',
        _("%(count)d source(s) past review") % {"count": count},
    )


class ReviewStateFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Past its review date")),
            ("soon", _("Due within 90 days")),
            ("current", _("Up to date")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=REVIEW_SOON_DAYS)
        if self.value() == "overdue":
            return queryset.filter(next_review__lt=today)
        if self.value() == "soon":
            return queryset.filter(next_review__gte=today, next_review__lte=soon)
        if self.value() == "current":
            return queryset.filter(next_review__gte=today)
        return queryset


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ("citation", "url", "checked", "next_review", "review_state")
    list_filter = (ReviewStateFilter,)
    search_fields = ("citation", "url")
    date_hierarchy = "next_review"
    fields = ("citation", "url", "checked", "next_review")

    @admin.display(description=_("review"), ordering="next_review")
    def review_state(self, obj: Evidence):
        return _overdue_badge(1 if obj.is_overdue() else 0)


@admin.register(Criterion)
class CriterionAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ("key", "name", "better", "order")
    ordering = ("order", "key")
    fields = ("key", "order", "better", "name", "description")


class OutcomeInline(TranslationInlineModelAdmin, nested_admin.NestedStackedInline):
    model = OutcomeEstimate
    extra = 0
    sortable_field_name = "order"
    autocomplete_fields = ("evidence",)
    fields = (
        "order",
        "text",
        ("count", "per"),
        "horizon",
        "population",
        ("certainty", "evidence"),
    )


class IndicationForm(forms.ModelForm):
    class Meta:
        model = Indication
        fields = "__all__"  # noqa: DJ007 - the inline's fieldsets choose what is shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "values" in self.fields:
            keys = ", ".join(Criterion.objects.values_list("key", flat=True))
            self.fields["values"].help_text = _(
                "Criterion key → number, in the criterion's unit. Criteria: %(keys)s."
            ) % {"keys": keys}

    def clean_scope(self):
        """A scope's condition is checked like a rule condition (same answers, same keys)."""
        scope = self.cleaned_data.get("scope")
        if isinstance(scope, dict) and scope.get("condition") is not None:
            problems = rule_condition_problems(condition=scope["condition"])
            if problems:
                raise forms.ValidationError([str(problem) for problem in problems])
        return scope


class IndicationInline(
    IndicationValuesInlineMixin, TranslationInlineModelAdmin, nested_admin.NestedStackedInline
):
    model = Indication
    form = IndicationForm
    extra = 0
    inlines = [OutcomeInline]
    fields = (
        ("disease", "status"),
        "status_note",
        ("severity", "certainty"),
        "values",
        "uncertain",
        "role",
        "scope",
        "text",
    )


class TherapyEvidenceInline(nested_admin.NestedTabularInline):
    model = TherapyEvidence
    extra = 0
    sortable_field_name = "order"
    autocomplete_fields = ("evidence",)
    fields = ("order", "evidence", "review_state")
    readonly_fields = ("review_state",)

    @admin.display(description=_("review"))
    def review_state(self, obj: TherapyEvidence):
        if obj.pk is None:
            return "—"
        return _overdue_badge(1 if obj.evidence.is_overdue() else 0)


def _formsets_changed(formsets) -> bool:
    """Whether any (nested) inline changed, so a no-op save keeps the revision."""
    for formset in formsets:
        if formset.has_changed() or getattr(formset, "deleted_forms", None):
            return True
        for form in formset.forms:
            if _formsets_changed(getattr(form, "nested_formsets", None) or []):
                return True
    return False


@admin.register(Therapy)
class TherapyAdmin(
    TherapyReviewActionMixin, SimpleHistoryAdmin, TranslationAdmin, nested_admin.NestedModelAdmin
):
    # Routes as checkboxes and the audited "mark reviewed" action: admin/therapy_forms.py.
    form = TherapyForm
    actions = ["mark_reviewed"]
    list_display = (
        "slug",
        "name",
        "family",
        "target_class",
        "conditions",
        "revision",
        "evidence_review",
    )
    list_filter = ("family", "indications__disease", "indications__status")
    search_fields = ("slug", "name", "target")
    inlines = [IndicationInline, TherapyEvidenceInline]
    readonly_fields = ("revision", "evidence_review")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("slug", "family"),
                    "name",
                    ("target", "target_class"),
                    ("routes", "administration"),
                    "schedule",
                    ("onset_weeks_min", "onset_weeks_max"),
                    ("revision", "evidence_review"),
                )
            },
        ),
        (
            _("For patients (plain language; benefits and downsides in equal detail)"),
            {
                "fields": (
                    "what_it_is",
                    "how_taken",
                    "benefits",
                    "downsides",
                    "living_with",
                    "pregnancy",
                )
            },
        ),
        (
            _("Side effects, risks and tests"),
            {"fields": ("common_side_effects", "serious_risks", "monitoring", "unverified")},
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("indications", "references__evidence")

    @admin.display(description=_("conditions"))
    def conditions(self, obj: Therapy):
        return format_html_join(
            ", ",
            "{} ({})",
            (
                (indication.get_disease_display(), indication.get_status_display())
                for indication in obj.indications.all()
            ),
        )

    @admin.display(description=_("evidence review"))
    def evidence_review(self, obj: Therapy):
        if obj.pk is None:
            return "—"
        return _overdue_badge(sum(link.evidence.is_overdue() for link in obj.references.all()))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or _formsets_changed(formsets)):
            therapy_services.therapy_revision_bump(therapy=form.instance)


class RuleEvidenceInline(admin.TabularInline):
    model = RuleEvidence
    extra = 0
    autocomplete_fields = ("evidence",)


class TherapyRuleForm(forms.ModelForm):
    class Meta:
        model = TherapyRule
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def clean_condition(self):
        condition = self.cleaned_data.get("condition")
        problems = rule_condition_problems(condition=condition)
        if problems:
            raise forms.ValidationError([str(problem) for problem in problems])
        return condition


@admin.register(TherapyRule)
class TherapyRuleAdmin(SimpleHistoryAdmin, TranslationAdmin):
    form = TherapyRuleForm
    list_display = ("rule_id", "effect", "applies", "active", "revision")
    list_filter = ("effect", "active")
    search_fields = ("rule_id",)
    inlines = [RuleEvidenceInline]
    readonly_fields = ("revision",)
    fieldsets = (
        (None, {"fields": (("rule_id", "active", "revision"), "effect")}),
        (
            _("Applies to (any match)"),
            {"fields": ("therapies", "families", "target_classes")},
        ),
        (
            _("When"),
            {
                "fields": ("condition",),
                "description": _(
                    "The same condition language as a question's 'show if', over the "
                    "patient's answers and the derived keys scale.<key>.severity, "
                    "scale.<key>.score, prior.tried, prior.not_effective, "
                    "prior.side_effects and prior.stop_reasons."
                ),
            },
        ),
        (_("Adjustment (adjusting rules only)"), {"fields": ("criterion", "multiplier", "delta")}),
        (_("Messages"), {"fields": ("clinician_message", "patient_message")}),
    )

    @admin.display(description=_("applies to"))
    def applies(self, obj: TherapyRule):
        return ", ".join(obj.applies_to())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or _formsets_changed(formsets)):
            therapy_services.rule_revision_bump(rule=form.instance)


@admin.register(SimulationCase)
class SimulationCaseAdmin(SimulationCaseAdminMixin, SimpleHistoryAdmin):
    # Pickers instead of raw JSON, answers from a preview, the result: admin_cases.py.
    list_display = ("name", "version", "expected_leader")
    list_filter = ("version__questionnaire", "version")
    search_fields = ("name",)
    actions = ["run_cases", "run_version_cases"]

    def _report(self, request, outcomes) -> None:
        for outcome in outcomes:
            if outcome.passed:
                self.message_user(request, _("%(name)s: passed.") % {"name": outcome.name})
            else:
                self.message_user(
                    request,
                    format_html(
                        "{} <ul>{}</ul>",
                        _("%(name)s: failed.") % {"name": outcome.name},
                        format_html_join("", "<li>{}</li>", ((f,) for f in outcome.failures)),
                    ),
                    messages.ERROR,
                )

    @admin.action(description=_("Run the selected test cases"))
    def run_cases(self, request, queryset):
        self._report(
            request,
            [
                case_services.simulation_case_run(case=case)
                for case in queryset.select_related("version__questionnaire").order_by("name")
            ],
        )

    @admin.action(description=_("Run every test case of the selected cases' versions"))
    def run_version_cases(self, request, queryset):
        versions = {case.version for case in queryset.select_related("version__questionnaire")}
        for version in sorted(versions, key=lambda version: version.pk):
            self._report(request, case_services.simulation_cases_run(version=version))
