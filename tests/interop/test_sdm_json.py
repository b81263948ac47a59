"""Our JSON format: exact round trip, the published schema, and every refusal's message."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    InstrumentDef,
    Kind,
    QuestionDef,
    ScaleDef,
    StepDef,
    VersionDef,
)
from questionnaires.engine.lint import lint_structure
from questionnaires.interop import sdm_json
from questionnaires.interop.json_io import MAX_IMPORT_BYTES, ImportRefused
from tests.builders import sample_definition
from tests.interop.strategies import version_defs

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def refusal(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        sdm_json.load_bytes(data, **kwargs)
    return [str(problem) for problem in caught.value.problems]


def minimal_document(**changes) -> dict:
    document = {
        "format": "sdm-questionnaire",
        "format_version": 1,
        "slug": "tiny",
        "title": {"en": "Tiny"},
        "steps": [
            {
                "key": "only",
                "title": {"en": "Only step"},
                "questions": [{"key": "ok", "kind": "yes_no", "text": {"en": "OK?"}}],
            }
        ],
    }
    document.update(changes)
    return document


def encoded(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


# --- round trip -------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(version_defs())
def test_any_valid_definition_round_trips_exactly(definition):
    assert lint_structure(definition) == []  # the strategy's promise, checked
    text = sdm_json.dumps(definition)
    loaded = sdm_json.load_bytes(text.encode("utf-8"))
    assert loaded == definition
    # The second write gives the same bytes: what definition_hash relies on.
    assert sdm_json.dumps(loaded) == text


@PROPERTY_SETTINGS
@given(version_defs())
def test_every_dump_validates_against_the_published_schema(definition):
    document = json.loads(sdm_json.dumps(definition), parse_float=Decimal)
    jsonschema.Draft202012Validator(sdm_json.schema()).validate(document)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(sdm_json.schema())


def test_decimals_are_written_digit_for_digit_and_read_back_as_decimal():
    question = QuestionDef(
        key="dose",
        kind=Kind.DECIMAL,
        text={"en": "Dose"},
        min_value=Decimal("0.1"),
        max_value=Decimal("2.50"),
    )
    definition = VersionDef(
        slug="doses",
        title={"en": "Doses"},
        steps=(StepDef(key="step", title={"en": "Step"}, questions=(question,)),),
    )
    text = sdm_json.dumps(definition)
    # A float would print 0.1 as 0.1 too, but 2.50 proves no float was involved.
    assert '"min_value": 0.1,' in text
    assert '"max_value": 2.50,' in text
    loaded = sdm_json.load_bytes(text.encode()).steps[0].questions[0]
    assert loaded.min_value == Decimal("0.1") and isinstance(loaded.min_value, Decimal)
    assert str(loaded.max_value) == "2.50"


def test_text_is_written_as_utf8_with_chinese_unescaped_and_a_final_newline():
    definition = dataclasses.replace(
        sample_definition(), title={"zh-hans": "治疗讨论", "en": "Talk"}
    )
    text = sdm_json.dumps(definition)
    assert '"zh-hans": "治疗讨论"' in text
    assert text.endswith("}\n")
    # Languages are written in sorted order whatever order the mapping had.
    assert text.index('"en": "Talk"') < text.index('"zh-hans": "治疗讨论"')


def test_the_dump_writes_every_field_of_every_dataclass():
    """A field added to definition.py must be added to the format too (and to the schema)."""
    definition = dataclasses.replace(
        sample_definition(),
        source_version="2.1",
        variables=({"name": "a", "expression": "1"},),
    )
    definition = dataclasses.replace(
        definition,
        steps=(
            dataclasses.replace(
                definition.steps[0],
                source_link_id="group-1",
                questions=(
                    dataclasses.replace(
                        definition.steps[0].questions[0],
                        hidden=True,
                        expressions={"calculated": "%a + 1"},
                        not_in_past=True,
                        choices=(
                            dataclasses.replace(
                                definition.steps[0].questions[0].choices[0], exclusive=True
                            ),
                            *definition.steps[0].questions[0].choices[1:],
                        ),
                    ),
                    *definition.steps[0].questions[1:],
                ),
            ),
            *definition.steps[1:],
        ),
    )
    document = sdm_json.dump(definition)
    names = lambda cls: [field.name for field in dataclasses.fields(cls)]  # noqa: E731
    assert set(document) - {"format", "format_version"} == set(names(VersionDef))
    assert list(document["steps"][0]) == names(StepDef)
    assert list(document["steps"][0]["questions"][0]) == names(QuestionDef)
    assert list(document["steps"][0]["questions"][0]["choices"][0]) == names(ChoiceDef)
    assert list(document["scales"][0]) == names(ScaleDef)
    assert list(document["scales"][0]["bands"][0]) == names(BandDef)
    assert list(document["instruments"][0]) == names(InstrumentDef)
    schema = sdm_json.schema()
    for cls, definition_name in (
        (StepDef, "step"),
        (QuestionDef, "question"),
        (ChoiceDef, "choice"),
        (ScaleDef, "scale"),
        (BandDef, "band"),
        (InstrumentDef, "instrument"),
    ):
        assert set(schema["$defs"][definition_name]["properties"]) == set(names(cls))


def test_the_shipped_demo_file_is_written_back_byte_for_byte():
    from pathlib import Path

    demo = Path(__file__).resolve().parents[2] / (
        "questionnaires/content/questionnaires/treatment-discussion.json"
    )
    if not demo.exists():
        pytest.skip("the demo questionnaire is not in this checkout")
    data = demo.read_bytes()
    assert sdm_json.dumps(sdm_json.load_bytes(data)).encode() == data


def test_missing_optional_keys_take_the_dataclass_defaults():
    definition = sdm_json.load_bytes(encoded(minimal_document()))
    assert definition.languages == VersionDef(slug="x", title={}).languages
    question = definition.steps[0].questions[0]
    assert question == QuestionDef(key="ok", kind=Kind.YES_NO, text={"en": "OK?"})
    assert definition.steps[0].show_if is None and definition.scales == ()


# --- refusals ---------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_before_anything_is_read():
    assert MAX_IMPORT_BYTES == 2 * 1024 * 1024
    data = b" " * (MAX_IMPORT_BYTES + 1)
    assert refusal(data) == [
        "the file is 2,097,153 bytes; files over 2 MiB (2,097,152 bytes) are refused"
    ]


def test_the_limit_can_be_lowered_by_the_caller():
    assert refusal(encoded(minimal_document()), max_bytes=10)[0].startswith("the file is ")


def test_a_file_that_is_not_utf8_names_the_byte_and_its_position():
    prefix = b'{"slug": "caf'  # 13 bytes, then a Latin-1 é
    data = prefix + b"\xe9" + b'"}'
    assert refusal(data) == [f"the file is not UTF-8 text: byte 0xe9 at position {len(prefix)}"]


def test_invalid_json_gives_line_and_column():
    data = b'{\n  "format": "sdm-questionnaire",\n  "slug": "x",,\n}'
    assert refusal(data) == [
        "the file is not valid JSON: Expecting property name enclosed in double quotes "
        "at line 3, column 15"
    ]


def test_nan_is_not_json():
    assert refusal(b'{"estimated_minutes": NaN}') == [
        "the file is not valid JSON: NaN is not a JSON value"
    ]


def test_a_name_given_twice_in_one_object_is_refused():
    assert refusal(b'{"slug": "a", "slug": "b"}') == ["the name 'slug' appears twice in one object"]


def test_a_number_with_a_huge_exponent_is_refused_instead_of_printed():
    assert refusal(b'{"estimated_minutes": 1e-999999999}') == [
        "the number 1e-999999999 is too large or has too many digits"
    ]


def test_deep_nesting_is_refused():
    data = b"[" * 150 + b"]" * 150
    assert refusal(data) == ["the JSON nests more than 100 levels deep"]


def test_a_list_instead_of_an_object_is_refused():
    assert refusal(b"[]") == ["the file must hold one JSON object, not a list"]


def test_schema_violations_name_the_path_and_say_what_is_wrong():
    document = minimal_document(extra=True)
    question = document["steps"][0]["questions"][0]
    question["kind"] = "radio"
    question["key"] = "Bad Key"
    document["steps"][0]["questions"].append(
        {
            "key": "later",
            "kind": "integer",
            "text": {"en": "Later"},
            "show_if": {"q": "ok", "op": "answered", "value": True},
        }
    )
    problems = refusal(encoded(document))
    assert "unknown field 'extra'" in problems
    assert (
        "steps[0].questions[0].kind: 'radio' is not one of ['single_choice', "
        "'multiple_choice', 'yes_no', 'integer', 'decimal', 'rating', 'date', 'short_text', "
        "'long_text', 'ranking', 'repeat_group', 'display']"
    ) in problems
    assert (
        "steps[0].questions[0].key: 'Bad Key' is not allowed here: use a key that starts with "
        "a lowercase letter and has only lowercase letters, digits and underscores "
        "(at most 64 characters)"
    ) in problems
    assert (
        "steps[0].questions[1].show_if: 'value' must not be given with operator 'answered'"
    ) in problems
    assert len(problems) == 4


def test_condition_shapes_are_checked_by_the_schema():
    document = minimal_document()
    document["steps"][0]["questions"].append(
        {
            "key": "later",
            "kind": "integer",
            "text": {"en": "Later"},
            "show_if": {"all": [{"q": "ok", "op": "in", "value": True}], "any": []},
        }
    )
    document["steps"][0]["questions"].append(
        {"key": "last", "kind": "integer", "text": {}, "show_if": {"q": "ok", "op": "is"}}
    )
    problems = refusal(encoded(document))
    assert problems == [
        "steps[0].questions[1].show_if: unknown field 'any'",
        "steps[0].questions[1].show_if.all[0].value: True is not of type 'array'",
        "steps[0].questions[2].show_if.op: 'is' is not one of ['eq', 'ne', 'in', 'not_in', "
        "'gt', 'gte', 'lt', 'lte', 'answered', 'not_answered', 'contains', 'contains_any']",
    ]


def test_language_codes_are_checked():
    problems = refusal(encoded(minimal_document(title={"EN": "Tiny"})))
    assert problems == [
        'title: \'EN\' is not allowed here: use a lowercase language code such as "en" or "zh-hans"'
    ]


def test_a_wrong_format_marker_is_refused():
    problems = refusal(encoded(minimal_document(format="fhir", format_version=2)))
    assert problems == [
        "format: 'sdm-questionnaire' was expected",
        "format_version: 1 was expected",
    ]


def test_linter_problems_are_reported_after_the_schema_passes():
    document = minimal_document()
    questions = document["steps"][0]["questions"]
    questions.insert(
        0,
        {
            "key": "early",
            "kind": "short_text",
            "text": {"en": "Early"},
            "show_if": {"q": "ok", "op": "eq", "value": True},
        },
    )
    questions.append({"key": "ok", "kind": "integer", "text": {"en": "Again"}})
    assert refusal(encoded(document)) == [
        "steps[0].questions[0].show_if: refers to question 'ok', which comes later; "
        "conditions may only use earlier answers",
        "steps[0].questions[2].key: question key 'ok' is already used by steps[0].questions[1]",
    ]


def test_a_cyclic_condition_is_refused_by_the_linter():
    document = minimal_document()
    document["steps"][0]["questions"][0]["show_if"] = {"q": "ok", "op": "answered"}
    assert refusal(encoded(document)) == [
        "steps[0].questions[0].show_if: question 'ok' refers to itself"
    ]


def test_a_byte_order_mark_is_tolerated():
    data = b"\xef\xbb\xbf" + encoded(minimal_document())
    assert sdm_json.load_bytes(data).slug == "tiny"


def test_an_exclusive_choice_round_trips_and_a_plain_one_writes_no_flag():
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
    written = sdm_json.dump(definition)
    choices = written["steps"][0]["questions"][0]["choices"]
    # Absent unless set, so definitions without it keep their definition hash.
    assert "exclusive" not in choices[0] and choices[1]["exclusive"] is True
    assert sdm_json.load_bytes(sdm_json.dumps(definition).encode()) == definition
