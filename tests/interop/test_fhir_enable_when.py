"""FHIR enableWhen ⇄ our conditions, pinned operator by operator against the specification.

Each translated condition is evaluated with the engine's own evaluator on answered and
unanswered cases. The quoted sentences are from the FHIR Questionnaire specification
(R4 4.0.1 with the operator definitions as corrected in R4B/R5, see the module docstring
of ``questionnaires.interop.fhir_enable_when``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from questionnaires.engine.conditions import evaluate
from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef
from questionnaires.interop.fhir_enable_when import NEVER, to_condition, to_enable_when

SYSTEM = "http://example.org/colours"


def question(key, kind, *choices, system=SYSTEM):
    return QuestionDef(
        key=key,
        kind=kind,
        text={"en": key},
        choices=tuple(ChoiceDef(value, {"en": value}, system=system) for value in choices),
        link_id=key.upper(),
    )


QUESTIONS = [
    question("smoker", Kind.YES_NO),
    question("weight", Kind.DECIMAL),
    question("count", Kind.INTEGER),
    question("dob", Kind.DATE),
    question("name", Kind.SHORT_TEXT),
    question("colour", Kind.SINGLE_CHOICE, "red", "green", "blue"),
    question("symptoms", Kind.MULTIPLE_CHOICE, "itch", "pain", "fatigue"),
    question("level", Kind.SINGLE_CHOICE, "1.1", "2.2", "3.3", system=""),
    question("block", Kind.DISPLAY),
]
BY_LINK_ID = {q.link_id: q for q in QUESTIONS}


def translate(*entries, behavior=None):
    return to_condition(list(entries), behavior, items_by_link_id=BY_LINK_ID)


def shows(condition, **answers) -> bool:
    return evaluate(condition, answers)


def when(link_id, operator, **answer):
    return {"question": link_id, "operator": operator, **answer}


def coding(code, system=SYSTEM):
    return {"system": system, "code": code} if system else {"code": code}


# --- exists -----------------------------------------------------------------------------------
# "exists: True if whether an answer exists is equal to the enableWhen answer (which must be a
# boolean)."


def test_exists_true_holds_only_when_there_is_an_answer():
    condition, notes = translate(when("WEIGHT", "exists", answerBoolean=True))
    assert notes == []
    assert shows(condition, weight=Decimal("70.5"))
    assert not shows(condition)
    assert not shows(condition, weight=None)


def test_exists_false_holds_only_when_there_is_no_answer():
    condition, _ = translate(when("SYMPTOMS", "exists", answerBoolean=False))
    assert shows(condition)
    assert shows(condition, symptoms=[])  # an empty selection is no answer
    assert not shows(condition, symptoms=["itch"])


def test_exists_needs_a_boolean():
    condition, notes = translate(when("WEIGHT", "exists", answerString="yes"))
    assert condition is None
    assert notes == [
        "enableWhen[0] (WEIGHT exists 'yes'): 'exists' needs answerBoolean true or false; "
        "left out, so the item may show when the original would hide it"
    ]


# --- = ----------------------------------------------------------------------------------------
# "=: True if at least one answer has a value that is equal to the enableWhen answer."


def test_equals_on_a_boolean():
    condition, _ = translate(when("SMOKER", "=", answerBoolean=False))
    assert shows(condition, smoker=False)
    assert not shows(condition, smoker=True)
    assert not shows(condition)  # no answer, so no answer is equal


def test_equals_on_a_decimal_compares_numbers():
    condition, _ = translate(when("WEIGHT", "=", answerDecimal=Decimal("5.6")))
    assert shows(condition, weight=Decimal("5.60"))
    assert not shows(condition, weight=Decimal("5.61"))
    assert not shows(condition)


def test_equals_on_a_coding_compares_system_and_code():
    condition, notes = translate(when("COLOUR", "=", answerCoding=coding("green")))
    assert notes == []
    assert condition == {"q": "colour", "op": "eq", "value": "green"}
    assert shows(condition, colour="green")
    assert not shows(condition, colour="red")
    assert not shows(condition)


def test_equals_on_a_coding_of_another_system_never_holds():
    # Same code, different system: not the same concept.
    condition, notes = translate(when("COLOUR", "=", answerCoding=coding("green", "urn:other")))
    assert condition == NEVER
    assert not shows(condition, colour="green")
    assert notes[-1].endswith("no option has this value, so the test never holds")


def test_equals_on_a_coding_without_system_compares_codes_and_says_so():
    condition, notes = translate(when("COLOUR", "=", answerCoding=coding("blue", system=None)))
    assert shows(condition, colour="blue")
    assert notes == [
        "enableWhen[0] (COLOUR = 'blue'): one side has no code system, so only the codes "
        "were compared"
    ]


def test_equals_on_a_repeating_question_holds_when_any_answer_equals():
    # "If the enableWhen.question has multiple answers, the condition evaluates to true if *any*
    # of the answers for the referenced item match the enableWhen condition."
    condition, _ = translate(when("SYMPTOMS", "=", answerCoding=coding("pain")))
    assert shows(condition, symptoms=["itch", "pain"])
    assert not shows(condition, symptoms=["itch"])
    assert not shows(condition, symptoms=[])


def test_equals_with_a_bare_code_string_on_a_choice_compares_the_code():
    # Real files test coded options with answerString "2"; their authors mean the code.
    condition, notes = translate(when("COLOUR", "=", answerString="red"))
    assert shows(condition, colour="red")
    assert not shows(condition, colour="blue")
    # Our export writes it as answerCoding (as the options are), so the item says so.
    assert notes == [
        "enableWhen[0] (COLOUR = 'red'): answerString is compared with the option codes; "
        "exported as answerCoding, as the options are"
    ]


# --- != ---------------------------------------------------------------------------------------
# "!=: True if no answer has a value that is equal to the enableWhen answer."


def test_not_equals_holds_for_an_unanswered_question():
    condition, _ = translate(when("SMOKER", "!=", answerBoolean=True))
    assert condition == {
        "any": [{"q": "smoker", "op": "not_answered"}, {"q": "smoker", "op": "ne", "value": True}]
    }
    assert shows(condition)  # no answer at all: no answer is equal
    assert shows(condition, smoker=False)
    assert not shows(condition, smoker=True)


def test_not_equals_on_a_coding():
    condition, _ = translate(when("COLOUR", "!=", answerCoding=coding("red")))
    assert shows(condition)
    assert shows(condition, colour="green")
    assert not shows(condition, colour="red")


def test_not_equals_a_value_no_option_has_always_holds():
    condition, notes = translate(when("COLOUR", "!=", answerCoding=coding("purple")))
    assert condition is None
    assert notes[-1].endswith("no option has this value, so the test always holds")


def test_not_equals_on_a_repeating_question_holds_when_no_answer_equals():
    condition, _ = translate(when("SYMPTOMS", "!=", answerCoding=coding("pain")))
    assert shows(condition)
    assert shows(condition, symptoms=[])
    assert shows(condition, symptoms=["itch", "fatigue"])
    assert not shows(condition, symptoms=["itch", "pain"])


def test_not_equals_on_text():
    condition, _ = translate(when("NAME", "!=", answerString="test"))
    assert shows(condition)
    assert shows(condition, name="tester")
    assert not shows(condition, name="test")


# --- ordering ---------------------------------------------------------------------------------
# ">: True if at least one answer has a value that is greater than the enableWhen answer."
# (and likewise "<", ">=", "<=": less than / greater or equal / less or equal)


@pytest.mark.parametrize(
    ("operator", "holds_for", "fails_for"),
    [
        (">", [5, 9], [4, 3]),
        ("<", [3, -1], [4, 5]),
        (">=", [4, 5], [3]),
        ("<=", [4, 3], [5]),
    ],
)
def test_ordering_on_integers(operator, holds_for, fails_for):
    condition, notes = translate(when("COUNT", operator, answerInteger=4))
    assert notes == []
    for answer in holds_for:
        assert shows(condition, count=answer), answer
    for answer in fails_for:
        assert not shows(condition, count=answer), answer
    assert not shows(condition)  # at least one answer must exist


def test_ordering_on_dates():
    condition, _ = translate(when("DOB", ">", answerDate="2000-01-01"))
    assert shows(condition, dob="2000-01-02")
    assert not shows(condition, dob="2000-01-01")
    assert not shows(condition)


def test_ordering_on_decimals():
    condition, _ = translate(when("WEIGHT", ">=", answerDecimal=Decimal("4.8")))
    assert shows(condition, weight=Decimal("4.8"))
    assert not shows(condition, weight=Decimal("4.79"))


def test_ordering_on_numeric_option_codes_becomes_the_list_of_options_that_satisfy_it():
    condition, notes = translate(when("LEVEL", "<", answerDecimal=Decimal("2.2")))
    assert condition == {"q": "level", "op": "eq", "value": "1.1"}
    assert notes == [
        "enableWhen[0] (LEVEL < 2.2): translated to the list of options whose value satisfies "
        "the comparison"
    ]
    condition, _ = translate(when("LEVEL", ">=", answerDecimal=Decimal("2.1")))
    assert condition == {"q": "level", "op": "in", "value": ["2.2", "3.3"]}
    assert not shows(condition)


def test_ordering_on_text_cannot_be_kept():
    condition, notes = translate(when("NAME", ">", answerString="tes"))
    assert condition is None
    assert notes == [
        "enableWhen[0] (NAME > 'tes'): text answers cannot be ordered in our condition "
        "language; left out, so the item may show when the original would hide it"
    ]


def test_a_partial_date_cannot_be_compared():
    condition, notes = translate(when("DOB", "=", answerDate="2022-09"))
    assert condition is None
    assert "'2022-09' is not a full date (YYYY-MM-DD)" in notes[0]


# --- enableBehavior ---------------------------------------------------------------------------
# "all: Enable the question when all the enableWhen criteria are satisfied.
#  any: Enable the question when any of the enableWhen criteria are satisfied."


def test_behavior_all_needs_every_criterion():
    condition, _ = translate(
        when("SYMPTOMS", "=", answerCoding=coding("itch")),
        when("COUNT", ">", answerInteger=2),
        behavior="all",
    )
    assert shows(condition, symptoms=["itch"], count=3)
    assert not shows(condition, symptoms=["itch"], count=2)
    assert not shows(condition, symptoms=["pain"], count=3)


def test_behavior_any_needs_one_criterion():
    condition, _ = translate(
        when("SMOKER", "=", answerBoolean=True),
        when("COUNT", ">", answerInteger=2),
        behavior="any",
    )
    assert shows(condition, smoker=True)
    assert shows(condition, count=3)
    assert not shows(condition, smoker=False, count=1)
    assert not shows(condition)


def test_any_of_equals_on_one_single_choice_question_is_read_as_in():
    # What our export writes for ``in``, so FHIR → ours → FHIR → ours keeps the condition.
    condition, notes = translate(
        when("LEVEL", ">", answerDecimal=Decimal("2")),
        when("COLOUR", "=", answerCoding=coding("red")),
        when("LEVEL", "=", answerCoding=coding("1.1", system="")),
        when("COLOUR", "=", answerCoding=coding("blue")),
        when("SMOKER", "=", answerBoolean=True),
        behavior="any",
    )
    assert condition == {
        "any": [
            {"q": "level", "op": "in", "value": ["2.2", "3.3", "1.1"]},
            {"q": "colour", "op": "in", "value": ["red", "blue"]},
            {"q": "smoker", "op": "eq", "value": True},
        ]
    }
    assert shows(condition, level="1.1") and shows(condition, colour="blue")
    assert not shows(condition, colour="green", smoker=False)


def test_a_missing_behavior_with_several_criteria_is_read_as_any_and_reported():
    condition, notes = translate(
        when("SMOKER", "=", answerBoolean=True), when("COUNT", ">", answerInteger=2)
    )
    assert shows(condition, count=3)
    assert notes[0].startswith("enableBehavior is nothing but 2 enableWhen conditions need")


def test_an_untranslatable_part_of_all_is_left_out():
    condition, notes = translate(
        when("NAME", ">", answerString="m"),
        when("SMOKER", "exists", answerBoolean=True),
        behavior="all",
    )
    assert condition == {"q": "smoker", "op": "answered"}
    assert len(notes) == 1


def test_an_untranslatable_part_of_any_drops_the_whole_condition():
    condition, notes = translate(
        when("NAME", ">", answerString="m"),
        when("SMOKER", "exists", answerBoolean=True),
        behavior="any",
    )
    assert condition is None
    assert notes[0].endswith("the whole condition was left out, so the item always shows")


def test_a_reference_to_an_unknown_or_later_question_is_reported():
    condition, notes = translate(when("NOPE", "exists", answerBoolean=True))
    assert condition is None
    assert "refers to 'NOPE', which is not a question answered before this item" in notes[0]


def test_a_display_item_has_no_answer_to_test():
    condition, notes = translate(when("BLOCK", "exists", answerBoolean=True))
    assert condition is None
    assert "has no answer of its own to test" in notes[0]


# --- ours → FHIR ------------------------------------------------------------------------------

BY_KEY = {q.key: q for q in QUESTIONS}
LINK_IDS = {q.key: q.link_id for q in QUESTIONS}


def export(condition):
    return to_enable_when(
        condition,
        questions=BY_KEY,
        link_ids=LINK_IDS,
        code_system=lambda q, choice: choice.system or f"urn:test:{q.key}",
    )


def test_a_single_test_becomes_one_entry():
    assert export({"q": "count", "op": "gte", "value": 3}) == (
        [{"question": "COUNT", "operator": ">=", "answerInteger": 3}],
        None,
        [],
    )


def test_ne_needs_an_answer_in_fhir_so_exists_is_added_under_all():
    entries, behavior, notes = export({"q": "colour", "op": "ne", "value": "red"})
    assert entries == [
        {"question": "COLOUR", "operator": "exists", "answerBoolean": True},
        {"question": "COLOUR", "operator": "!=", "answerCoding": {"system": SYSTEM, "code": "red"}},
    ]
    assert (behavior, notes) == ("all", [])


def test_in_becomes_any_of_equals():
    entries, behavior, _ = export({"q": "level", "op": "in", "value": ["1.1", "3.3"]})
    assert behavior == "any"
    assert [entry["answerCoding"] for entry in entries] == [
        {"system": "urn:test:level", "code": "1.1"},
        {"system": "urn:test:level", "code": "3.3"},
    ]


def test_not_of_a_comparison_is_pushed_inwards():
    # not(count > 3) holds when unanswered or count <= 3.
    entries, behavior, notes = export({"not": {"q": "count", "op": "gt", "value": 3}})
    assert entries == [
        {"question": "COUNT", "operator": "exists", "answerBoolean": False},
        {"question": "COUNT", "operator": "<=", "answerInteger": 3},
    ]
    assert (behavior, notes) == ("any", [])


def test_any_inside_all_cannot_be_expressed_and_the_rest_is_kept():
    condition = {
        "all": [
            {"q": "smoker", "op": "eq", "value": True},
            {"any": [{"q": "count", "op": "gt", "value": 3}, {"q": "dob", "op": "answered"}]},
        ]
    }
    entries, behavior, notes = export(condition)
    assert entries == [{"question": "SMOKER", "operator": "=", "answerBoolean": True}]
    assert behavior is None
    assert notes == [
        "part of the condition cannot be expressed as enableWhen ('any' of combined tests needs "
        "more than one level of enableWhen); left out, so the item may show when it would be "
        "hidden here"
    ]


def test_all_inside_any_is_exported_without_condition():
    condition = {
        "any": [
            {"q": "smoker", "op": "eq", "value": True},
            {"all": [{"q": "count", "op": "gt", "value": 3}, {"q": "dob", "op": "answered"}]},
        ]
    }
    entries, behavior, notes = export(condition)
    assert (entries, behavior) == ([], None)
    assert notes[0].startswith("the condition cannot be expressed as enableWhen")
    assert notes[0].endswith("exported without it, so the item always shows")


@pytest.mark.parametrize(
    "condition",
    [
        {"q": "colour", "op": "ne", "value": "red"},
        {"q": "colour", "op": "not_in", "value": ["red", "blue"]},
        {"q": "symptoms", "op": "contains_any", "value": ["itch", "pain"]},
        {"not": {"q": "symptoms", "op": "contains", "value": "pain"}},
        {"not": {"q": "weight", "op": "lte", "value": Decimal("60.5")}},
        {
            "all": [
                {"q": "smoker", "op": "eq", "value": False},
                {"q": "dob", "op": "lt", "value": "2001-02-03"},
            ]
        },
        {"any": [{"q": "name", "op": "eq", "value": "x"}, {"q": "count", "op": "not_answered"}]},
    ],
)
def test_export_then_import_means_the_same_for_every_answer(condition):
    entries, behavior, notes = export(condition)
    assert notes == []
    back, back_notes = translate(*entries, behavior=behavior)
    assert back_notes == []
    cases = [
        {},
        {"colour": "red"},
        {"colour": "green"},
        {"colour": "blue"},
        {"symptoms": []},
        {"symptoms": ["itch"]},
        {"symptoms": ["pain", "fatigue"]},
        {"weight": Decimal("60.5")},
        {"weight": Decimal("61")},
        {"smoker": False, "dob": "2001-02-02"},
        {"smoker": False, "dob": "2001-02-03"},
        {"smoker": True, "dob": "2000-01-01"},
        {"name": "x"},
        {"name": "y", "count": 1},
    ]
    for answers in cases:
        assert evaluate(back, answers) == evaluate(condition, answers), answers
