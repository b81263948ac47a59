"""Simulator test cases people can write: expectations picked from lists, answers from a
preview walk, the case's result shown beside it.

Each expectation is asserted only when the author chose it: no leader picked means any
leader; the not-suitable list is checked only when "check which options are not suitable"
is ticked (then an empty pick asserts that none is). Answers come from a preview of the
version ("Save as a test case" on the version page prefills them) or are typed as JSON.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from questionnaires.models import Response, SimulationCase, Therapy, TherapyRule
from questionnaires.services import simulation_cases as case_services


def _option_choices() -> list[tuple[str, str]]:
    return [
        (slug, f"{name or slug} ({slug})")
        for slug, name in Therapy.objects.order_by("slug").values_list("slug", "name")
    ]


class SimulationCaseForm(forms.ModelForm):
    leader_pick = forms.ChoiceField(
        label=_("Must lead"),
        required=False,
        help_text=_("The option that must fit best. Leave at “any” to not check it."),
    )
    check_not_suitable = forms.BooleanField(
        label=_("Check which options are “not suitable now”"),
        required=False,
        help_text=_("Unticked: not checked. Ticked: exactly the options picked below."),
    )
    not_suitable_pick = forms.MultipleChoiceField(
        label=_("Not suitable now (exactly these)"), required=False
    )
    cautions_pick = forms.MultipleChoiceField(
        label=_("Rules that must raise a caution"), required=False
    )

    class Meta:
        model = SimulationCase
        fields = ("version", "name", "description", "answers", "expected_conflicts")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = _option_choices()
        self.fields["leader_pick"].choices = [("", gettext("any (not checked)")), *options]
        self.fields["not_suitable_pick"].choices = options
        self.fields["cautions_pick"].choices = [
            (rule_id, rule_id)
            for rule_id in TherapyRule.objects.order_by("rule_id").values_list("rule_id", flat=True)
        ]
        case = self.instance
        if case.pk is not None and not self.is_bound:
            self.initial["leader_pick"] = case.expected_leader
            self.initial["check_not_suitable"] = case.expected_not_suitable is not None
            self.initial["not_suitable_pick"] = case.expected_not_suitable or []
            self.initial["cautions_pick"] = case.expected_cautions or []

    def clean(self):
        cleaned = super().clean()
        case = self.instance
        case.expected_leader = cleaned.get("leader_pick") or ""
        case.expected_not_suitable = (
            list(cleaned.get("not_suitable_pick") or [])
            if cleaned.get("check_not_suitable")
            else None
        )
        case.expected_cautions = list(cleaned.get("cautions_pick") or [])
        return cleaned


class SimulationCaseAdminMixin:
    """For ``SimulationCaseAdmin``: the pickers, answers from a preview, the result."""

    form = SimulationCaseForm
    fieldsets = (
        (None, {"fields": ("version", "name", "description", "result")}),
        (
            _("Answers"),
            {
                "fields": ("answers",),
                "description": _(
                    "Question key → answer. Use “Save as a test case” under a preview walk "
                    "on the version's page to fill them by answering as a patient."
                ),
            },
        ),
        (
            _("What must come out (only what you pick is checked)"),
            {"fields": ("leader_pick", "check_not_suitable", "not_suitable_pick", "cautions_pick")},
        ),
        (
            _("Advanced"),
            {"classes": ("collapse",), "fields": ("expected_conflicts",)},
        ),
    )
    readonly_fields = ("result",)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        preview_id = request.GET.get("preview", "")
        if preview_id.isdigit():
            preview = (
                Response.objects.filter(pk=int(preview_id), is_preview=True)
                .only("answers", "version_id")
                .first()
            )
            if preview is not None:
                initial["answers"] = preview.answers
                initial["version"] = preview.version_id
        return initial

    @admin.display(description=_("result"))
    def result(self, obj):
        if obj is None or obj.pk is None:
            return gettext("Shown here once the case is saved.")
        outcome = case_services.simulation_case_run(case=obj)
        if outcome.passed:
            return format_html('<span class="sdm-ok">{}</span>', gettext("passes"))
        return format_html(
            '<span class="sdm-problem">{}</span><ul class="errorlist">{}</ul>',
            gettext("fails"),
            format_html_join("", "<li>{}</li>", ((failure,) for failure in outcome.failures)),
        )
