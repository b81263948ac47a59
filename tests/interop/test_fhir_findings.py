"""Issue 13's eight findings, one fixture each under tests/fixtures/fhir/findings/."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from questionnaires.engine.definition import Kind
from questionnaires.engine.visibility import compute_visibility, prune_hidden
from questionnaires.interop.fhir_common import ORDINAL_VALUE
from questionnaires.interop.fhir_expressions import compute_answers
from questionnaires.interop.fhir_questionnaire import (
    MAX_ITEMS,
    FhirImport,
    ImportRefused,
    export_fhir,
    fhir_json,
    import_fhir,
    import_resource,
    response_to_fhir,
)
from questionnaires.interop.json_io import read_json_bytes

FINDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "findings"


def source(name: str) -> dict[str, Any]:
    return json.loads((FINDINGS / name).read_text(encoding="utf-8"))


def load(name: str) -> FhirImport:
    return import_fhir((FINDINGS / name).read_bytes())


def by_link_id(result: FhirImport):
    return {q.link_id: q for q in result.definition.question_map().values()}


def refusal(name: str) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        load(name)
    return [str(problem) for problem in refused.value.problems]


def exported(result: FhirImport) -> dict[str, Any]:
    resource = export_fhir(result.definition, version_number=1).resource
    Questionnaire.model_validate(json.loads(fhir_json(resource)))
    return resource


def items_by_link_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        found.setdefault(item["linkId"], item)
        found.update(items_by_link_id(item.get("item", [])))
        for answer in item.get("answer", []):
            found.update(items_by_link_id(answer.get("item", [])))
    return found


# --- 1. != --------------------------------------------------------------------------------------


def test_1_not_equal_conditions_export_as_not_equal_and_hold_when_unanswered():
    result = load("01-not-equal-enablewhen.json")
    resource = exported(result)
    items = items_by_link_id(resource["item"])
    assert items["why-not"]["enableWhen"] == [
        {
            "question": "smoker",
            "operator": "!=",
            "answerCoding": {"system": "http://example.org/yn", "code": "Y"},
        }
    ]
    assert items["not-ten"]["enableWhen"] == [
        {"question": "cigarettes", "operator": "!=", "answerInteger": 10}
    ]
    assert "enableBehavior" not in items["why-not"]
    again = import_resource(read_json_bytes(fhir_json(resource).encode()))
    # The slug and the source version are assigned on import (see test_fhir_round_trip).
    assert replace(again.definition, slug="x", source_version="") == replace(
        result.definition, slug="x"
    )
    keys = {q.link_id: q.key for q in result.definition.question_map().values()}
    shown = compute_visibility(again.definition, {}).questions
    assert keys["why-not"] in shown  # FHIR's != holds when unanswered
    shown = compute_visibility(again.definition, {keys["smoker"]: "Y"}).questions
    assert keys["why-not"] not in shown


# --- 2. scores on a contained ValueSet -----------------------------------------------------------


def test_2_scores_on_contained_value_set_codes_are_kept_and_exported():
    result = load("02-contained-value-set-scores.json")
    interest = by_link_id(result)["interest"]
    assert [(c.value, c.score) for c in interest.choices] == [
        ("LA6568-5", Decimal(0)),
        ("LA6569-3", Decimal(1)),
        ("LA6570-1", Decimal(2)),  # itemWeight
        ("LA6571-9", Decimal(3)),
    ]
    options = items_by_link_id(exported(result)["item"])["interest"]["answerOption"]
    assert [option["extension"] for option in options] == [
        [{"url": ORDINAL_VALUE, "valueDecimal": Decimal(score)}] for score in range(4)
    ]
    assert any(
        note.feature == "answerValueSet" and "scores kept" in note.detail for note in result.report
    )


# --- 3. readOnly on a group --------------------------------------------------------------------


def test_3_read_only_on_a_group_makes_everything_inside_it_read_only():
    questions = by_link_id(load("03-read-only-group.json"))
    assert not questions["asked"].read_only
    assert questions["record.height"].read_only
    assert questions["record.sub.site"].read_only  # nested one group deeper


# --- 5. calculated and hidden items ------------------------------------------------------------


def test_5_calculated_items_are_read_only_and_computed_and_hidden_items_never_shown():
    result = load("05-calculated-and-hidden.json")
    questions = by_link_id(result)
    bmi, hidden = questions["bmi"], questions["internal-code"]
    assert bmi.read_only and not bmi.required and bmi.expressions["calculated"]
    assert hidden.hidden
    definition = result.definition
    shown = compute_visibility(definition, {}).questions
    assert hidden.key not in shown and bmi.key in shown
    answers = {questions["weight"].key: Decimal("81"), questions["height"].key: Decimal("1.8")}
    questionnaire = source("05-calculated-and-hidden.json")
    computed = compute_answers(definition, answers, source=questionnaire)
    assert computed.problems == ()
    assert computed.answers[bmi.key] == Decimal("25.0")  # 81 / 1.8² = 25.0
    # A value typed for the item (e.g. posted by hand) is overwritten by the computation.
    typed = compute_answers(definition, {**answers, bmi.key: Decimal(99)}, source=questionnaire)
    assert typed.answers[bmi.key] == Decimal("25.0")
    exported_items = items_by_link_id(exported(result)["item"])
    assert exported_items["bmi"]["readOnly"] is True
    assert {e["url"].rsplit("/", 1)[1] for e in exported_items["internal-code"]["extension"]} == {
        "questionnaire-hidden"
    }


# --- 6. items without text --------------------------------------------------------------------


def test_6_items_without_text_take_the_code_display_else_the_link_id_and_say_so():
    result = load("06-items-without-text.json")
    questions = by_link_id(result)
    assert questions["gcs-eye"].text == {"en": "Glasgow coma score eye opening"}
    assert questions["tumour-size"].text == {"en": "tumour-size"}
    notes = {note.path: note.detail for note in result.report if note.feature == "text"}
    assert "code's display" in notes["item[0] (linkId gcs-eye)"]
    assert "linkId 'tumour-size'" in notes["item[1] (linkId tumour-size)"]


# --- 7. the response follows the source -------------------------------------------------------


def _hierarchy_answers(result: FhirImport) -> dict[str, Any]:
    q = {link_id: question.key for link_id, question in by_link_id(result).items()}
    group = by_link_id(result)["episodes"]
    rows = {child.link_id: child.key for child in group.children}
    return {
        q["loose"]: "AB",
        q["history.onset"]: "2024-03-01",
        q["history.details.site"]: "leg",
        q["history.details.count"]: "2",
        q["history.weight"]: Decimal("70.5"),
        q["episodes"]: [{rows["episodes.when"]: "2024-05-02", rows["episodes.note"]: "flare"}],
        q["itch"]: True,
        q["itch.where"]: "elbows",
    }


def test_7_and_acceptance_6_the_response_has_the_source_hierarchy_types_and_validates():
    result = load("07-response-hierarchy.json")
    questionnaire = source("07-response-hierarchy.json")
    response = response_to_fhir(
        result.definition,
        _hierarchy_answers(result),
        status="completed",
        authored=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        questionnaire_url="http://example.org/fhir/Questionnaire/finding-7-hierarchy|1",
        source=questionnaire,
    )
    QuestionnaireResponse.model_validate(json.loads(fhir_json(response)))
    assert [item["linkId"] for item in response["item"]] == ["loose", "history", "episodes", "itch"]
    history = response["item"][1]
    assert [item["linkId"] for item in history["item"]] == [
        "history.onset",
        "history.details",
        "history.weight",
    ]
    answers = items_by_link_id(response["item"])
    assert answers["history.onset"]["answer"] == [{"valueDateTime": "2024-03-01"}]
    assert answers["history.details.site"]["answer"] == [{"valueString": "leg"}]
    assert answers["history.details.count"]["answer"] == [{"valueInteger": 2}]
    assert answers["history.weight"]["answer"] == [
        {"valueQuantity": {"value": Decimal("70.5"), "unit": "kg"}}
    ]
    assert answers["itch"]["answer"][0]["item"][0]["linkId"] == "itch.where"  # nested in answer
    # Every answer's linkId path exists in the source questionnaire.
    assert _paths(response["item"]) <= _paths(questionnaire["item"])


def _paths(items: list[dict[str, Any]], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = set()
    for item in items:
        path = (*prefix, item["linkId"])
        found.add(path)
        found |= _paths(item.get("item", []), path)
        for answer in item.get("answer", []):
            found |= _paths(answer.get("item", []), path)
    return found


def test_7_a_response_without_a_source_keeps_our_steps():
    result = load("07-response-hierarchy.json")
    response = response_to_fhir(
        result.definition,
        _hierarchy_answers(result),
        status="completed",
        authored="2026-01-02",
        questionnaire_url="urn:x|1",
    )
    assert response["item"][0]["linkId"] == result.definition.steps[0].key


# --- 8. an empty repeating group; issue 12: cycles and size ------------------------------------


def test_8_an_empty_repeating_group_is_refused_naming_the_item_and_the_fhir_element():
    assert refusal("refused/08-empty-repeating-group.json") == [
        "item[0] (linkId medications): the repeating group (FHIR item with repeats true) has "
        "no question inside it (item.item), so nothing can be asked"
    ]


def test_an_enable_when_cycle_is_refused_not_dropped():
    (message,) = refusal("refused/09-enablewhen-cycle.json")
    assert "enableWhen conditions form a cycle" in message
    assert "a → b → a" in message or "b → a → b" in message


def test_a_file_with_too_many_items_is_refused_before_it_is_read():
    items = [{"linkId": f"q{n}", "text": "Q", "type": "string"} for n in range(30_000)]
    data = json.dumps({"resourceType": "Questionnaire", "item": items}).encode()
    with pytest.raises(ImportRefused) as refused:
        import_fhir(data, max_bytes=len(data))
    assert [str(p) for p in refused.value.problems] == [
        f"item: the Questionnaire has more than {MAX_ITEMS:,} items (counting nested items); "
        "larger forms are refused"
    ]


def test_a_broken_fhirpath_expression_refuses_the_import_naming_the_item():
    questionnaire = source("05-calculated-and-hidden.json")
    questionnaire["item"][2]["extension"][0]["valueExpression"]["expression"] = "%w / ("
    with pytest.raises(ImportRefused) as refused:
        import_resource(questionnaire)
    (message,) = [str(p) for p in refused.value.problems]
    assert message.startswith(
        "item[2] (linkId bmi): calculatedExpression (FHIRPath): not a FHIRPath"
    )


def test_answers_to_hidden_items_still_count():
    result = load("05-calculated-and-hidden.json")
    code = by_link_id(result)["internal-code"]
    assert prune_hidden(result.definition, {code.key: "S-12"}) == {code.key: "S-12"}
    assert code.kind == Kind.SHORT_TEXT


def test_a_calculated_total_still_computes_after_a_round_trip_through_our_export():
    questionnaire = source("10-phq9-calculated-total.json")
    first = import_resource(questionnaire)
    export = json.loads(fhir_json(export_fhir(first.definition, version_number=1).resource))
    second = import_resource(export)
    for result, tree in ((first, questionnaire), (second, export)):
        questions = by_link_id(result)
        items = [q for link_id, q in questions.items() if link_id not in ("/44261-6",)]
        answers = {q.key: q.choices[index % 4].value for index, q in enumerate(items)}
        computed = compute_answers(result.definition, answers, source=tree)
        assert computed.problems == ()
        expected = sum(index % 4 for index in range(len(items)))
        assert computed.answers[questions["/44261-6"].key] == expected


def test_a_problem_the_linter_finds_after_mapping_is_named_at_the_fhir_item():
    questionnaire = {
        "resourceType": "Questionnaire",
        "title": "T",
        "item": [
            {
                "linkId": "g",
                "text": "G",
                "type": "group",
                "item": [
                    {
                        "linkId": "n.1",
                        "text": "N",
                        "type": "integer",
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                                "valueInteger": 10,
                            },
                            {
                                "url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                                "valueInteger": 1,
                            },
                        ],
                    }
                ],
            }
        ],
    }
    with pytest.raises(ImportRefused) as refused:
        import_resource(questionnaire)
    assert [str(p) for p in refused.value.problems] == [
        "item[0].item[0] (linkId n.1): min_value 10 is greater than max_value 1 "
        "(our steps[0].questions[0].min_value)"
    ]
