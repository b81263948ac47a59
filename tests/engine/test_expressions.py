"""engine/expressions.py: FHIRPath with fhirpathpy, its limits, and acceptance 3 (Framingham)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate
from fhirpathpy.models import models

from questionnaires.engine import expressions
from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, StepDef, VersionDef
from questionnaires.engine.lint import lint_structure
from questionnaires.interop.fhir_expressions import compute_answers, response_builder
from questionnaires.interop.fhir_questionnaire import import_resource

FINDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "findings"


def test_syntax_errors_are_found_although_fhirpathpy_ignores_them():
    assert expressions.check("1 + 2") is None
    assert expressions.check("1 +").startswith("not a FHIRPath expression: column 4")
    assert expressions.check("foo bar") == "not a FHIRPath expression: column 5: unexpected 'bar'"
    assert "longer than 2,000 characters" in expressions.check("1" * 2001)


def test_an_evaluation_over_its_time_limit_is_stopped_with_an_error():
    with pytest.raises(expressions.ExpressionError, match="ran longer than 0 s"):
        expressions.evaluate("1 + 1", {}, {}, time_limit=0)


def test_errors_inside_the_library_become_expression_errors():
    with pytest.raises(expressions.ExpressionError, match="undefined environment variable"):
        expressions.evaluate("%nowhere + 1", {}, {})


def test_sum_and_ordinal_work_on_response_values():
    resource = {
        "resourceType": "QuestionnaireResponse",
        "item": [
            {"linkId": "a", "answer": [{"valueDecimal": 2.5}]},
            {"linkId": "b", "answer": [{"valueInteger": 3}]},
            {
                "linkId": "c",
                "answer": [
                    {
                        "valueCoding": {
                            "code": "x",
                            "extension": [
                                {"url": expressions.ORDINAL_VALUE, "valueDecimal": 2},
                            ],
                        }
                    }
                ],
            },
        ],
    }
    assert expressions.evaluate(
        "%resource.item.where(linkId != 'c').answer.value.sum()", resource, {}
    ) == [Decimal("5.5")]
    assert expressions.evaluate("%resource.item.answer.value.ordinal()", resource, {}) == [
        Decimal(2)
    ]


def _question(**fields) -> QuestionDef:
    return QuestionDef(**{"kind": Kind.INTEGER, "text": {"en": "Q"}, **fields})


def test_a_failing_expression_is_a_linter_error():
    definition = VersionDef(
        slug="x",
        title={"en": "X"},
        steps=(
            StepDef(
                key="s",
                title={"en": "S"},
                questions=(_question(key="total", expressions={"calculated": "%missing * 2"}),),
            ),
        ),
    )
    assert [str(problem) for problem in lint_structure(definition)] == [
        "steps[0].questions[0].expressions.calculated: Attempting to access an undefined "
        "environment variable: missing"
    ]


def test_coercion_to_the_item_kind():
    choice = _question(
        key="c", kind=Kind.SINGLE_CHOICE, choices=(ChoiceDef(value="a", label={"en": "A"}),)
    )
    assert expressions.coerce(choice, [{"code": "a"}]) == "a"
    with pytest.raises(expressions.ExpressionError, match="not an option"):
        expressions.coerce(choice, [{"code": "z"}])
    assert expressions.coerce(_question(key="i"), [Decimal("7.0")]) == 7
    assert expressions.coerce(_question(key="i"), []) is None
    with pytest.raises(expressions.ExpressionError, match="2 values"):
        expressions.coerce(_question(key="i"), [1, 2])


# --- acceptance 3: Framingham-style, variables and decimals -------------------------------------


def test_acceptance_3_framingham_style_risk_equals_fhirpathpy_evaluated_directly():
    source = json.loads((FINDINGS / "11-framingham-style-risk.json").read_text())
    result = import_resource(source)
    definition = result.definition
    keys = {q.link_id: q.key for q in definition.question_map().values()}
    answers = {
        keys["age"]: Decimal("55"),
        keys["chol"]: Decimal("213"),
        keys["hdl"]: Decimal("50"),
        keys["sbp"]: Decimal("120.5"),
        keys["smoker"]: True,
    }
    computed = compute_answers(definition, answers, source=source)
    assert computed.problems == ()
    ours = computed.answers[keys["risk"]]

    # The same expressions, evaluated by fhirpathpy itself on a response written by hand.
    response = {
        "resourceType": "QuestionnaireResponse",
        "item": [
            {"linkId": "age", "answer": [{"valueDecimal": 55}]},
            {"linkId": "chol", "answer": [{"valueDecimal": 213}]},
            {"linkId": "hdl", "answer": [{"valueDecimal": 50}]},
            {"linkId": "sbp", "answer": [{"valueDecimal": 120.5}]},
            {"linkId": "smoker", "answer": [{"valueBoolean": True}]},
        ],
    }
    env: dict = {"resource": response}
    risk_item = source["item"][5]
    variables = [*source["extension"], *risk_item["extension"][:-1]]
    for extension in variables:
        value = extension["valueExpression"]
        (env[value["name"]],) = fhirpathpy_evaluate(
            response, value["expression"], env, models["r4"]
        )
    direct = fhirpathpy_evaluate(
        response, risk_item["extension"][-1]["valueExpression"]["expression"], env, models["r4"]
    )
    assert [ours] == direct
    assert Decimal(0) < ours < Decimal(100)


def test_calculated_items_settle_when_one_uses_another():
    definition = VersionDef(
        slug="x",
        title={"en": "X"},
        steps=(
            StepDef(
                key="s",
                title={"en": "S"},
                questions=(
                    _question(key="a", link_id="a"),
                    _question(
                        key="c",
                        link_id="c",
                        read_only=True,
                        expressions={
                            "calculated": "%resource.item.where(linkId='b').answer.value + 1"
                        },
                    ),
                    _question(
                        key="b",
                        link_id="b",
                        read_only=True,
                        expressions={
                            "calculated": "%resource.item.where(linkId='a').answer.value * 2"
                        },
                    ),
                ),
            ),
        ),
    )
    source = {
        "resourceType": "Questionnaire",
        "item": [{"linkId": link, "type": "integer"} for link in "acb"],
    }
    computed = expressions.compute(
        definition, {"a": 5}, to_resource=response_builder(definition, source)
    )
    assert computed.answers == {"a": 5, "b": 10, "c": 11}
