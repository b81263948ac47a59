"""Question kinds as a registry: what each kind means to the pure side of the code.

One ``KindSpec`` per kind says, without Django: whether it takes choices (and how many), whether
it is numeric, which condition operators fit it, how a condition value is checked against it,
how an answer is checked (``answer_problem``, the one validator the step form and the submit
service share), how an answer is written to and read from JSON, its FHIR item type, and any
lint rules of its own. The linter, the condition validator, the answer codec (``answers.py``),
the JSON Schema check (``interop/sdm_json.py``) and the FHIR export consult it; the Django side
(form field, its inverse, template data, answer text) is the matching registry in
``questionnaires/kinds.py``.

The codes are stable: they are stored in the database and in files (``Kind``). Adding a kind:
a ``KindSpec`` registered here (``register_kind``) and a ``FormKind`` registered in
``questionnaires/kinds.py``; a model choice (migration) only if it is to be stored, and FHIR
import only if FHIR has it (``docs/architecture.md`` "A question kind").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from questionnaires.engine import values as c
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
    """Add (or replace) a kind; returns it. The built-in kinds are registered below."""
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


# --- built-in kinds ----------------------------------------------------------------------


def _quote(value: Any) -> str:
    """A value as an author wrote it in JSON: strings quoted, true/false/null bare."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _choice_value_problem(question: QuestionDef, value: Any) -> str | None:
    if value not in [choice.value for choice in question.choices]:
        return f"{_quote(value)} is not one of the choices of question '{question.key}'"
    return None


def _yes_no_value_problem(question: QuestionDef, value: Any) -> str | None:
    if not isinstance(value, bool):
        return (
            f"question '{question.key}' is yes/no; compare it with true or false, "
            f"not {_quote(value)}"
        )
    return None


def _number_value_problem(question: QuestionDef, value: Any) -> str | None:
    if c.as_number(value) is None:
        return f"question '{question.key}' takes a number; {_quote(value)} is not one"
    return None


def _date_value_problem(question: QuestionDef, value: Any) -> str | None:
    if c.as_date(value) is None:
        return (
            f"question '{question.key}' takes a date; {_quote(value)} is not a date written "
            "YYYY-MM-DD"
        )
    return None


