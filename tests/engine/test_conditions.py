import functools
import pickle
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.engine.conditions import (
    MAX_DEPTH,
    OPERATORS,
    OPERATORS_BY_KIND,
    ConditionError,
    compile_condition,
    evaluate,
    referenced_keys,
    validate,
)
from questionnaires.engine.definition import ChoiceDef, Kind, Problem, QuestionDef

ANSWERS = {
    "disease": "ms",
    "relapses": 2,
    "weight": Decimal("71.5"),
    "pain": 0,
    "pregnant": False,
    "smoker": True,
    "started": "2024-03-01",
    "diagnosed": date(2019, 6, 15),
    "symptoms": ["itch", "pain"],
    "note": "feels tired",
    "blank": "",
    "nothing": None,
    "empty_list": [],
}


NO_VALUE = object()


def leaf(key, op, value=NO_VALUE):
    return {"q": key, "op": op} if value is NO_VALUE else {"q": key, "op": op, "value": value}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, True),
        ({}, True),
        # text and choices
        (leaf("disease", "eq", "ms"), True),
        (leaf("disease", "eq", "pso"), False),
        (leaf("disease", "ne", "pso"), True),
        (leaf("disease", "ne", "ms"), False),
        (leaf("disease", "in", ["pso", "ms"]), True),
        (leaf("disease", "in", ["pso", "ad"]), False),
        (leaf("disease", "not_in", ["pso", "ad"]), True),
        (leaf("disease", "not_in", ["ms"]), False),
        (leaf("note", "eq", "Feels tired"), False),  # case matters
        # numbers of mixed types compare numerically
        (leaf("relapses", "eq", 2.0), True),
        (leaf("relapses", "eq", Decimal("2.00")), True),
        (leaf("relapses", "gte", 2), True),
        (leaf("relapses", "gt", 2), False),
        (leaf("relapses", "lt", 2.5), True),
        (leaf("relapses", "lte", 1), False),
        (leaf("relapses", "in", [1, 2, 3]), True),
        (leaf("relapses", "not_in", [0, 1]), True),
        (leaf("weight", "gt", 71), True),
        (leaf("weight", "eq", 71.5), True),
        (leaf("pain", "eq", 0), True),  # 0 is an answer
        (leaf("pain", "lt", 1), True),
        # bool is not a number, a number is not a bool
        (leaf("smoker", "eq", True), True),
        (leaf("smoker", "eq", 1), False),
        (leaf("pregnant", "eq", False), True),
        (leaf("pregnant", "eq", 0), False),
        (leaf("pregnant", "ne", True), True),
        (leaf("relapses", "eq", True), False),
        (leaf("smoker", "gt", 0), False),
        # dates, as ISO strings or date objects
        (leaf("started", "gt", "2024-02-29"), True),
        (leaf("started", "lt", "2024-02-29"), False),
        (leaf("started", "eq", date(2024, 3, 1)), True),
        (leaf("diagnosed", "eq", "2019-06-15"), True),
        (leaf("diagnosed", "lt", "2020-01-01"), True),
        (leaf("started", "gt", "2024-02-30"), False),  # not a real date: no comparison
        # ordering is for numbers and dates only, never text
        (leaf("note", "gt", "a"), False),
        (leaf("disease", "lt", "zz"), False),
        # lists
        (leaf("symptoms", "contains", "itch"), True),
        (leaf("symptoms", "contains", "fever"), False),
        (leaf("symptoms", "contains_any", ["fever", "pain"]), True),
        (leaf("symptoms", "contains_any", ["fever", "rash"]), False),
        (leaf("disease", "contains", "m"), False),  # a string is not a list of choices
        (leaf("symptoms", "eq", "itch"), False),
        # type mismatches are false, ne and not_in included
        (leaf("relapses", "eq", "2"), False),
        (leaf("relapses", "ne", "2"), False),
        (leaf("disease", "not_in", [1, 2]), False),
        (leaf("symptoms", "ne", "itch"), False),
        # presence
        (leaf("disease", "answered"), True),
        (leaf("pregnant", "answered"), True),  # False is an answer
        (leaf("pain", "answered"), True),
        (leaf("blank", "answered"), False),
        (leaf("nothing", "answered"), False),
        (leaf("empty_list", "answered"), False),
        (leaf("missing", "answered"), False),
        (leaf("missing", "not_answered"), True),
        (leaf("blank", "not_answered"), True),
        (leaf("disease", "not_answered"), False),
        # combinators
        ({"all": [leaf("disease", "eq", "ms"), leaf("relapses", "gte", 1)]}, True),
        ({"all": [leaf("disease", "eq", "ms"), leaf("relapses", "gte", 3)]}, False),
        ({"any": [leaf("disease", "eq", "pso"), leaf("relapses", "gte", 1)]}, True),
        ({"any": [leaf("disease", "eq", "pso"), leaf("relapses", "gte", 3)]}, False),
        ({"not": leaf("disease", "eq", "ms")}, False),
        ({"not": {"any": [leaf("smoker", "eq", False), leaf("pain", "gt", 5)]}}, True),
        # "not eq" differs from "ne" on an unanswered question
        ({"not": leaf("missing", "eq", "x")}, True),
    ],
)
def test_evaluate(condition, expected):
    assert evaluate(condition, ANSWERS) is expected
    assert compile_condition(condition)(ANSWERS) is expected


