"""The shipped rules and indication scopes give the same answer compiled as evaluated.

The weighing tests each rule's condition through ``Rule.condition_test`` (compiled once
per rule, ``conditions.compile_condition``); ``conditions.evaluate`` reads the condition
afresh and stays the reference. Here both run on every shipped condition (each rule, each
indication's scope) against the answers the weighing sees (the derived answers) of every
golden case and of the demo patient of each disease.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from questionnaires.engine.conditions import compile_condition, evaluate
from questionnaires.selectors.definitions import version_definition
from questionnaires.selectors.therapies import profiles_fetch
from questionnaires.services.weighing_input import answers_prepare
from tests.seeded import seeded_database
from tests.summary.builders import CONDITIONS, demo_answers

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


@pytest.fixture(scope="module")
def demo_version(django_db_setup, django_db_blocker):
    with seeded_database(django_db_blocker) as version:
        yield version


def patients() -> list[dict]:
    cases = [json.loads(path.read_text("utf-8"))["answers"] for path in GOLDEN_DIR.glob("*/*")]
    return [*cases, *({"condition": disease, **demo_answers(disease)} for disease in CONDITIONS)]


def test_every_shipped_condition_compiled_agrees_with_evaluate(demo_version, db):
    definition = version_definition(demo_version)
    derived = [
        answers_prepare(definition=definition, answers=answers).derived for answers in patients()
    ]
    conditions = {}
    for disease in CONDITIONS:
        profiles = profiles_fetch(disease=disease)
        for rule in profiles.rules:
            conditions[f"rule {rule.rule_id}"] = rule.condition
        for profile in profiles.therapies.values():
            if profile.scope.get("condition") is not None:
                conditions[f"scope {disease}/{profile.slug}"] = profile.scope["condition"]
    assert len(derived) >= 60 and len(conditions) >= 100, "the shipped set was not found"

    outcomes = set()
    for name, condition in conditions.items():
        compiled = compile_condition(condition)
        assert not isinstance(compiled, functools.partial), f"{name} was not compiled"
        for answers in derived:
            expected = evaluate(condition, answers)
            assert compiled(answers) is expected, (name, answers)
            outcomes.add(expected)
    assert outcomes == {True, False}, "the answers must make some conditions true, some false"
