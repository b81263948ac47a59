"""Where a patient stands in a questionnaire: one read of a response, used by every page.

``Walk.for_response`` loads the pinned definition (``selectors.definitions``, cached for
published versions), converts the stored answers to their engine form and runs the
visibility walk ONCE. Everything a page asks afterwards (which steps are walked, which one
is next, whether a step is complete) is answered from that one walk, never by
re-evaluating conditions per call, which is the formtools trap of conditions running
dozens of times per request. The step forms of a walk are ``forms.FormWalk``'s (the pages
use it); this module builds no form, so the submit service reads a response without one.

Wizard state (``Response.wizard_state[storage_key(pk)]``) holds the formtools storage
layout: ``step`` (the step to resume at), ``step_data`` (raw drafts of steps left
with "Back" or "Save and come back later" without passing validation), ``step_files``
(unused) and ``extra_data`` with ``accepted`` (steps that passed validation at least
once) and ``preset`` (question keys answered by the invitation, e.g. ``condition``).
Only services write it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from questionnaires.answers import answers_from_json
from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind, StepDef, VersionDef
from questionnaires.engine.expressions import has_expressions
from questionnaires.engine.visibility import Visibility, resolve_visibility
from questionnaires.interop.fhir_expressions import compute_answers
from questionnaires.models import Response
from questionnaires.selectors.definitions import version_definition

PRESET_CONDITION_KEY = "condition"


def storage_key(response_id: int) -> str:
    """The wizard storage slot of one response: its id is part of it (formtools #126)."""
    return f"wizard_response_{response_id}"


def empty_wizard_state() -> dict[str, Any]:
    return {
        "step": None,
        "step_data": {},
        "step_files": {},
        "extra_data": {"accepted": [], "preset": []},
    }


def wizard_state_of(response: Response) -> dict[str, Any]:
    state = (response.wizard_state or {}).get(storage_key(response.pk))
    if not isinstance(state, dict):
        return empty_wizard_state()
    merged = empty_wizard_state()
    merged.update(state)
    if not isinstance(merged.get("extra_data"), dict):
        merged["extra_data"] = {}
    merged["extra_data"].setdefault("accepted", [])
    merged["extra_data"].setdefault("preset", [])
    return merged


# --- FHIRPath expressions (imported FHIR forms) -------------------------------------------


def expression_answers(
    definition: VersionDef, answers: dict[str, Any], response: Response
) -> tuple[dict[str, Any], frozenset[str]]:
    """(answers, keys turned off) with the definition's FHIRPath applied, on the server.

    Calculated items get their value at every request (so at every step and at
    submit, which stores them); an item an enableWhenExpression turns off loses its
    answer; an initialExpression fills an unanswered item of a step not yet accepted.
    A failing expression leaves its item without a value (the linter reported it).
    """
    computed = compute_answers(definition, answers, source=response.version.fhir_source)
    result = {key: value for key, value in computed.answers.items() if key not in computed.disabled}
    accepted = set(wizard_state_of(response)["extra_data"].get("accepted") or ())
    step_of = {question.key: step.key for step in definition.steps for question in step.questions}
    for key, value in computed.initial.items():
        if step_of.get(key) not in accepted and key not in computed.disabled:
            result.setdefault(key, value)
    return result, computed.disabled


# --- the walk --------------------------------------------------------------------------------


@dataclass
class Walk:
    response: Response
    definition: VersionDef
    answers: dict[str, Any]  # engine form, every stored answer (hidden ones included)
    visibility: Visibility
    kept: dict[str, Any]  # the answers that count (visible and answered)
    state: dict[str, Any]  # the wizard storage slot

    @classmethod
    def for_response(
        cls, response: Response, *, resolved: tuple[Visibility, dict[str, Any]] | None = None
    ) -> Walk:
        """The walk of ``response``; ``resolved`` passes a visibility walk already done over
        exactly these answers (the step form's, right after saving it) to avoid a second."""
        definition = version_definition(response.version)
        answers = answers_from_json(definition, response.answers or {})
        disabled: frozenset[str] = frozenset()
        if has_expressions(definition):  # FHIRPath of an imported FHIR form (issue 13)
            answers, disabled = expression_answers(definition, answers, response)
            resolved = None  # the step form's walk did not see the computed values
        visibility, kept = resolved or resolve_visibility(definition, answers)
        if disabled:
            visibility = Visibility(visibility.steps, visibility.questions - disabled)
        return cls(
            response=response,
            definition=definition,
            answers=answers,
            visibility=visibility,
            kept=kept,
            state=wizard_state_of(response),
        )

    @cached_property
    def preset(self) -> frozenset[str]:
        return frozenset(self.state["extra_data"].get("preset") or ())

    @cached_property
    def accepted(self) -> frozenset[str]:
        return frozenset(self.state["extra_data"].get("accepted") or ())

    @property
    def drafts(self) -> Mapping[str, Any]:
        return self.state.get("step_data") or {}

    @cached_property
    def steps(self) -> tuple[StepDef, ...]:
        """The steps the patient walks now, in order."""
        return tuple(step for step in self.definition.steps if self._is_walked(step))

    def _is_walked(self, step: StepDef) -> bool:
        """A visible step with something to show; a step holding only preset answers is skipped."""
        if not self.visibility.shows_step(step.key):
            return False
        shown = [
            question
            for question in step.questions
            if self.visibility.shows_question(question.key) and question.key not in self.preset
        ]
        if not shown:
            return False
        had_preset = any(question.key in self.preset for question in step.questions)
        return not (had_preset and all(question.kind == Kind.DISPLAY for question in shown))

    @cached_property
    def step_keys(self) -> tuple[str, ...]:
        return tuple(step.key for step in self.steps)

    @cached_property
    def all_step_keys(self) -> frozenset[str]:
        return frozenset(step.key for step in self.definition.steps)

    def step(self, key: str) -> StepDef | None:
        return next((step for step in self.steps if step.key == key), None)

    def index(self, key: str) -> int | None:
        return self.step_keys.index(key) if key in self.step_keys else None

    def next_step(self, key: str) -> str | None:
        index = self.index(key)
        if index is None or index + 1 >= len(self.step_keys):
            return None
        return self.step_keys[index + 1]

    def previous_step(self, key: str) -> str | None:
        index = self.index(key)
        return self.step_keys[index - 1] if index else None

    # --- completeness --------------------------------------------------------------------

    def is_complete(self, key: str) -> bool:
        """Accepted once, no draft pending, and every visible required answer present.

        The last part matters when an earlier answer changed after the step was
        accepted and made one of its required questions appear.
        """
        step = self.step(key)
        if step is None or key not in self.accepted or key in self.drafts:
            return False
        return all(
            is_answered(self.kept.get(question.key))
            for question in step.questions
            if question.required
            and question.kind != Kind.DISPLAY
            and not question.read_only
            and question.key not in self.preset
            and self.visibility.shows_question(question.key)
        )

    @cached_property
    def first_incomplete(self) -> str | None:
        return next((key for key in self.step_keys if not self.is_complete(key)), None)

    @property
    def is_ready_to_check(self) -> bool:
        return self.first_incomplete is None and bool(self.step_keys)

    def is_reachable(self, key: str) -> bool:
        """Walked now and not beyond the first step still waiting for required answers."""
        index = self.index(key)
        if index is None:
            return False
        first = self.first_incomplete
        return first is None or index <= self.index(first)

    def answered_items(self, key: str) -> list[tuple[Any, Any]]:
        """(question, answer) for every visible answerable question of a walked step."""
        step = self.step(key)
        if step is None:
            return []
        return [
            (question, self.kept.get(question.key))
            for question in step.questions
            if self.visibility.shows_question(question.key)
            and question.kind != Kind.DISPLAY
            and not question.read_only  # calculated elsewhere: nothing the patient can change
            and question.key not in self.preset
        ]
