"""The condition builder: show-if conditions picked from lists instead of typed as JSON.

A step's or question's page gets a few rows of plain form fields — an earlier question, an
operator, a value from that question's choices (or a typed value for numbers, dates and
text) — combined with "all" or "any". Saving writes the condition language
(``engine/conditions.py``). The raw JSON stays available under "advanced" for what the
rows cannot say (``not``, nesting). Either way the condition is checked on save by the
definition linter itself, with the condition put in its place in the version, and the
linter's messages are shown at the field they concern: what the page accepts is exactly
what the publish gate accepts. Works without JavaScript; ``static/js/admin-conditions.js``
only narrows the lists to what fits the chosen question.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from questionnaires.engine import conditions
from questionnaires.engine.definition import Kind, QuestionDef, StepDef, VersionDef
from questionnaires.engine.lint import lint_structure
from questionnaires.models import Question, Step
from questionnaires.services.definitions import definition_for_version

MIN_ROWS = 3
COMBINATOR_FIELD = "cond_combinator"
ADVANCED_FIELD = "cond_advanced"

OPERATOR_LABELS = {
    conditions.EQ: _("is"),
    conditions.NE: _("is not"),
    conditions.IN: _("is one of"),
    conditions.NOT_IN: _("is none of"),
    conditions.GT: _("is more than"),
    conditions.GTE: _("is at least"),
    conditions.LT: _("is less than"),
    conditions.LTE: _("is at most"),
    conditions.ANSWERED: _("is answered"),
    conditions.NOT_ANSWERED: _("is not answered"),
    conditions.CONTAINS: _("includes"),
    conditions.CONTAINS_ANY: _("includes any of"),
}
_ROW_PATH = re.compile(r"^\.(?:all|any)\[(\d+)\](.*)$")


def row_fields(row: int) -> tuple[str, str, str, str]:
    return (f"cond_{row}_q", f"cond_{row}_op", f"cond_{row}_choice", f"cond_{row}_text")


@dataclasses.dataclass(frozen=True)
class ConditionTarget:
    """Where a show-if condition stands in its version, and what it may refer to."""

    definition: VersionDef
    path: str  # the linter's path of the condition, e.g. "steps[2].questions[0].show_if"
    earlier: tuple[QuestionDef, ...]  # answerable questions it may use, in walk order

    @classmethod
    def for_object(cls, obj: Step | Question) -> ConditionTarget | None:
        """The target of a saved step or question (None for one not saved yet)."""
        if obj is None or obj.pk is None:
            return None
        if isinstance(obj, Step):
            version = obj.version
            step_pk, question_pk, parent_pk = obj.pk, None, None
        else:
            version = obj.step.version
            step_pk, question_pk, parent_pk = obj.step_id, obj.pk, obj.parent_id
        definition = definition_for_version(version)
        step_pks = list(
            Step.objects.filter(version=version)
            .order_by("order", "pk")
            .values_list("pk", flat=True)
        )
        step_index = step_pks.index(step_pk)
        earlier: list[QuestionDef] = [
            question for step in definition.steps[:step_index] for question in step.questions
        ]
        path = f"steps[{step_index}]"
        if question_pk is not None:
            siblings = list(
                Question.objects.filter(step_id=step_pk, parent_id=None)
                .order_by("order", "pk")
                .values_list("pk", flat=True)
            )
            step_def: StepDef = definition.steps[step_index]
            if parent_pk is None:
                index = siblings.index(question_pk)
                earlier += step_def.questions[:index]
                path += f".questions[{index}]"
            else:
                parent_index = siblings.index(parent_pk)
                children = list(
                    Question.objects.filter(parent_id=parent_pk)
                    .order_by("order", "pk")
                    .values_list("pk", flat=True)
                )
                index = children.index(question_pk)
                earlier += step_def.questions[:parent_index]
                earlier += step_def.questions[parent_index].children[:index]
                path += f".questions[{parent_index}].children[{index}]"
        answerable = tuple(
            question
            for question in earlier
            if conditions.OPERATORS_BY_KIND.get(question.kind)
            and question.kind != Kind.REPEAT_GROUP
        )
        return cls(definition=definition, path=f"{path}.show_if", earlier=answerable)

    def problems_with(self, condition: Any) -> list[tuple[str, str]]:
        """The linter's problems with ``condition`` put in its place: (sub-path, message)."""
        definition = _with_condition(self.definition, self.path, condition)
        found = []
        for problem in lint_structure(definition):
            if problem.path == self.path or problem.path.startswith(
                (f"{self.path}.", f"{self.path}[")
            ):
                found.append((problem.path[len(self.path) :], problem.message))
        return found


