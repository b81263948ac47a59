"""Real FHIR Questionnaires others wrote (tests/fixtures/fhir/public): import, report, export.

The enableWhen cases below were checked by hand against each item's own text, which in
these test files states the intended behaviour (e.g. "Q1-not-true (Q1 != true)").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from questionnaires.engine.definition import Kind
from questionnaires.engine.lint import lint_structure
from questionnaires.engine.visibility import compute_visibility
from questionnaires.interop.fhir_questionnaire import FhirImport, export_fhir, import_fhir
from tests.paths import PUBLIC_FHIR

FILES = sorted(PUBLIC_FHIR.glob("*.json"))


def load(name: str) -> FhirImport:
    return import_fhir((PUBLIC_FHIR / name).read_bytes())


def notes_about(result: FhirImport, feature: str) -> list[str]:
    return [note.path for note in result.report if note.feature == feature]


def shown(result: FhirImport, link_id: str, **answers_by_link_id: Any) -> bool:
    """Whether the item with ``link_id`` shows for answers given by FHIR linkId."""
    by_link_id = {q.link_id: q for q in result.definition.question_map().values()}
    answers = {by_link_id[link].key: value for link, value in answers_by_link_id.items()}
    return compute_visibility(result.definition, answers).shows_question(by_link_id[link_id].key)


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_every_public_file_imports_lints_and_exports_valid_fhir(path):
    result = import_fhir(path.read_bytes())
    assert lint_structure(result.definition) == []
    assert result.definition.steps
    exported = export_fhir(result.definition, version_number=1)
    Questionnaire.model_validate(exported.resource)


# What each file uses outside our subset (README "features" column), as report features.
EXPECTED_FEATURES = {
    "hl7-r4-bluebook-neonatal.json": {"type dateTime"},
    "hl7-r4-lifelines-f201.json": set(),
    "hl7-r4-ussg-family-health-history.json": {
        "answerValueSet",
        "initial",
        "type reference",
        "type time",
        "repeats",
    },
    "lforms-answeroption-value-types.json": {"valueTime", "itemControl", "rendering-style"},
    # Kept and evaluated since issue 13, but named in the report (the item turns read-only).
    "lforms-apgar-itemweight.json": {"calculatedExpression"},
    "lforms-bit-of-everything.json": {
        "type attachment",
        "type reference",
        "type url",
        "quantity",
        "type time",
        "answerValueSet",
        "itemControl",
    },
    "lforms-enablewhen-operators.json": {
        "enableWhenExpression",
        "enableWhen",
        "type time",
        "type dateTime",
        "valueTime",
    },
    "lforms-fruit-score-ordinal-enablewhen.json": {
        "calculatedExpression",
        "itemControl",
        "initialSelected",
    },
    "lforms-initial-values-all-types.json": {
        "initial",
        "open-choice",
        "type time",
        "type dateTime",
        "itemControl",
    },
    "sdc-test-all-data-types.json": {
        "type attachment",
        "answerValueSet",
        "type time",
        "type dateTime",
        "rendering-markdown",
    },
    "sdc-test-enablewhen.json": {"answerValueSet", "enableWhen", "type time", "itemControl"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FEATURES))
def test_what_a_file_uses_outside_our_subset_is_in_its_report(name):
    result = load(name)
    reported = {note.feature for note in result.report}
    assert EXPECTED_FEATURES[name] <= reported, EXPECTED_FEATURES[name] - reported


# --- what the README says each file uses that must be reported ---------------------------------


def test_ussg_family_history_reports_value_sets_it_cannot_fetch_and_expands_contained_ones():
    result = load("hl7-r4-ussg-family-health-history.json")
    assert "item[1].item[0].item[1] (linkId 1.1.2)" in notes_about(result, "answerValueSet")
    assert notes_about(result, "initial") == ["item[1].item[0].item[3] (linkId 1.1.4)"]
    assert notes_about(result, "type reference") and notes_about(result, "type time")
    questions = {q.link_id: q for q in result.definition.question_map().values()}
    assert questions["1.1.2"].kind == Kind.SHORT_TEXT  # Gender: external ValueSet
    units = questions["1.1.7.1.1"]  # Units of height: "#length", contained
    assert units.kind == Kind.SINGLE_CHOICE
    assert [choice.value for choice in units.choices] == ["[in_i]", "cm"]
    # "Your diseases history" and "Family member health information" repeat.
    assert questions["1.2"].kind == Kind.REPEAT_GROUP
    assert questions["2"].kind == Kind.REPEAT_GROUP


def test_apgar_reports_the_calculated_total_and_keeps_item_weights_as_scores():
    result = load("lforms-apgar-itemweight.json")
    assert notes_about(result, "calculatedExpression") == ["item[5] (linkId 9272-6)"]
    total = next(q for q in result.definition.question_map().values() if q.link_id == "9272-6")
    assert total.read_only and total.expressions["calculated"]
    assert [variable["name"] for variable in total.expressions["variables"]]
    colour = next(q for q in result.definition.question_map().values() if q.link_id == "32406-1")
    assert [choice.score for choice in colour.choices] == [Decimal(0), Decimal(1), Decimal(2)]


def test_initial_values_are_reported_for_every_item_that_has_them():
    result = load("lforms-initial-values-all-types.json")
    assert len(notes_about(result, "initial")) == 11  # every item of the file has initial[x]
    assert len(notes_about(result, "open-choice")) == 2
    scored = next(
        q for q in result.definition.question_map().values() if q.link_id == "/type-open-choice"
    )
    assert [choice.score for choice in scored.choices] == [Decimal(1), Decimal(2), Decimal(3)]


def test_bit_of_everything_reports_each_unsupported_type():
    result = load("lforms-bit-of-everything.json")
    for feature in ("type attachment", "type reference", "type url", "quantity", "type time"):
        assert notes_about(result, feature), feature
    assert len(notes_about(result, "answerValueSet")) == 4


def test_answer_option_value_types_report_time_options_and_rendering_hints():
    result = load("lforms-answeroption-value-types.json")
    assert notes_about(result, "valueTime") == ["item[3] (linkId 1.4)"]
    assert notes_about(result, "rendering-style")
    assert len(notes_about(result, "itemControl")) == 5


# --- enableWhen behaving as the files' authors wrote -------------------------------------------


def test_lforms_enable_when_operators_behave_as_their_texts_say():
    result = load("lforms-enablewhen-operators.json")
    # "Q1-not-true (Q1 != true)": FHIR != also holds when Q1 has no answer.
    assert shown(result, "Q1-not-true")
    assert shown(result, "Q1-not-true", Q1=False)
    assert not shown(result, "Q1-not-true", Q1=True)
    # "Q1-exists (Q1 exists true)" / "Q1-not-exists (Q1 exists false)"
    assert shown(result, "Q1-exists", Q1=False) and not shown(result, "Q1-exists")
    assert shown(result, "Q1-not-exists") and not shown(result, "Q1-not-exists", Q1=True)
    # "Q2-equal (Q2 = 5.6)", "Q2-ge (Q2 >= 4.8)"
    assert shown(result, "Q2-equal", Q2=Decimal("5.6"))
    assert not shown(result, "Q2-equal", Q2=Decimal("5.7"))
    assert shown(result, "Q2-ge", Q2=Decimal("4.8")) and not shown(
        result, "Q2-ge", Q2=Decimal("4.7")
    )
    # "Q3-ge (Q3 >= 4)", "Q4-ge (Q4 >= 2020-05-01)"
    assert shown(result, "Q3-ge", Q3=4) and not shown(result, "Q3-ge", Q3=3)
    assert shown(result, "Q4-ge", Q4="2020-05-01")
    assert not shown(result, "Q4-ge", Q4="2020-04-30")
    # "Q7-notequals (Q7 != test)"
    assert shown(result, "Q7-notequals") and shown(result, "Q7-notequals", Q7="other")
    assert not shown(result, "Q7-notequals", Q7="test")
    # "Q8-equal (Q8 = B and C)" on a multi-select: both must be among the answers.
    assert shown(result, "Q8-eq-B-and-C", Q8=["A", "B", "C"])
    assert not shown(result, "Q8-eq-B-and-C", Q8=["B"])
    assert shown(result, "Q8-eq-B", Q8=["A", "B"]) and not shown(result, "Q8-eq-B", Q8=["A"])
    # "Q9-not-equal (Q9 != B)", "Q9b-not-equal (Q9b != 34)", "Q9c-equal (Q9c = '2022-09')"
    assert shown(result, "Q9-noteq-B") and shown(result, "Q9-noteq-B", Q9="A")
    assert not shown(result, "Q9-noteq-B", Q9="B")
    assert not shown(result, "Q9b-noteq-B", Q9b="34") and shown(result, "Q9b-noteq-B", Q9b="12")
    assert shown(result, "Q9c-eq-B", Q9c="2022-09") and not shown(result, "Q9c-eq-B", Q9c="2022")


def test_lforms_conditions_we_cannot_keep_are_reported_and_the_item_always_shows():
    result = load("lforms-enablewhen-operators.json")
    # "Q7-gt (Q7 > tes)": ordering text is not in our condition language.
    assert "item[6].item[5] (linkId Q7-gt)" in notes_about(result, "enableWhen")
    assert shown(result, "Q7-gt") and shown(result, "Q7-gt", Q7="a")
    # "(Q10 + Q10b) = 'chicken'" is a FHIRPath enableWhenExpression.
    assert notes_about(result, "enableWhenExpression") == ["item[13].item[2] (linkId Q10-ewe)"]
    assert shown(result, "Q10-ewe")


def test_sdc_enable_when_scenarios_behave_as_their_texts_say():
    result = load("sdc-test-enablewhen.json")
    radio_4_of_789 = "5e1209b7-c9e0-4bf4-b228-fr096s903m25"
    dropdown_456 = "5e1209b7-c9e0-4bf4-b228-c6591b540qmo"
    # "Group hidden until 8 and 4 selected" (enableBehavior all), seen through its question.
    inside = "3cf51112-6896-4076-8994-b6ff3e52f359"
    assert shown(result, inside, **{radio_4_of_789: "8", dropdown_456: "4"})
    assert not shown(result, inside, **{radio_4_of_789: "8", dropdown_456: "5"})
    assert not shown(result, inside, **{radio_4_of_789: "7", dropdown_456: "4"})
    # "Question hidden until Q3 radio 2 Selected" (answerString "2" against coded options).
    assert shown(result, "e5da17a7-7546-45c5-9bcd-d0b09a74ty76", **{"s1-radio": "2"})
    assert not shown(result, "e5da17a7-7546-45c5-9bcd-d0b09a74ty76", **{"s1-radio": "1"})
    # "Group visible when value < 2.2" / "... >= 2.2" on options 1.1, 2.2, 3.3.
    below, above = "840c08ad-4b27-4c1d-9d6e-824202519kied", "e70a3a50-e646-4831-a00d-4d6fbdaajn84"
    assert shown(result, below, **{"s3-radio": "1.1"}) and not shown(
        result, below, **{"s3-radio": "2.2"}
    )
    assert shown(result, above, **{"s3-radio": "3.3"}) and not shown(
        result, above, **{"s3-radio": "1.1"}
    )
    # "Group visible for 1 and 2" is "!= 3".
    group_3 = "e70a3a50-e646-4831-a00d-4d6fbdaaefc3"
    assert shown(result, group_3, **{"s4-radio": "1"}) and shown(
        result, group_3, **{"s4-radio": "2"}
    )
    assert not shown(result, group_3, **{"s4-radio": "3"})
    # "Please specify if DOB > 2000-01-01" / "... <= 2000-01-01"
    after, before = "date_greater_2000-01-01", "date_less_2000-01-01"
    assert shown(result, after, date_of_birth_question="2000-01-02")
    assert not shown(result, before, date_of_birth_question="2000-01-02")
    assert shown(result, before, date_of_birth_question="2000-01-01")
    # Scenario 6: "Please specify:" when "Other" (9) is among the adverse outcomes.
    assert shown(result, "BOWOPTOTH", BC029=["1", "9"]) and not shown(
        result, "BOWOPTOTH", BC029=["1"]
    )


def test_bluebook_doses_show_once_vitamin_k_is_answered():
    result = load("hl7-r4-bluebook-neonatal.json")
    assert not shown(result, "vitaminiKDose1")
    assert shown(result, "vitaminiKDose1", vitaminKgiven="ORAL")


def test_fruit_score_interpretation_needs_all_five_answers_and_the_score():
    result = load("lforms-fruit-score-ordinal-enablewhen.json")
    fruits = dict.fromkeys(("Q1apples", "Q2berries", "Q3cherries", "Q4dates", "Q5figs"), "LA33-6")
    assert shown(result, "negResultInterpretation", fruitScore=3, **fruits)
    assert not shown(result, "posResultInterpretation", fruitScore=3, **fruits)
    assert shown(result, "posResultInterpretation", fruitScore=4, **fruits)
    del fruits["Q5figs"]
    assert not shown(result, "posResultInterpretation", fruitScore=4, **fruits)
