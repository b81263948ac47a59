"""docs/interop.md's conformance statement, kept true: every row is checked on an example.

supported: the example imports, reads back identically from our export, and the element is
in that export. degraded: the import or export report names it. refused: the import stops.
A row without an example fails, so the table cannot claim what nothing checks.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from questionnaires.interop import fhir_common as common
from questionnaires.interop.fhir_questionnaire import (
    MAX_ITEMS,
    ImportRefused,
    export_fhir,
    fhir_json,
    import_resource,
)
from questionnaires.interop.json_io import read_json_bytes

DOC = Path(__file__).resolve().parents[2] / "docs" / "interop.md"
SDC = common.SDC + "sdc-questionnaire-"
HL7 = "http://hl7.org/fhir/StructureDefinition/"
YES_NO = [
    {"valueCoding": {"system": "http://example.org/yn", "code": "y", "display": "Yes"}},
    {"valueCoding": {"system": "http://example.org/yn", "code": "n", "display": "No"}},
]


def table() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split("<!-- conformance-table:start -->")[1].split(
        "<!-- conformance-table:end -->"
    )[0]
    rows = []
    for line in body.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows.append((cells[0].replace("`", ""), cells[1]))
    return rows


def form(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "title": "T",
        "status": "active",
        **fields,
        "item": list(items),
    }


def item(**fields: Any) -> dict[str, Any]:
    return {"linkId": "a", "text": "A", "type": "string", **fields}


def ext(url: str, **value: Any) -> dict[str, Any]:
    return {"url": url, **value}


def fhirpath(expression: str, **extra: str) -> dict[str, Any]:
    return {"valueExpression": {"language": "text/fhirpath", "expression": expression, **extra}}


CHOICE = {"type": "choice", "answerOption": YES_NO}
NUMBER = {"type": "integer"}
# element → (example resource, the text that shows it in our export, for "supported" rows)
EXAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "Questionnaire.url": (form(item(), url="http://example.org/Q/x"), '"url"'),
    "Questionnaire.version": (form(item(), version="3.1"), "version"),
    "Questionnaire.name": (form(item(), name="Screening"), "name"),
    "Questionnaire.title": (form(item()), '"title"'),
    "Questionnaire.status": (form(item(), status="draft"), "status"),
    "Questionnaire.description": (form(item(), description="D"), '"description"'),
    "Questionnaire.language": (form(item(), language="en"), '"language"'),
    "Questionnaire.copyright": (form(item(), copyright="(c) someone"), "copyright"),
    "Questionnaire.contained": (
        form(
            item(type="choice", answerOption=None, answerValueSet="#vs"),
            contained=[
                {
                    "resourceType": "ValueSet",
                    "id": "vs",
                    "compose": {
                        "include": [{"system": "http://e.org", "concept": [{"code": "c"}]}]
                    },
                }
            ],
        ),
        '"code": "c"',
    ),
    "Questionnaire.publisher": (form(item(), publisher="P"), "publisher"),
    "Questionnaire.subjectType": (form(item(), subjectType=["Patient"]), "subjectType"),
    "Questionnaire.item.linkId": (form(item(linkId="x.1")), '"linkId": "x.1"'),
    "Questionnaire.item.definition": (form(item(definition="http://e.org/d#x")), "definition"),
    "Questionnaire.item.code": (form(item(code=[{"code": "1"}])), "code"),
    "Questionnaire.item.prefix": (form(item(prefix="1.")), "prefix"),
    "Questionnaire.item.text": (form(item(text="Hello")), '"text": "Hello"'),
    "Questionnaire.item.type": (form(item(type="integer")), '"type": "integer"'),
    "Questionnaire.item.enableWhen": (
        form(
            item(linkId="b", type="boolean"),
            item(enableWhen=[{"question": "b", "operator": "=", "answerBoolean": True}]),
        ),
        '"enableWhen"',
    ),
    "Questionnaire.item.enableBehavior": (
        form(
            item(linkId="b", type="boolean"),
            item(linkId="c", type="boolean"),
            item(
                enableBehavior="any",
                enableWhen=[
                    {"question": "b", "operator": "=", "answerBoolean": True},
                    {"question": "c", "operator": "=", "answerBoolean": True},
                ],
            ),
        ),
        '"enableBehavior": "any"',
    ),
    "Questionnaire.item.required": (form(item(required=True)), '"required": true'),
    "Questionnaire.item.repeats": (form(item(repeats=True, **CHOICE)), '"repeats": true'),
    "Questionnaire.item.readOnly": (form(item(readOnly=True)), '"readOnly": true'),
    "Questionnaire.item.maxLength": (form(item(maxLength=20)), '"maxLength": 20'),
    "Questionnaire.item.answerValueSet": (
        form(item(type="choice", answerValueSet="http://e.org/ValueSet/x")),
        "answerValueSet",
    ),
    "Questionnaire.item.answerOption": (form(item(**CHOICE)), '"answerOption"'),
    "Questionnaire.item.initial": (form(item(initial=[{"valueString": "x"}])), "initial"),
    "Questionnaire.item.item": (
        form({"linkId": "g", "text": "G", "type": "group", "item": [item()]}),
        '"item"',
    ),
    "type group": (
        form({"linkId": "g", "text": "G", "type": "group", "item": [item()]}),
        '"type": "group"',
    ),
    "type display": (form(item(type="display"), item(linkId="b")), '"type": "display"'),
    "type boolean": (form(item(type="boolean")), '"type": "boolean"'),
    "type decimal": (form(item(type="decimal")), '"type": "decimal"'),
    "type integer": (form(item(type="integer")), '"type": "integer"'),
    "type date": (form(item(type="date")), '"type": "date"'),
    "type string": (form(item(type="string")), '"type": "string"'),
    "type text": (form(item(type="text")), '"type": "text"'),
    "type choice": (form(item(**CHOICE)), '"type": "choice"'),
    "type open-choice": (form(item(type="open-choice", answerOption=YES_NO)), "open-choice"),
    "type dateTime": (form(item(type="dateTime")), "dateTime"),
    "type time": (form(item(type="time")), "time"),
    "type url": (form(item(type="url")), "url"),
    "type quantity": (form(item(type="quantity")), "quantity"),
    "type attachment": (form(item(type="attachment"), item(linkId="b")), "attachment"),
    "type reference": (form(item(type="reference"), item(linkId="b")), "reference"),
    "extension translation": (
        form(
            item(
                _text={
                    "extension": [
                        ext(
                            common.TRANSLATION,
                            extension=[
                                {"url": "lang", "valueCode": "zh-Hans"},
                                {"url": "content", "valueString": "甲"},
                            ],
                        )
                    ]
                }
            )
        ),
        common.TRANSLATION,
    ),
    "extension ordinalValue": (
        form(
            item(
                type="choice",
                answerOption=[
                    {
                        "extension": [ext(common.ORDINAL_VALUE, valueDecimal=2)],
                        "valueCoding": {"system": "http://e.org", "code": "c"},
                    }
                ],
            )
        ),
        common.ORDINAL_VALUE,
    ),
    "extension itemWeight": (
        form(
            item(
                type="choice",
                answerOption=[
                    {
                        "extension": [ext(common.ITEM_WEIGHT, valueDecimal=2)],
                        "valueCoding": {"system": "http://e.org", "code": "c"},
                    }
                ],
            )
        ),
        common.ORDINAL_VALUE,
    ),
    "extension questionnaire-optionExclusive": (
        form(
            item(
                type="choice",
                repeats=True,
                answerOption=[
                    {"valueCoding": {"system": "http://e.org", "code": "a"}},
                    {
                        "extension": [ext(common.OPTION_EXCLUSIVE, valueBoolean=True)],
                        "valueCoding": {"system": "http://e.org", "code": "none"},
                    },
                ],
            )
        ),
        common.OPTION_EXCLUSIVE,
    ),
    "extension questionnaire-constraint": (
        form(
            item(
                type="date",
                extension=[
                    ext(
                        common.CONSTRAINT,
                        extension=[
                            {"url": "key", "valueId": "later"},
                            {"url": "severity", "valueCode": "error"},
                            {"url": "expression", "valueString": "answer.value > %start"},
                            {"url": "human", "valueString": "After the start"},
                        ],
                    )
                ],
            )
        ),
        common.CONSTRAINT,
    ),
    "extension minValue": (
        form(item(extension=[ext(common.MIN_VALUE, valueInteger=1)], **NUMBER)),
        common.MIN_VALUE,
    ),
    "extension maxValue": (
        form(item(extension=[ext(common.MAX_VALUE, valueInteger=9)], **NUMBER)),
        common.MAX_VALUE,
    ),
    "extension questionnaire-unit": (
        form(item(extension=[ext(common.UNIT, valueCoding={"display": "kg"})], **NUMBER)),
        common.UNIT,
    ),
    "extension questionnaire-unitOption": (
        form(
            item(
                type="quantity",
                extension=[
                    ext(common.UNIT_OPTION, valueCoding={"display": "kg"}),
                    ext(common.UNIT_OPTION, valueCoding={"display": "lb"}),
                ],
            )
        ),
        "unitOption",
    ),
    "extension questionnaire-maxOccurs": (
        form(
            {
                "linkId": "g",
                "text": "G",
                "type": "group",
                "repeats": True,
                "extension": [ext(common.MAX_OCCURS, valueInteger=3)],
                "item": [item()],
            }
        ),
        common.MAX_OCCURS,
    ),
    "extension questionnaire-hidden": (
        form(item(), item(linkId="b", extension=[ext(common.HIDDEN, valueBoolean=True)])),
        common.HIDDEN,
    ),
    "extension questionnaire-itemControl": (
        form(
            item(
                extension=[
                    ext(
                        common.ITEM_CONTROL,
                        valueCodeableConcept={
                            "coding": [{"system": common.ITEM_CONTROL_SYSTEM, "code": "drop-down"}]
                        },
                    )
                ]
            )
        ),
        "itemControl",
    ),
    "extension sdc-questionnaire-calculatedExpression": (
        form(
            item(linkId="n", **NUMBER),
            item(
                extension=[
                    ext(
                        common.CALCULATED_EXPRESSION,
                        **fhirpath("%resource.item.where(linkId='n').answer.value * 2"),
                    )
                ],
                **NUMBER,
            ),
        ),
        common.CALCULATED_EXPRESSION,
    ),
    "extension sdc-questionnaire-enableWhenExpression": (
        form(
            item(linkId="n", **NUMBER),
            item(
                extension=[
                    ext(
                        common.ENABLE_WHEN_EXPRESSION,
                        **fhirpath("%resource.item.where(linkId='n').answer.value > 2"),
                    )
                ]
            ),
        ),
        common.ENABLE_WHEN_EXPRESSION,
    ),
    "extension sdc-questionnaire-initialExpression": (
        form(
            item(linkId="n"),
            item(
                extension=[
                    ext(
                        common.INITIAL_EXPRESSION,
                        **fhirpath("%resource.item.where(linkId='n').answer.value"),
                    )
                ]
            ),
        ),
        common.INITIAL_EXPRESSION,
    ),
    "extension variable": (
        form(
            item(
                extension=[
                    ext(
                        common.VARIABLE,
                        valueExpression={
                            "name": "two",
                            "language": "text/fhirpath",
                            "expression": "1 + 1",
                        },
                    )
                ]
            ),
            extension=[
                ext(
                    common.VARIABLE,
                    valueExpression={"name": "one", "language": "text/fhirpath", "expression": "1"},
                )
            ],
        ),
        common.VARIABLE,
    ),
    "extension sdc-questionnaire-answerExpression": (
        form(
            item(
                type="choice",
                extension=[
                    ext(common.ANSWER_EXPRESSION, **fhirpath("%resource.item.answer.value"))
                ],
            )
        ),
        "answerExpression",
    ),
    "modifierExtension": (
        form(item(modifierExtension=[ext("http://e.org/m", valueBoolean=True)])),
        "modifierExtension",
    ),
    "invalid FHIRPath": (
        form(item(extension=[ext(common.CALCULATED_EXPRESSION, **fhirpath("1 +"))])),
        "",
    ),
    "enableWhen cycle": (
        form(
            item(
                linkId="a",
                type="boolean",
                enableWhen=[{"question": "b", "operator": "exists", "answerBoolean": True}],
            ),
            item(
                linkId="b",
                type="boolean",
                enableWhen=[{"question": "a", "operator": "exists", "answerBoolean": True}],
            ),
        ),
        "",
    ),
    "more than 2,000 items": (form(*[item(linkId=f"q{n}") for n in range(MAX_ITEMS + 1)]), ""),
    "only empty groups": (form({"linkId": "g", "text": "G", "type": "group", "repeats": True}), ""),
}


def _short(element: str) -> str:
    name = element.split(" ", 1)[1] if element.startswith(("type ", "extension ")) else element
    return common.extension_name(name.rsplit(".", 1)[-1])


ROWS = table()


def test_the_table_lists_every_element_with_a_known_status():
    assert ROWS, "the conformance table is missing from docs/interop.md"
    assert {status for _, status in ROWS} <= {"supported", "degraded", "refused"}
    assert sorted(element for element, _ in ROWS) == sorted(EXAMPLES), (
        "every row needs an example here, and every example a row"
    )


@pytest.mark.parametrize(("element", "status"), ROWS, ids=[element for element, _ in ROWS])
def test_each_row_holds(element, status):
    resource, shown_by = EXAMPLES[element]
    if status == "refused":
        with pytest.raises(ImportRefused):
            import_resource(resource)
        return
    first = import_resource(resource)
    export = export_fhir(first.definition, version_number=1)
    notes = [*first.report, *export.notes]
    named = [
        note for note in notes if _short(element) in note.feature or _short(element) in note.detail
    ]
    if status == "degraded":
        assert named, f"{element} is degraded but no report line names it"
        return
    text = fhir_json(export.resource)
    assert shown_by in text, f"{element}: {shown_by!r} is not in our export"
    second = import_resource(read_json_bytes(text.encode()))
    assert replace(second.definition, slug="s", source_version="") == replace(
        first.definition, slug="s", source_version=""
    )
    dropped = [str(note) for note in named if re.search(r"not kept|ignored|dropped", note.detail)]
    assert dropped == [], f"{element} is supported but the report says: {dropped}"
