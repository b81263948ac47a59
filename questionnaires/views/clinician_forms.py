"""Forms of the clinician workspace: dashboard filters and "invite a patient"."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from questionnaires.models import Disease, Questionnaire, Team, VersionStatus
from questionnaires.models.response import InvitationStatus
from questionnaires.selectors.dashboard import DashboardFilters, questionnaire_title_expression

MAX_INVITATION_DAYS = 90

PATIENT_REF_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
    _(
        "Use letters, digits and the signs . _ / - only, without spaces. "
        "Use the clinic's reference, never the patient's name."
    ),
)
SUBMISSION_ID_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$")


class DashboardFilterForm(forms.Form):
    q = forms.CharField(label=_("Patient reference"), required=False, max_length=64)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *InvitationStatus.choices],
    )
    condition = forms.ChoiceField(
        label=_("Condition"), required=False, choices=[("", _("Any condition")), *Disease.choices]
    )
    invited_from = forms.DateField(
        label=_("Invited from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    invited_to = forms.DateField(
        label=_("Invited until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("invited_from"), cleaned.get("invited_to")
        if start and end and start > end:
            self.add_error("invited_to", _("The end date must not be before the start date."))
        return cleaned

    def filters(self) -> DashboardFilters:
        """The valid filters; a field with an error is ignored (so bad input shows everything)."""
        if not self.is_bound:
            return DashboardFilters()
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return DashboardFilters(
            status=data.get("status") or "",
            disease=data.get("condition") or "",
            created_from=data.get("invited_from"),
            created_to=data.get("invited_to"),
            patient_ref=(data.get("q") or "").strip(),
        )


class QuestionnaireChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Questionnaire) -> str:
        return obj.published_title or obj.slug


def published_questionnaires() -> QuerySet[Questionnaire]:
    """Questionnaires a patient can be invited to, each with its published title."""
    return (
        Questionnaire.objects.filter(versions__status=VersionStatus.PUBLISHED)
        .annotate(published_title=questionnaire_title_expression(questionnaire_ref="pk"))
        .order_by("slug")
    )


class InviteForm(forms.Form):
    patient_ref = forms.CharField(
        label=_("Patient reference"),
        max_length=64,
        validators=[PATIENT_REF_VALIDATOR],
        help_text=_("The clinic's pseudonymous reference for this patient, never a name."),
        error_messages={"required": _("Enter the patient reference.")},
    )
    questionnaire = QuestionnaireChoiceField(
        label=_("Questionnaire"),
        queryset=Questionnaire.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Choose a questionnaire."),
            "invalid_choice": _("Choose one of the published questionnaires."),
        },
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        required=False,
        choices=[("", _("Choose the patient's condition")), *Disease.choices],
        error_messages={"invalid_choice": _("Choose one of the listed conditions.")},
    )
    language = forms.ChoiceField(
        label=_("Patient's language"),
        choices=settings.LANGUAGES,
        initial="en",
        help_text=_("The questionnaire starts in this language; the letter is printed in it."),
        error_messages={"invalid_choice": _("Choose one of the listed languages.")},
    )
    days = forms.IntegerField(
        label=_("Link valid for (days)"),
        min_value=1,
        max_value=MAX_INVITATION_DAYS,
        error_messages={
            "required": _("Enter for how many days the link works."),
            "invalid": _("Enter a whole number of days."),
            "min_value": _("The link must work for at least 1 day."),
            "max_value": _("The link can work for at most %(limit_value)s days."),
        },
    )
    appointment_date = forms.DateField(
        label=_("Appointment date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Printed on the letter and shown on your dashboard."),
        error_messages={
            "invalid": _("Enter the appointment date as a date, for example 2026-12-24.")
        },
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of your teams.")},
    )
    # One id per filled-in form, so that reloading the "invitation created" page (which
    # re-sends the POST) cannot create a second invitation by accident.
    submission_id = forms.CharField(
        widget=forms.HiddenInput, validators=[SUBMISSION_ID_VALIDATOR], max_length=64
    )

    def __init__(self, *args, teams: list[Team], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(pk__in=[team.pk for team in teams])
        self.fields["questionnaire"].queryset = published_questionnaires()
        self.fields["days"].initial = min(settings.SDM_INVITATION_DAYS, MAX_INVITATION_DAYS)
        if len(teams) == 1:
            self.fields["team"].initial = teams[0]
            self.fields["team"].widget = forms.HiddenInput()

    def clean_patient_ref(self) -> str:
        return self.cleaned_data["patient_ref"].strip()

    def clean_appointment_date(self):
        day = self.cleaned_data.get("appointment_date")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("The appointment date is in the past."))
        return day

    def clean(self):
        cleaned = super().clean()
        questionnaire: Questionnaire | None = cleaned.get("questionnaire")
        if questionnaire is None:
            return cleaned
        condition = cleaned.get("condition")
        if questionnaire.disease:
            if condition and condition != questionnaire.disease:
                self.add_error(
                    "condition",
                    _("This questionnaire is for %(condition)s; choose that condition.")
                    % {"condition": questionnaire.get_disease_display()},
                )
            elif not condition and "condition" not in self.errors:
                cleaned["condition"] = questionnaire.disease
        elif not condition and "condition" not in self.errors:
            self.add_error(
                "condition",
                _("Choose the patient's condition: this questionnaire covers several."),
            )
        language = cleaned.get("language")
        version = questionnaire.published_version()
        offered = version.languages if version is not None else []
        if language and offered and language not in offered:
            self.add_error(
                "language", _("This questionnaire is not available in the chosen language.")
            )
        return cleaned
