from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from questionnaires.answers import answers_from_json, answers_to_json, value_from_json
from questionnaires.engine.definition import Kind
from tests.factories import clinic_definition, question

DEFINITION = clinic_definition()


def test_decimal_is_stored_as_its_exact_text_and_read_back_as_decimal():
    stored = answers_to_json(DEFINITION, {"weight": Decimal("72.50")})
    assert stored == {"weight": "72.50"}
    assert answers_from_json(DEFINITION, stored) == {"weight": Decimal("72.50")}


def test_tiny_decimal_is_written_without_exponent():
    assert answers_to_json(DEFINITION, {"weight": Decimal("0.00001")}) == {"weight": "0.00001"}


def test_date_object_becomes_iso_text_and_stays_text_for_the_engine():
    stored = answers_to_json(DEFINITION, {"last_visit": date(2024, 3, 7)})
    assert stored == {"last_visit": "2024-03-07"}
    assert answers_from_json(DEFINITION, stored) == {"last_visit": "2024-03-07"}


def test_repeat_group_children_are_converted_row_by_row():
    group = question("doses", Kind.REPEAT_GROUP, children=(question("amount", Kind.DECIMAL),))
    assert value_from_json(group, [{"amount": "1.5"}, {"amount": "2"}]) == [
        {"amount": Decimal("1.5")},
        {"amount": Decimal("2")},
    ]


def test_unreadable_stored_decimal_counts_as_missing():
    assert answers_from_json(DEFINITION, {"weight": "abc"}) == {"weight": None}


def test_native_values_pass_unchanged():
    answers = {"condition": "sle", "flares": True, "age": 40, "topics": ["cost"], "notes": "x"}
    assert answers_to_json(DEFINITION, answers) == answers
    assert answers_from_json(DEFINITION, answers) == answers


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_decimal_round_trip_is_exact(number):
    stored = answers_to_json(DEFINITION, {"weight": number})
    assert isinstance(stored["weight"], str)
    assert answers_from_json(DEFINITION, stored)["weight"] == number