@pytest.mark.parametrize("op", [op for op in OPERATORS if op not in ("answered", "not_answered")])
@pytest.mark.parametrize("unanswered", ["missing", "blank", "nothing", "empty_list"])
def test_every_comparison_is_false_without_an_answer(op, unanswered):
    value = ["x"] if op in ("in", "not_in", "contains_any") else "x"
    assert evaluate(leaf(unanswered, op, value), ANSWERS) is False


def test_not_a_number_is_no_answer_to_compare():
    # Decimal NaN raises on "<"; it must simply compare false.
    for nan in (float("nan"), Decimal("NaN"), float("inf")):
        assert evaluate(leaf("x", "gt", 1), {"x": nan}) is False
        assert evaluate(leaf("x", "lte", 1), {"x": nan}) is False
    assert evaluate(leaf("x", "eq", 0.1), {"x": Decimal("0.1")}) is True


@pytest.mark.parametrize(
    "condition",
    [
        "disease",
        ["all"],
        {"all": [], "any": []},
        {"all": [leaf("disease", "answered")], "q": "disease"},
        {"all": []},
        {"any": "disease"},
        {"q": "disease"},
        {"op": "eq", "value": "ms"},
        leaf("disease", "like", "m%"),
        {"q": "disease", "op": "eq"},
        leaf("disease", "in", "ms"),
        {"q": "disease", "op": "answered", "note": "extra"},
        {"not": [leaf("disease", "answered")]},
    ],
)
def test_malformed_conditions_raise_condition_error(condition):
    with pytest.raises(ConditionError):
        evaluate(condition, ANSWERS)
    with pytest.raises(ConditionError):
        referenced_keys(condition)


def nested_not(depth):
    """A condition ``depth`` levels deep: depth-1 "not"s around one leaf."""
    condition = leaf("disease", "eq", "ms")
    for _ in range(depth - 1):
        condition = {"not": condition}
    return condition


def test_nesting_up_to_the_limit_is_fine():
    assert evaluate(nested_not(MAX_DEPTH), ANSWERS) is (MAX_DEPTH % 2 == 1)
    assert referenced_keys(nested_not(MAX_DEPTH)) == {"disease"}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
def test_nesting_beyond_the_limit_raises_condition_error_not_recursion_error(depth):
    with pytest.raises(ConditionError, match="nest"):
        evaluate(nested_not(depth), ANSWERS)
    with pytest.raises(ConditionError, match="nest"):
        referenced_keys(nested_not(depth))