def _with_condition(definition: VersionDef, path: str, condition: Any) -> VersionDef:
    """A copy of ``definition`` with the show-if at ``path`` replaced."""
    indexes = [int(number) for number in re.findall(r"\[(\d+)\]", path)]
    step_index, rest = indexes[0], indexes[1:]
    steps = list(definition.steps)
    step = steps[step_index]
    if not rest:
        steps[step_index] = dataclasses.replace(step, show_if=condition)
    else:
        questions = list(step.questions)
        question = questions[rest[0]]
        if len(rest) == 1:
            questions[rest[0]] = dataclasses.replace(question, show_if=condition)
        else:
            children = list(question.children)
            children[rest[1]] = dataclasses.replace(children[rest[1]], show_if=condition)
            questions[rest[0]] = dataclasses.replace(question, children=tuple(children))
        steps[step_index] = dataclasses.replace(step, questions=tuple(questions))
    return dataclasses.replace(definition, steps=tuple(steps))


def _text(text: Mapping[str, str]) -> str:
    value = text.get("en") or next(iter(text.values()), "")
    return value if len(value) <= 70 else value[:69] + "…"


def _choice_token(key: str, value: Any) -> str:
    return f"{key}={json.dumps(value)}"


def _value_options(question: QuestionDef) -> list[tuple[str, str]]:
    if question.kind == Kind.YES_NO:
        return [
            (_choice_token(question.key, True), gettext("yes")),
            (_choice_token(question.key, False), gettext("no")),
        ]
    if question.kind in Kind.WITH_CHOICES:
        return [
            (_choice_token(question.key, choice.value), f"{_text(choice.label)} ({choice.value})")
            for choice in question.choices
        ]
    return []


