"""Content-admin authoring: versions, their steps (``admin/steps.py``), publishing and import.

A version's page lists its steps; each step and each question has its own page
(``admin/steps.py``), so no page outgrows Django's field limit. Nesting and drag ordering
come from django-nested-admin, the per-language fields from
django-modeltranslation, change history from django-simple-history. Published and
retired versions are shown read-only; the actions publish, clone, retire and export
call the services, which enforce the same rules for the shell and the commands.
"""

from __future__ import annotations

import nested_admin
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationInlineModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from questionnaires.admin.interop import interop_urls
from questionnaires.admin.preview import preview_urls
from questionnaires.admin.publish import publish_urls
from questionnaires.admin.steps import (
    FieldLimitMixin,
    LabelledRowsMixin,
    StepListInline,
    _version_of,
)
from questionnaires.models import (
    AuditEvent,
    Instrument,
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Scale,
    ScaleBand,
    Team,
    VersionStatus,
)
from questionnaires.services import definitions as definition_services
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.interop import version_export, version_export_notes
from questionnaires.services.invitations import invitation_delete, invitation_revoke
from questionnaires.services.retention import response_erase

PREVIEW_WALKS_SHOWN = 5


class DraftOnlyInlineMixin:
    """Inlines of a published or retired version are read-only."""

    def _editable(self, obj) -> bool:
        version = _version_of(obj)
        return version is None or version.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ScaleBandInline(
    LabelledRowsMixin,
    DraftOnlyInlineMixin,
    TranslationInlineModelAdmin,
    nested_admin.NestedTabularInline,
):
    model = ScaleBand
    extra = 0
    sortable_field_name = "order"
    fields = ("order", "lower", "upper", "label", "severity")


class ScaleInline(
    DraftOnlyInlineMixin, TranslationInlineModelAdmin, nested_admin.NestedStackedInline
):
    model = Scale
    extra = 0
    sortable_field_name = "order"
    inlines = [ScaleBandInline]
    fields = (
        "order",
        "key",
        "name",
        "item_keys",
        ("method", "max_missing", "higher_is"),
        ("min_score", "max_score"),
        "instrument",
    )


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(
    FieldLimitMixin, SimpleHistoryAdmin, TranslationAdmin, nested_admin.NestedModelAdmin
):
    list_display = ("questionnaire", "number", "title", "status", "published_at")
    list_filter = ("status", "questionnaire")
    search_fields = ("questionnaire__slug", "title")
    inlines = [StepListInline, ScaleInline]
    change_form_template = "admin/questionnaires/questionnaireversion/change_form.html"
    actions = ["publish", "clone_to_draft", "retire", "export_sdm_json", "export_fhir"]
    # The linter runs on the change page only: in the list it would run once per row.
    readonly_fields = (
        "status",
        "published_at",
        "retired_at",
        "definition_hash",
        "cloned_from",
    )
    fields = (
        "questionnaire",
        "number",
        "title",
        "description",
        "estimated_minutes",
        "languages",
        "source_url",
        "status",
        "published_at",
        "retired_at",
        "definition_hash",
        "cloned_from",
    )

    def get_urls(self):
        # Before the admin's own: its catch-all would swallow them.
        return preview_urls(self) + publish_urls(self) + interop_urls(self) + super().get_urls()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return [field.name for field in self.model._meta.fields] + [
                field
                for field in super().get_readonly_fields(request, obj)
                if field not in {f.name for f in self.model._meta.fields}
            ]
        return super().get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        # A published or retired version is shown view-only (no save button); it can
        # still be cloned, retired or exported from the list's actions.
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The linter runs once per page: the report at the top and each step's row use it.
        version = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if version is not None:
            # Preview walks of this version, newest first: each can become a test case.
            extra_context["preview_walks"] = list(
                Response.objects.filter(version=version, is_preview=True)
                .only("pk", "started_at", "status", "answers")
                .order_by("-started_at")[:PREVIEW_WALKS_SHOWN]
            )
        if version is not None and version.status == VersionStatus.DRAFT:
            problems = definition_services.version_lint(version=version)
            request.sdm_lint_problems = problems
            extra_context["lint_problems"] = problems
            extra_context["lint_ran"] = True
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Publish the selected draft…"))
    def publish(self, request, queryset):
        # Publishing is confirmed on its own page (linter, test cases, patients mid-way,
        # changes); the action only leads there.
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one draft to publish."), messages.ERROR)
            return None
        return redirect("admin:questionnaires_questionnaireversion_publish", queryset.get().pk)

    @admin.action(description=_("Clone to a new draft"))
    def clone_to_draft(self, request, queryset):
        for version in queryset:
            clone = definition_services.version_clone(version=version, actor=request.user)
            self.message_user(
                request,
                _("%(version)s cloned to draft %(clone)s.") % {"version": version, "clone": clone},
            )

    @admin.action(description=_("Retire the selected published version"))
    def retire(self, request, queryset):
        for version in queryset:
            try:
                definition_services.version_retire(version=version, actor=request.user)
            except ServiceRefused as refused:
                self.message_user(request, "; ".join(refused.messages), messages.ERROR)
            else:
                self.message_user(request, _("%(version)s retired.") % {"version": version})

    def _export(self, request, queryset, *, fmt: str):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to export."), messages.ERROR)
            return None

        version = queryset.get()
        filename, content = version_export(version=version, fmt=fmt)
        if fmt == "fhir":
            # The download replaces the page; the notes show on the next page the admin opens.
            for note in version_export_notes(version=version):
                self.message_user(
                    request, _("FHIR export: %(note)s") % {"note": note}, messages.WARNING
                )
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.action(description=_("Export (SDM JSON)"))
    def export_sdm_json(self, request, queryset):
        return self._export(request, queryset, fmt="sdm")

    @admin.action(description=_("Export (FHIR R4 Questionnaire)"))
    def export_fhir(self, request, queryset):
        return self._export(request, queryset, fmt="fhir")


