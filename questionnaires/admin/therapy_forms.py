"""Therapy profiles as forms: routes picked from their codes, and the audited "mark
reviewed" action that moves the evidence-review date (``services.therapy_reviews``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from questionnaires.models import Criterion, Therapy
from questionnaires.models.therapy import Better, Route
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.therapy_reviews import therapy_mark_reviewed


class TherapyForm(forms.ModelForm):
    routes = forms.MultipleChoiceField(
        label=_("routes"),
        choices=Route.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("How the treatment is given; tick every route that applies."),
    )

    class Meta:
        model = Therapy
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def clean_routes(self):
        picked = set(self.cleaned_data.get("routes") or [])
        return [code for code, _label in Route.choices if code in picked]  # a stable order


class TherapyReviewActionMixin:
    """The "mark reviewed" list action: a reviewer's separate, audited step."""

    @admin.action(description=_("Mark the selected profiles reviewed (sources checked today)"))
    def mark_reviewed(self, request, queryset):
        for therapy in queryset.order_by("slug"):
            try:
                sources = therapy_mark_reviewed(therapy=therapy, actor=request.user)
            except ServiceRefused as refused:
                self.message_user(request, "; ".join(refused.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(therapy)s marked reviewed: %(count)d source(s) checked today.")
                    % {"therapy": therapy.slug, "count": len(sources)},
                )


# --- criterion values: one number field per criterion ------------------------------------

VALUE_FIELD_PREFIX = "criterion__"


def _criteria() -> list[tuple[str, str, str, str]]:
    return list(
        Criterion.objects.order_by("order", "key").values_list(
            "key", "name", "better", "description"
        )
    )


def indication_values_form(base: type[forms.ModelForm], criteria) -> type[forms.ModelForm]:
    """``base`` with one number field per criterion in place of the ``values`` JSON."""
    attrs: dict = {"criteria_keys": tuple(key for key, *_rest in criteria)}
    for key, name, better, description in criteria:
        direction = (
            gettext("higher is better") if better == Better.HIGHER else gettext("lower is better")
        )
        help_text = f"{description} ({direction})" if description else direction
        attrs[f"{VALUE_FIELD_PREFIX}{key}"] = forms.DecimalField(
            label=name or key, required=False, help_text=help_text
        )
    attrs["uncertain"] = forms.MultipleChoiceField(
        label=_("uncertain values"),
        choices=[(key, name or key) for key, name, *_rest in criteria],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick the criteria whose value is an estimate that could not be verified."),
    )
    return type(f"{base.__name__}WithValueFields", (IndicationValuesFormMixin, base), attrs)


class IndicationValuesFormMixin:
    criteria_keys: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        values = self.instance.values if isinstance(self.instance.values, dict) else {}
        for key in self.criteria_keys:
            if key in values:
                # As a Decimal: a field compares its initial value unconverted, and "70"
                # would differ from the 70 the page posts back (a no-op save bumps).
                self.initial[f"{VALUE_FIELD_PREFIX}{key}"] = Decimal(str(values[key]))

    def clean_uncertain(self):
        picked = set(self.cleaned_data.get("uncertain") or [])
        return [key for key in self.criteria_keys if key in picked]  # a stable order

    def clean(self):
        cleaned = super().clean()
        stored = self.instance.values if isinstance(self.instance.values, dict) else {}
        # Keys that are not (or no longer) criteria keep their stored value.
        values = {key: value for key, value in stored.items() if key not in self.criteria_keys}
        for key in self.criteria_keys:
            number = cleaned.get(f"{VALUE_FIELD_PREFIX}{key}")
            if number is not None:
                normal = number.normalize()
                values[key] = str(
                    normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal
                )
        self.instance.values = values
        return cleaned


class IndicationValuesInlineMixin:
    """For the indication inline: the number fields instead of the raw ``values``."""

    def _criteria(self, request):
        cache = request.__dict__.setdefault("sdm_criteria", None)
        if cache is None:
            cache = request.__dict__["sdm_criteria"] = _criteria()
        return cache

    def get_fields(self, request, obj=None):
        fields = []
        for field in super().get_fields(request, obj):
            if field == "values":
                fields.extend(
                    f"{VALUE_FIELD_PREFIX}{key}" for key, *_rest in self._criteria(request)
                )
            else:
                fields.append(field)
        return fields

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = indication_values_form(self.form, self._criteria(request))
        return super().get_formset(request, obj, **kwargs)
