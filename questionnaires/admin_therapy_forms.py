"""Therapy profiles as forms: routes picked from their codes, and the audited "mark
reviewed" action that moves the evidence-review date (``services.therapy_reviews``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from questionnaires.models import Therapy
from questionnaires.models.therapy import Route
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
