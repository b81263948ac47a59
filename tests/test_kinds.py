"""A question kind added in code works through the form, the JSON export and the linter.

The throwaway kind ``email_address`` is registered here only (``engine.kinds.register_kind``
for its pure side, ``kinds.register_form_kind`` for its form side); no other module knows it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict

from questionnaires.answers import answers_from_json, answers_to_json
from questionnaires.engine import conditions as c
from questionnaires.engine.definition import QuestionDef, StepDef, VersionDef
from questionnaires.engine.kinds import KindSpec, answer_problem, register_kind, unregister_kind
from questionnaires.engine.lint import lint
from questionnaires.engine.visibility import resolve_visibility
from questionnaires.interop import fhir_export, sdm_json
from questionnaires.kinds import FormKind, answer_text, register_form_kind, unregister_form_kind
from questionnaires.patient.forms import StepContext, build_step_form_classes
from tests.builders import text

KIND = "email_address"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email_problem(question: QuestionDef, value: Any) -> str | None:
    return None if isinstance(value, str) and _EMAIL.fullmatch(value) else "invalid_email"


def _email_lint(question: QuestionDef) -> list[tuple[str, str]]:
    if question.max_length is not None and question.max_length < 6:
        return [("max_length", "an e-mail address needs room for at least 6 characters")]
    return []


@pytest.fixture
def email_kind():
    register_kind(
        KindSpec(
            KIND,
            (c.EQ, c.NE, c.ANSWERED, c.NOT_ANSWERED),
            "string",
            condition_value_problem=lambda question, value: (
                None if isinstance(value, str) else "compare an e-mail address with text"
            ),
            answer_problem=_email_problem,
            lint=_email_lint,
        )
    )
    register_form_kind(
        FormKind(
            KIND,
            field=lambda question, common: forms.CharField(max_length=254, **common),
            required_message="Enter your e-mail address",
            answer_text=lambda question, value: f"<{value}>",
            template_item=lambda question, value: {"inputmode": "email"},
        )
    )
    yield
    unregister_form_kind(KIND)
    unregister_kind(KIND)


def definition(**email_fields) -> VersionDef:
    email = QuestionDef(key="email", kind=KIND, text=text("Your e-mail"), **email_fields)
    wants = QuestionDef(
        key="newsletter",
        kind="yes_no",
        text=text("Send news?"),
        show_if={"q": "email", "op": "answered"},
    )
    return VersionDef(
        slug="contact",
        title=text("Contact"),
        steps=(StepDef(key="contact", title=text("Contact"), questions=(email, wants)),),
    )


def bound_form(version: VersionDef, data: dict[str, str]):
    form_class = build_step_form_classes(version)["contact"]
    visibility, kept = resolve_visibility(version, {})
    context = StepContext(version, {}, kept, visibility.questions)
    return form_class(
        MultiValueDict({key: [value] for key, value in data.items()}),
        prefix="contact",
        context=context,
    )


def test_the_form_takes_validates_and_shows_the_new_kind(email_kind):
    version = definition(required=True)
    good = bound_form(version, {"contact-email": "ana@example.org"})
    assert good.is_valid()
    assert good.answer_values["email"] == "ana@example.org"
    item = next(item for item in good.question_items() if item["key"] == "email")
    assert item["inputmode"] == "email"
    assert item["value"] == "ana@example.org"

    bad = bound_form(version, {"contact-email": "not an address"})
    assert not bad.is_valid()
    assert bad.errors.as_data()["email"][0].code == "invalid_email"  # the kind's own validator

    missing = bound_form(version, {})
    assert not missing.is_valid()
    assert missing.errors["email"] == ["Enter your e-mail address"]

    # The inverse of cleaning shows a saved answer again, and it reads back as the kind says.
    data = build_step_form_classes(version)["contact"].data_for_answers(
        {"email": "ana@example.org"}, prefix="contact"
    )
    assert data["contact-email"] == "ana@example.org"
    assert answer_text(version.question_map()["email"], "ana@example.org") == "<ana@example.org>"
    assert answer_problem(version.question_map()["email"], "x@y.z") is None


def test_the_json_export_round_trips_the_new_kind_and_its_answers(email_kind):
    version = definition(max_length=80)
    exported = sdm_json.dumps(version)
    assert f'"kind": "{KIND}"' in exported
    # The schema check accepts the registered kind.
    assert sdm_json.load_bytes(exported.encode("utf-8")) == version
    stored = answers_to_json(version, {"email": "ana@example.org"})
    assert answers_from_json(version, stored) == {"email": "ana@example.org"}
    fhir = fhir_export.export_fhir(version, version_number=1).resource
    assert fhir["item"][0]["item"][0]["type"] == "string"


def test_the_linter_applies_the_new_kinds_operators_and_rules(email_kind):
    assert lint(definition()) == []
    too_short = lint(definition(max_length=3))
    assert [problem.path for problem in too_short] == ["steps[0].questions[0].max_length"]
    ordered = definition()
    newsletter = ordered.steps[0].questions[1]
    wrong_op = VersionDef(
        slug=ordered.slug,
        title=ordered.title,
        steps=(
            StepDef(
                key="contact",
                title=text("Contact"),
                questions=(
                    ordered.steps[0].questions[0],
                    QuestionDef(
                        key=newsletter.key,
                        kind=newsletter.kind,
                        text=newsletter.text,
                        show_if={"q": "email", "op": "gt", "value": "a"},
                    ),
                ),
            ),
        ),
    )
    assert any("operator 'gt' does not fit" in problem.message for problem in lint(wrong_op))


def test_without_the_registration_the_kind_is_unknown_everywhere():
    problems = lint(definition())
    assert any(f"unknown kind '{KIND}'" in problem.message for problem in problems)
    with pytest.raises(sdm_json.ImportRefused):
        sdm_json.load_bytes(sdm_json.dumps(definition()).encode("utf-8"))