def rows_for(condition: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """The builder rows showing ``condition`` (combinator, leaves), or None when the rows
    cannot say it (``not``, nesting, malformed): then it is edited as JSON."""
    if not condition:
        return "all", []
    if not isinstance(condition, Mapping):
        return None
    for combinator in ("all", "any"):
        if set(condition) == {combinator} and isinstance(condition[combinator], list):
            leaves = condition[combinator]
            if leaves and all(_is_plain_leaf(leaf) for leaf in leaves):
                return combinator, list(leaves)
            return None
    if _is_plain_leaf(condition):
        return "all", [condition]
    return None


def _is_plain_leaf(node: Any) -> bool:
    return (
        isinstance(node, Mapping)
        and set(node) <= {"q", "op", "value"}
        and isinstance(node.get("q"), str)
        and node.get("op") in conditions.OPERATORS
    )


class ConditionBuilderForm(forms.ModelForm):
    """Base for the step and question forms; ``condition_form_class`` binds a target."""

    condition_target: ConditionTarget | None = None
    condition_rows: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        target = self.condition_target
        if target is None or "show_if" not in self.fields:
            return
        self.fields["show_if"].label = _("Condition as JSON")
        self.fields["show_if"].help_text = _(
            "Advanced: the condition language written out. Used only when "
            "“write the condition as JSON” is ticked."
        )
        if self.is_bound:
            return
        shown = rows_for(self.instance.show_if)
        if shown is None:
            self.initial[ADVANCED_FIELD] = True
            return
        combinator, leaves = shown
        self.initial[COMBINATOR_FIELD] = combinator
        questions = {question.key: question for question in target.earlier}
        for row, leaf in enumerate(leaves):
            q_field, op_field, choice_field, text_field = row_fields(row)
            self.initial[q_field] = leaf["q"]
            self.initial[op_field] = leaf["op"]
            value = leaf.get("value")
            question = questions.get(leaf["q"])
            values = value if isinstance(value, list) else [value]
            if leaf["op"] in conditions.PRESENCE_OPS:
                continue
            if question is not None and _value_options(question) and len(values) == 1:
                self.initial[choice_field] = _choice_token(question.key, values[0])
            else:
                self.initial[text_field] = ", ".join(
                    value if isinstance(value, str) else json.dumps(value) for value in values
                )

    # --- saving ---------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        target = self.condition_target
        if target is None or "show_if" not in self.fields:
            return cleaned
        if cleaned.get(ADVANCED_FIELD):
            if "show_if" in self.errors:
                return cleaned  # not even JSON: Django's own message is at the field
            condition = cleaned.get("show_if") or None
            for sub_path, message in target.problems_with(condition):
                self.add_error("show_if", f"{sub_path.lstrip('.') or 'condition'}: {message}")
            cleaned["show_if"] = condition
            return cleaned
        leaves = []
        for row in range(self.condition_rows):
            leaf = self._leaf(row, cleaned, {q.key: q for q in target.earlier})
            if leaf is not None:
                leaves.append((row, leaf))
        if self.errors:
            return cleaned
        if not leaves:
            condition = None
        elif len(leaves) == 1:
            condition = leaves[0][1]
        else:
            condition = {cleaned.get(COMBINATOR_FIELD) or "all": [leaf for _, leaf in leaves]}
        for sub_path, message in target.problems_with(condition):
            self._add_row_error(sub_path, message, [row for row, _ in leaves])
        cleaned["show_if"] = condition
        return cleaned

    def _leaf(self, row: int, cleaned, questions) -> dict[str, Any] | None:
        q_field, op_field, choice_field, text_field = row_fields(row)
        key, op = cleaned.get(q_field), cleaned.get(op_field)
        choice, typed = cleaned.get(choice_field), (cleaned.get(text_field) or "").strip()
        if not key:
            if op or choice or typed:
                self.add_error(q_field, gettext("Pick the question this test is about."))
            return None
        if not op:
            self.add_error(op_field, gettext("Pick how the answer is compared."))
            return None
        leaf: dict[str, Any] = {"q": key, "op": op}
        if op in conditions.PRESENCE_OPS:
            return leaf
        question = questions[key]
        if choice:
            choice_key, _sep, encoded = choice.partition("=")
            if choice_key != key:
                self.add_error(
                    choice_field,
                    gettext("This value is an answer to “%(other)s”, not to “%(key)s”.")
                    % {"other": choice_key, "key": key},
                )
                return None
            values = [json.loads(encoded)]
        elif typed:
            values = [_typed_value(part.strip(), question) for part in typed.split(",")]
        else:
            self.add_error(choice_field, gettext("Pick a value (or type one)."))
            return None
        leaf["value"] = values if op in conditions.LIST_VALUE_OPS else values[0]
        return leaf

    def _add_row_error(self, sub_path: str, message: str, rows: list[int]) -> None:
        """Put one linter message at the builder field it concerns."""
        match = _ROW_PATH.match(sub_path)
        if match:
            row, rest = rows[int(match.group(1))], match.group(2)
        else:
            row, rest = rows[0] if rows else 0, sub_path
        q_field, op_field, choice_field, text_field = row_fields(row)
        if rest.startswith(".value"):
            field = text_field if self.cleaned_data.get(text_field) else choice_field
        elif "operator" in message:
            field = op_field
        else:
            field = q_field
        self.add_error(field, message)


def _typed_value(text: str, question: QuestionDef) -> Any:
    """A typed value in the type the question's answers have (the linter judges it)."""
    if question.kind in Kind.NUMERIC:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        return int(number) if number == number.to_integral_value() else float(number)
    if question.kind == Kind.YES_NO:
        lowered = text.lower()
        return {"true": True, "yes": True, "false": False, "no": False}.get(lowered, text)
    return text


def condition_form_class(
    base: type[forms.ModelForm], target: ConditionTarget | None, *, rows: int
) -> type[forms.ModelForm]:
    """``base`` with ``rows`` builder rows for ``target`` (unchanged when there is none)."""
    if target is None:
        return base
    question_choices = [("", "—")] + [
        (question.key, f"{question.key}: {_text(question.text)}") for question in target.earlier
    ]
    value_choices: list = [("", "—")]
    for question in target.earlier:
        options = _value_options(question)
        if options:
            value_choices.append((question.key, options))
    operator_choices = [("", "—")] + [(op, OPERATOR_LABELS[op]) for op in conditions.OPERATORS]
    attrs: dict[str, Any] = {
        "condition_target": target,
        "condition_rows": rows,
        COMBINATOR_FIELD: forms.ChoiceField(
            label=_("Show when"),
            choices=[("all", _("all of these hold")), ("any", _("any of these holds"))],
            initial="all",
            required=False,
        ),
        ADVANCED_FIELD: forms.BooleanField(
            label=_("Write the condition as JSON instead (advanced)"), required=False
        ),
    }
    kinds = {question.key: question.kind for question in target.earlier}
    for row in range(rows):
        q_field, op_field, choice_field, text_field = row_fields(row)
        number = row + 1
        attrs[q_field] = forms.ChoiceField(
            label=_("Test %(number)d: question") % {"number": number},
            choices=question_choices,
            required=False,
            widget=KindSelect(kinds=kinds),
        )
        attrs[op_field] = forms.ChoiceField(
            label=_("Test %(number)d: operator") % {"number": number},
            choices=operator_choices,
            required=False,
            widget=forms.Select(attrs={"data-condition-operator": ""}),
        )
        attrs[choice_field] = forms.ChoiceField(
            label=_("Test %(number)d: value from its choices") % {"number": number},
            choices=value_choices,
            required=False,
            widget=forms.Select(attrs={"data-condition-value": ""}),
        )
        attrs[text_field] = forms.CharField(
            label=_("Test %(number)d: or a typed value") % {"number": number},
            required=False,
            help_text=_("A number, a date (YYYY-MM-DD) or text; separate several with commas."),
        )
    return type(f"{base.__name__}WithConditionBuilder", (base,), attrs)


def condition_row_count(condition: Any) -> int:
    """Rows to show: one per test already there and one empty, at least ``MIN_ROWS``."""
    shown = rows_for(condition)
    return MIN_ROWS if shown is None else max(MIN_ROWS, len(shown[1]) + 1)


def condition_fieldsets(rows: int) -> list[tuple]:
    """The admin fieldsets of the builder, the JSON last."""
    return [
        (
            _("Show this only when…"),
            {
                "fields": (
                    COMBINATOR_FIELD,
                    *(row_fields(row) for row in range(rows)),
                ),
                "description": _(
                    "Pick an earlier question, how to compare its answer and a value. "
                    "Leave every test empty to always show it."
                ),
            },
        ),
        (
            _("Advanced: the condition as JSON"),
            {"classes": ("collapse",), "fields": (ADVANCED_FIELD, "show_if")},
        ),
    ]


class KindSelect(forms.Select):
    """A question picker whose options carry the question's kind (for the script)."""

    def __init__(self, *args, kinds: Mapping[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = dict(kinds)
        self.attrs["data-condition-question"] = json.dumps(
            {key: list(conditions.OPERATORS_BY_KIND.get(kind, ())) for key, kind in kinds.items()}
        )

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.kinds:
            option["attrs"]["data-kind"] = self.kinds[value]
        return option
