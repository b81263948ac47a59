"""Step-level editing: a version page lists its steps; each step and question has its own page.

One page for a whole version does not scale: the shipped questionnaire needs ~5,000 form
fields on one page, Django refuses a POST with more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``
(1,000) and every edit is lost. So the version page lists its steps (counts, linter
problems, drag ordering) with a link to each step's page; a step's page edits its own
fields, its condition and its questions as one row each (key, kind, wording, required),
with a link to each question's page for the choices and the condition. A page's size
then grows with one step's questions (about nine fields each), or one question's choices.

Should a page still be larger than the limit, ``field_limit_context`` says so at the top
and takes the save buttons away, before anyone types.
"""

from __future__ import annotations

import nested_admin
from django.conf import settings
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationInlineModelAdmin

from questionnaires.admin.conditions import (
    ConditionBuilderForm,
    ConditionTarget,
    condition_fieldsets,
    condition_form_class,
    condition_row_count,
)
from questionnaires.models import Choice, Question, QuestionnaireVersion, Step, VersionStatus

# Fields Django's admin posts besides the forms' own: csrf token and the save button.
PAGE_OVERHEAD_FIELDS = 2


def _version_of(obj) -> QuestionnaireVersion | None:
    """The version an admin object belongs to (the page's object for nested inlines)."""
    if obj is None:
        return None
    if isinstance(obj, QuestionnaireVersion):
        return obj
    for path in ("version", "step.version", "question.step.version", "scale.version"):
        current = obj
        for part in path.split("."):
            current = getattr(current, part, None)
            if current is None:
                break
        if isinstance(current, QuestionnaireVersion):
            return current
    return None


class _DraftOnly:
    """Pages and inlines of a published or retired version are view-only."""

    def _editable(self, obj) -> bool:
        version = _version_of(obj)
        return version is None or version.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        # Inlines only: the step and question pages define their own (no adding there).
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


# --- tabular rows with labels ---------------------------------------------------------------


