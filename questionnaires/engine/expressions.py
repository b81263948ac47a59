"""FHIRPath expressions of imported FHIR questionnaires, evaluated on the server only.

SDC forms compute totals and risks with FHIRPath (``calculatedExpression``), and may
show items by expression (``enableWhenExpression``), fill them from earlier answers
(``initialExpression``) and name intermediate results (``variable``). We evaluate them
with fhirpathpy (MIT, maintained by Beda Software, the FHIRPath.js port used by their
SDC form filler; see docs/interop.md for why), never in the browser.

Limits, so that an uploaded file cannot stall a patient page: an expression longer
than ``MAX_EXPRESSION_CHARS`` is refused when read, and an evaluation running longer
than ``TIME_LIMIT_SECONDS`` is stopped. Any failure is an ``ExpressionError``; the
linter reports it at import, and at walking time the item is simply left without a
computed value (never a 500).

The context is a QuestionnaireResponse built from the answers so far (``%resource``,
also the focus), the source Questionnaire (``%questionnaire``) and the variables in
scope (``%name``): the questionnaire's, then the item's own, in document order.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .definition import Kind, Problem, QuestionDef, VersionDef

MAX_EXPRESSION_CHARS = 2000
TIME_LIMIT_SECONDS = 1.0
MAX_ROUNDS = 5  # calculated items depending on calculated items settle within this many passes
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated, or that ran over its limits."""


class _TimeUp(BaseException):
    # A BaseException, so that the library's own ``except Exception`` cannot swallow it.
    pass


def _sum(inputs: list[Any]) -> list[Any]:
    # fhirpathpy 2.2.4's sum() adds ResourceNode wrappers and fails; this adds their values.
    numbers = [value for value in inputs if value is not None]
    if not numbers:
        return []
    if not all(isinstance(value, int | float | Decimal) for value in numbers):
        raise ExpressionError("sum() of values that are not numbers")
    return [sum(Decimal(str(value)) for value in numbers)]


def _ordinal(inputs: list[Any]) -> list[Any]:
    # SDC's ordinal() (alias weight()): the score of each answer coding. We write the score
    # onto the coding as an ordinalValue extension when building %resource.
    found = []
    for coding in inputs:
        if not isinstance(coding, Mapping):
            continue
        for extension in coding.get("extension") or ():
            if isinstance(extension, Mapping) and extension.get("url") in (
                ORDINAL_VALUE,
                ITEM_WEIGHT,
            ):
                value = extension.get("valueDecimal", extension.get("valueInteger"))
                if value is not None:
                    found.append(Decimal(str(value)))
    return found


_FUNCTIONS = {
    "sum": {"fn": _sum},
    "ordinal": {"fn": _ordinal},
    "weight": {"fn": _ordinal},
}


def check(expression: Any) -> str | None:
    """Why ``expression`` cannot be used (too long, not FHIRPath), or None when it can."""
    if not isinstance(expression, str) or not expression.strip():
        return "the expression is empty"
    if len(expression) > MAX_EXPRESSION_CHARS:
        return f"the expression is longer than {MAX_EXPRESSION_CHARS:,} characters"
    try:
        _compile(expression)
    except ExpressionError as error:
        return str(error)
    return None


def _syntax_error(expression: str) -> str | None:
    """The first syntax error, if any. fhirpathpy's own parser ignores them (it attaches a
    listener that does nothing), so we run its generated ANTLR parser with one that records."""
    from antlr4 import CommonTokenStream, InputStream, Token
    from antlr4.error.ErrorListener import ErrorListener
    from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
    from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

    errors: list[str] = []

    class Recorder(ErrorListener):
        def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):  # noqa: N802, N803
            errors.append(f"column {column + 1}: {msg}")

    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(Recorder())
    tokens = CommonTokenStream(lexer)
    parser = FHIRPathParser(tokens)
    parser.removeErrorListeners()
    parser.addErrorListener(Recorder())
    parser.expression()
    if not errors and tokens.LA(1) != Token.EOF:
        errors.append(f"column {tokens.LT(1).column + 1}: unexpected {tokens.LT(1).text!r}")
    return errors[0] if errors else None


