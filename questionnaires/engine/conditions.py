"""The condition language behind ``show_if`` (and therapy rules).

A condition is plain data, never code::

    {"all": [{"q": "disease", "op": "eq", "value": "ms"},
             {"q": "relapses_12m", "op": "gte", "value": 1}]}

A leaf tests one answer: ``{"q": key, "op": op, "value": value}``. Combinators
are ``{"all": [...]}``, ``{"any": [...]}`` and ``{"not": condition}``. ``None``
or ``{}`` means "always".

Conditions can arrive in uploaded files, so nothing here trusts its input:
nesting is capped at ``MAX_DEPTH`` (which also stops a dict that contains
itself), malformed structure raises ``ConditionError`` and an answer of the
wrong type simply makes a test false.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from .definition import Condition, Problem, QuestionDef
from .kinds import kind_codes, kind_spec
from .kinds.common import quote as _quote

# The shared vocabulary, re-exported: callers read it from here (``X as X`` marks that).
from .values import (
    ANSWERED as ANSWERED,
)
from .values import (
    CONTAINS as CONTAINS,
)
from .values import (
    CONTAINS_ANY as CONTAINS_ANY,
)
from .values import (
    EQ as EQ,
)
from .values import (
    GT as GT,
)
from .values import (
    GTE as GTE,
)
from .values import (
    IN as IN,
)
from .values import (
    LIST_VALUE_OPS as LIST_VALUE_OPS,
)
from .values import (
    LT as LT,
)
from .values import (
    LTE as LTE,
)
from .values import (
    NE as NE,
)
from .values import (
    NOT_ANSWERED as NOT_ANSWERED,
)
from .values import (
    NOT_IN as NOT_IN,
)
from .values import (
    OPERATORS as OPERATORS,
)
from .values import (
    ORDERING_OPS as ORDERING_OPS,
)
from .values import (
    PRESENCE_OPS as PRESENCE_OPS,
)
from .values import (
    as_date as as_date,
)
from .values import (
    as_number as as_number,
)
from .values import (
    is_answered as is_answered,
)

COMBINATORS = ("all", "any", "not")
LEAF_FIELDS = ("q", "op", "value")

MAX_DEPTH = 32


class _OperatorsByKind(Mapping[str, tuple[str, ...]]):
    """Kind code → the operators that fit it, read from the kinds registry (``kinds``)."""

    def __getitem__(self, code: str) -> tuple[str, ...]:
        spec = kind_spec(code)
        if spec is None:
            raise KeyError(code)
        return spec.operators

    def __iter__(self) -> Iterator[str]:
        return iter(kind_codes())

    def __len__(self) -> int:
        return len(kind_codes())


OPERATORS_BY_KIND: Mapping[str, tuple[str, ...]] = _OperatorsByKind()


class ConditionError(ValueError):
    """A condition is malformed (not a problem with the answers it is tested on)."""


# --- values -------------------------------------------------------------------------------


def _comparable(answer: Any, value: Any) -> tuple[Any, Any] | None:
    """Both sides in one comparable type, or None when the types do not match."""
    answer_number, value_number = as_number(answer), as_number(value)
    if answer_number is not None or value_number is not None:
        if answer_number is None or value_number is None:
            return None
        return answer_number, value_number
    if isinstance(answer, bool) or isinstance(value, bool):
        return (answer, value) if isinstance(answer, bool) and isinstance(value, bool) else None
    answer_date, value_date = as_date(answer), as_date(value)
    if answer_date is not None and value_date is not None:
        return answer_date, value_date
    if isinstance(answer, str) and isinstance(value, str):
        return answer, value
    return None


def _equals(answer: Any, value: Any) -> bool | None:
    """True or False when the two are comparable, None when their types do not match."""
    pair = _comparable(answer, value)
    return None if pair is None else pair[0] == pair[1]


def _ordered(op: str, answer: Any, value: Any) -> bool:
    """gt/gte/lt/lte: defined for numbers and dates only."""
    pair = _comparable(answer, value)
    if pair is None or not isinstance(pair[0], Decimal | date):
        return False
    left, right = pair
    if op == GT:
        return left > right
    if op == GTE:
        return left >= right
    if op == LT:
        return left < right
    return left <= right


# --- structure ----------------------------------------------------------------------------


def _combinator(node: Mapping[str, Any]) -> str | None:
    """The node's combinator, None for a leaf; ConditionError when it is ambiguous."""
    present = [name for name in COMBINATORS if name in node]
    if not present:
        return None
    if len(node) != 1:  # two combinators, or a combinator mixed with test fields
        names = ", ".join(repr(name) for name in node)
        raise ConditionError(f"a condition must be exactly one of all, any, not; got {names}")
    return present[0]