def _text_value_problem(question: QuestionDef, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"question '{question.key}' takes text; {_quote(value)} is not text"
    return None


# Answer validators. Codes match the Django form's error codes where one exists, so the form
# and the submit agree on what "invalid" means.


def _one_choice_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    offered = {choice.value for choice in question.choices}
    return None if isinstance(value, str) and value in offered else "invalid_choice"


def _many_choices_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    offered = {choice.value for choice in question.choices}
    if not isinstance(value, list | tuple) or len(set(value)) != len(value):
        return "invalid_list"
    return None if all(item in offered for item in value) else "invalid_choice"


def _ranking_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    offered = [choice.value for choice in question.choices]
    if not isinstance(value, list | tuple) or sorted(value) != sorted(offered):
        return "incomplete_ranking"
    return None


def _yes_no_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    return None if isinstance(value, bool) else "invalid_choice"


def _bounds_problem(question: QuestionDef, number: Decimal) -> AnswerProblem:
    if question.min_value is not None and number < question.min_value:
        return "min_value"
    if question.max_value is not None and number > question.max_value:
        return "max_value"
    return None


def _integer_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if isinstance(value, bool) or not isinstance(value, int):
        return "invalid"
    return _bounds_problem(question, Decimal(value))


def _rating_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if isinstance(value, bool) or not isinstance(value, int):
        return "invalid_choice"
    low = question.min_value if question.min_value is not None else 0
    high = question.max_value if question.max_value is not None else 10
    return None if low <= value <= high else "invalid_choice"


def _decimal_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    number = c.as_number(value)
    if number is None:
        return "invalid"
    return _bounds_problem(question, number)


def _date_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    return None if c.as_date(value) is not None else "invalid"


def _text_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if not isinstance(value, str):
        return "invalid"
    if "\x00" in value:
        return "null_characters_not_allowed"
    if question.max_length is not None and len(value) > question.max_length:
        return "max_length"
    return None


def _rows_problem(question: QuestionDef, value: Any) -> AnswerProblem:
    if not isinstance(value, list | tuple) or not all(isinstance(row, dict) for row in value):
        return "invalid_rows"
    if question.max_rows is not None and len(value) > question.max_rows:
        return "too_many_forms"
    children = {child.key: child for child in question.children}
    for row in value:
        for key, item in row.items():
            child = children.get(key)
            if child is None:
                return "invalid_rows"
            if c.is_answered(item):
                problem = answer_problem(child, item)
                if problem:
                    return problem
    return None


# The JSON codec: decimals as their exact text (never a float), dates as ISO text.


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the decimal a person typed, not the binary float
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _decimal_to_json(question: QuestionDef, value: Any) -> Any:
    number = _decimal(value)
    return None if number is None else format(number, "f")


def _decimal_from_json(question: QuestionDef, value: Any) -> Any:
    return _decimal(value)


def _date_from_json(question: QuestionDef, value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _rows_codec(convert: Callable[[QuestionDef, Any], Any]) -> Callable[[QuestionDef, Any], Any]:
    def rows(group: QuestionDef, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return None
        children = {child.key: child for child in group.children}
        return [
            {key: convert(children.get(key), item) for key, item in row.items()}
            for row in value
            if isinstance(row, dict)
        ]

    return rows


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


_CHOICE_OPS = (c.EQ, c.NE, c.IN, c.NOT_IN, c.ANSWERED, c.NOT_ANSWERED)
_LIST_OPS = (c.CONTAINS, c.CONTAINS_ANY, c.ANSWERED, c.NOT_ANSWERED)
_NUMBER_OPS = (c.EQ, c.NE, c.GT, c.GTE, c.LT, c.LTE, c.IN, c.NOT_IN, c.ANSWERED, c.NOT_ANSWERED)
_DATE_OPS = (c.EQ, c.NE, c.GT, c.GTE, c.LT, c.LTE, c.ANSWERED, c.NOT_ANSWERED)

for _spec in (
    KindSpec(
        Kind.SINGLE_CHOICE,
        _CHOICE_OPS,
        "choice",
        min_choices=1,
        condition_value_problem=_choice_value_problem,
        answer_problem=_one_choice_problem,
    ),
    KindSpec(
        Kind.MULTIPLE_CHOICE,
        _LIST_OPS,
        "choice",
        min_choices=1,
        repeats=True,
        condition_value_problem=_choice_value_problem,
        answer_problem=_many_choices_problem,
    ),
    KindSpec(
        Kind.YES_NO,
        _CHOICE_OPS,
        "boolean",
        condition_value_problem=_yes_no_value_problem,
        answer_problem=_yes_no_problem,
    ),
    KindSpec(
        Kind.INTEGER,
        _NUMBER_OPS,
        "integer",
        numeric=True,
        condition_value_problem=_number_value_problem,
        answer_problem=_integer_problem,
    ),
    KindSpec(
        Kind.DECIMAL,
        _NUMBER_OPS,
        "decimal",
        numeric=True,
        condition_value_problem=_number_value_problem,
        answer_problem=_decimal_problem,
        to_json=_decimal_to_json,
        from_json=_decimal_from_json,
    ),
    KindSpec(
        Kind.RATING,
        _NUMBER_OPS,
        "integer",
        numeric=True,
        condition_value_problem=_number_value_problem,
        answer_problem=_rating_problem,
    ),
    KindSpec(
        Kind.DATE,
        _DATE_OPS,
        "date",
        condition_value_problem=_date_value_problem,
        answer_problem=_date_problem,
        from_json=_date_from_json,
    ),
    KindSpec(
        Kind.SHORT_TEXT,
        _CHOICE_OPS,
        "string",
        condition_value_problem=_text_value_problem,
        answer_problem=_text_problem,
    ),
    KindSpec(
        Kind.LONG_TEXT,
        _CHOICE_OPS,
        "text",
        condition_value_problem=_text_value_problem,
        answer_problem=_text_problem,
    ),
    KindSpec(
        Kind.RANKING,
        _LIST_OPS,
        "choice",
        min_choices=2,
        repeats=True,
        condition_value_problem=_choice_value_problem,
        answer_problem=_ranking_problem,
    ),
    KindSpec(
        Kind.REPEAT_GROUP,
        c.PRESENCE_OPS,
        "group",
        in_repeat_row=False,
        repeats=True,
        answer_problem=_rows_problem,
        to_json=_rows_codec(lambda child, item: answer_to_json(child, item)),
        from_json=_rows_codec(lambda child, item: answer_from_json(child, item)),
    ),
    KindSpec(Kind.DISPLAY, (), "display", answered=False, in_repeat_row=False),
):
    register_kind(_spec)