class LabelledRowsMixin:
    """Tabular inlines label their inputs by the column heading alone, which a screen
    reader does not announce; each input gets an ``aria-label`` naming column and row.
    A blank row (there for adding without JavaScript) stays blank when only its position
    was filled in."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        noun = str(self.model._meta.verbose_name)

        sortable = getattr(self, "sortable_field_name", "")

        class RowForm(formset.form):
            def has_changed(self):
                # nested-admin's script numbers every row's position on submit, the blank
                # one too; a new row whose only change is its position is still blank.
                if self.instance.pk is None and sortable:
                    return any(name != sortable for name in self.changed_data)
                return super().has_changed()

        class LabelledFormSet(formset):
            form = RowForm

            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = gettext("new") if index is None else index + 1
                for field in form.fields.values():
                    widget = getattr(field.widget, "widget", field.widget)
                    label = field.label or gettext("delete")
                    widget.attrs["aria-label"] = f"{label} ({noun} {row})"

        return LabelledFormSet


# --- counting form fields -------------------------------------------------------------------


def _form_field_count(form) -> int:
    return len(form.fields)


def _formset_field_count(formset) -> int:
    # The management form's four fields, every form, and the empty template form the
    # page also carries (its inputs are posted too).
    count = len(formset.management_form.fields)
    for form in [*formset.forms, formset.empty_form]:
        count += _form_field_count(form)
        for nested in getattr(form, "nested_formsets", ()) or ():
            count += _formset_field_count(nested)
    return count


def page_field_count(context) -> int:
    """How many fields a change page posts (its form, its inlines, the page's own)."""
    count = PAGE_OVERHEAD_FIELDS
    adminform = context.get("adminform")
    if adminform is not None:
        count += sum(1 for name in adminform.form.fields if name not in adminform.readonly_fields)
    for inline_admin_formset in context.get("inline_admin_formsets", ()):
        count += _formset_field_count(inline_admin_formset.formset)
    return count


def field_limit_context(context) -> dict:
    """A warning and no save buttons when the page would post more fields than allowed."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is None or not context.get("has_change_permission", True):
        return {}
    count = page_field_count(context)
    if count <= limit:
        return {}
    return {
        "field_limit_warning": gettext(
            "This page has %(count)d fields, more than the %(limit)d the server accepts in one "
            "save, so saving it would fail and lose your edits. It is shown read-only: move "
            "some questions to another step (or choices to another question) first."
        )
        % {"count": count, "limit": limit},
        "show_save": False,
        "show_save_and_continue": False,
        "show_save_and_add_another": False,
        "show_save_as_new": False,
    }


class FieldLimitMixin:
    def render_change_form(self, request, context, *args, **kwargs):
        context.update(field_limit_context(context))
        return super().render_change_form(request, context, *args, **kwargs)


# --- the version page's list of steps ---------------------------------------------------------


class StepListInline(
    LabelledRowsMixin, _DraftOnly, TranslationInlineModelAdmin, nested_admin.NestedTabularInline
):
    """One row per step on the version page: its order, key and title, counts, linter."""

    model = Step
    extra = 1  # one blank row: a step can be added without JavaScript
    sortable_field_name = "order"
    show_change_link = True
    fields = ("order", "key", "title", "question_count", "choice_count", "lint_problems")
    readonly_fields = ("question_count", "choice_count", "lint_problems")

    lint_by_step: dict[int, list] = {}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                question_total=Count("questions", distinct=True),
                choice_total=Count("questions__choices", distinct=True),
            )
        )

    def get_formset(self, request, obj=None, **kwargs):
        # The version page computed the linter's problems once (``change_view``); each
        # step row shows those under its own path.
        problems = getattr(request, "sdm_lint_problems", None) or []
        step_pks = list(
            Step.objects.filter(version=obj).order_by("order", "pk").values_list("pk", flat=True)
        )
        by_step: dict[int, list] = {pk: [] for pk in step_pks}
        for problem in problems:
            for index, pk in enumerate(step_pks):
                if problem.path.startswith(f"steps[{index}]"):
                    by_step[pk].append(problem)
        self.lint_by_step = by_step
        self.version_is_draft = obj is None or obj.status == VersionStatus.DRAFT
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("questions"))
    def question_count(self, obj):
        return getattr(obj, "question_total", "—")

    @admin.display(description=_("choices"))
    def choice_count(self, obj):
        return getattr(obj, "choice_total", "—")

    @admin.display(description=_("linter"))
    def lint_problems(self, obj):
        if obj.pk is None or not self.version_is_draft:
            return "—"
        problems = self.lint_by_step.get(obj.pk, [])
        if not problems:
            return format_html('<span class="sdm-ok">{}</span>', gettext("no problems"))
        return format_html(
            '<span class="sdm-problem">{}</span>',
            gettext("%(count)d problem(s)") % {"count": len(problems)},
        )


# --- a step's page ------------------------------------------------------------------------------


class StepQuestionInline(
    LabelledRowsMixin, _DraftOnly, TranslationInlineModelAdmin, nested_admin.NestedTabularInline
):
    """A step's questions, one compact row each; choices and conditions on its own page."""

    model = Question
    fk_name = "step"
    extra = 1  # one blank row: a question can be added without JavaScript
    sortable_field_name = "order"
    show_change_link = True
    fields = ("order", "key", "kind", "text", "required", "group", "choice_count", "shown_if")
    readonly_fields = ("group", "choice_count", "shown_if")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(choice_total=Count("choices"))
        )

    @admin.display(description=_("in group"))
    def group(self, obj):
        return obj.parent.key if obj.parent_id else ""

    @admin.display(description=_("choices"))
    def choice_count(self, obj):
        return getattr(obj, "choice_total", 0)

    @admin.display(description=_("shown if"))
    def shown_if(self, obj):
        return describe_condition(obj.show_if) if obj.show_if else gettext("always")