def test_a_condition_containing_itself_is_rejected():
    cyclic = {"any": [leaf("disease", "eq", "pso")]}
    cyclic["any"].append(cyclic)
    with pytest.raises(ConditionError):
        evaluate(cyclic, ANSWERS)
    with pytest.raises(ConditionError):
        referenced_keys(cyclic)
    assert validate(cyclic, path="c", earlier=QUESTIONS, all_keys=QUESTIONS) != []


def test_referenced_keys():
    condition = {
        "all": [
            leaf("disease", "eq", "ms"),
            {"any": [leaf("relapses", "gt", 1), {"not": leaf("smoker", "answered")}]},
            leaf("disease", "ne", "pso"),
        ]
    }
    assert referenced_keys(condition) == frozenset({"disease", "relapses", "smoker"})
    assert referenced_keys(None) == frozenset()
    assert referenced_keys({}) == frozenset()


# --- properties -----------------------------------------------------------------------------

KEYS = ("a", "b", "c")
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "y", "2024-01-01", "2024-13-01"]),
    st.dates(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["q", "op", "value", "all", "any", "not"]), inner)
    ),
    max_leaves=10,
)
answer_maps = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3)


@given(condition=json_values, answers=answer_maps)
def test_evaluate_only_ever_raises_condition_error(condition, answers):
    try:
        result = evaluate(condition, answers)
    except ConditionError:
        return
    assert isinstance(result, bool)


@st.composite
def well_formed_leaves(draw):
    op = draw(st.sampled_from(OPERATORS))
    node = {"q": draw(st.sampled_from(KEYS)), "op": op}
    if op in ("in", "not_in", "contains_any"):
        node["value"] = draw(st.lists(json_scalars, min_size=1, max_size=3))
    elif op not in ("answered", "not_answered"):
        node["value"] = draw(json_scalars)
    return node


well_formed = st.recursive(
    well_formed_leaves(),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"all": parts})
        | st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"any": parts})
        | inner.map(lambda part: {"not": part})
    ),
    max_leaves=8,
)


@given(condition=well_formed, answers=answer_maps)
def test_well_formed_conditions_follow_boolean_logic(condition, answers):
    result = evaluate(condition, answers)
    assert evaluate({"not": condition}, answers) is (not result)
    assert evaluate({"all": [condition]}, answers) is result
    assert evaluate({"any": [condition, {"not": condition}]}, answers) is True


@given(value=json_values)
def test_answered_and_not_answered_are_opposites(value):
    answers = {"a": value}
    assert evaluate(leaf("a", "answered"), answers) is not evaluate(
        leaf("a", "not_answered"), answers
    )


@given(answer=json_scalars, value=json_scalars)
def test_eq_and_ne_never_both_hold(answer, value):
    answers = {"a": answer}
    assert not (
        evaluate(leaf("a", "eq", value), answers) and evaluate(leaf("a", "ne", value), answers)
    )


# --- compiled conditions ----------------------------------------------------------------------


def outcome(test, answers):
    """(result, None) or (None, the ConditionError's message): what a test gives the caller."""
    try:
        return test(answers), None
    except ConditionError as error:
        return None, str(error)


@given(condition=json_values, answers=answer_maps)
def test_a_compiled_condition_gives_what_evaluate_gives_even_when_malformed(condition, answers):
    expected = outcome(functools.partial(evaluate, condition), answers)
    assert outcome(compile_condition(condition), answers) == expected


scalar_answer_maps = st.dictionaries(
    st.sampled_from(KEYS), json_scalars | st.lists(json_scalars, max_size=3), max_size=3
)


@given(condition=well_formed, answers=scalar_answer_maps | answer_maps)
def test_a_compiled_well_formed_condition_gives_what_evaluate_gives(condition, answers):
    compiled = compile_condition(condition)
    # Compiled for real, not handed back to evaluate: this compares two implementations.
    assert not isinstance(compiled, functools.partial)
    assert compiled(answers) is evaluate(condition, answers)


