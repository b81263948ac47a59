"""Step forms built from a definition: fields, visibility-aware validation, render data."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.engine.definition import Kind
from questionnaires.engine.visibility import resolve_visibility
from questionnaires.patient.forms import (
    StepContext,
    build_field,
    build_step_form_classes,
    residual_condition,
    step_form_classes,
)
from tests.factories import choice, clinic_definition, definition, question, step, text

DEFINITION = clinic_definition()
CLASSES = build_step_form_classes(DEFINITION)


def make_form(step, data=None, *, answers=None, preset=frozenset(), quiet=False):
    answers = dict(answers or {})
    visibility, kept = resolve_visibility(DEFINITION, answers)
    context = StepContext(DEFINITION, answers, kept, visibility.questions, frozenset(preset))
    if data is not None and not isinstance(data, MultiValueDict):
        data = MultiValueDict(
            {key: value if isinstance(value, list) else [value] for key, value in data.items()}
        )
    return CLASSES[step](data, prefix=step, context=context, quiet=quiet)


def group_data(rows, *, total=None, prefix="history-treatments"):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) if total is None else total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "5",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


# --- residual conditions ---------------------------------------------------------------


def test_residual_condition_decides_known_questions_and_keeps_unknown_ones():
    condition = {
        "all": [
            {"q": "condition", "op": "eq", "value": "psoriasis"},
            {"q": "flares", "op": "eq", "value": True},
        ]
    }
    unknown = frozenset({"flares"})
    assert residual_condition(condition, unknown=unknown, answers={"condition": "sle"}) is False
    assert residual_condition(condition, unknown=unknown, answers={"condition": "psoriasis"}) == {
        "q": "flares",
        "op": "eq",
        "value": True,
    }


def test_residual_condition_any_is_true_once_a_known_part_holds():
    condition = {"any": [{"q": "a", "op": "answered"}, {"q": "b", "op": "answered"}]}
    assert residual_condition(condition, unknown=frozenset({"b"}), answers={"a": "x"}) is True
    assert residual_condition(condition, unknown=frozenset({"b"}), answers={}) == {
        "q": "b",
        "op": "answered",
    }


def test_residual_condition_negates_decided_parts():
    condition = {"not": {"q": "a", "op": "answered"}}
    assert residual_condition(condition, unknown=frozenset(), answers={"a": 1}) is False
    assert residual_condition(None, unknown=frozenset(), answers={}) is True


# --- single fields -----------------------------------------------------------------------


def test_valid_step_gives_engine_typed_values():
    form = make_form("about", {"about-condition": "sle", "about-age": " 42 "})
    assert form.is_valid(), form.errors
    assert form.answer_values == {"condition": "sle", "age": 42}


def test_required_questions_get_a_message_per_kind():
    form = make_form("about", {})
    assert not form.is_valid()
    assert form.errors["condition"] == ["Select an answer"]
    assert form.errors["age"] == ["Enter a number"]


def test_display_text_has_no_field():
    assert "welcome" not in make_form("about").fields


def test_choice_not_offered_is_tampering():
    form = make_form("about", {"about-condition": "asthma", "about-age": "40"})
    assert not form.is_valid()
    assert form.has_tampered_input()


def test_number_out_of_range_is_an_error_a_person_can_make():
    form = make_form("about", {"about-condition": "sle", "about-age": "130"})
    assert not form.is_valid()
    assert form.errors["age"] == ["“Age?”: enter a number from 0 to 120"]
    assert form.answer_values["age"] is None  # nothing of the refused input is kept
    assert not form.has_tampered_input()


@pytest.mark.parametrize("typed", ["10", "301", "19,99"])
def test_out_of_range_message_names_the_question_and_its_own_limits_with_unit(typed):
    form = make_form("priorities", {"priorities-weight": typed})
    assert not form.is_valid()
    assert form.errors["weight"] == ["“Weight?”: enter a number from 20 kg to 300 kg"]
    assert "weight" not in form.cleaned_data


def test_out_of_range_message_in_chinese_names_the_chinese_question():
    with translation.override("zh-hans"):
        form = make_form("about", {"about-condition": "sle", "about-age": "-1"})
        assert not form.is_valid()
        assert form.errors["age"] == ["“【中】Age?”：请输入 0 到 120 之间的数字"]


def test_range_message_with_a_percent_sign_in_the_question_is_not_a_format_error():
    field = build_field(
        question("share", Kind.INTEGER, text=text("Share (%)"), max_value=Decimal(100))
    )
    with pytest.raises(ValidationError) as refused:
        field.clean("150")
    assert refused.value.messages == ["“Share (%)”: enter a number no bigger than 100"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("typed", "stored"),
    [("72,5", Decimal("72.5")), (" 72,50 ", Decimal("72.50")), ("７２，５", Decimal("72.5"))],
)
def test_decimal_comma_is_a_decimal_mark_in_both_languages(language, typed, stored):
    with translation.override(language):
        form = make_form("priorities", {**RANKED, "priorities-weight": typed})
        assert form.is_valid(), form.errors
    assert form.answer_values["weight"] == stored


def test_comma_before_three_digits_may_be_a_thousands_separator_so_it_is_asked_again():
    form = make_form("priorities", {**RANKED, "priorities-weight": "1,000"})
    assert not form.is_valid()
    assert form.errors["weight"] == [
        "Enter the number with a decimal point and no thousands separator, like 72.5"
    ]
    assert "weight" not in form.cleaned_data
    assert not form.has_tampered_input()


def test_absurdly_long_number_is_tampering():
    form = make_form("about", {"about-condition": "sle", "about-age": "9" * 100_000})
    assert not form.is_valid()
    assert form.has_tampered_input()


def test_text_beyond_its_maximum_length_is_refused_as_tampering():
    data = {"priorities-notes": "x" * 100_000}
    form = make_form("priorities", data)
    assert not form.is_valid()
    assert "500 characters or fewer" in form.errors["notes"][0]
    assert form.has_tampered_input()


RANKED = {
    "priorities-ranking-0": "2",
    "priorities-ranking-1": "1",
    "priorities-ranking-2": "3",
}


def test_decimal_keeps_its_digits():
    form = make_form(
        "priorities",
        {
            "priorities-ranking-0": "2",
            "priorities-ranking-1": "1",
            "priorities-ranking-2": "3",
            "priorities-weight": "72.50",
        },
    )
    assert form.is_valid(), form.errors
    assert form.answer_values["weight"] == Decimal("72.50")


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "1e400", "seventy"])
def test_decimal_refuses_non_numbers(typed):
    form = make_form("priorities", {"priorities-weight": typed})
    form.is_valid()
    assert "weight" in form.errors


def test_multiple_choice_is_stored_in_definition_order_once():
    data = MultiValueDict(
        {
            "priorities-topics": ["travel", "cost", "travel"],
            "priorities-ranking-0": ["1"],
            "priorities-ranking-1": ["2"],
            "priorities-ranking-2": ["3"],
        }
    )
    form = make_form("priorities", data)
    assert form.is_valid(), form.errors
    assert form.answer_values["topics"] == ["cost", "travel"]


# --- ranking -------------------------------------------------------------------------------


def ranking(*ranks):
    return {f"priorities-ranking-{index}": rank for index, rank in enumerate(ranks)}


def test_ranking_orders_the_choice_values_by_rank():
    form = make_form("priorities", ranking("3", "1", "2"))
    assert form.is_valid(), form.errors
    assert form.answer_values["ranking"] == ["safety", "convenience", "effect"]


@pytest.mark.parametrize("ranks", [("1", "1", "2"), ("1", "2", ""), ("1", "3", "3")])
def test_ranking_must_be_a_permutation(ranks):
    form = make_form("priorities", ranking(*ranks))
    assert not form.is_valid()
    assert form.errors["ranking"] == ["Give each option a different number from 1 to 3"]
    assert not form.has_tampered_input()


def test_rank_outside_the_offered_numbers_is_tampering():
    form = make_form("priorities", ranking("1", "2", "7"))
    assert not form.is_valid()
    assert form.has_tampered_input()


def test_required_ranking_left_blank_asks_for_an_order():
    form = make_form("priorities", ranking("", "", ""))
    assert not form.is_valid()
    assert form.errors["ranking"] == ["Put every option in order"]


# --- dates -------------------------------------------------------------------------------------


def date_data(day, month, year):
    group = {"history-treatments-TOTAL_FORMS": "1", "history-treatments-INITIAL_FORMS": "0"}
    return {
        **group,
        "history-last_visit-day": day,
        "history-last_visit-month": month,
        "history-last_visit-year": year,
    }


def test_date_from_three_parts():
    form = make_form("history", date_data("7", "3", "2024"))
    assert form.is_valid(), form.errors
    assert form.answer_values["last_visit"] == date(2024, 3, 7)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2024"), "Enter a real date, like 27 3 2024"),
        (("7", "", "2024"), "Enter the day, the month and the year"),
        (("7", "3", "24"), "Enter a year with 4 numbers, like 2024"),
        (("a", "3", "2024"), "Enter a real date, like 27 3 2024"),
    ],
)
def test_impossible_or_incomplete_dates_are_refused(parts, message):
    form = make_form("history", date_data(*parts))
    assert not form.is_valid()
    assert form.errors["last_visit"] == [message]


# --- visibility inside a step ---------------------------------------------------------------


def test_question_depending_on_an_earlier_answer_of_the_same_step_is_required_only_when_shown():
    answers = {"condition": "psoriasis"}
    shown = make_form("skin", {"skin-itch": "4", "skin-flares": "yes"}, answers=answers)
    assert not shown.is_valid()
    assert shown.errors["flare_count"] == ["Enter a number"]

    hidden = make_form(
        "skin", {"skin-itch": "4", "skin-flares": "no", "skin-flare_count": "3"}, answers=answers
    )
    assert hidden.is_valid(), hidden.errors
    assert hidden.answer_values == {"itch": 4, "flares": False, "flare_count": None}


def test_invalid_input_in_a_question_that_ends_up_hidden_does_not_block():
    data = {"skin-itch": "4", "skin-flares": "no", "skin-flare_count": "lots"}
    form = make_form("skin", data, answers={"condition": "psoriasis"})
    assert form.is_valid(), form.errors


def test_same_step_dependent_question_carries_its_remaining_condition_for_the_browser():
    form = make_form("skin", answers={"condition": "psoriasis"})
    items = {item["key"]: item for item in form.question_items()}
    assert items["itch"]["show_if"] == ""
    assert '"q": "flares"' in items["flare_count"]["show_if"]


def test_preset_question_is_not_shown_and_keeps_its_answer():
    form = make_form(
        "about", {"about-age": "40"}, answers={"condition": "sle"}, preset={"condition"}
    )
    assert "condition" not in [item["key"] for item in form.question_items()]
    assert form.is_valid(), form.errors
    assert form.answer_values == {"age": 40}


# --- repeat groups --------------------------------------------------------------------------


def test_rows_become_a_list_of_dicts_and_empty_rows_are_ignored():
    rows = [{"drug": "Methotrexate", "months": "6", "outcome": "better"}, {"drug": ""}]
    form = make_form("history", group_data(rows))
    assert form.is_valid(), form.errors
    assert form.answer_values["treatments"] == [
        {"drug": "Methotrexate", "months": 6, "outcome": "better"}
    ]


def test_required_child_missing_in_a_started_row_is_an_error_on_that_row():
    form = make_form("history", group_data([{"months": "6"}]))
    assert not form.is_valid()
    row_form = form.groups["treatments"].formset.forms[0]
    assert row_form.errors["drug"] == ["Enter your answer"]
    summary = form.error_summary()
    assert summary == [
        {
            "text": "Treatments?, entry 1: Enter your answer",
            "href": "#id_history-treatments-0-drug",
        }
    ]


def test_more_rows_than_allowed_is_tampering():
    rows = [{"drug": f"d{index}"} for index in range(50)]
    form = make_form("history", group_data(rows))
    assert not form.is_valid()
    assert form.has_tampered_input()


def test_missing_management_form_is_tampering_not_a_crash():
    form = make_form("history", {"history-treatments-0-drug": "x"})
    assert not form.is_valid()
    assert form.has_tampered_input()
    assert form.error_summary()  # the page can still explain it


# --- render data ---------------------------------------------------------------------------


def test_hint_and_error_are_tied_to_the_input():
    form = make_form("about", {"about-condition": "sle", "about-age": "x"})
    form.is_valid()
    age = next(item for item in form.question_items() if item["key"] == "age")
    assert age["id"] == "id_about-age"
    assert age["error_id"] == "id_about-age-error"
    assert age["described_by"] == "id_about-age-error"
    assert form.error_summary()[0]["href"] == "#id_about-age"


def test_radio_error_links_to_the_first_option():
    form = make_form("about", {"about-age": "40"})
    form.is_valid()
    assert form.error_summary()[0] == {"text": "Select an answer", "href": "#id_about-condition_0"}


def test_quiet_form_shows_values_without_errors():
    form = make_form("about", {"about-age": "x"}, quiet=True)
    age = next(item for item in form.question_items() if item["key"] == "age")
    assert age["value"] == "x"
    assert age["errors"] == []
    assert form.error_summary() == []


def test_labels_follow_the_active_language():
    form = make_form("about")
    with translation.override("zh-hans"):
        condition = next(item for item in form.question_items() if item["key"] == "condition")
        assert condition["label"] == "【中】Condition?"
        assert condition["options"][0]["label"] == "【中】Psoriasis"


def test_draft_data_keeps_only_this_steps_fields():
    form = make_form("about", {"about-age": "x", "revision": "3", "other-age": "1"})
    assert form.draft_data() == {"about-age": ["x"]}


# --- classes and round trips --------------------------------------------------------------------


def test_form_classes_are_cached_per_key_and_drafts_are_not_cached():
    first = step_form_classes(DEFINITION, cache_key=(1, "hash"))
    assert step_form_classes(DEFINITION, cache_key=(1, "hash")) is first
    assert step_form_classes(DEFINITION, cache_key=None) is not first
    assert step_form_classes(DEFINITION, cache_key=None) is not step_form_classes(
        DEFINITION, cache_key=None
    )


priority_answers = st.fixed_dictionaries(
    {"ranking": st.permutations(["effect", "safety", "convenience"])},
    optional={
        "weight": st.decimals(min_value=20, max_value=300, places=2),
        "topics": st.lists(st.sampled_from(["cost", "travel"]), min_size=1, unique=True).map(
            lambda chosen: [value for value in ("cost", "travel") if value in chosen]
        ),
        "notes": st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=50
        ).filter(lambda text: text.strip() == text and text),
    },
)


@given(priority_answers)
def test_saved_answers_shown_in_the_form_clean_back_to_the_same_answers(answers):
    data = CLASSES["priorities"].data_for_answers(answers, prefix="priorities")
    form = make_form("priorities", data, answers=answers)
    assert form.is_valid(), form.errors
    cleaned = {key: value for key, value in form.answer_values.items() if value is not None}
    assert cleaned == answers


history_rows = st.lists(
    st.fixed_dictionaries(
        {"drug": st.sampled_from(["Methotrexate", "Ciclosporin", "甲氨蝶呤"])},
        optional={
            "months": st.integers(min_value=0, max_value=600),
            "outcome": st.sampled_from(["better", "same", "worse"]),
        },
    ),
    min_size=1,
    max_size=5,
)


@given(history_rows, st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_repeat_group_and_date_round_trip(rows, visit):
    answers = {"treatments": rows, "last_visit": visit.isoformat()}
    data = CLASSES["history"].data_for_answers(answers, prefix="history")
    form = make_form("history", data, answers=answers)
    assert form.is_valid(), form.errors
    assert form.answer_values["treatments"] == rows
    assert form.answer_values["last_visit"] == visit


AREAS = question(
    "areas",
    Kind.MULTIPLE_CHOICE,
    text=text("Where is your psoriasis?"),
    choices=(choice("face"), choice("hands"), choice("none", "None of these")),
)
AREAS = replace(
    AREAS,
    choices=(*AREAS.choices[:2], replace(AREAS.choices[2], exclusive=True)),
)
EXCLUSIVE_DEFINITION = definition("exclusive", step("skin", AREAS))


def exclusive_form(data):
    classes = build_step_form_classes(EXCLUSIVE_DEFINITION)
    context = StepContext(EXCLUSIVE_DEFINITION, {}, {}, frozenset({"areas"}))
    return classes["skin"](MultiValueDict(data), prefix="skin", context=context)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "“Where is your psoriasis?”: you chose “None of these” and other options. "
            "Choose either “None of these” or the options that apply",
        ),
        (
            "zh-hans",
            "“【中】Where is your psoriasis?”：您选了“【中】None of these”，又选了其他选项。"
            "请只选“【中】None of these”，或者只选符合您情况的选项",
        ),
    ],
)
def test_none_of_these_with_another_option_is_refused_naming_the_question(language, message):
    with translation.override(language):
        form = exclusive_form({"skin-areas": ["face", "none"]})
        assert not form.is_valid()
        assert form.errors["areas"] == [message]
    assert not form.has_tampered_input()  # a person's slip, kept as a draft, never stored


def test_none_of_these_alone_and_other_options_together_are_accepted():
    alone = exclusive_form({"skin-areas": ["none"]})
    assert alone.is_valid(), alone.errors
    assert alone.answer_values == {"areas": ["none"]}
    several = exclusive_form({"skin-areas": ["face", "hands"]})
    assert several.is_valid(), several.errors
    assert several.answer_values == {"areas": ["face", "hands"]}


@pytest.mark.parametrize(
    ("language", "info"),
    [("en", "You can enter up to 500 characters"), ("zh-hans", "最多可以输入 500 个字")],
)
def test_text_field_states_its_limit_before_typing_tied_to_the_field(language, info):
    with translation.override(language):
        items = {item["key"]: item for item in make_form("priorities").question_items()}
    notes = items["notes"]
    assert notes["count_info"] == info
    assert notes["count_info_id"] in notes["described_by"].split()
    # The script's live messages, "%(count)s" left for it to fill in.
    assert all("%(count)s" in text for text in notes["count_left"] + notes["count_over"])
    assert "weight" in items and "count_info" not in items["weight"]  # numbers: no count


APPOINTMENT = replace(
    question("appointment", Kind.DATE, text=text("When is your appointment?")), not_in_past=True
)
APPOINTMENT_DEFINITION = definition("appointment", step("visit", APPOINTMENT))


def appointment_form(day: date):
    classes = build_step_form_classes(APPOINTMENT_DEFINITION)
    context = StepContext(APPOINTMENT_DEFINITION, {}, {}, frozenset({"appointment"}))
    data = {
        "visit-appointment-day": [str(day.day)],
        "visit-appointment-month": [str(day.month)],
        "visit-appointment-year": [str(day.year)],
    }
    return classes["visit"](MultiValueDict(data), prefix="visit", context=context)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "“When is your appointment?”: enter a date that is today or later"),
        ("zh-hans", "“【中】When is your appointment?”：请输入今天或以后的日期"),
    ],
)
def test_an_appointment_date_in_the_past_is_refused_naming_the_question(language, message):
    yesterday = timezone.localdate() - timedelta(days=1)
    with translation.override(language):
        form = appointment_form(yesterday)
        assert not form.is_valid()
        assert form.errors["appointment"] == [message]
    assert not form.has_tampered_input()


def test_an_appointment_today_or_later_is_accepted():
    today = timezone.localdate()
    for day in (today, today + timedelta(days=30)):
        form = appointment_form(day)
        assert form.is_valid(), form.errors
        assert form.answer_values == {"appointment": day}


def test_none_of_these_is_marked_for_the_page_and_set_apart():
    item = next(i for i in exclusive_form({}).question_items() if i["key"] == "areas")
    assert [option["exclusive"] for option in item["options"]] == [False, False, True]


def test_a_bound_the_question_does_not_set_keeps_the_plain_message():
    field = build_field(question("count", Kind.INTEGER, min_value=Decimal(0)))
    with pytest.raises(ValidationError) as low:
        field.clean("-1")
    assert low.value.messages == ["“Count?”: enter a number of at least 0"]
    with pytest.raises(ValidationError) as high:
        field.clean(str(2**31))
    assert high.value.messages == ["Enter a number no bigger than 2147483647"]