def _children(node: Mapping[str, Any], combinator: str) -> Sequence[Any]:
    inner = node[combinator]
    if combinator == "not":
        return (inner,)
    if not isinstance(inner, list | tuple) or not inner:
        raise ConditionError(f"'{combinator}' needs a non-empty list of conditions")
    return inner


def _leaf_parts(node: Mapping[str, Any]) -> tuple[str, str, Any]:
    """(question key, operator, value) of a leaf; ConditionError when it is malformed."""
    unknown = [name for name in node if name not in LEAF_FIELDS]
    if unknown:
        raise ConditionError(f"unknown condition field {unknown[0]!r}")
    key, op = node.get("q"), node.get("op")
    if not isinstance(key, str) or not key:
        raise ConditionError("a condition test needs a question key 'q'")
    if op not in OPERATORS:
        raise ConditionError(f"unknown operator {op!r}")
    if op in PRESENCE_OPS:
        return key, op, None
    if "value" not in node:
        raise ConditionError(f"operator '{op}' needs a value")
    value = node["value"]
    if op in LIST_VALUE_OPS and not isinstance(value, list | tuple):
        raise ConditionError(f"operator '{op}' needs a list value")
    return key, op, value


def _as_node(condition: Any, depth: int) -> Mapping[str, Any]:
    if depth > MAX_DEPTH:
        raise ConditionError(f"conditions may nest at most {MAX_DEPTH} levels deep")
    if not isinstance(condition, Mapping):
        raise ConditionError(f"a condition must be an object, not {type(condition).__name__}")
    return condition


# --- evaluation ---------------------------------------------------------------------------


