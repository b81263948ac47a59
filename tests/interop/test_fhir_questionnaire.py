"""FHIR R4 Questionnaire import and export, QuestionnaireResponse export, on small resources."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, StepDef, VersionDef
from questionnaires.engine.lint import lint_structure
from questionnaires.engine.visibility import compute_visibility
from questionnaires.interop.fhir_common import ORDINAL_VALUE, TRANSLATION
from questionnaires.interop.fhir_questionnaire import (
    FhirImport,
    ImportRefused,
    export_fhir,
    fhir_json,
    import_fhir,
    import_resource,
    response_to_fhir,
)
from questionnaires.interop.json_io import read_json_bytes
from tests.builders import sample_definition
from tests.interop.strategies import answers_for, version_defs


def questionnaire(*items, **fields) -> dict:
    return {"resourceType": "Questionnaire", "title": "Test", **fields, "item": list(items)}


def imported(*items, **fields) -> FhirImport:
    return import_resource(questionnaire(*items, **fields))


def features(result: FhirImport) -> set[str]:
    return {note.feature for note in result.report}


def questions(result: FhirImport) -> dict[str, QuestionDef]:
    return result.definition.question_map()


def by_link_id(result: FhirImport) -> dict[str, QuestionDef]:
    return {q.link_id: q for q in questions(result).values()}


def refusal(data: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        import_fhir(data)
    return [str(problem) for problem in caught.value.problems]


# --- refusals ---------------------------------------------------------------------------------


def test_a_resource_of_another_type_is_refused_saying_what_it_is():
    assert refusal(b'{"resourceType": "Patient"}') == [
        "resourceType: this is a FHIR Patient, not a Questionnaire"
    ]


def test_a_bundle_is_refused_with_a_hint():
    assert refusal(b'{"resourceType": "Bundle", "entry": []}') == [
        "resourceType: this is a FHIR Bundle, not a Questionnaire: take the Questionnaire out first"
    ]


def test_a_file_without_resource_type_is_refused():
    assert refusal(b'{"item": []}') == [
        "resourceType: the file has no resourceType; expected a FHIR Questionnaire"
    ]


def test_a_questionnaire_without_items_is_refused():
    assert refusal(b'{"resourceType": "Questionnaire", "status": "draft"}') == [
        "item: the Questionnaire has no items"
    ]


def test_bytes_that_are_not_json_utf8_or_small_enough_are_refused_like_our_own_format():
    assert refusal(b"\xff") == ["the file is not UTF-8 text: byte 0xff at position 0"]
    assert refusal(b"{") == [
        "the file is not valid JSON: Expecting property name enclosed in double quotes "
        "at line 1, column 2"
    ]
    with pytest.raises(ImportRefused):
        import_fhir(b"{}", max_bytes=1)


# --- structure --------------------------------------------------------------------------------


def test_top_level_groups_become_steps_and_loose_items_share_a_step_in_order():
    result = imported(
        {"linkId": "1", "type": "boolean", "text": "Allergies?"},
        {
            "linkId": "2",
            "type": "group",
            "text": "General",
            "item": [{"linkId": "2.1", "type": "string", "text": "Gender"}],
        },
        {"linkId": "3", "type": "integer", "text": "Age"},
        {"linkId": "4", "type": "date", "text": "Date"},
        title="Lifelines",
    )
    steps = result.definition.steps
    assert [step.title["en"] for step in steps] == ["Lifelines", "General", "Lifelines"]
    assert [[q.link_id for q in step.questions] for step in steps] == [["1"], ["2.1"], ["3", "4"]]
    assert len({step.key for step in steps}) == 3


def test_nested_groups_are_flattened_with_a_heading_and_their_condition():
    result = imported(
        {
            "linkId": "page",
            "type": "group",
            "text": "Page",
            "item": [
                {"linkId": "smoker", "type": "boolean", "text": "Do you smoke?"},
                {
                    "linkId": "smoking",
                    "type": "group",
                    "text": "About smoking",
                    "enableWhen": [{"question": "smoker", "operator": "=", "answerBoolean": True}],
                    "item": [{"linkId": "packs", "type": "integer", "text": "Packs a day"}],
                },
            ],
        },
    )
    step = result.definition.steps[0]
    smoker, heading, packs = step.questions
    assert heading.kind == Kind.DISPLAY and heading.text == {"en": "About smoking"}
    # "When an item is disabled, all of its descendants are disabled": both carry the condition.
    expected = {"q": smoker.key, "op": "eq", "value": True}
    assert heading.show_if == expected and packs.show_if == expected


def test_items_nested_under_a_question_follow_it_and_depend_on_it():
    result = imported(
        {
            "linkId": "g",
            "type": "group",
            "text": "G",
            "item": [
                {
                    "linkId": "vitK",
                    "type": "choice",
                    "text": "Vitamin K given",
                    "enableWhen": [{"question": "g0", "operator": "exists", "answerBoolean": True}],
                    "answerOption": [{"valueCoding": {"code": "ORAL"}}],
                    "item": [
                        {
                            "linkId": "dose",
                            "type": "date",
                            "text": "Dose date",
                            "enableWhen": [
                                {"question": "vitK", "operator": "exists", "answerBoolean": True}
                            ],
                        }
                    ],
                },
            ],
        },
    )
    vit_k, dose = result.definition.steps[0].questions
    assert dose.show_if == {"q": vit_k.key, "op": "answered"}
    assert "item" in features(result)


def test_a_repeating_group_becomes_a_repeat_group_with_its_rows_questions():
    result = imported(
        {
            "linkId": "step",
            "type": "group",
            "text": "History",
            "item": [
                {
                    "linkId": "tx",
                    "type": "group",
                    "text": "Treatments",
                    "repeats": True,
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs",
                            "valueInteger": 5,
                        }
                    ],
                    "item": [
                        {"linkId": "tx.name", "type": "string", "text": "Name"},
                        {"linkId": "tx.note", "type": "display", "text": "One row per treatment."},
                        {
                            "linkId": "tx.weeks",
                            "type": "integer",
                            "text": "Weeks",
                            "enableWhen": [
                                {"question": "tx.name", "operator": "exists", "answerBoolean": True}
                            ],
                        },
                    ],
                },
            ],
        },
    )
    (group,) = result.definition.steps[0].questions
    assert group.kind == Kind.REPEAT_GROUP and group.max_rows == 5
    assert [child.link_id for child in group.children] == ["tx.name", "tx.weeks"]
    assert group.children[1].show_if == {"q": group.children[0].key, "op": "answered"}
    assert group.help == {"en": "One row per treatment."}
    assert "display" in features(result)


def test_a_top_level_repeating_group_gets_a_step_of_its_own():
    result = imported(
        {
            "linkId": "fam",
            "type": "group",
            "text": "Family member",
            "repeats": True,
            "item": [{"linkId": "rel", "type": "string", "text": "Relationship"}],
        },
    )
    (step,) = result.definition.steps
    assert step.title == {"en": "Family member"}
    assert [q.kind for q in step.questions] == [Kind.REPEAT_GROUP]


def test_link_ids_become_unique_valid_keys_deterministically():
    items = [
        {"linkId": "1.1", "type": "string", "text": "a"},
        {"linkId": "1-1", "type": "string", "text": "b"},
        {"linkId": "vitaminKgiven", "type": "string", "text": "c"},
        {"linkId": "/type-boolean", "type": "boolean", "text": "d"},
        {"linkId": "问题", "type": "boolean", "text": "e"},
        {"linkId": "x" * 100, "type": "boolean", "text": "f"},
    ]
    keys = [q.key for q in imported(*items).definition.steps[0].questions]
    assert keys == ["q_1_1", "q_1_1_2", "vitamin_kgiven", "type_boolean", "q", "x" * 64]
    assert keys == [q.key for q in imported(*items).definition.steps[0].questions]


# --- kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fhir_type", "kind", "feature"),
    [
        ("boolean", Kind.YES_NO, None),
        ("decimal", Kind.DECIMAL, None),
        ("integer", Kind.INTEGER, None),
        ("date", Kind.DATE, None),
        ("dateTime", Kind.DATE, "type dateTime"),
        ("time", Kind.SHORT_TEXT, "type time"),
        ("string", Kind.SHORT_TEXT, None),
        ("text", Kind.LONG_TEXT, None),
        ("url", Kind.SHORT_TEXT, "type url"),
        ("display", Kind.DISPLAY, None),
        ("quantity", Kind.DECIMAL, "quantity"),
        ("attachment", Kind.DISPLAY, "type attachment"),
        ("reference", Kind.DISPLAY, "type reference"),
    ],
)
def test_item_types_map_to_kinds_and_lossy_ones_are_reported(fhir_type, kind, feature):
    result = imported({"linkId": "x", "type": fhir_type, "text": "The item"})
    (question,) = questions(result).values()
    assert question.kind == kind
    assert question.text == {"en": "The item"}  # attachment/reference keep their text as display
    assert (feature in features(result)) if feature else not result.report


def test_quantity_takes_its_unit_from_the_unit_options_and_reports_the_others():
    result = imported(
        {
            "linkId": "h",
            "type": "quantity",
            "text": "Height",
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption",
                    "valueCoding": {
                        "system": "http://unitsofmeasure.org",
                        "code": "cm",
                        "display": "cm",
                    },
                },
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption",
                    "valueCoding": {"system": "http://unitsofmeasure.org", "code": "[in_i]"},
                },
            ],
        }
    )
    assert questions(result)["h"].unit == "cm"
    (note,) = result.report
    assert note.detail == (
        "quantity imported as a decimal number: the unit is fixed to 'cm'; other units "
        "(unitOption [in_i]) cannot be chosen"
    )


def test_choice_options_keep_code_label_system_and_score():
    result = imported(
        {
            "linkId": "c",
            "type": "choice",
            "text": "Colour",
            "answerOption": [
                {
                    "valueCoding": {"system": "http://loinc.org", "code": "LA1", "display": "Red"},
                    "extension": [{"url": ORDINAL_VALUE, "valueDecimal": Decimal("1.5")}],
                },
                {
                    "valueCoding": {"code": "LA2"},
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/itemWeight",
                            "valueInteger": 2,
                        }
                    ],
                },
            ],
        }
    )
    question = questions(result)["c"]
    assert question.kind == Kind.SINGLE_CHOICE
    assert question.choices == (
        ChoiceDef("LA1", {"en": "Red"}, Decimal("1.5"), "http://loinc.org"),
        ChoiceDef("LA2", {"en": "LA2"}, Decimal(2), ""),
    )
    # Kept, but the export writes LA2 differently (ordinalValue, our system, a display),
    # so the item says so.
    assert [(note.path, note.feature) for note in result.report] == [
        ("item[0] (linkId c)", "itemWeight"),
        ("item[0] (linkId c)", "answerOption"),
    ]


def test_a_repeating_choice_is_a_multiple_choice_and_open_choice_is_reported():
    result = imported(
        {
            "linkId": "c",
            "type": "open-choice",
            "text": "Pick",
            "repeats": True,
            "answerOption": [{"valueCoding": {"code": "a"}}],
        }
    )
    assert questions(result)["c"].kind == Kind.MULTIPLE_CHOICE
    # The option {"code": "a"} is also reported (the export gives it a system and display).
    (note,) = [note for note in result.report if note.feature != "answerOption"]
    assert note.feature == "open-choice"
    assert "free-text 'other' answer is not supported" in note.detail


def test_typed_options_become_coded_choices_and_the_typing_is_reported():
    result = imported(
        {"linkId": "i", "type": "integer", "text": "I", "answerOption": [{"valueInteger": 12}]},
        {"linkId": "d", "type": "date", "text": "D", "answerOption": [{"valueDate": "2022-09"}]},
        {"linkId": "t", "type": "time", "text": "T", "answerOption": [{"valueTime": "10:30:00"}]},
        {"linkId": "s", "type": "string", "text": "S", "answerOption": [{"valueString": "Yes"}]},
    )
    found = questions(result)
    assert [found[k].choices[0].value for k in "idts"] == ["12", "2022-09", "10:30:00", "Yes"]
    assert all(found[k].kind == Kind.SINGLE_CHOICE for k in "idts")
    assert {"valueInteger", "valueDate", "valueTime"} <= features(result)


def test_a_contained_value_set_is_expanded_into_choices():
    value_set = {
        "resourceType": "ValueSet",
        "id": "length",
        "status": "active",
        "compose": {
            "include": [
                {
                    "system": "http://unitsofmeasure.org",
                    "concept": [
                        {"code": "[in_i]", "display": "inches"},
                        {"code": "cm", "display": "centimeters"},
                    ],
                }
            ]
        },
    }
    result = imported(
        {"linkId": "u", "type": "choice", "text": "Units", "answerValueSet": "#length"},
        contained=[value_set],
    )
    question = questions(result)["u"]
    assert [(c.value, c.label["en"], c.system) for c in question.choices] == [
        ("[in_i]", "inches", "http://unitsofmeasure.org"),
        ("cm", "centimeters", "http://unitsofmeasure.org"),
    ]
    # Our export writes the options as answerOption: a difference the report names.
    assert [n.detail for n in result.report if n.feature == "answerValueSet"] == [
        "options read from the contained ValueSet (scores kept); exported as answerOption"
    ]


def test_an_external_value_set_cannot_be_fetched_and_the_item_becomes_short_text():
    result = imported(
        {
            "linkId": "g",
            "type": "choice",
            "text": "Gender",
            "answerValueSet": "http://hl7.org/fhir/ValueSet/administrative-gender",
        }
    )
    assert questions(result)["g"].kind == Kind.SHORT_TEXT
    (note,) = result.report
    assert note == note.__class__(
        "item[0] (linkId g)",
        "answerValueSet",
        "answerValueSet http://hl7.org/fhir/ValueSet/administrative-gender cannot be fetched "
        "offline; imported as short text (the patient types the answer)",
    )


def test_flags_bounds_and_unit_are_kept():
    result = imported(
        {
            "linkId": "w",
            "type": "decimal",
            "text": "Weight",
            "required": True,
            "readOnly": True,
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                    "valueDecimal": Decimal("0.5"),
                },
                {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": 300},
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                    "valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg"},
                },
            ],
        },
        {"linkId": "n", "type": "string", "text": "Name", "maxLength": 40},
    )
    weight, name = questions(result)["w"], questions(result)["n"]
    assert (weight.required, weight.read_only, weight.unit) == (True, True, "kg")
    assert (weight.min_value, weight.max_value) == (Decimal("0.5"), Decimal(300))
    assert name.max_length == 40
    # The unit is kept as text; its UCUM coding is not, and the item says so.
    assert [(note.path, note.feature) for note in result.report] == [("item[0] (linkId w)", "unit")]
    assert "system http://unitsofmeasure.org, code kg" in result.report[0].detail


@pytest.mark.parametrize(
    ("field", "value", "feature"),
    [
        ("initial", [{"valueBoolean": True}], "initial"),
        ("code", [{"code": "x"}], "code"),
        ("definition", "http://loinc.org/rdf#1", "definition"),
        ("repeats", True, "repeats"),
    ],
)
def test_unmapped_item_fields_are_reported_not_dropped_silently(field, value, feature):
    result = imported({"linkId": "b", "type": "boolean", "text": "B", field: value})
    assert [note.feature for note in result.report] == [feature]


@pytest.mark.parametrize(
    ("url", "feature"),
    [
        (
            "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
            "calculatedExpression",
        ),
        (
            "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression",
            "enableWhenExpression",
        ),
        ("http://hl7.org/fhir/StructureDefinition/variable", "variable"),
        ("http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl", "itemControl"),
        ("http://example.org/anything-else", "anything-else"),
    ],
)
def test_unmapped_extensions_are_reported_by_name(url, feature):
    result = imported(
        {
            "linkId": "b",
            "type": "integer",
            "text": "B",
            "extension": [{"url": url, "valueString": "x"}],
        }
    )
    assert [note.feature for note in result.report] == [feature]


def test_resource_metadata_title_url_and_language():
    result = imported(
        {"linkId": "a", "type": "boolean", "text": "是否吸烟？"},
        language="zh-CN",
        name="SmokingCheck",
        title="吸烟情况",
        url="http://example.org/Questionnaire/smoking",
        publisher="Someone",
    )
    definition = result.definition
    assert definition.languages == ("zh-hans",)
    assert definition.title == {"zh-hans": "吸烟情况"}
    assert definition.slug == "smoking-check"
    assert definition.source_url == "http://example.org/Questionnaire/smoking"
    assert questions(result)["a"].text == {"zh-hans": "是否吸烟？"}
    assert [note.detail for note in result.report] == [
        "Questionnaire metadata not kept: publisher",
        "the name is used to make the slug; export writes a name made from our slug",
    ]


def test_translations_are_read_into_our_languages():
    translation = {
        "url": TRANSLATION,
        "extension": [
            {"url": "lang", "valueCode": "zh-Hans"},
            {"url": "content", "valueString": "疼痛"},
        ],
    }
    result = imported(
        {"linkId": "p", "type": "boolean", "text": "Pain", "_text": {"extension": [translation]}}
    )
    assert questions(result)["p"].text == {"en": "Pain", "zh-hans": "疼痛"}
    assert result.definition.languages == ("en", "zh-hans")


def test_every_import_passes_the_structural_linter():
    result = imported(
        {"linkId": "a", "type": "choice", "text": "No options"},  # would fail as a choice
        {"linkId": "a", "type": "boolean", "text": "Same linkId"},
        {"linkId": "r", "type": "display", "text": "Shown", "required": True},
    )
    assert lint_structure(result.definition) == []
    assert {"answerOption", "linkId", "required"} <= features(result)


# --- export -----------------------------------------------------------------------------------


def test_the_export_of_the_sample_definition_is_a_valid_r4_questionnaire():
    definition = sample_definition()
    exported = export_fhir(definition, version_number=3)
    Questionnaire.model_validate(exported.resource)
    resource = exported.resource
    assert (resource["version"], resource["status"], resource["language"]) == ("3", "active", "en")
    steps = resource["item"]
    assert [step["linkId"] for step in steps] == ["symptoms", "history"]
    itch = steps[0]["item"][0]
    assert (itch["type"], itch["required"]) == ("choice", True)
    option = itch["answerOption"][1]
    assert option["valueCoding"]["code"] == "some"
    assert option["valueCoding"]["system"] == "urn:sdm:codesystem:sample:itch"
    assert option["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": Decimal(1)}]
    translation = option["valueCoding"]["_display"]["extension"][0]
    assert translation["extension"][0] == {"url": "lang", "valueCode": "zh-Hans"}
    group = steps[1]["item"][1]
    assert (group["type"], group["repeats"]) == ("group", True)


def test_exported_conditions_use_the_fhir_link_ids():
    definition = sample_definition()
    step = definition.steps[0]
    itch = replace(step.questions[0], link_id="LOINC-1")
    definition = replace(
        definition,
        steps=(replace(step, questions=(itch, step.questions[1])), *definition.steps[1:]),
    )
    resource = export_fhir(definition, version_number=1).resource
    sleep = resource["item"][0]["item"][1]
    assert resource["item"][0]["item"][0]["linkId"] == "LOINC-1"
    assert [entry["question"] for entry in sleep["enableWhen"]] == ["LOINC-1", "LOINC-1"]
    assert sleep["enableBehavior"] == "all"


def test_what_fhir_cannot_carry_comes_back_as_notes():
    definition = sample_definition()
    notes = export_fhir(definition, version_number=1).notes
    assert {note.feature for note in notes} >= {"scale", "rating", "instrument"}


def test_the_export_can_be_written_with_exact_decimals():
    text = fhir_json(export_fhir(sample_definition(), version_number=1).resource)
    assert json.loads(text)["resourceType"] == "Questionnaire"
    assert text.endswith("\n")


def test_chinese_as_the_export_language_puts_english_into_translations():
    resource = export_fhir(sample_definition(), version_number=1, language="zh-hans").resource
    assert resource["language"] == "zh-Hans"
    assert resource["title"].endswith("（中文）")
    lang = resource["_title"]["extension"][0]["extension"][0]
    assert lang == {"url": "lang", "valueCode": "en"}


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status must be one of"):
        export_fhir(sample_definition(), version_number=1, status="published")


def test_our_own_export_imports_back_with_its_texts_help_intro_choices_and_limits():
    definition = sample_definition()
    exported = export_fhir(definition, version_number=1)
    back = import_resource(read_json_bytes(fhir_json(exported.resource).encode())).definition
    assert (back.title, back.description) == (definition.title, definition.description)
    assert back.languages == ("en", "zh-hans")
    assert [(s.key, s.title, s.intro) for s in back.steps] == [
        (s.key, s.title, s.intro) for s in definition.steps
    ]
    original, returned = definition.question_map(), back.question_map()
    assert set(returned) == set(original)
    for key, question in original.items():
        # What FHIR cannot say: a rating comes back as an integer, scales/instruments stay out.
        expected = replace(
            question,
            kind=Kind.INTEGER if question.kind == Kind.RATING else question.kind,
            instrument="",
            link_id=key,
            show_if=returned[key].show_if,  # compared by behaviour in the property test below
            children=returned[key].children,
        )
        assert returned[key] == expected, key
    itch = returned["itch"]
    assert [(c.value, c.score, c.system) for c in itch.choices] == [
        ("none", Decimal(0), ""),
        ("some", Decimal(1), ""),
        ("a_lot", Decimal(2), ""),
    ]


def fhir_round_trip(definition: VersionDef) -> tuple[VersionDef, list[str], list[str]]:
    exported = export_fhir(definition, version_number=1)
    Questionnaire.model_validate(exported.resource)
    back = import_resource(read_json_bytes(fhir_json(exported.resource).encode()))
    export_condition_notes = [str(n) for n in exported.notes if n.feature == "show_if"]
    import_condition_notes = [
        str(n) for n in back.report if n.feature == "enableWhen" and "left out" in n.detail
    ]
    return back.definition, export_condition_notes, import_condition_notes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_export_then_import_keeps_every_visibility_decision(data):
    definition = data.draw(version_defs(fhir_friendly=True))
    back, export_notes, import_notes = fhir_round_trip(definition)
    # The strategy keeps to one level of enableWhen, so nothing may be lost on the way.
    assert export_notes == [] and import_notes == []
    assert set(back.question_map()) == set(definition.question_map())
    # Nothing answered is where FHIR's "!=" and ours differ most, so it is always tried.
    for answers in [{}, *(data.draw(answers_for(definition)) for _ in range(3))]:
        assert compute_visibility(back, answers) == compute_visibility(definition, answers)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version_defs())
def test_any_definition_exports_to_a_valid_questionnaire_with_unique_link_ids(definition):
    resource = export_fhir(definition, version_number=2).resource
    Questionnaire.model_validate(resource)
    link_ids = []
    pending = list(resource["item"])
    while pending:
        item = pending.pop()
        link_ids.append(item["linkId"])
        pending.extend(item.get("item", []))
    assert len(link_ids) == len(set(link_ids))


# --- QuestionnaireResponse --------------------------------------------------------------------


def small_definition() -> VersionDef:
    colour = QuestionDef(
        key="colour",
        kind=Kind.SINGLE_CHOICE,
        text={"en": "Colour"},
        choices=(
            ChoiceDef("red", {"en": "Red"}, system="http://example.org/c"),
            ChoiceDef("blue", {"en": "Blue"}),
        ),
    )
    questions_ = (
        colour,
        QuestionDef(key="smoker", kind=Kind.YES_NO, text={"en": "Smoker?"}, link_id="72166-2"),
        QuestionDef(
            key="packs",
            kind=Kind.INTEGER,
            text={"en": "Packs"},
            show_if={"q": "smoker", "op": "eq", "value": True},
        ),
        QuestionDef(key="weight", kind=Kind.DECIMAL, text={"en": "Weight"}),
        QuestionDef(key="seen", kind=Kind.DATE, text={"en": "Seen"}),
        QuestionDef(key="note", kind=Kind.LONG_TEXT, text={"en": "Note"}),
        QuestionDef(
            key="goals",
            kind=Kind.RANKING,
            text={"en": "Goals"},
            choices=(ChoiceDef("fast", {"en": "Fast"}), ChoiceDef("safe", {"en": "Safe"})),
        ),
        QuestionDef(
            key="tried",
            kind=Kind.REPEAT_GROUP,
            text={"en": "Tried"},
            children=(
                QuestionDef(key="drug", kind=Kind.SHORT_TEXT, text={"en": "Drug"}),
                QuestionDef(key="weeks", kind=Kind.INTEGER, text={"en": "Weeks"}),
            ),
        ),
    )
    return VersionDef(
        slug="small",
        title={"en": "Small"},
        languages=("en",),
        steps=(StepDef(key="only", title={"en": "Only"}, questions=questions_),),
    )


def test_response_values_are_typed_as_the_items_are():
    definition = small_definition()
    answers = {
        "colour": "blue",
        "smoker": False,
        "packs": 3,  # hidden: smoker is False
        "weight": Decimal("70.25"),
        "seen": "2024-02-29",
        "note": "很好",
        "goals": ["safe", "fast"],
        "tried": [{"drug": "A", "weeks": 12}, {"drug": "B"}],
    }
    response = response_to_fhir(
        definition,
        answers,
        status="completed",
        authored=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        questionnaire_url="http://example.org/Questionnaire/small|1",
    )
    QuestionnaireResponse.model_validate(response)
    assert response["authored"] == "2024-03-01T09:30:00+00:00"
    (step,) = response["item"]
    items = {item["linkId"]: item for item in step["item"] if "answer" in item}
    assert items["colour"]["answer"] == [
        {
            "valueCoding": {
                "system": "urn:sdm:codesystem:small:colour",
                "code": "blue",
                "display": "Blue",
            }
        }
    ]
    assert items["72166-2"]["answer"] == [{"valueBoolean": False}]
    assert "packs" not in items  # FHIR: a disabled item has no answers
    assert items["weight"]["answer"] == [{"valueDecimal": Decimal("70.25")}]
    assert items["seen"]["answer"] == [{"valueDate": "2024-02-29"}]
    assert items["note"]["answer"] == [{"valueString": "很好"}]
    assert [a["valueCoding"]["code"] for a in items["goals"]["answer"]] == ["safe", "fast"]
    rows = [item for item in step["item"] if item["linkId"] == "tried"]
    assert [[(i["linkId"], i["answer"]) for i in row["item"]] for row in rows] == [
        [("drug", [{"valueString": "A"}]), ("weeks", [{"valueInteger": 12}])],
        [("drug", [{"valueString": "B"}])],
    ]


def test_response_refuses_an_answer_of_the_wrong_type():
    with pytest.raises(ValueError, match="'green' is not a choice of question 'colour'"):
        response_to_fhir(
            small_definition(),
            {"colour": "green"},
            status="completed",
            authored="2024-03-01",
            questionnaire_url="urn:x",
        )
    with pytest.raises(ValueError, match="needs a time zone"):
        response_to_fhir(
            small_definition(),
            {},
            status="completed",
            authored=datetime(2024, 3, 1, 9, 30),
            questionnaire_url="urn:x",
        )


def test_an_empty_response_has_no_items():
    response = response_to_fhir(
        small_definition(),
        {},
        status="in-progress",
        authored="2024-03-01",
        questionnaire_url="urn:x",
    )
    QuestionnaireResponse.model_validate(response)
    assert "item" not in response


# --- robustness -------------------------------------------------------------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 40)
    | st.text(max_size=6)
    | st.sampled_from(
        ["Q1", "Q2", "a", "=", "!=", ">", "exists", "all", "any", "#vs", "true", "2020-01-01"]
    )
)
_junk = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_types = st.sampled_from(
    [
        "group",
        "display",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
        "bogus",
    ]
)


def _items(depth: int):
    # Mostly well-typed answers (so that conditions get translated), sometimes junk.
    answers = st.one_of(
        st.tuples(st.just("answerBoolean"), st.booleans()),
        st.tuples(st.just("answerInteger"), st.integers(0, 3)),
        st.tuples(st.just("answerString"), st.sampled_from(["a", "b", "x"])),
        st.tuples(st.just("answerCoding"), st.builds(dict, code=st.sampled_from(["a", "b"]))),
        st.tuples(st.sampled_from(["answerDate", "answerCoding", "answerQuantity"]), _json_scalars),
    )
    enable_when = st.lists(
        st.builds(
            lambda question, operator, answer: {
                "question": question,
                "operator": operator,
                answer[0]: answer[1],
            },
            st.sampled_from(["Q1", "Q2", "Q3", "nope"]),
            st.sampled_from(["exists", "=", "!=", ">", "<=", "~"]),
            answers,
        ),
        max_size=3,
    )
    item = st.fixed_dictionaries(
        {
            "linkId": st.sampled_from(["Q1", "Q2", "Q3", "Q4", "1.1"]) | _json_scalars,
            "type": _types | _json_scalars,
        },
        optional={
            "text": st.text(max_size=8) | _json_scalars,
            "repeats": st.booleans() | _json_scalars,
            "required": st.booleans(),
            "enableWhen": enable_when | _junk,
            "enableBehavior": st.sampled_from(["all", "any"]) | _json_scalars,
            "answerOption": st.lists(
                st.builds(
                    lambda code: {"valueCoding": {"code": code}}, st.sampled_from(["a", "b", ""])
                )
                | st.builds(lambda v: {"valueInteger": v}, st.integers(0, 3))
                | _junk,
                max_size=3,
            ),
            "answerValueSet": st.sampled_from(["#vs", "#none", "http://x"]),
            "extension": _junk,
            "maxLength": _json_scalars,
            "initial": _junk,
            "item": st.lists(_items(depth + 1), max_size=3) if depth < 2 else _junk,
        },
    )
    return item | _junk if depth else item


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_items(0), min_size=1, max_size=4), _junk)
def test_any_questionnaire_shape_imports_cleanly_or_is_refused_never_crashes(items, extra):
    # Two well-formed questions first, so that random enableWhen entries have targets.
    targets = [
        {"linkId": "Q1", "type": "boolean", "text": "Q1"},
        {
            "linkId": "Q2",
            "type": "choice",
            "text": "Q2",
            "answerOption": [{"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "b"}}],
        },
    ]
    resource = {
        "resourceType": "Questionnaire",
        "item": [*targets, *items],
        "extra": extra,
        "contained": [
            {
                "resourceType": "ValueSet",
                "id": "vs",
                "compose": {
                    "include": [
                        {
                            "system": "http://s",
                            "concept": [{"code": "a"}, {"code": "b", "display": "B"}],
                        }
                    ]
                },
            }
        ],
    }
    try:
        result = import_resource(resource)
    except ImportRefused as refused:
        assert refused.problems
        return
    assert lint_structure(result.definition) == []
    Questionnaire.model_validate(export_fhir(result.definition, version_number=1).resource)


def test_an_exclusive_option_is_exported_as_option_exclusive_and_read_back():
    areas = QuestionDef(
        key="areas",
        kind=Kind.MULTIPLE_CHOICE,
        text={"en": "Where?"},
        choices=(
            ChoiceDef(value="face", label={"en": "Face"}),
            ChoiceDef(value="none", label={"en": "None of these"}, exclusive=True),
        ),
    )
    definition = VersionDef(
        slug="areas",
        title={"en": "Areas"},
        steps=(StepDef(key="step", title={"en": "Step"}, questions=(areas,)),),
    )
    exported = export_fhir(definition, version_number=1).resource
    options = exported["item"][0]["item"][0]["answerOption"]
    assert "extension" not in options[0]
    assert options[1]["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive",
            "valueBoolean": True,
        }
    ]
    Questionnaire.model_validate(json.loads(fhir_json(exported)))
    back = import_resource(read_json_bytes(fhir_json(exported).encode()))
    assert [c.exclusive for c in questions(back)["areas"].choices] == [False, True]
    assert "questionnaire-optionExclusive" not in features(back)


def test_a_date_not_in_the_past_is_exported_as_a_constraint_and_read_back():
    visit = QuestionDef(key="visit", kind=Kind.DATE, text={"en": "When?"}, not_in_past=True)
    definition = VersionDef(
        slug="visit",
        title={"en": "Visit"},
        steps=(StepDef(key="step", title={"en": "Step"}, questions=(visit,)),),
    )
    exported = export_fhir(definition, version_number=1).resource
    item = exported["item"][0]["item"][0]
    constraint = next(
        e
        for e in item["extension"]
        if e["url"] == "http://hl7.org/fhir/StructureDefinition/questionnaire-constraint"
    )
    parts = {part["url"]: part for part in constraint["extension"]}
    assert parts["expression"]["valueString"] == "answer.all(value >= today())"
    assert parts["severity"]["valueCode"] == "error"
    Questionnaire.model_validate(json.loads(fhir_json(exported)))
    back = import_resource(read_json_bytes(fhir_json(exported).encode()))
    assert questions(back)["visit"].not_in_past is True
    assert "questionnaire-constraint" not in features(back)
