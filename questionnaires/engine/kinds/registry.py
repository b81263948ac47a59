"""The kinds registry: ``KindSpec`` and the lookups every caller uses (no kind is defined here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from questionnaires.engine.definition import Kind, QuestionDef

# An answer's problem: a stable code the form and the submit share, or None when it is valid.
AnswerProblem = str | None


def _no_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    return None


def _same(question: QuestionDef, value: Any) -> Any:
    return value


def _no_lint(question: QuestionDef) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class KindSpec:
    """The pure meaning of one question kind (see the module docstring)."""

    code: str
    operators: tuple[str, ...]  # condition operators that fit; () means "never tested"
    fhir_type: str
    min_choices: int | None = None  # None: takes no choices
    numeric: bool = False  # min_value/max_value apply, answers compare as numbers
    answered: bool = True  # False: shows text only, never has an answer
    in_repeat_row: bool = True  # may be a child of a repeat group
    repeats: bool = False  # the answer is a list (FHIR ``repeats``)
    # Why a value in a condition cannot be compared with this kind's answers (None: it can).
    condition_value_problem: Callable[[QuestionDef, Any], str | None] = _no_problem
    # Why a typed answer is not valid for the question (None: it is). Pure, no form.
    answer_problem: Callable[[QuestionDef, Any], AnswerProblem] = _no_problem
    to_json: Callable[[QuestionDef, Any], Any] = _same  # typed answer → JSON-safe value
    from_json: Callable[[QuestionDef, Any], Any] = _same  # stored JSON → typed answer
    # Extra lint rules: (field, message) pairs for a question of this kind.
    lint: Callable[[QuestionDef], list[tuple[str, str]]] = _no_lint


_KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    """Add (or replace) a kind; returns it (the package registers the built-in kinds)."""
    _KINDS[spec.code] = spec
    return spec


def unregister_kind(code: str) -> None:
    """Remove a kind added with ``register_kind`` (tests that register a throwaway kind)."""
    if code in Kind.ALL:
        raise ValueError(f"the built-in kind {code!r} cannot be removed")
    _KINDS.pop(code, None)


def kind_spec(code: str) -> KindSpec | None:
    return _KINDS.get(code)


def kind_codes() -> tuple[str, ...]:
    """Every registered kind: the built-ins in ``Kind.ALL`` order, then the added ones."""
    return tuple(_KINDS)


def specs() -> Iterator[KindSpec]:
    return iter(_KINDS.values())


def answer_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    """Why an answered ``value`` is not valid for ``question`` (None: it is)."""
    spec = kind_spec(question.kind)
    if spec is None:
        return "unknown_kind"
    return spec.answer_problem(question, value)


def answer_to_json(question: QuestionDef | None, value: Any) -> Any:
    spec = kind_spec(question.kind) if question is not None else None
    return spec.to_json(question, value) if spec is not None else value


def answer_from_json(question: QuestionDef | None, value: Any) -> Any:
    spec = kind_spec(question.kind) if question is not None else None
    return spec.from_json(question, value) if spec is not None else value