@pytest.mark.parametrize("op", [op for op in OPERATORS if op not in ("answered", "not_answered")])
@pytest.mark.parametrize("unanswered", ["missing", "blank", "nothing", "empty_list"])
def test_a_compiled_comparison_is_false_without_an_answer(op, unanswered):
    value = ["x"] if op in ("in", "not_in", "contains_any") else "x"
    assert compile_condition(leaf(unanswered, op, value))(ANSWERS) is False


# Answers and values of every type a comparison tells apart: bools beside 0 and 1, numbers
# of each type (NaN and infinity among them), text that reads as a number, a date or
# neither, dates as objects and as text (one not a real date), a timestamp, lists, a mapping.
EDGE_SCALARS = (
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    1.0,
    0.1,
    2.5,
    float("nan"),
    float("inf"),
    Decimal("1"),
    Decimal("0.1"),
    Decimal("NaN"),
    "",
    "x",
    "1",
    "True",
    "2024-01-01",
    "2024-02-30",
    "2024-13-01",
    date(2024, 1, 1),
    date(2023, 12, 31),
    datetime(2024, 1, 1),
)
EDGE_ANSWERS = (*EDGE_SCALARS, [], ["x"], [1, True], ("x", "2024-01-01"), [date(2024, 1, 1)], {})
EDGE_LISTS = (
    *([value] for value in EDGE_SCALARS),
    [True, 1],
    ["x", "2024-01-01"],
    [0.1, date(2023, 12, 31)],
)


@pytest.mark.parametrize("op", OPERATORS)
def test_a_compiled_test_gives_what_evaluate_gives_for_every_pair_of_edge_values(op):
    if op in ("answered", "not_answered"):
        values = [NO_VALUE]
    elif op in ("in", "not_in", "contains_any"):
        values = EDGE_LISTS
    else:
        values = EDGE_SCALARS
    for value in values:
        condition = leaf("a", op, value)
        compiled = compile_condition(condition)
        for answer in EDGE_ANSWERS:
            assert compiled({"a": answer}) is evaluate(condition, {"a": answer}), (value, answer)


def test_a_malformed_part_raises_only_when_reached_as_evaluate_does():
    late = {"any": [leaf("disease", "eq", "ms"), {"q": "disease", "op": "like"}]}
    assert compile_condition(late)(ANSWERS) is True  # "any" stops at its first true part
    with pytest.raises(ConditionError, match="unknown operator"):
        compile_condition(late)({"disease": "pso"})


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
def test_compiling_beyond_the_nesting_limit_raises_when_tested(depth):
    compiled = compile_condition(nested_not(depth))  # compiling itself never raises
    with pytest.raises(ConditionError, match="nest"):
        compiled(ANSWERS)


def test_a_condition_containing_itself_twice_compiles_without_blowing_up():
    cyclic = {"any": []}
    cyclic["any"].extend([cyclic, cyclic])  # every level doubles the paths
    with pytest.raises(ConditionError, match="nest"):
        compile_condition(cyclic)(ANSWERS)


def test_a_part_shared_by_branches_is_compiled_as_evaluate_reads_it():
    shared = leaf("relapses", "gte", 2)
    condition = {"all": [shared, {"not": {"not": shared}}, {"any": [shared]}]}
    assert compile_condition(condition)(ANSWERS) is True
    assert compile_condition(condition)({"relapses": 1}) is False


def test_a_rule_compiles_its_condition_once_and_still_pickles():
    from questionnaires.engine.weighing import Effect, Rule

    rule = Rule("r", applies_to=("x",), effect=Effect.CAUTION, condition=leaf("smoker", "eq", True))
    assert rule.condition_test is rule.condition_test
    assert rule.condition_test(ANSWERS) is True
    copy = pickle.loads(pickle.dumps(rule))  # noqa: S301 (bytes made on the line itself)
    assert copy == rule
    assert copy.condition_test({"smoker": False}) is False


# --- validation -----------------------------------------------------------------------------


