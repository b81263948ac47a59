"""FHIR ``enableWhen`` ⇄ our condition language, translated exactly or reported.

The FHIR semantics pinned here (FHIR R4 4.0.1 Questionnaire, with the wording the
R4B/R5 specifications corrected; the R4 operator table reads "True if whether at
least no answer…", which R5 fixed without changing the intent):

- ``exists``: "True if whether an answer exists is equal to the enableWhen answer
  (which must be a boolean)."
- ``=``: "True if at least one answer has a value that is equal to the enableWhen answer."
- ``!=``: "True if no answer has a value that is equal to the enableWhen answer."
  So ``!=`` is TRUE for an unanswered question, and for a repeating question it is
  the negation of ``=``.
- ``>``, ``<``, ``>=``, ``<=``: "True if at least one answer has a value that is
  greater than / less than / … the enableWhen answer." (false when unanswered).
- ``enableBehavior``: "all: Enable the question when all the enableWhen criteria are
  satisfied. any: … when any of the enableWhen criteria are satisfied."
  Questionnaire.item.enableWhen: "If the enableWhen.question has multiple answers,
  the condition evaluates to true if *any* of the answers for the referenced item
  match the enableWhen condition."
- "If enableWhen logic depends on an item that is disabled, the logic should proceed
  as though the item is not valued" and "When an item is disabled, all of its
  descendants are disabled": our ``engine.visibility`` walks the same way (answers
  of hidden questions count as unanswered), so no translation is needed for it.
- Codings are equal when their system and code are equal (display is ignored).

Our comparisons are false for an unanswered question (``ne`` and ``not_in``
included), so FHIR ``!=`` becomes ``any(not_answered, ne)`` and ``ne`` becomes
``exists true`` + ``!=`` under ``all``.

When a part cannot be translated exactly, the result errs towards showing: a
dropped part of an ``all`` is left out, a dropped part of an ``any`` drops the whole
condition. So an imported or exported item never hides where the original would
show it, and every such case comes back as a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from questionnaires.engine import conditions as c
from questionnaires.engine.definition import ChoiceDef, Condition, Kind, QuestionDef

from .fhir_common import own_system

EXISTS = "exists"
COMPARISONS = ("=", "!=", ">", "<", ">=", "<=")
ORDERING = {">": c.GT, "<": c.LT, ">=": c.GTE, "<=": c.LTE}
ANSWER_FIELDS = (
    "answerBoolean",
    "answerDecimal",
    "answerInteger",
    "answerDate",
    "answerDateTime",
    "answerTime",
    "answerString",
    "answerCoding",
    "answerQuantity",
    "answerReference",
)
# A condition that never holds ({} always holds, so its negation never does).
NEVER: Condition = {"not": {}}

_MULTI_VALUED = (Kind.MULTIPLE_CHOICE, Kind.RANKING)
_NOT_TESTABLE = (Kind.DISPLAY, Kind.REPEAT_GROUP)


# ===========================================================================================
# FHIR → ours


class _Always:
    """A part that holds whatever the answers (e.g. ``!=`` a value no option has)."""


class _Never:
    """A part that can never hold (e.g. ``=`` a code no option has)."""


@dataclass(frozen=True)
class _Dropped:
    reason: str


_Part = Condition | _Always | _Never | _Dropped
ALWAYS, NEVER_PART = _Always(), _Never()


def to_condition(
    enable_when: Sequence[Any],
    behavior: str | None,
    *,
    items_by_link_id: Mapping[str, QuestionDef],
) -> tuple[Condition | None, list[str]]:
    """Our condition for an item's ``enableWhen`` list and ``enableBehavior``, plus notes.

    ``items_by_link_id`` holds the questions the item may depend on (answered before
    it), by FHIR linkId. None means "always shown". Each note is one sentence saying
    what could not be kept exactly and what was done instead.
    """
    notes: list[str] = []
    if not isinstance(enable_when, list | tuple) or not enable_when:
        return None, notes
    if len(enable_when) > 1 and behavior not in ("all", "any"):
        notes.append(
            f"enableBehavior is {_show(behavior)} but {len(enable_when)} enableWhen "
            "conditions need 'all' or 'any'; read as 'any', which shows the item at least "
            "as often as 'all' would"
        )
        behavior = "any"
    parts: list[tuple[str, _Part]] = []
    for index, entry in enumerate(enable_when):
        label = f"enableWhen[{index}] {_describe(entry)}"
        part, part_notes = _translate(entry, items_by_link_id)
        notes.extend(f"{label}: {note}" for note in part_notes)
        parts.append((label, part))
    if behavior == "all" or len(parts) == 1:
        return _combine_all(parts, notes), notes
    single_choice = {
        question.key
        for question in items_by_link_id.values()
        if question.kind in Kind.WITH_CHOICES and question.kind not in _MULTI_VALUED
    }
    return _merge_equal_tests(_combine_any(parts, notes), single_choice), notes


def _merge_equal_tests(condition: Condition | None, single_choice: set[str]) -> Condition | None:
    """``any`` of ``=`` tests on one single-choice question as one ``in`` test.

    Our ``in`` exports as ``=`` tests under ``any`` (FHIR has no list operator); reading
    them back as ``in`` again makes FHIR → ours → FHIR → ours give the same condition.
    """
    if not condition or set(condition) != {"any"}:
        return condition
    merged: list[Condition] = []
    values: dict[str, list[Any]] = {}
    for part in condition["any"]:
        key = part.get("q")
        if key in single_choice and part.get("op") in (c.EQ, c.IN):
            new = part["value"] if part["op"] == c.IN else [part["value"]]
            if key not in values:
                values[key] = []
                merged.append({"q": key, "op": c.IN, "value": values[key]})
            values[key].extend(value for value in new if value not in values[key])
        else:
            merged.append(part)
    for index, part in enumerate(merged):
        if part.get("op") == c.IN and len(part["value"]) == 1:
            merged[index] = {"q": part["q"], "op": c.EQ, "value": part["value"][0]}
    return _join("any", merged)


def _combine_all(parts: list[tuple[str, _Part]], notes: list[str]) -> Condition | None:
    kept: list[Condition] = []
    for label, part in parts:
        if isinstance(part, _Never):
            return NEVER
        if isinstance(part, _Dropped):
            notes.append(
                f"{label}: {part.reason}; left out, so the item may show when the original "
                "would hide it"
            )
        elif not isinstance(part, _Always):
            kept.append(part)
    return _join("all", kept)


def _combine_any(parts: list[tuple[str, _Part]], notes: list[str]) -> Condition | None:
    dropped = [(label, part) for label, part in parts if isinstance(part, _Dropped)]
    if dropped:
        for label, part in dropped:
            notes.append(
                f"{label}: {part.reason}; with enableBehavior 'any' the whole condition was "
                "left out, so the item always shows"
            )
        return None
    if any(isinstance(part, _Always) for _, part in parts):
        return None
    kept = [part for _, part in parts if not isinstance(part, _Never)]
    return _join("any", kept) if kept else NEVER


def _join(combinator: str, parts: list[Condition]) -> Condition | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {combinator: parts}


def _translate(entry: Any, items_by_link_id: Mapping[str, QuestionDef]) -> tuple[_Part, list[str]]:
    if not isinstance(entry, Mapping):
        return _Dropped("is not an object"), []
    answers = [(name, entry[name]) for name in ANSWER_FIELDS if name in entry]
    if len(answers) != 1:
        return _Dropped(f"needs exactly one answer[x], has {len(answers)}"), []
    answer_field, answer = answers[0]
    operator, link_id = entry.get("operator"), entry.get("question")
    question = items_by_link_id.get(link_id) if isinstance(link_id, str) else None
    if question is None:
        return _Dropped(
            f"refers to {_show(link_id)}, which is not a question answered before this item"
        ), []
    if question.kind in _NOT_TESTABLE:
        return _Dropped(f"question {_show(link_id)} has no answer of its own to test"), []
    key = question.key
    if operator == EXISTS:
        if not isinstance(answer, bool) or answer_field != "answerBoolean":
            return _Dropped("'exists' needs answerBoolean true or false"), []
        return {"q": key, "op": c.ANSWERED if answer else c.NOT_ANSWERED}, []
    if operator not in COMPARISONS:
        return _Dropped(f"unknown operator {_show(operator)}"), []
    if question.kind in Kind.WITH_CHOICES:
        return _choice_part(question, operator, answer_field, answer)
    value, reason = _scalar_value(question, operator, answer_field, answer)
    if reason:
        return _Dropped(reason), []
    if operator == "=":
        return {"q": key, "op": c.EQ, "value": value}, []
    if operator == "!=":
        # "True if no answer has a value that is equal": true when unanswered too.
        return {
            "any": [{"q": key, "op": c.NOT_ANSWERED}, {"q": key, "op": c.NE, "value": value}]
        }, []
    return {"q": key, "op": ORDERING[operator], "value": value}, []


def _scalar_value(
    question: QuestionDef, operator: str, answer_field: str, answer: Any
) -> tuple[Any, str | None]:
    """(our value, None) for a comparison with a non-choice question, or (None, why not)."""
    kind = question.kind
    if kind == Kind.YES_NO:
        if answer_field == "answerBoolean" and isinstance(answer, bool):
            if operator in ORDERING:
                return None, "true and false cannot be ordered"
            return answer, None
        return None, f"a yes/no question cannot be compared with {answer_field}"
    if kind in Kind.NUMERIC:
        number = c.as_number(answer)
        if answer_field in ("answerInteger", "answerDecimal") and number is not None:
            # Keep whole numbers as int; a float (from a caller's json.loads) becomes exact.
            return (answer if isinstance(answer, int) else number), None
        return None, f"a number question cannot be compared with {answer_field} {_show(answer)}"
    if kind == Kind.DATE:
        if answer_field == "answerDate" and isinstance(answer, str):
            if c.as_date(answer) is None:
                return None, f"{_show(answer)} is not a full date (YYYY-MM-DD)"
            return answer, None
        if answer_field == "answerDateTime":
            return None, "the question was imported as a date, so a time of day cannot be tested"
        return None, f"a date question cannot be compared with {answer_field}"
    if kind in Kind.TEXTUAL:
        if answer_field != "answerString" or not isinstance(answer, str):
            return None, (
                f"the question was imported as text, so {answer_field} cannot be compared "
                "with its answers"
            )
        if operator in ORDERING:
            return None, "text answers cannot be ordered in our condition language"
        return answer, None
    return None, f"a {kind} question cannot be compared"


def _choice_part(
    question: QuestionDef, operator: str, answer_field: str, answer: Any
) -> tuple[_Part, list[str]]:
    matches, notes, reason = _matching_values(question, operator, answer_field, answer)
    if reason:
        return _Dropped(reason), notes
    key = question.key
    multi = question.kind in _MULTI_VALUED
    if not matches:
        if operator == "!=":
            notes.append("no option has this value, so the test always holds")
            return ALWAYS, notes
        notes.append("no option has this value, so the test never holds")
        return NEVER_PART, notes
    if multi:
        # "If the enableWhen.question has multiple answers, the condition evaluates to true
        # if *any* of the answers for the referenced item match."
        found: Condition = (
            {"q": key, "op": c.CONTAINS, "value": matches[0]}
            if len(matches) == 1
            else {"q": key, "op": c.CONTAINS_ANY, "value": matches}
        )
        return ({"not": found} if operator == "!=" else found), notes
    if operator == "!=":
        differs: Condition = (
            {"q": key, "op": c.NE, "value": matches[0]}
            if len(matches) == 1
            else {"q": key, "op": c.NOT_IN, "value": matches}
        )
        return {"any": [{"q": key, "op": c.NOT_ANSWERED}, differs]}, notes
    if len(matches) == 1:
        return {"q": key, "op": c.EQ, "value": matches[0]}, notes
    return {"q": key, "op": c.IN, "value": matches}, notes


def _matching_values(
    question: QuestionDef, operator: str, answer_field: str, answer: Any
) -> tuple[list[str], list[str], str | None]:
    """(values of the options the test holds for, notes, reason it cannot be translated)."""
    choices = question.choices
    notes: list[str] = []
    if operator in ("=", "!="):
        if answer_field == "answerCoding":
            if not isinstance(answer, Mapping) or not isinstance(answer.get("code"), str):
                return [], notes, "answerCoding has no code"
            code, system = answer["code"], own_system(answer.get("system"))
            same_code = [choice for choice in choices if choice.value == code]
            matches = [
                choice.value
                for choice in same_code
                if not system or not choice.system or choice.system == system
            ]
            if any(bool(system) != bool(choice.system) for choice in same_code):
                notes.append("one side has no code system, so only the codes were compared")
            return matches, notes, None
        if answer_field in ("answerString", "answerInteger", "answerDate", "answerTime"):
            # Options read from valueString/valueInteger/valueDate/valueTime keep the value's
            # text as their code; authors also test coded options with a bare code string.
            text = _plain(answer)
            if text is None:
                return [], notes, f"{answer_field} {_show(answer)} is not a simple value"
            notes.append(
                f"{answer_field} is compared with the option codes; exported as answerCoding, "
                "as the options are"
            )
            return [choice.value for choice in choices if choice.value == text], notes, None
        if answer_field == "answerDecimal" and c.as_number(answer) is not None:
            return _ordered_values(choices, c.EQ, c.as_number(answer), notes), notes, None
        return [], notes, f"an option cannot be compared with {answer_field}"
    # Ordering on a closed list of options is a choice among the options it holds for.
    target: Decimal | date | None
    if answer_field in ("answerInteger", "answerDecimal"):
        target = c.as_number(answer)
    elif answer_field == "answerDate":
        target = c.as_date(answer)
    else:
        target = None
    if target is None:
        return [], notes, f"options cannot be ordered against {answer_field} {_show(answer)}"
    matches = _ordered_values(choices, ORDERING[operator], target, notes)
    notes.append("translated to the list of options whose value satisfies the comparison")
    return matches, notes, None


def _ordered_values(
    choices: Sequence[ChoiceDef], op: str, target: Decimal | date, notes: list[str]
) -> list[str]:
    matches = []
    skipped = []
    for choice in choices:
        value = c.as_number(_number_or_none(choice.value)) if isinstance(target, Decimal) else None
        if value is None and isinstance(target, date):
            value = c.as_date(choice.value)
        if value is None:
            skipped.append(choice.value)
        elif c.evaluate({"q": "x", "op": op, "value": target}, {"x": value}):
            matches.append(choice.value)
    if skipped:
        notes.append(
            "option values "
            + ", ".join(_show(value) for value in skipped)
            + " cannot be compared this way and never satisfy the test"
        )
    return matches


def _number_or_none(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _plain(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    return None


def _describe(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return ""
    answer = next((entry[name] for name in ANSWER_FIELDS if name in entry), None)
    if isinstance(answer, Mapping):
        answer = answer.get("code", answer)
    return f"({entry.get('question')} {entry.get('operator')} {_show(answer)})"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    return str(value)


# ===========================================================================================
# ours → FHIR


@dataclass(frozen=True)
class _Atom:
    """One FHIR enableWhen entry, plus whether its question holds at most one answer."""

    link_id: str
    operator: str
    answer_field: str
    answer: Any
    single_valued: bool

    def as_fhir(self) -> dict[str, Any]:
        return {"question": self.link_id, "operator": self.operator, self.answer_field: self.answer}


@dataclass(frozen=True)
class _AllOf:
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class _AnyOf:
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class _Inexpressible:
    reason: str


_NEGATED = {"=": "!=", "!=": "=", ">": "<=", "<": ">=", ">=": "<", "<=": ">"}
_OPERATOR_FOR = {c.GT: ">", c.GTE: ">=", c.LT: "<", c.LTE: "<="}


def to_enable_when(
    condition: Condition | None,
    *,
    questions: Mapping[str, QuestionDef],
    link_ids: Mapping[str, str],
    code_system: Callable[[QuestionDef, ChoiceDef], str],
) -> tuple[list[dict[str, Any]], str | None, list[str]]:
    """(enableWhen entries, enableBehavior or None, notes) for one of our conditions.

    ``questions`` and ``link_ids`` are by question key; ``code_system`` gives the
    system a choice is exported with. Exact where FHIR can say it (a test, or all /
    any of tests, with negations pushed inwards); otherwise the result errs towards
    showing the item, and the notes say so.
    """
    if condition is None:
        return [], None, []
    try:
        formula = _simplify(_formula(condition, questions, link_ids, code_system, depth=1))
    except c.ConditionError as error:
        return [], None, [f"the condition is malformed ({error}); exported without it"]
    if formula is ALWAYS:
        return [], None, []
    if formula is NEVER_PART:
        return _never(condition, questions, link_ids)
    if isinstance(formula, _Atom):
        return [formula.as_fhir()], None, []
    if isinstance(formula, _AllOf):
        atoms = [part for part in formula.parts if isinstance(part, _Atom)]
        others = [part for part in formula.parts if not isinstance(part, _Atom)]
        notes = [
            f"part of the condition cannot be expressed as enableWhen ({_reason(part)}); left "
            "out, so the item may show when it would be hidden here"
            for part in others
        ]
        return [atom.as_fhir() for atom in atoms], ("all" if len(atoms) > 1 else None), notes
    if isinstance(formula, _AnyOf) and all(isinstance(part, _Atom) for part in formula.parts):
        return [part.as_fhir() for part in formula.parts], "any", []
    return (
        [],
        None,
        [
            f"the condition cannot be expressed as enableWhen ({_reason(formula)}); exported "
            "without it, so the item always shows"
        ],
    )


def _never(
    condition: Condition, questions: Mapping[str, QuestionDef], link_ids: Mapping[str, str]
) -> tuple[list[dict[str, Any]], str | None, list[str]]:
    """A condition that never holds, said exactly: a question both answered and not."""
    for key in sorted(c.referenced_keys(condition)):
        question = questions.get(key)
        if question is not None and key in link_ids and question.kind not in _NOT_TESTABLE:
            entries = [
                {"question": link_ids[key], "operator": EXISTS, "answerBoolean": flag}
                for flag in (True, False)
            ]
            return entries, "all", []
    return (
        [],
        None,
        [
            "the condition never holds but names no question FHIR can test; exported without it, "
            "so the item always shows"
        ],
    )


def _reason(formula: Any) -> str:
    if isinstance(formula, _Inexpressible):
        return formula.reason
    if isinstance(formula, _AnyOf):
        inner = next((part for part in formula.parts if not isinstance(part, _Atom)), None)
        if inner is not None and not isinstance(inner, _AllOf):
            return _reason(inner)
        return "'any' of combined tests needs more than one level of enableWhen"
    return "'all' inside 'any' needs more than one level of enableWhen"


def _formula(
    condition: Any,
    questions: Mapping[str, QuestionDef],
    link_ids: Mapping[str, str],
    code_system: Callable[[QuestionDef, ChoiceDef], str],
    *,
    depth: int,
) -> Any:
    if depth > c.MAX_DEPTH:
        raise c.ConditionError(f"conditions may nest at most {c.MAX_DEPTH} levels deep")
    if not isinstance(condition, Mapping):
        raise c.ConditionError("a condition must be an object")
    if not condition:
        return ALWAYS
    for combinator in ("all", "any"):
        if combinator in condition:
            parts = condition[combinator]
            if not isinstance(parts, list | tuple) or not parts or len(condition) != 1:
                raise c.ConditionError(f"'{combinator}' needs a non-empty list")
            inner = tuple(
                _formula(part, questions, link_ids, code_system, depth=depth + 1) for part in parts
            )
            return _AllOf(inner) if combinator == "all" else _AnyOf(inner)
    if "not" in condition:
        if len(condition) != 1:
            raise c.ConditionError("'not' stands alone")
        return _negate(
            _formula(condition["not"], questions, link_ids, code_system, depth=depth + 1)
        )
    return _leaf_formula(condition, questions, link_ids, code_system)


def _leaf_formula(
    leaf: Mapping[str, Any],
    questions: Mapping[str, QuestionDef],
    link_ids: Mapping[str, str],
    code_system: Callable[[QuestionDef, ChoiceDef], str],
) -> Any:
    key, op, value = leaf.get("q"), leaf.get("op"), leaf.get("value")
    question = questions.get(key) if isinstance(key, str) else None
    if question is None or key not in link_ids:
        return _Inexpressible(f"it tests unknown question {_show(key)}")
    if question.kind in _NOT_TESTABLE:
        return _Inexpressible(f"a {question.kind} has no answer in FHIR to test")
    link_id = link_ids[key]
    single = question.kind not in _MULTI_VALUED

    def atom(operator: str, our_value: Any) -> Any:
        if our_value == "" and question.kind in Kind.TEXTUAL:
            # "" is no answer, so nothing equals it; FHIR strings cannot even be empty.
            return NEVER_PART if operator == "=" else ALWAYS
        answer = _fhir_answer(question, our_value, code_system)
        if answer is None:
            return _Inexpressible(f"{_show(our_value)} does not fit question '{key}'")
        return _Atom(link_id, operator, answer[0], answer[1], single)

    def exists(flag: bool) -> _Atom:
        return _Atom(link_id, EXISTS, "answerBoolean", flag, single)

    values = list(value) if isinstance(value, list | tuple) else [value]
    if op == c.ANSWERED:
        return exists(True)
    if op == c.NOT_ANSWERED:
        return exists(False)
    if op in (c.EQ, c.CONTAINS):
        return atom("=", value)
    if op == c.NE:
        # Ours is false when unanswered; FHIR's != is true then: require an answer.
        return _AllOf((exists(True), atom("!=", value)))
    if op in (c.IN, c.CONTAINS_ANY):
        return _AnyOf(tuple(atom("=", item) for item in values))
    if op == c.NOT_IN:
        return _AllOf((exists(True), *(atom("!=", item) for item in values)))
    if op in _OPERATOR_FOR:
        return atom(_OPERATOR_FOR[op], value)
    raise c.ConditionError(f"unknown operator {op!r}")


def _fhir_answer(
    question: QuestionDef, value: Any, code_system: Callable[[QuestionDef, ChoiceDef], str]
) -> tuple[str, Any] | None:
    kind = question.kind
    if kind in Kind.WITH_CHOICES:
        choice = next((choice for choice in question.choices if choice.value == value), None)
        if choice is None:
            return None
        return "answerCoding", {"system": code_system(question, choice), "code": choice.value}
    if kind == Kind.YES_NO:
        return ("answerBoolean", value) if isinstance(value, bool) else None
    if kind in Kind.NUMERIC:
        number = c.as_number(value)
        if number is None:
            return None
        if kind != Kind.DECIMAL and number == number.to_integral_value():
            return "answerInteger", int(number)
        return "answerDecimal", number
    if kind == Kind.DATE:
        return ("answerDate", value) if c.as_date(value) is not None else None
    if kind in Kind.TEXTUAL:
        return ("answerString", value) if isinstance(value, str) else None
    return None


def _negate(formula: Any) -> Any:
    if formula is ALWAYS:
        return NEVER_PART
    if formula is NEVER_PART:
        return ALWAYS
    if isinstance(formula, _Inexpressible):
        return formula
    if isinstance(formula, _AllOf):
        return _AnyOf(tuple(_negate(part) for part in formula.parts))
    if isinstance(formula, _AnyOf):
        return _AllOf(tuple(_negate(part) for part in formula.parts))
    atom: _Atom = formula
    if atom.operator == EXISTS:
        return _Atom(atom.link_id, EXISTS, "answerBoolean", not atom.answer, atom.single_valued)
    negated = _Atom(
        atom.link_id, _NEGATED[atom.operator], atom.answer_field, atom.answer, atom.single_valued
    )
    if atom.operator in ("=", "!="):
        # "at least one answer equals" and "no answer equals" are each other's negation.
        return negated
    # not(some answer > v) is "no answer, or the answer <= v" for a single answer.
    if not atom.single_valued:
        return _Inexpressible("an ordering test on a list answer cannot be negated")
    return _AnyOf((_Atom(atom.link_id, EXISTS, "answerBoolean", False, True), negated))


def _simplify(formula: Any) -> Any:
    if not isinstance(formula, _AllOf | _AnyOf):
        return formula
    is_all = isinstance(formula, _AllOf)
    absorbing, neutral = (NEVER_PART, ALWAYS) if is_all else (ALWAYS, NEVER_PART)
    parts: list[Any] = []
    for part in (_simplify(part) for part in formula.parts):
        if part is absorbing:
            return absorbing
        if part is neutral:
            continue
        if type(part) is type(formula):  # all inside all, any inside any
            parts.extend(part.parts)
        elif part not in parts:
            parts.append(part)
    if not is_all:
        parts = _absorb_unanswered(parts)
    if not parts:
        return neutral
    if len(parts) == 1:
        return parts[0]
    return _AllOf(tuple(parts)) if is_all else _AnyOf(tuple(parts))


def _is_exists(part: Any, flag: bool) -> bool:
    return isinstance(part, _Atom) and part.operator == EXISTS and part.answer is flag


def _absorb_unanswered(parts: list[Any]) -> list[Any]:
    """Under ``any``: how FHIR ``!=`` comes back from our ``any(not_answered, ne)``.

    Our ``ne`` exports as ``exists true`` and ``!=``; next to ``exists false`` on the same
    item the ``exists true`` says nothing (A or (not A and B) is A or B), and FHIR's
    ``!=`` already holds for an unanswered item (A implies B), so one ``!=`` is left.
    """
    unanswered = {part.link_id for part in parts if _is_exists(part, False)}
    if not unanswered:
        return parts
    absorbed: list[Any] = []
    for part in parts:
        if isinstance(part, _AllOf):
            inner = [
                each
                for each in part.parts
                if not (_is_exists(each, True) and each.link_id in unanswered)
            ]
            if inner and len(inner) < len(part.parts):
                part = inner[0] if len(inner) == 1 else _AllOf(tuple(inner))
        if part not in absorbed:
            absorbed.append(part)
    not_equal = {
        part.link_id for part in absorbed if isinstance(part, _Atom) and part.operator == "!="
    }
    return [
        part for part in absorbed if not (_is_exists(part, False) and part.link_id in not_equal)
    ]
