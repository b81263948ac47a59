"""Building the step form classes once per published version (cached), and a walk that
carries its step forms: the pages' view of where a patient stands.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property

from django import forms
from django.utils.datastructures import MultiValueDict

from questionnaires.engine.definition import Kind, QuestionDef, StepDef, VersionDef
from questionnaires.lru import ImmutableLru
from questionnaires.patient.walk import Walk
from questionnaires.selectors.definitions import definition_cache_key

from .fields import (
    build_field,
    max_rows,
)
from .step import (
    RowForm,
    StepContext,
    StepForm,
)

# --- building and caching the classes ------------------------------------------------------


def _row_form_class(group: QuestionDef) -> type[RowForm]:
    fields = OrderedDict()
    for child in group.children:
        built = build_field(child)
        if built is not None:
            fields[child.key] = built
    return type(f"RowForm_{group.key}", (RowForm,), fields)


def _group_formset(group: QuestionDef) -> type[forms.BaseFormSet]:
    limit = max_rows(group)
    return forms.formset_factory(
        _row_form_class(group),
        extra=1,
        max_num=limit,
        absolute_max=limit,
        validate_max=True,
    )


def build_step_form_class(definition: VersionDef, step: StepDef) -> type[StepForm]:
    fields = OrderedDict()
    groups = {}
    same_step_earlier: dict[str, frozenset[str]] = {}
    earlier: list[str] = []
    for question in step.questions:
        same_step_earlier[question.key] = frozenset(earlier)
        earlier.append(question.key)
        if question.kind == Kind.REPEAT_GROUP:
            groups[question.key] = _group_formset(question)
            continue
        built = build_field(question)
        if built is not None:
            fields[question.key] = built
    attributes = {
        **fields,
        "step": step,
        "definition": definition,
        "group_formsets": groups,
        "same_step_earlier": same_step_earlier,
    }
    return type(f"StepForm_{step.key}", (StepForm,), attributes)


def build_step_form_classes(definition: VersionDef) -> dict[str, type[StepForm]]:
    return {step.key: build_step_form_class(definition, step) for step in definition.steps}


_form_classes: ImmutableLru[dict[str, type[StepForm]]] = ImmutableLru(size=64)


def step_form_classes(
    definition: VersionDef, *, cache_key: tuple | None
) -> dict[str, type[StepForm]]:
    """Form classes per step key; cached under ``cache_key`` (None: a draft, never cached).

    ``cache_key`` must identify an immutable definition, e.g. (version pk, definition hash).
    """
    return _form_classes.get_or_build(cache_key, lambda: build_step_form_classes(definition))


# --- a walk with its step forms (the pages' view of where a patient stands) ---------------


class FormWalk(Walk):
    """A ``Walk`` that also builds the step forms: what the wizard and its tests use.

    ``walk.Walk`` itself knows nothing of forms, so services (the submit) read a response
    without building one; the pages subclass it here.
    """

    @cached_property
    def form_classes(self) -> dict[str, type[StepForm]]:
        return step_form_classes(
            self.definition, cache_key=definition_cache_key(self.response.version)
        )

    def context(self) -> StepContext:
        return StepContext(
            definition=self.definition,
            answers=self.answers,
            kept=self.kept,
            visible_questions=self.visibility.questions,
            preset=self.preset,
        )

    def stored_data(self, key: str) -> MultiValueDict:
        """What the step shows: its draft when one is pending, otherwise the saved answers."""
        draft = self.drafts.get(key)
        if isinstance(draft, dict):
            return MultiValueDict(
                {
                    name: [str(v) for v in values]
                    for name, values in draft.items()
                    if isinstance(values, list)
                }
            )
        return self.form_classes[key].data_for_answers(self.answers, prefix=key)

    def form(self, key: str, *, data=None, quiet: bool = False) -> StepForm:
        form_class = self.form_classes[key]
        return form_class(
            data if data is not None else self.stored_data(key),
            prefix=key,
            context=self.context(),
            quiet=quiet,
        )