def question(key, kind, choices=()):
    return QuestionDef(
        key=key,
        kind=kind,
        text={"en": key},
        choices=tuple(ChoiceDef(value, {"en": value}) for value in choices),
    )


QUESTIONS = {
    q.key: q
    for q in (
        question("disease", Kind.SINGLE_CHOICE, ["ms", "pso"]),
        question("pregnant", Kind.YES_NO),
        question("relapses", Kind.INTEGER),
        question("weight", Kind.DECIMAL),
        question("pain", Kind.RATING),
        question("started", Kind.DATE),
        question("note", Kind.SHORT_TEXT),
        question("story", Kind.LONG_TEXT),
        question("symptoms", Kind.MULTIPLE_CHOICE, ["itch", "pain"]),
        question("priorities", Kind.RANKING, ["speed", "safety"]),
        question("history", Kind.REPEAT_GROUP),
        question("intro", Kind.DISPLAY),
    )
}
ALL_KEYS = {*QUESTIONS, "later", "therapy", "self"}


def check(condition, **overrides):
    arguments = {"path": "show_if", "earlier": QUESTIONS, "all_keys": ALL_KEYS}
    return validate(condition, **(arguments | overrides))


def test_valid_conditions_have_no_problems():
    condition = {
        "all": [
            leaf("disease", "in", ["ms", "pso"]),
            leaf("pregnant", "eq", False),
            leaf("relapses", "gte", 1),
            leaf("weight", "lt", Decimal("80.5")),
            leaf("pain", "ne", 10),
            leaf("started", "gt", "2020-01-31"),
            leaf("note", "eq", "tired"),
            leaf("story", "answered"),
            leaf("symptoms", "contains", "itch"),
            {"not": leaf("priorities", "contains_any", ["speed", "safety"])},
            {"any": [leaf("history", "not_answered"), leaf("history", "answered")]},
        ]
    }
    assert check(condition) == []
    assert check(None) == []
    assert check({}) == []


def test_every_kind_has_an_operator_table():
    assert set(OPERATORS_BY_KIND) == set(Kind.ALL)
    for ops in OPERATORS_BY_KIND.values():
        assert set(ops) <= set(OPERATORS)


def test_references_outside_what_is_earlier():
    condition = {
        "any": [
            leaf("relapse", "gt", 1),
            leaf("later", "eq", "x"),
            leaf("self", "answered"),
            leaf("therapy", "eq", "x"),
        ]
    }
    assert check(condition, self_key="self", row_only_keys={"therapy"}) == [
        Problem("show_if.any[0]", "unknown question 'relapse'"),
        Problem(
            "show_if.any[1]",
            "refers to question 'later', which comes later; "
            "conditions may only use earlier answers",
        ),
        Problem("show_if.any[2]", "question 'self' refers to itself"),
        Problem(
            "show_if.any[3]",
            "refers to question 'therapy', which belongs to a repeat group; "
            "only later questions in the same row may use it",
        ),
    ]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            leaf("disease", "gt", "ms"),
            "operator 'gt' does not fit question 'disease' (single_choice); "
            "use one of eq, ne, in, not_in, answered, not_answered",
        ),
        (
            leaf("pregnant", "contains", True),
            "operator 'contains' does not fit question 'pregnant'",
        ),
        (leaf("symptoms", "eq", "itch"), "operator 'eq' does not fit question 'symptoms'"),
        (leaf("priorities", "in", ["speed"]), "operator 'in' does not fit question 'priorities'"),
        (leaf("relapses", "contains", 1), "operator 'contains' does not fit question 'relapses'"),
        (leaf("started", "in", ["2020-01-01"]), "operator 'in' does not fit question 'started'"),
        (leaf("note", "lt", "m"), "operator 'lt' does not fit question 'note'"),
        (leaf("history", "eq", "x"), "operator 'eq' does not fit question 'history'"),
        (leaf("intro", "answered"), "question 'intro' only shows text and has no answer to test"),
    ],
)
def test_operator_must_fit_the_kind(condition, expected):
    [problem] = check(condition)
    assert problem.path == "show_if"
    assert problem.message.startswith(expected)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (leaf("disease", "eq", "ad"), "'ad' is not one of the choices of question 'disease'"),
        (leaf("symptoms", "contains", "fever"), "'fever' is not one of the choices"),
        (
            leaf("pregnant", "eq", "yes"),
            "question 'pregnant' is yes/no; compare it with true or false",
        ),
        (leaf("relapses", "gt", "1"), "question 'relapses' takes a number; '1' is not one"),
        (leaf("relapses", "eq", True), "question 'relapses' takes a number; true is not one"),
        (leaf("pain", "lt", None), "question 'pain' takes a number; null is not one"),
        (leaf("started", "gt", "01/02/2024"), "question 'started' takes a date"),
        (leaf("note", "eq", 3), "question 'note' takes text; 3 is not text"),
    ],
)
def test_value_must_fit_the_question(condition, expected):
    [problem] = check(condition)
    assert problem.path == "show_if.value"
    assert problem.message.startswith(expected)