def evaluate(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for ``answers`` (question key → answer).

    Raises ConditionError for a malformed condition; the answers can never make it
    raise. ``all`` and ``any`` stop at the first deciding part, so a malformed part
    after it goes unnoticed here: ``validate`` is the place to find those.
    """
    if condition is None:
        return True
    return _evaluate(condition, answers, depth=1)


def _evaluate(condition: Any, answers: Mapping[str, Any], depth: int) -> bool:
    node = _as_node(condition, depth)
    if not node:
        return True
    combinator = _combinator(node)
    if combinator is None:
        return _test(*_leaf_parts(node), answers)
    parts = _children(node, combinator)
    if combinator == "not":
        return not _evaluate(parts[0], answers, depth + 1)
    if combinator == "all":
        return all(_evaluate(part, answers, depth + 1) for part in parts)
    return any(_evaluate(part, answers, depth + 1) for part in parts)


def _test(key: str, op: str, value: Any, answers: Mapping[str, Any]) -> bool:
    answer = answers.get(key)
    if op == ANSWERED:
        return is_answered(answer)
    if op == NOT_ANSWERED:
        return not is_answered(answer)
    if not is_answered(answer):
        return False  # "ne" and "not_in" included: no answer is no evidence
    if op == EQ:
        return _equals(answer, value) is True
    if op == NE:
        return _equals(answer, value) is False
    if op == IN:
        return any(_equals(answer, item) is True for item in value)
    if op == NOT_IN:
        return all(_equals(answer, item) is False for item in value)
    if op in ORDERING_OPS:
        return _ordered(op, answer, value)
    if not isinstance(answer, list | tuple):
        return False
    if op == CONTAINS:
        return any(_equals(item, value) is True for item in answer)
    # contains_any
    return any(_equals(item, wanted) is True for item in answer for wanted in value)


# --- compiled evaluation ------------------------------------------------------------------
#
# ``evaluate`` walks the condition's structure on every call: it checks each node, picks the
# combinator and converts the condition's own values again each time. A rule's condition is
# content, tested for every patient, so ``compile_condition`` does that work once and gives
# a function of the answers alone. The result is the same as ``evaluate``'s for every
# condition and answers: a well-formed condition becomes nested closures that make the same
# comparisons; a malformed one (which ``evaluate`` may or may not reach, see its docstring)
# keeps ``evaluate`` itself, so its errors come exactly when and as they did.

CompiledCondition = Callable[[Mapping[str, Any]], bool]


def _always(answers: Mapping[str, Any]) -> bool:
    return True


def compile_condition(condition: Condition | None) -> CompiledCondition:
    """A function of the answers that gives ``evaluate(condition, answers)``.

    The condition is read once, here: one that is changed afterwards needs compiling again.
    """
    if condition is None:
        return _always
    try:
        return _compile(condition, depth=1, compiled={})
    except ConditionError:
        return functools.partial(evaluate, condition)


def _compile(
    condition: Any, *, depth: int, compiled: dict[tuple[int, int], CompiledCondition]
) -> CompiledCondition:
    # A part shared by several branches (never so in JSON, but possible in Python) is compiled
    # once per depth, so the work stays proportional to the distinct parts.
    memo_key = (id(condition), depth)
    found = compiled.get(memo_key)
    if found is not None:
        return found
    node = _as_node(condition, depth)
    combinator = _combinator(node) if node else None
    if not node:
        test = _always
    elif combinator is None:
        test = _compile_leaf(*_leaf_parts(node))
    else:
        parts = tuple(
            _compile(part, depth=depth + 1, compiled=compiled)
            for part in _children(node, combinator)
        )
        test = _combine(combinator, parts)
    compiled[memo_key] = test
    return test


def _combine(combinator: str, parts: tuple[CompiledCondition, ...]) -> CompiledCondition:
    if combinator == "not":
        (inner,) = parts

        def negated(answers: Mapping[str, Any]) -> bool:
            return not inner(answers)

        return negated
    if len(parts) == 1:
        return parts[0]  # all/any of one part is that part (each part gives a bool)
    if combinator == "all":

        def every(answers: Mapping[str, Any]) -> bool:
            # A plain loop: all() over a generator costs a frame per call, and this runs
            # for every rule and patient.
            for part in parts:  # noqa: SIM110
                if not part(answers):
                    return False
            return True

        return every

    def some(answers: Mapping[str, Any]) -> bool:
        for part in parts:  # noqa: SIM110 (as in every)
            if part(answers):
                return True
        return False

    return some


_Equality = Callable[[Any], "bool | None"]
_COMPARE = {GT: operator.gt, GTE: operator.ge, LT: operator.lt, LTE: operator.le}


def _equality_with(value: Any) -> _Equality:
    """``lambda answer: _equals(answer, value)`` with the value's side of ``_comparable``
    worked out once."""
    value_number = as_number(value)
    if value_number is not None:

        def equals_number(answer: Any) -> bool | None:
            answer_number = as_number(answer)
            return None if answer_number is None else answer_number == value_number

        return equals_number
    if isinstance(value, bool):

        def equals_bool(answer: Any) -> bool | None:
            # A number answer is not comparable with a yes/no; as_number(bool) is None.
            return answer == value if isinstance(answer, bool) else None

        return equals_bool
    value_date = as_date(value)
    value_is_text = isinstance(value, str)

    # Neither a number nor a yes/no: only a date or text can equal it, and a number or a
    # yes/no answer is neither (as_date and isinstance(str) say no to them).
    def equals_other(answer: Any) -> bool | None:
        if value_date is not None:
            answer_date = as_date(answer)
            if answer_date is not None:
                return answer_date == value_date
        if value_is_text and isinstance(answer, str):
            return answer == value
        return None

    return equals_other


def _ordering_with(op: str, value: Any) -> Callable[[Any], bool]:
    """``lambda answer: _ordered(op, answer, value)`` with the value's side worked out once."""
    compare = _COMPARE[op]
    value_number = as_number(value)
    if value_number is not None:

        def ordered_number(answer: Any) -> bool:
            answer_number = as_number(answer)
            return answer_number is not None and compare(answer_number, value_number)

        return ordered_number
    value_date = as_date(value)
    if value_date is None:
        return lambda answer: False  # only numbers and dates are ordered

    def ordered_date(answer: Any) -> bool:
        answer_date = as_date(answer)
        return answer_date is not None and compare(answer_date, value_date)

    return ordered_date


def _compile_leaf(key: str, op: str, value: Any) -> CompiledCondition:
    """``_test(key, op, value, answers)`` as a function of the answers."""
    if op == ANSWERED:
        return lambda answers: is_answered(answers.get(key))
    if op == NOT_ANSWERED:
        return lambda answers: not is_answered(answers.get(key))
    if op in ORDERING_OPS:
        ordered = _ordering_with(op, value)

        def ordering(answers: Mapping[str, Any]) -> bool:
            answer = answers.get(key)
            return is_answered(answer) and ordered(answer)

        return ordering
    if op in (EQ, NE):
        equals = _equality_with(value)
        wanted = op == EQ  # eq: equal; ne: comparable and different

        def equality(answers: Mapping[str, Any]) -> bool:
            answer = answers.get(key)
            return is_answered(answer) and equals(answer) is wanted

        return equality
    if op == CONTAINS:
        equals = _equality_with(value)

        def contains(answers: Mapping[str, Any]) -> bool:
            answer = answers.get(key)
            if not is_answered(answer) or not isinstance(answer, list | tuple):
                return False
            return any(equals(item) is True for item in answer)

        return contains
    items = tuple(_equality_with(item) for item in value)
    if op == IN:

        def among(answers: Mapping[str, Any]) -> bool:
            answer = answers.get(key)
            return is_answered(answer) and any(equals(answer) is True for equals in items)

        return among
    if op == NOT_IN:

        def none_of(answers: Mapping[str, Any]) -> bool:
            answer = answers.get(key)
            return is_answered(answer) and all(equals(answer) is False for equals in items)

        return none_of

    # contains_any
    def contains_any(answers: Mapping[str, Any]) -> bool:
        answer = answers.get(key)
        if not is_answered(answer) or not isinstance(answer, list | tuple):
            return False
        return any(equals(item) is True for item in answer for equals in items)

    return contains_any


def referenced_keys(condition: Condition | None) -> frozenset[str]:
    """Every question key the condition tests. Raises ConditionError when malformed."""
    return frozenset(key for key, _, _ in _iter_leaves(condition))


def _iter_leaves(condition: Condition | None) -> Iterator[tuple[str, str, Any]]:
    if condition is None:
        return
    pending: list[tuple[Any, int]] = [(condition, 1)]
    while pending:
        current, depth = pending.pop()
        node = _as_node(current, depth)
        if not node:
            continue
        combinator = _combinator(node)
        if combinator is None:
            yield _leaf_parts(node)
        else:
            pending.extend((part, depth + 1) for part in _children(node, combinator))


# --- validation ---------------------------------------------------------------------------


def validate(
    condition: Condition | None,
    *,
    path: str,
    earlier: Mapping[str, QuestionDef],
    all_keys: Collection[str],
    self_key: str | None = None,
    row_only_keys: Collection[str] = (),
) -> list[Problem]:
    """Every problem with ``condition``, each with its path (``path`` is the condition's own).

    ``earlier`` holds the questions the condition may use; ``all_keys`` every key in
    the version, so a reference to a later question reads differently from a typo.
    ``row_only_keys`` are repeat-group children this condition cannot see (their
    answers live inside rows of another group).
    """
    if condition is None:
        return []
    checker = _Validator(earlier, all_keys, self_key, row_only_keys)
    checker.check(condition, path, depth=1)
    return checker.problems


class _Validator:
    def __init__(
        self,
        earlier: Mapping[str, QuestionDef],
        all_keys: Collection[str],
        self_key: str | None,
        row_only_keys: Collection[str],
    ) -> None:
        self.earlier = earlier
        self.all_keys = all_keys
        self.self_key = self_key
        self.row_only_keys = row_only_keys
        self.problems: list[Problem] = []

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def check(self, condition: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.report(path, f"conditions may nest at most {MAX_DEPTH} levels deep")
            return
        if not isinstance(condition, Mapping):
            self.report(path, "a condition must be an object")
            return
        if not condition:
            return
        present = [name for name in COMBINATORS if name in condition]
        if not present:
            self.check_leaf(condition, path)
            return
        extra = [name for name in condition if name not in present]
        if len(present) > 1 or extra:
            names = ", ".join(f"'{name}'" for name in [*present, *extra])
            self.report(
                path,
                f"a condition has {names}; use exactly one of 'all', 'any', 'not' "
                "or a single test with 'q' and 'op'",
            )
            return
        combinator = present[0]
        inner = condition[combinator]
        if combinator == "not":
            self.check(inner, f"{path}.not", depth + 1)
            return
        if not isinstance(inner, list | tuple) or not inner:
            self.report(f"{path}.{combinator}", f"'{combinator}' needs a non-empty list")
            return
        for index, part in enumerate(inner):
            self.check(part, f"{path}.{combinator}[{index}]", depth + 1)

    def check_leaf(self, leaf: Mapping[str, Any], path: str) -> None:
        for name in leaf:
            if name not in LEAF_FIELDS:
                self.report(path, f"unknown condition field '{name}'")
        key, op = leaf.get("q"), leaf.get("op")
        if not isinstance(key, str) or not key:
            self.report(path, "a condition test needs a question key 'q'")
            return
        if op not in OPERATORS:
            self.report(path, f"unknown operator {_quote(op)}; use one of {', '.join(OPERATORS)}")
            return
        question = self.reachable_question(key, path)
        if op in PRESENCE_OPS:
            value = None  # ignored by these operators
        elif "value" not in leaf:
            self.report(path, f"operator '{op}' needs a value")
            return
        else:
            value = leaf["value"]
            if op in LIST_VALUE_OPS and (not isinstance(value, list | tuple) or not value):
                self.report(f"{path}.value", f"operator '{op}' needs a non-empty list of values")
                return
        spec = kind_spec(question.kind) if question is not None else None
        if spec is None:
            return  # already reported, or the question's unknown kind is the linter's to report
        allowed = spec.operators
        if not allowed:
            self.report(path, f"question '{key}' only shows text and has no answer to test")
            return
        if op not in allowed:
            self.report(
                path,
                f"operator '{op}' does not fit question '{key}' ({question.kind}); "
                f"use one of {', '.join(allowed)}",
            )
            return
        if op not in PRESENCE_OPS:
            items = value if op in LIST_VALUE_OPS else [value]
            for item in items:
                problem = _value_problem(question, item)
                if problem:
                    self.report(f"{path}.value", problem)

    def reachable_question(self, key: str, path: str) -> QuestionDef | None:
        """The referenced question when the condition may use it; otherwise report why not."""
        if key == self.self_key:
            self.report(path, f"question '{key}' refers to itself")
        elif key in self.earlier:
            return self.earlier[key]
        elif key in self.row_only_keys:
            self.report(
                path,
                f"refers to question '{key}', which belongs to a repeat group; "
                "only later questions in the same row may use it",
            )
        elif key in self.all_keys:
            self.report(
                path,
                f"refers to question '{key}', which comes later; "
                "conditions may only use earlier answers",
            )
        else:
            self.report(path, f"unknown question '{key}'")
        return None


def _value_problem(question: QuestionDef, value: Any) -> str | None:
    """Why ``value`` cannot be compared with answers to ``question``, or None when it can."""
    spec = kind_spec(question.kind)
    return spec.condition_value_problem(question, value) if spec is not None else None