def describe_condition(condition) -> str:
    """A short readable line for a condition (the page links to the full editor)."""
    from questionnaires.admin.conditions import OPERATOR_LABELS, rows_for

    shown = rows_for(condition)
    if shown is None:
        return gettext("(advanced condition)")
    combinator, leaves = shown
    parts = []
    for leaf in leaves:
        text = f"{leaf['q']} {OPERATOR_LABELS.get(leaf['op'], leaf['op'])}"
        if "value" in leaf:
            text += f" {leaf['value']!r}".replace("True", "yes").replace("False", "no")
        parts.append(text)
    joiner = gettext(" and ") if combinator == "all" else gettext(" or ")
    return joiner.join(parts)


class _ConditionAdminMixin:
    """Builds the page's form with the condition builder for the object's place."""

    form = ConditionBuilderForm

    def _target(self, request, obj):
        cache = request.__dict__.setdefault("sdm_condition_targets", {})
        key = (type(obj).__name__, getattr(obj, "pk", None))
        if key not in cache:
            cache[key] = ConditionTarget.for_object(obj)
        return cache[key]

    def _rows(self, obj) -> int:
        return condition_row_count(getattr(obj, "show_if", None))

    def get_form(self, request, obj=None, change=False, **kwargs):
        target = self._target(request, obj) if obj is not None else None
        kwargs["form"] = condition_form_class(self.form, target, rows=self._rows(obj))
        return super().get_form(request, obj, change=change, **kwargs)

    def condition_fieldsets(self, request, obj):
        if obj is None or self._target(request, obj) is None:
            return [(_("Condition"), {"fields": ("show_if",)})]
        if not self.has_change_permission(request, obj):
            return [(_("Condition"), {"fields": ("show_if",)})]
        return condition_fieldsets(self._rows(obj))


@admin.register(Step)
class StepAdmin(
    FieldLimitMixin,
    _DraftOnly,
    _ConditionAdminMixin,
    TranslationAdmin,
    nested_admin.NestedModelAdmin,
):
    inlines = [StepQuestionInline]
    readonly_fields = ("version",)
    change_form_template = "admin/questionnaires/step/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version__questionnaire")

    def get_fieldsets(self, request, obj=None):
        return self._patch_fieldsets(
            [
                (None, {"fields": ("version", "key", "title", "intro")}),
                *self.condition_fieldsets(request, obj),
            ]
        )

    def has_module_permission(self, request):
        return False  # reached from a version's page, not the index

    def has_add_permission(self, request):
        return False  # steps are added on their version's page

    def has_delete_permission(self, request, obj=None):
        return False  # and removed there


class ChoiceInline(
    LabelledRowsMixin, _DraftOnly, TranslationInlineModelAdmin, nested_admin.NestedTabularInline
):
    model = Choice
    extra = 1  # one blank row: a choice can be added without JavaScript
    sortable_field_name = "order"
    fields = ("order", "value", "label", "score", "system", "exclusive")


@admin.register(Question)
class QuestionAdmin(
    FieldLimitMixin,
    _DraftOnly,
    _ConditionAdminMixin,
    TranslationAdmin,
    nested_admin.NestedModelAdmin,
):
    inlines = [ChoiceInline]
    readonly_fields = ("step",)
    raw_id_fields = ("parent",)
    change_form_template = "admin/questionnaires/question/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step__version__questionnaire")

    def get_fieldsets(self, request, obj=None):
        # modeltranslation's patch: "text" becomes one field per language.
        return self._patch_fieldsets(self._fieldsets(request, obj))

    def _fieldsets(self, request, obj):
        return [
            (None, {"fields": ("step", "key", "kind", "text", "help", "required")}),
            *self.condition_fieldsets(request, obj),
            (
                _("Numbers, limits and groups"),
                {
                    "classes": ("collapse",),
                    "fields": (
                        ("min_value", "max_value", "unit"),
                        ("max_length", "max_rows"),
                        "not_in_past",
                        "parent",
                        "read_only",
                    ),
                },
            ),
            (
                _("Scoring and provenance"),
                {"classes": ("collapse",), "fields": ("instrument", "criterion", "link_id")},
            ),
        ]

    def has_module_permission(self, request):
        return False

    def has_add_permission(self, request):
        return False  # questions are added on their step's page

    def has_delete_permission(self, request, obj=None):
        return False  # and removed there