class VersionInline(admin.TabularInline):
    model = QuestionnaireVersion
    extra = 0
    fields = ("number", "title", "status", "published_at")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Questionnaire)
class QuestionnaireAdmin(SimpleHistoryAdmin):
    list_display = ("slug", "disease", "created_at")
    search_fields = ("slug",)
    inlines = [VersionInline]


@admin.register(Instrument)
class InstrumentAdmin(SimpleHistoryAdmin):
    list_display = ("key", "name")
    search_fields = ("key", "name")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name",)
    filter_horizontal = ("members",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = (
        "patient_ref",
        "questionnaire",
        "disease",
        "team",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("questionnaire", "disease", "team")
    search_fields = ("patient_ref",)
    readonly_fields = ("token_hash", "created_at", "revoked_at", "revoked_by", "created_by")
    actions = ("revoke_selected",)

    def has_add_permission(self, request):
        # Invitations are created by the invitation service (clinician screen or command),
        # which is the only place the secret token exists in clear.
        return False

    def has_change_permission(self, request, obj=None):
        # Editing the team would hand a patient to another clinic unaudited, and editing
        # the reference would detach the letter from its patient: the admin reads, revokes
        # (audited, below) and deletes unused ones (audited); clinics create new ones.
        return False

    @admin.action(description=_("Revoke the selected invitations (their links stop working)"))
    def revoke_selected(self, request, queryset):
        for invitation in queryset:
            invitation_revoke(invitation=invitation, actor=request.user)
        self.message_user(request, _("The selected invitations are revoked."), messages.SUCCESS)

    # Only an invitation nobody answered can be deleted (a response PROTECTs its
    # invitation); each deletion is audited through the service.
    def delete_model(self, request, obj):
        invitation_delete(invitation=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for invitation in queryset:
            try:
                invitation_delete(invitation=invitation, actor=request.user)
            except ServiceRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("pk", "version", "status", "is_preview", "started_at", "submitted_at")
    list_filter = ("status", "is_preview")
    exclude = ("answers", "wizard_state")
    readonly_fields = [
        f.name for f in Response._meta.fields if f.name not in {"answers", "wizard_state"}
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting a response is an erasure: audited, its invitation revoked (so the link no
    # longer offers "Start"), through the one service every erasure goes through.
    def delete_model(self, request, obj):
        response_erase(response=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for response in queryset:
            response_erase(response=response, actor=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "action",
        "actor_name",
        "team",
        "invitation_id_ref",
        "response_id_ref",
        "object_repr",
    )
    list_filter = ("action", "team")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from questionnaires.admin import therapy  # noqa: E402, F401