@functools.lru_cache(maxsize=512)
def _compile(expression: str) -> Callable[..., Any]:
    from fhirpathpy import compile as fhirpath_compile
    from fhirpathpy.models import models

    error = _syntax_error(expression)
    if error:
        raise ExpressionError(f"not a FHIRPath expression: {error}")
    try:
        return fhirpath_compile(
            expression, models["r4"], options={"userInvocationTable": _FUNCTIONS}
        )
    except Exception as error:  # the parser raises bare Exceptions
        raise ExpressionError(f"not a FHIRPath expression: {_short(error)}") from error


def evaluate(
    expression: str,
    resource: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> list[Any]:
    """The values ``expression`` gives on ``resource`` (a list, FHIRPath's collection)."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression is longer than {MAX_EXPRESSION_CHARS:,} characters")
    compiled = _compile(expression)
    deadline = time.monotonic() + time_limit

    def tracer(frame, event, arg):  # noqa: ARG001 — the signature sys.settrace calls
        if time.monotonic() > deadline:
            raise _TimeUp
        return None  # no line tracing: only calls are checked, which keeps it cheap

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = compiled(resource, {"resource": resource, **variables})
    except _TimeUp as stopped:
        raise ExpressionError(
            f"the expression ran longer than {time_limit:g} s and was stopped"
        ) from stopped
    except ExpressionError:
        raise
    except Exception as error:  # fhirpathpy raises bare Exceptions for type errors
        raise ExpressionError(_short(error)) from error
    finally:
        sys.settrace(previous)
    return [_plain(value) for value in result]


def _plain(value: Any) -> Any:
    data = getattr(value, "data", value)  # a ResourceNode wraps resource data
    if isinstance(data, float):
        return Decimal(str(data))
    return data


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


# --- a definition's expressions ---------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    answers: dict[str, Any]  # the answers with every calculated value filled in
    disabled: frozenset[str]  # question keys an enableWhenExpression turns off
    initial: dict[str, Any]  # initialExpression values for questions still unanswered
    problems: tuple[Problem, ...]  # expressions that failed (the item got no value)


def has_expressions(definition: VersionDef) -> bool:
    return bool(definition.variables) or any(
        question.expressions for _, _, question in definition.iter_questions()
    )


def compute(
    definition: VersionDef,
    answers: Mapping[str, Any],
    *,
    to_resource: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    questionnaire: Mapping[str, Any] | None = None,
) -> Computed:
    """Evaluate every expression of ``definition`` against ``answers``.

    ``to_resource`` writes answers as the QuestionnaireResponse the expressions read
    (in the source questionnaire's hierarchy, see interop). Calculated items are
    recomputed until nothing changes (at most ``MAX_ROUNDS`` passes), so a total
    may use a sub-total.
    """
    current = dict(answers)
    problems: dict[str, Problem] = {}
    disabled: set[str] = set()
    initial: dict[str, Any] = {}
    if not has_expressions(definition):
        return Computed(current, frozenset(), {}, ())
    questions = [(s, q, question) for s, q, question in definition.iter_questions()]
    for _ in range(MAX_ROUNDS):
        resource = to_resource(current)
        scope = _variables(definition.variables, resource, questionnaire, {}, "variables", problems)
        changed = False
        disabled.clear()
        initial.clear()
        for step_index, question_index, question in questions:
            expressions = question.expressions
            if not expressions:
                continue
            path = f"steps[{step_index}].questions[{question_index}].expressions"
            item_scope = _variables(
                expressions.get("variables") or (),
                resource,
                questionnaire,
                scope,
                f"{path}.variables",
                problems,
            )
            for name in ("calculated", "enable_when", "initial"):
                text = expressions.get(name)
                if not text:
                    continue
                try:
                    values = evaluate(text, resource, _context(item_scope, questionnaire))
                    if name == "enable_when":
                        if not _truthy(values):
                            disabled.add(question.key)
                        continue
                    value = coerce(question, values)
                except ExpressionError as error:
                    problems[f"{path}.{name}"] = Problem(f"{path}.{name}", str(error))
                    continue
                if name == "initial":
                    if value is not None and question.key not in current:
                        initial[question.key] = value
                elif current.get(question.key) != value:
                    changed = True
                    if value is None:
                        current.pop(question.key, None)
                    else:
                        current[question.key] = value
        if not changed:
            break
    return Computed(current, frozenset(disabled), dict(initial), tuple(problems.values()))


def _context(scope: Mapping[str, Any], questionnaire: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"questionnaire": questionnaire or {}, **scope}


def _variables(
    variables: Sequence[Mapping[str, str]],
    resource: Mapping[str, Any],
    questionnaire: Mapping[str, Any] | None,
    outer: Mapping[str, Any],
    path: str,
    problems: dict[str, Problem],
) -> dict[str, Any]:
    scope = dict(outer)
    for index, variable in enumerate(variables):
        try:
            values = evaluate(variable["expression"], resource, _context(scope, questionnaire))
        except ExpressionError as error:
            problems[f"{path}[{index}]"] = Problem(f"{path}[{index}]", str(error))
            values = []
        # FHIRPath variables hold collections; a single value is passed as itself.
        scope[variable["name"]] = values[0] if len(values) == 1 else values
    return scope


def _truthy(values: list[Any]) -> bool:
    return len(values) == 1 and values[0] is True


def coerce(question: QuestionDef, values: list[Any]) -> Any:
    """A FHIRPath result as an answer to ``question`` (None: no value); ExpressionError if
    it cannot be one."""
    values = [value for value in values if value is not None]
    if not values:
        return None
    kind = question.kind
    if kind in (Kind.MULTIPLE_CHOICE, Kind.RANKING):
        return [_choice_value(question, value) for value in values]
    if len(values) > 1:
        raise ExpressionError(f"the expression gave {len(values)} values; one was expected")
    value = values[0]
    if kind in Kind.WITH_CHOICES:
        return _choice_value(question, value)
    if kind == Kind.YES_NO:
        if isinstance(value, bool):
            return value
    elif kind in Kind.NUMERIC:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = Decimal(str(value))
            if kind != Kind.DECIMAL:
                if number != number.to_integral_value():
                    number = number.to_integral_value()  # FHIR integers: the whole part
                return int(number)
            return number
    elif kind in Kind.TEXTUAL:
        if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
            return str(value)
    elif kind == Kind.DATE:
        if isinstance(value, str) and len(value) >= 10:
            return value[:10]
        text = str(value)
        if len(text) >= 10 and text[4] == "-":
            return text[:10]
    raise ExpressionError(f"the expression gave {value!r}, which is not a {kind} answer")


def _choice_value(question: QuestionDef, value: Any) -> str:
    code = value.get("code") if isinstance(value, Mapping) else value
    for choice in question.choices:
        if choice.value == str(code):
            return choice.value
    raise ExpressionError(f"the expression gave {code!r}, which is not an option of the item")


def lint_expressions(definition: VersionDef) -> list[Problem]:
    """Expressions that cannot be parsed or are too long (the linter's error list)."""
    problems = []
    for index, variable in enumerate(definition.variables):
        problem = check(variable.get("expression"))
        if problem:
            problems.append(Problem(f"variables[{index}]", problem))
    for step_index, question_index, question in definition.iter_questions():
        path = f"steps[{step_index}].questions[{question_index}].expressions"
        for name, text in question.expressions.items():
            if name == "variables":
                for index, variable in enumerate(text):
                    problem = check(variable.get("expression"))
                    if problem:
                        problems.append(Problem(f"{path}.variables[{index}]", problem))
                continue
            problem = check(text)
            if problem:
                problems.append(Problem(f"{path}.{name}", problem))
    if not problems:
        # A dry run on an empty response finds unknown variables and type errors.
        problems.extend(
            compute(
                definition, {}, to_resource=lambda _: {"resourceType": "QuestionnaireResponse"}
            ).problems
        )
    return problems