def test_each_bad_item_of_a_list_value_is_reported():
    assert check(leaf("disease", "not_in", ["ms", "ad", "sle"])) == [
        Problem("show_if.value", "'ad' is not one of the choices of question 'disease'"),
        Problem("show_if.value", "'sle' is not one of the choices of question 'disease'"),
    ]


def test_presence_operators_ignore_any_value():
    assert check({"q": "disease", "op": "answered", "value": "whatever"}) == []


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ("disease", "show_if", "a condition must be an object"),
        ({"all": []}, "show_if.all", "'all' needs a non-empty list"),
        ({"any": leaf("disease", "answered")}, "show_if.any", "'any' needs a non-empty list"),
        ({"not": ["x"]}, "show_if.not", "a condition must be an object"),
        (
            {"all": [leaf("disease", "answered")], "any": [leaf("disease", "answered")]},
            "show_if",
            "a condition has 'all', 'any'; use exactly one of 'all', 'any', 'not' "
            "or a single test with 'q' and 'op'",
        ),
        (
            {"not": leaf("disease", "answered"), "q": "disease"},
            "show_if",
            "a condition has 'not', 'q'; use exactly one of 'all', 'any', 'not' "
            "or a single test with 'q' and 'op'",
        ),
        ({"op": "answered"}, "show_if", "a condition test needs a question key 'q'"),
        (leaf("disease", "like", "m"), "show_if", "unknown operator 'like'; use one of eq, ne,"),
        ({"q": "disease", "op": "eq"}, "show_if", "operator 'eq' needs a value"),
        (leaf("disease", "in", "ms"), "show_if.value", "operator 'in' needs a non-empty list"),
        (leaf("disease", "in", []), "show_if.value", "operator 'in' needs a non-empty list"),
        (
            {"q": "disease", "op": "answered", "when": 1},
            "show_if",
            "unknown condition field 'when'",
        ),
    ],
)
def test_structure_problems(condition, path, message):
    [problem] = check(condition)
    assert problem.path == path
    assert problem.message.startswith(message)


def test_all_problems_are_reported_with_nested_paths():
    condition = {
        "all": [
            leaf("disease", "eq", "ms"),
            {"not": leaf("nope", "answered")},
            {"any": [leaf("relapses", "gt", "x"), leaf("later", "answered")]},
        ]
    }
    assert [problem.path for problem in check(condition)] == [
        "show_if.all[1].not",
        "show_if.all[2].any[0].value",
        "show_if.all[2].any[1]",
    ]


def test_nesting_depth_is_limited_in_validation():
    assert check(nested_not(MAX_DEPTH)) == []
    [problem] = check(nested_not(MAX_DEPTH + 1))
    assert problem.message == f"conditions may nest at most {MAX_DEPTH} levels deep"
    assert problem.path == "show_if" + ".not" * MAX_DEPTH
    [problem] = check(nested_not(10_000))
    assert "nest" in problem.message
